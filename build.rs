//! The page's wasm (`monscope-web`, wasm32 only) is linked with wasm-ld's map
//! of its data (`--Map`), written beside it (`target/wasm32-unknown-unknown/
//! PROFILE/monscope-web.map`): each constant's address and size, which the
//! release build's post-build hook (tests/e2e/split-lazy.mjs) reads to move
//! the constant data only the lazy module reads into that module
//! (docs/performance.md, "`pagesize14`"). Native builds are not touched.

use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if env::var("CARGO_CFG_TARGET_ARCH").as_deref() != Ok("wasm32") {
        return;
    }
    // OUT_DIR is TARGET/wasm32-unknown-unknown/PROFILE/build/monscope-HASH/out.
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    if let Some(dir) = out.ancestors().nth(3) {
        let map = dir.join("monscope-web.map");
        println!(
            "cargo:rustc-link-arg-bin=monscope-web=--Map={}",
            map.display()
        );
    }
}
