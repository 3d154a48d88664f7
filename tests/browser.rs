//! Browser tests: run in headless Chromium by `cargo xtask test`
//! (`cargo test -p monscope --target wasm32-unknown-unknown` with
//! wasm-bindgen-test-runner and Debian's chromedriver).
//!
//! How the native digests get here: before building this test, xtask runs the
//! native CLI, `monscope run --digest scenarios/STEM.mon`, for every scenario,
//! writes the results to `target/native-digests.txt` (one `STEM DIGEST` line each)
//! and passes the same text to the compiler in the environment variable
//! `MONSCOPE_NATIVE_DIGESTS`, which this file reads with `option_env!` at compile
//! time (rustc records the variable, so cargo rebuilds the test when a digest
//! changes). The test then runs every built-in scenario here, in wasm, and
//! compares digests: same scenario → same trace, natively and in the browser.
#![cfg(target_arch = "wasm32")]

use monscope_core::scenario::{self, library::BUILTIN};
use monscope_core::sim;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const NATIVE_DIGESTS: Option<&str> = option_env!("MONSCOPE_NATIVE_DIGESTS");

fn native_digests() -> Vec<(&'static str, &'static str)> {
    let text = NATIVE_DIGESTS.unwrap_or_else(|| {
        panic!(
            "MONSCOPE_NATIVE_DIGESTS was not set when this test was built. Run the browser \
             tests with `cargo xtask test`: it computes the native digests with \
             `monscope run --digest` and passes them in (see target/native-digests.txt)."
        )
    });
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            line.split_once(' ')
                .unwrap_or_else(|| panic!("malformed line in MONSCOPE_NATIVE_DIGESTS: {line:?}"))
        })
        .collect()
}

#[wasm_bindgen_test]
fn every_builtin_scenario_has_the_native_digest_in_wasm() {
    let native = native_digests();
    assert!(!BUILTIN.is_empty(), "the built-in library is empty");
    let mut mismatches = Vec::new();
    for (stem, text) in BUILTIN {
        let scenario = scenario::parse(text)
            .unwrap_or_else(|e| panic!("built-in scenario {stem} does not parse in wasm: {e}"));
        let wasm = sim::run(&scenario).digest();
        match native.iter().find(|(s, _)| s == stem) {
            Some((_, native)) if *native == wasm => {}
            Some((_, native)) => {
                mismatches.push(format!("{stem}: native {native}, wasm {wasm}"));
            }
            None => mismatches.push(format!(
                "{stem}: no native digest (is scenarios/{stem}.mon missing?)"
            )),
        }
    }
    for (stem, _) in &native {
        if !BUILTIN.iter().any(|(s, _)| s == stem) {
            mismatches.push(format!(
                "scenarios/{stem}.mon is not in the built-in library"
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "wasm and native runs differ:\n{}",
        mismatches.join("\n")
    );
}

#[wasm_bindgen_test]
fn a_broken_scenario_reports_line_and_column() {
    let text = "title \"broken\"\nmons a b c\nat 10s explode a\n";
    let err = match scenario::parse(text) {
        Ok(_) => panic!("a scenario with an unknown action parsed"),
        Err(err) => err.to_string(),
    };
    assert!(
        err.starts_with("line 3, column "),
        "the error should name line 3 and a column: {err}"
    );
}
