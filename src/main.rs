//! The monscope web app (Yew, client-side rendered). Trunk builds it from
//! `www/index.html`; run it with `cargo xtask serve`.
//!
//! `playback`, `state`, `edit`, `inspect` and `text_lines` are pure Rust:
//! they build for the native target too, where their unit tests run.

// Natively only the tests use the pure modules.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

mod arrows;
mod builtins;
mod dots;
mod edit;
mod embed;
mod first_run;
mod flights;
mod handover;
mod imported;
mod inspect;
mod lz;
mod packed;
mod playback;
mod row_keys;
mod share;
mod sim_worker;
mod state;
mod store;
mod text_lines;
mod word_fit;

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod components;
#[cfg(target_arch = "wasm32")]
mod download;
#[cfg(target_arch = "wasm32")]
mod effect;
#[cfg(target_arch = "wasm32")]
mod embed_api;
#[cfg(target_arch = "wasm32")]
mod lazy;
#[cfg(target_arch = "wasm32")]
mod panic_panel;
#[cfg(target_arch = "wasm32")]
mod sim_feed;
#[cfg(target_arch = "wasm32")]
mod trace_export;

/// The page's allocator, the wasm CLI's too (crates/heap: smaller than
/// dlmalloc and faster). It grows the memory 1 MB at a time (dlmalloc: 64
/// kB): the page's memory is measured (tests/e2e/long-run.test.mjs), and
/// each `memory.grow` runs V8's collector.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static HEAP: monscope_heap::Wasm<31, 16, 16> = monscope_heap::Wasm::new();

#[cfg(target_arch = "wasm32")]
fn main() {
    // The simulation worker instantiates this module too (sim_worker.rs):
    // there, with no window, only its exports run.
    if web_sys::window().is_none() {
        return;
    }
    app::start();
}

/// The app only runs in a browser; a native build (e.g. `cargo test --workspace`)
/// gets this stub so the workspace still builds and tests natively.
#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "monscope's web app runs in the browser: `cargo xtask serve` builds it and serves it \
         on http://127.0.0.1:8080. For the command line, use `cargo run -p monscope-cli -- --help`."
    );
    std::process::exit(2);
}
