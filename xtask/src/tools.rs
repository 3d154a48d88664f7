//! Finds the tools the project needs and installs only what is missing:
//! the wasm32 target, the page's pinned nightly with rust-src (nightly.rs), trunk,
//! wasm-bindgen-cli (the version in Cargo.lock), the npm packages in tests/e2e
//! (binaryen's wasm-opt, terser, playwright-core), and for tests Debian's chromium
//! and chromium-driver. Nothing is ever downloaded
//! outside the package registries: no prebuilt binaries, no browser builds.

use crate::sh::{self, probe};
use crate::Result;
use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

pub const TRUNK_VERSION: &str = "0.21.14";
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// What a command needs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Building the web app: wasm32 target, trunk, wasm-bindgen, npm packages.
    Build,
    /// Everything `cargo xtask test` uses: also rustfmt, clippy, chromium, chromedriver.
    All,
}

pub fn ensure(root: &Path, need: Need) -> Result {
    if need == Need::All {
        ensure_components()?;
        ensure_chromium()?;
        ensure_ceph()?;
    }
    ensure_target(WASM_TARGET)?;
    crate::nightly::ensure()?;
    ensure_npm_packages(root)?;
    ensure_cargo_tool(
        "trunk",
        "trunk",
        TRUNK_VERSION,
        &["--locked"],
        "about 10 minutes, once",
    )?;
    // wasm-bindgen-cli must match the wasm-bindgen crate exactly. Without --locked:
    // its lockfile names a version of a dependency that is no longer on crates.io.
    let wbg = wasm_bindgen_version(root)?;
    ensure_cargo_tool(
        "wasm-bindgen",
        "wasm-bindgen-cli",
        &wbg,
        &[],
        "about 5 minutes, once",
    )?;
    if probe("wasm-bindgen-test-runner", &["--version"]).is_none() {
        return Err(
            "wasm-bindgen-test-runner is missing although wasm-bindgen is installed; \
             reinstall with `cargo install wasm-bindgen-cli --force --version VERSION`"
                .into(),
        );
    }
    let chromium = if need == Need::All {
        format!(", {CHROMIUM}, {CHROMEDRIVER}, ceph-mon, faketime, iptables")
    } else {
        String::new()
    };
    println!(
        "xtask: tools ready: {WASM_TARGET}, {} with rust-src, trunk {TRUNK_VERSION}, \
         wasm-bindgen {wbg}, npm packages of tests/e2e{chromium}",
        crate::nightly::NIGHTLY
    );
    Ok(())
}

fn ensure_components() -> Result {
    for (component, program) in [("rustfmt", "fmt"), ("clippy", "clippy")] {
        if sh::cargo()
            .args([program, "--version"])
            .output()
            .ok()
            .is_some_and(|o| o.status.success())
        {
            continue;
        }
        println!("xtask: installing the rust component {component} (once)");
        sh::run(Command::new("rustup").args(["component", "add", component]))?;
    }
    Ok(())
}

/// The Rust standard library for `target` (`rustup target add`, once).
pub fn ensure_target(target: &str) -> Result {
    let sysroot = sh::output(Command::new("rustc").args(["--print", "sysroot"]))?;
    let lib = Path::new(sysroot.trim()).join("lib/rustlib").join(target);
    if lib.is_dir() {
        return Ok(());
    }
    println!("xtask: installing the Rust target {target} (once)");
    sh::run(Command::new("rustup").args(["target", "add", target]))
}

/// `cargo install CRATE --version VERSION` unless `PROGRAM --version` already
/// prints exactly VERSION.
fn ensure_cargo_tool(
    program: &str,
    krate: &str,
    version: &str,
    extra: &[&str],
    how_long: &str,
) -> Result {
    let found = probe(program, &["--version"]);
    if let Some(line) = &found {
        if version_in(line) == Some(version) {
            return Ok(());
        }
    }
    match &found {
        Some(line) => println!(
            "xtask: {program} is {line:?}, the project needs {version}: installing {krate} \
             {version} ({how_long})"
        ),
        None => println!("xtask: installing {krate} {version} ({how_long})"),
    }
    sh::run(
        sh::cargo()
            .args(["install", krate, "--version", version, "--force"])
            .args(extra),
    )?;
    match probe(program, &["--version"]) {
        Some(line) if version_in(&line) == Some(version) => Ok(()),
        other => Err(format!(
            "installed {krate} {version}, but `{program} --version` now says {other:?}; \
             is {} first on PATH?",
            sh::cargo_bin_dir().display()
        )),
    }
}

/// The version in a `--version` line such as "trunk 0.21.14" or "wasm-bindgen 0.2.130 (abc)".
pub fn version_in(line: &str) -> Option<&str> {
    line.split_whitespace().nth(1)
}

/// The wasm-bindgen version Cargo.lock pins (Cargo.toml says `=0.2.130`).
pub fn wasm_bindgen_version(root: &Path) -> Result<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    locked_version(&lock, "wasm-bindgen")
        .ok_or_else(|| "Cargo.lock has no wasm-bindgen package".to_string())
}

pub fn locked_version(lock: &str, package: &str) -> Option<String> {
    let wanted = format!("name = \"{package}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == wanted {
            let version = lines.next()?.trim();
            let version = version.strip_prefix("version = \"")?.strip_suffix('"')?;
            return Some(version.to_string());
        }
    }
    None
}

/// `npm ci` in tests/e2e unless node_modules is already installed from the
/// current package-lock.json.
fn ensure_npm_packages(root: &Path) -> Result {
    let dir = root.join("tests/e2e");
    if probe("node", &["--version"]).is_none() || probe("npm", &["--version"]).is_none() {
        println!("xtask: node/npm are missing: installing Debian's nodejs and npm (once)");
        apt_install(&["nodejs", "npm"])?;
    }
    let lock =
        modified(&dir.join("package-lock.json")).ok_or("tests/e2e/package-lock.json is missing")?;
    let installed = modified(&dir.join("node_modules/.package-lock.json"));
    let complete = [
        "node_modules/.bin/wasm-opt",
        "node_modules/playwright-core/package.json",
        "node_modules/terser/package.json",
    ]
    .iter()
    .all(|p| dir.join(p).exists());
    if complete && installed.is_some_and(|t| t >= lock) {
        return Ok(());
    }
    println!(
        "xtask: installing the npm packages of tests/e2e (binaryen's wasm-opt, terser, playwright-core)"
    );
    sh::run(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir),
    )
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Debian's chromium and chromium-driver (never a downloaded browser).
fn ensure_chromium() -> Result {
    let missing: Vec<&str> = [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")]
        .iter()
        .filter(|(path, _)| !Path::new(path).exists())
        .map(|(_, package)| *package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    println!(
        "xtask: installing Debian's {} for the browser tests (a few minutes, once)",
        missing.join(" and ")
    );
    apt_install(&missing)
}

/// What `monscope real` runs: Debian's ceph-mon and ceph-common (monmaptool,
/// ceph-authtool, python3-rados), libfaketime (skewed clocks) and iptables
/// (cut links inside the run's network namespace), and iproute2's `ip`
/// (the namespace's loopback).
pub const CEPH_FILES: &[(&str, &str)] = &[
    ("/usr/bin/ceph-mon", "ceph-mon"),
    ("/usr/bin/monmaptool", "ceph-common"),
    ("/usr/bin/ceph-authtool", "ceph-common"),
    ("/usr/bin/ceph", "ceph-common"),
    (
        "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
        "faketime",
    ),
    ("/usr/sbin/iptables", "iptables"),
    ("/usr/sbin/ip", "iproute2"),
];

/// Debian's ceph-mon, ceph-common, faketime, iptables and iproute2 for real runs.
pub fn ensure_ceph() -> Result {
    let mut missing: Vec<&str> = CEPH_FILES
        .iter()
        .filter(|(path, _)| !Path::new(path).exists())
        .map(|(_, package)| *package)
        .collect();
    missing.dedup();
    if missing.is_empty() {
        return Ok(());
    }
    println!(
        "xtask: installing Debian's {} for real-cluster runs (a few minutes, once)",
        missing.join(", ")
    );
    apt_install(&[
        "ceph-mon",
        "ceph-common",
        "faketime",
        "iptables",
        "iproute2",
    ])
}

fn apt_install(packages: &[&str]) -> Result {
    let root = probe("id", &["-u"]).as_deref() == Some("0");
    let apt = |args: &[&str]| {
        let mut cmd = if root {
            Command::new("apt-get")
        } else {
            let mut sudo = Command::new("sudo");
            sudo.args(["-n", "apt-get"]);
            sudo
        };
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    };
    let hint = format!(
        "could not install {} with apt-get (root or passwordless sudo needed); \
         install them by hand: apt-get update && apt-get install -y {}",
        packages.join(" "),
        packages.join(" ")
    );
    sh::run(&mut apt(&["update"])).map_err(|e| format!("{e}\n{hint}"))?;
    let mut args = vec!["install", "-y", "--no-install-recommends"];
    args.extend(packages);
    sh::run(&mut apt(&args)).map_err(|e| format!("{e}\n{hint}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_versions_from_version_lines() {
        assert_eq!(version_in("trunk 0.21.14"), Some("0.21.14"));
        assert_eq!(
            version_in("wasm-bindgen 0.2.130 (2c7f2a1a4)"),
            Some("0.2.130")
        );
        assert_eq!(version_in("trunk"), None);
    }

    #[test]
    fn finds_a_package_version_in_a_lockfile() {
        let lock = "[[package]]\nname = \"wasm-bindgen-test\"\nversion = \"0.3.80\"\n\n\
                    [[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n";
        assert_eq!(
            locked_version(lock, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(locked_version(lock, "yew"), None);
    }
}
