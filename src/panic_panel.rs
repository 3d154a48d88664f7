//! A crash never leaves a blank page: the error panel (`#error-panel`) at the
//! top of the page says so. The page is built to abort at once on a panic
//! (xtask/src/nightly.rs): no Rust hook runs, the wasm traps, and the trap
//! reaches the JS that called in, where `www/index.html`'s script shows it.
//! That script makes the panel; this shows the other crashes in it.

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
extern "C" {
    /// `www/index.html`'s: log `text` and show it in the error panel.
    #[wasm_bindgen(js_name = monscopeCrashed)]
    fn crashed(text: &str);
}

/// Log `text` and show it in the error panel (the simulation worker's crash).
pub fn report(text: &str) {
    crashed(text);
}
