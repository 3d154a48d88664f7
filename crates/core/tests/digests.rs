//! The built-in scenarios' digests, pinned. An optimisation must not change
//! a trace; a fidelity change that does is on purpose and says so: rewrite
//! `tests/digests.txt` with `MONSCOPE_BLESS=1 cargo test -p monscope-core
//! --test digests` and name the changed scenarios in the commit. (The
//! `cargo xtask test` step "native digests" compares native with wasm, not
//! with an earlier build, so it cannot see such a change.)

use monscope_core::scenario::{library, parse};
use monscope_core::sim::run;

const PINNED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/digests.txt");

#[test]
fn every_built_in_scenarios_trace_is_the_pinned_one() {
    let now: Vec<String> = library::BUILTIN
        .iter()
        .map(|(stem, text)| format!("{stem} {}", run(&parse(text).unwrap()).digest()))
        .collect();
    if std::env::var_os("MONSCOPE_BLESS").is_some() {
        std::fs::write(PINNED, now.join("\n") + "\n").unwrap();
        return;
    }
    let pinned = std::fs::read_to_string(PINNED).unwrap_or_default();
    let pinned: Vec<&str> = pinned.lines().collect();
    let changed: Vec<&String> = now
        .iter()
        .filter(|l| !pinned.contains(&l.as_str()))
        .collect();
    assert!(
        changed.is_empty() && pinned.len() == now.len(),
        "traces differ from tests/digests.txt: {changed:?} (pinned {} scenarios, built in {}); \
         if on purpose, MONSCOPE_BLESS=1 cargo test -p monscope-core --test digests",
        pinned.len(),
        now.len()
    );
}
