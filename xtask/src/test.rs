//! `cargo xtask test`: every check and test, in order, stopping at the first
//! failure with a summary line that names the failed step.
//! The real ceph-mon smoke runs tests/real/*.mon on real monitors (five
//! minutes at most; see xtask/src/real.rs).

use crate::serve;
use crate::sh::{self, cargo};
use crate::tools::{self, Need, CHROMEDRIVER, CHROMIUM, WASM_TARGET};
use crate::Result;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

type Step = (&'static str, fn(&Path) -> Result);

const STEPS: &[Step] = &[
    ("tools", |root| tools::ensure(root, Need::All)),
    ("fmt", fmt),
    ("clippy (native)", clippy_native),
    ("clippy (web app, wasm32)", clippy_wasm),
    ("native tests", native_tests),
    ("scenario check", scenario_check),
    ("explore", explore),
    ("native digests", native_digests),
    ("real ceph-mon smoke", crate::real::smoke),
    ("browser tests", browser_tests),
    ("release build", |root| serve::trunk_build(root)),
    ("end-to-end tests", e2e),
];

pub fn run_all(root: &Path) -> Result {
    let start = Instant::now();
    let mut times = Vec::new();
    for (index, (name, step)) in STEPS.iter().enumerate() {
        println!(
            "\n=== xtask test [{}/{}] {name} ===",
            index + 1,
            STEPS.len()
        );
        let step_start = Instant::now();
        let result = step(root);
        let secs = step_start.elapsed().as_secs();
        if let Err(message) = result {
            eprintln!("\nxtask: error: {message}");
            print_times(&times);
            return Err(format!(
                "xtask test FAILED at step {}/{} ({name}) after {secs}s; \
                 {} step(s) passed before it",
                index + 1,
                STEPS.len(),
                times.len()
            ));
        }
        times.push((*name, secs));
    }
    print_times(&times);
    println!(
        "xtask test: all {} steps succeeded in {}s",
        STEPS.len(),
        start.elapsed().as_secs()
    );
    Ok(())
}

fn print_times(times: &[(&str, u64)]) {
    println!("\nxtask test: step times:");
    for (name, secs) in times {
        println!("  {secs:>5}s  {name}");
    }
}

fn fmt(_: &Path) -> Result {
    sh::run(cargo().args(["fmt", "--all", "--", "--check"]))
        .map_err(|e| format!("{e}\nrun `cargo fmt --all` to fix the formatting"))
}

/// `--workspace` includes the root web package, which default-members leave out.
fn clippy_native(_: &Path) -> Result {
    sh::run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))
}

fn clippy_wasm(_: &Path) -> Result {
    sh::run(cargo().args([
        "clippy",
        "-p",
        "monscope",
        "--target",
        WASM_TARGET,
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))
}

fn native_tests(_: &Path) -> Result {
    sh::run(cargo().args(["test", "--workspace"]))
}

/// scenarios/*.mon, sorted.
fn scenario_files(root: &Path) -> Result<Vec<PathBuf>> {
    mon_files(&root.join("scenarios"))
}

/// DIR/*.mon, sorted; an error if there is none.
pub fn mon_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "mon"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("no *.mon in {}", dir.display()));
    }
    Ok(files)
}

/// The native CLI, built in the dev profile (already compiled by the tests).
pub fn cli(root: &Path) -> Result<PathBuf> {
    sh::run(cargo().args(["build", "--quiet", "-p", "monscope-cli"]))?;
    Ok(sh::target_dir(root).join("debug/monscope"))
}

fn scenario_check(root: &Path) -> Result {
    let files = scenario_files(root)?;
    let relative: Vec<PathBuf> = files
        .iter()
        .map(|f| f.strip_prefix(root).unwrap_or(f).to_path_buf())
        .collect();
    sh::run(
        Command::new(cli(root)?)
            .arg("check")
            .args(&relative)
            .current_dir(root),
    )
}

/// A short `monscope explore`: 300 random fault schedules of seed 1 on two
/// threads (the same results as one), the first failure of each class shrunk
/// into target/explore-failures/. Fails if any schedule finds a failure.
fn explore(root: &Path) -> Result {
    let out = sh::target_dir(root).join("explore-failures");
    let _ = std::fs::remove_dir_all(&out);
    sh::run(
        Command::new(cli(root)?)
            .args(["explore", "--runs", "300", "--seed", "1", "--jobs", "2"])
            .args(["--shrink", "1", "--out"])
            .arg(&out)
            .current_dir(root),
    )
}

fn digests_file(root: &Path) -> PathBuf {
    sh::target_dir(root).join("native-digests.txt")
}

/// Runs `monscope run --digest` on every scenario and writes
/// `target/native-digests.txt` (`STEM DIGEST` lines), which the browser test
/// compares with the wasm digests (see tests/browser.rs).
fn native_digests(root: &Path) -> Result {
    let cli = cli(root)?;
    let mut text = String::new();
    for file in scenario_files(root)? {
        let stem = file.file_stem().unwrap_or_default().to_string_lossy();
        let out = sh::output(Command::new(&cli).arg("run").arg(&file).arg("--digest"))?;
        let digest = parse_digest(&out).ok_or_else(|| {
            format!(
                "`monscope run {} --digest` printed no hex digest on its last line:\n{out}",
                file.display()
            )
        })?;
        println!("  {stem:<32} {digest}");
        text.push_str(&format!("{stem} {digest}\n"));
    }
    let path = digests_file(root);
    std::fs::create_dir_all(path.parent().unwrap_or(root))
        .and_then(|()| std::fs::write(&path, &text))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("xtask: wrote {}", path.display());
    Ok(())
}

/// The digest is the last word of the last non-empty line, in hex.
pub fn parse_digest(output: &str) -> Option<&str> {
    let line = output.lines().rev().find(|l| !l.trim().is_empty())?;
    let word = line.split_whitespace().last()?;
    (word.len() >= 8 && word.chars().all(|c| c.is_ascii_hexdigit())).then_some(word)
}

/// tests/browser.rs in headless Chromium via Debian's chromedriver.
fn browser_tests(root: &Path) -> Result {
    let path = digests_file(root);
    let digests = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "cannot read {} (the native digests step writes it): {e}",
            path.display()
        )
    })?;
    let work = sh::target_dir(root).join("xtask");
    let profile = work.join(format!("chromium-profile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&profile);
    std::fs::create_dir_all(&profile)
        .map_err(|e| format!("cannot create {}: {e}", profile.display()))?;
    // wasm-bindgen-test-runner adds --headless, --no-sandbox and
    // --disable-dev-shm-usage itself; these are the rest of what Chromium needs here.
    let webdriver_json = work.join("webdriver.json");
    let args = [
        "--disable-gpu".to_string(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        format!("--user-data-dir={}", profile.display()),
    ];
    let json = format!(
        "{{\n  \"goog:chromeOptions\": {{\n    \"binary\": \"{CHROMIUM}\",\n    \"args\": [{}]\n  }}\n}}\n",
        args.iter()
            .map(|a| format!("\"{}\"", a.replace('\\', "\\\\").replace('"', "\\\"")))
            .collect::<Vec<_>>()
            .join(", ")
    );
    std::fs::write(&webdriver_json, json)
        .map_err(|e| format!("cannot write {}: {e}", webdriver_json.display()))?;
    let result = sh::run(
        cargo()
            .args(["test", "-p", "monscope", "--target", WASM_TARGET])
            .env(
                "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
                "wasm-bindgen-test-runner",
            )
            .env("CHROMEDRIVER", CHROMEDRIVER)
            .env_remove("GECKODRIVER")
            .env_remove("SAFARIDRIVER")
            .env_remove("NO_HEADLESS")
            .env("WASM_BINDGEN_TEST_WEBDRIVER_JSON", &webdriver_json)
            .env("WASM_BINDGEN_TEST_TIMEOUT", "600")
            .env("WASM_BINDGEN_TEST_DRIVER_TIMEOUT", "30")
            .env("MONSCOPE_NATIVE_DIGESTS", digests),
    );
    let _ = std::fs::remove_dir_all(&profile);
    result
}

/// tests/e2e/*.test.mjs with node's test runner, against dist/ served by xtask
/// on a free loopback port (the server thread ends with xtask).
fn e2e(root: &Path) -> Result {
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .map_err(|e| format!("cannot listen on a loopback port: {e}"))?;
    let port = listener
        .local_addr()
        .map_err(|e| format!("no local address: {e}"))?
        .port();
    let dist = root.join("dist");
    // Under a sub-path, as on GitHub Pages or in a docs folder (the root works too).
    std::thread::spawn(move || serve::serve_forever(listener, dist, serve::E2E_PREFIX));
    let url = format!("http://127.0.0.1:{port}{}", serve::E2E_PREFIX);
    println!("xtask: serving dist/ on {url} for the end-to-end tests");
    sh::run(
        Command::new("node")
            .args(["--test", "tests/e2e/"])
            .current_dir(root)
            .env("MONSCOPE_URL", &url)
            .env("MONSCOPE_CHROMIUM", CHROMIUM)
            // The share tests compare the browser with `monscope link` and `monscope run`.
            .env("MONSCOPE_CLI", cli(root)?),
    )
}

#[cfg(test)]
mod tests {
    use super::parse_digest;

    #[test]
    fn the_digest_is_the_last_hex_word() {
        assert_eq!(parse_digest("3f9a0c1d2e4b5a69\n"), Some("3f9a0c1d2e4b5a69"));
        assert_eq!(
            parse_digest("leader: a\ndigest: 3f9a0c1d2e4b5a69\n\n"),
            Some("3f9a0c1d2e4b5a69")
        );
        assert_eq!(parse_digest("no digest here\n"), None);
        assert_eq!(parse_digest(""), None);
    }
}
