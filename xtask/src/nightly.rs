//! The page's wasm (trunk's cargo builds: the page, the Explore and Import
//! pages' modules) is built by a pinned nightly compiler that rebuilds the
//! standard library at the `web` profile's opt-level "z" (`-Zbuild-std`),
//! with no panic messages or locations (`-Cpanic=immediate-abort`,
//! `-Zlocation-detail=none`): 383,257 → 359,888 bytes to fetch, gzipped
//! (docs/performance.md, "Transfer", "`pagesize7`"), and with std's smaller
//! algorithms (`optimize_for_size`: −1.5 kB more, "`pagesize9`"). A panic then traps
//! with no Rust hook; `www/index.html`'s script shows the error panel.
//! Everything else (native builds, clippy, tests, the browser tests) is stable.

use crate::sh;
use crate::Result;
use std::path::Path;
use std::process::Command;

/// rustc 1.97.0-nightly (e50aa6fba 2026-05-19). A newer one: change it here,
/// then measure the transfer again (the std's code changes with it).
pub const NIGHTLY: &str = "nightly-2026-05-20";

/// The rustc flags of the page's wasm (only: trunk's cargo builds pass
/// `--target`, so build scripts and proc macros get none of them). wasm SIMD
/// as in .cargo/config.toml's wasm builds: the page 2.5 kB smaller gzipped and
/// the simulation's code about 5% fewer instructions (docs/performance.md,
/// "Eleventh round, wasm against native"); www/index.html's wasm-opt and
/// tests/e2e's binaryen passes enable it too.
const FLAGS: &[&str] = &[
    "-Zlocation-detail=none",
    "-Zunstable-options",
    "-Cpanic=immediate-abort",
    "-Ctarget-feature=+simd128",
];

/// The pinned nightly with rust-src (`rustup toolchain install`, once; the
/// minimal profile: no docs, no wasm32 rust-std, since std is rebuilt).
pub fn ensure() -> Result {
    if library_present() {
        return Ok(());
    }
    println!(
        "xtask: installing Rust {NIGHTLY} with rust-src, for the page's build (a minute, once)"
    );
    sh::run(Command::new("rustup").args([
        "toolchain",
        "install",
        NIGHTLY,
        "--profile",
        "minimal",
        "--component",
        "rust-src",
    ]))?;
    if library_present() {
        Ok(())
    } else {
        Err(format!(
            "installed {NIGHTLY} but its rust-src is missing: try `rustup component add \
             rust-src --toolchain {NIGHTLY}`"
        ))
    }
}

/// Whether the nightly's std sources are installed (never installing it:
/// `rustup run` may otherwise fetch a whole toolchain on its own).
fn library_present() -> bool {
    let sysroot = sh::output(
        Command::new("rustup")
            .args(["run", NIGHTLY, "rustc", "--print", "sysroot"])
            .env("RUSTUP_AUTO_INSTALL", "0"),
    );
    sysroot.is_ok_and(|s| {
        Path::new(s.trim())
            .join("lib/rustlib/src/rust/library/Cargo.lock")
            .is_file()
    })
}

/// `cmd` (cargo, or trunk, which runs `cargo` from PATH) builds with the
/// nightly and these flags.
pub fn page_build(cmd: &mut Command) -> &mut Command {
    cmd.env("RUSTUP_TOOLCHAIN", NIGHTLY)
        // Not the stable cargo that runs xtask (trunk's `cargo metadata` reads
        // $CARGO): rustup's proxy on PATH, which obeys RUSTUP_TOOLCHAIN.
        .env_remove("CARGO")
        .env("CARGO_UNSTABLE_BUILD_STD", "std,panic_abort")
        // std's smaller sorts (merge and heap sort), integer printing and
        // float parsing: the page's simulation measured no slower.
        .env("CARGO_UNSTABLE_BUILD_STD_FEATURES", "optimize_for_size")
        // Over any RUSTFLAGS of the caller's, which are meant for native builds.
        .env("CARGO_ENCODED_RUSTFLAGS", FLAGS.join("\x1f"))
}
