//! The lazy module: code a first view of the playground never runs (the
//! embed, the long text's view, the real band, the canvases' painters, the
//! inspector's reading and the selected event's card, the help dialog, `#imported`, and what
//! only a click runs: share links, exports, My scenarios' changes; the
//! core's paths that the first built-in scenario's run never reaches, so
//! that any other text's run waits for it: state.rs, `held`) is cut out of the page's wasm by the release build's post-build
//! hook (`tests/e2e/split-lazy.mjs`, whose `ROOTS` name it) into a second
//! module that the page fetches when it first needs it, with the constant
//! data only that code reads (written into the page's memory when the module
//! is instantiated: until then those bytes are zeros). The glue's
//! `monscopeLazy()` loads it (once); a moved function called before then
//! loads it synchronously (a warning in the console: a path that should have
//! awaited [`load`]). Where the build did not split (debug builds), there is
//! no `monscopeLazy` and everything is in the page's module already.

use std::cell::Cell;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = globalThis, js_name = monscopeLazy)]
    fn monscope_lazy() -> Result<js_sys::Promise, JsValue>;
}

thread_local! {
    static LOADED: Cell<bool> = const { Cell::new(false) };
}

/// The lazy module loaded (or nothing to load); its error otherwise.
pub async fn load() -> Result<(), String> {
    if LOADED.get() {
        return Ok(());
    }
    // No `monscopeLazy`: the build did not split.
    if let Ok(promise) = monscope_lazy() {
        JsFuture::from(promise)
            .await
            .map_err(|_| "the page's lazy module did not load".to_string())?;
    }
    LOADED.set(true);
    Ok(())
}

/// Whether the lazy module is in: what only it draws may be drawn now.
pub fn loaded() -> bool {
    LOADED.get()
}

/// [`load`] started; `then` once it is in (a render that waited for it).
pub fn then(then: impl FnOnce() + 'static) {
    wasm_bindgen_futures::spawn_local(async move {
        if load().await.is_ok() {
            then();
        }
    });
}

/// `then` now if the lazy module is in, else once it is: a drawing that
/// only it paints (the canvases', src/components/message_canvas.rs).
pub fn now_or_then(then: impl FnOnce() + 'static) {
    if LOADED.get() {
        then();
    } else {
        self::then(then);
    }
}

/// [`load`] started, not awaited (it may be needed soon).
pub fn preload() {
    if !LOADED.get() {
        wasm_bindgen_futures::spawn_local(async {
            let _ = load().await;
        });
    }
}
