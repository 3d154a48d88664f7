//! "Export trace" and "Export SVG": the run's events as JSON lines (as
//! `monscope run --json`) and a window's diagram (as `monscope svg`), written
//! by the Import page's wasm module (`monscope-import`, src/import_worker.rs)
//! in a Web Worker, started when the pointer or focus first comes to the
//! buttons (or at the first click) and kept: one started per click took
//! 0.2–0.6 s to load before the download began. That module links serde's
//! serializer and the SVG renderer already; the page does not, and the
//! playground's transfer is smaller for it (docs/performance.md, "Transfer").
//! The page hands the trace over in its binary encoding (`trace::binary`,
//! which the simulation worker's batches use too).

use crate::playback::Trace;
use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use monscope_core::trace::binary::Encoder;
use std::cell::RefCell;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{MessageEvent, Worker, WorkerOptions, WorkerType};

/// The trace's encoding, one event at a time (no copy of the trace).
pub fn encode(trace: &Trace) -> Vec<u8> {
    let mut encoder = Encoder::new();
    let mut out = Vec::new();
    for ev in trace.iter() {
        encoder.encode(std::slice::from_ref(&*ev), &mut out);
    }
    out
}

/// What the worker runs, as errors name it: the exports, `#imported` and a
/// real trace's bands all fail here, and the Import page's errors say the
/// same (app.rs, components/real_band.rs). A macro: the errors are
/// `concat!`ed, without the format machinery.
macro_rules! module {
    () => {
        "the Import page's module (import-worker.js)"
    };
}

thread_local! {
    /// The exporting worker, once started.
    static WORKER: RefCell<Option<Worker>> = const { RefCell::new(None) };
    /// The last ask's turn, settled once it is answered: asks take turns.
    static LAST: RefCell<Option<Promise>> = const { RefCell::new(None) };
}

/// The exporting worker, started if it is not yet (in the lazy module:
/// only its code and the export buttons' hover, once it is in, call it).
#[inline(never)]
pub fn warm() -> Result<Worker, String> {
    WORKER.with(|kept| {
        if let Some(w) = &*kept.borrow() {
            return Ok(w.clone());
        }
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        let worker = Worker::new_with_options("./import-worker.js", &options).map_err(|_| {
            concat!("this browser could not start ", module!(), " in a worker").to_string()
        })?;
        *kept.borrow_mut() = Some(worker.clone());
        Ok(worker)
    })
}

/// What the exporting worker answers `message` (`type` and the fields it
/// asks for; `bytes`, the encoded trace, is added), or why nothing.
pub async fn ask(message: Object, bytes: Vec<u8>) -> Result<String, String> {
    let mut done = None;
    let turn = Promise::new(&mut |resolve, _| done = Some(resolve));
    if let Some(before) = LAST.with(|l| l.replace(Some(turn))) {
        let _ = JsFuture::from(before).await;
    }
    let answer = answer(message, bytes).await;
    if let Some(done) = done {
        let _ = done.call0(&JsValue::NULL);
    }
    answer
}

async fn answer(message: Object, bytes: Vec<u8>) -> Result<String, String> {
    let worker = warm()?;
    let answer = Promise::new(&mut |resolve, reject| {
        worker.set_onmessage(Some(&resolve));
        worker.set_onerror(Some(&reject));
    });
    let array = Uint8Array::from(&bytes[..]);
    drop(bytes);
    let _ = Reflect::set(&message, &"bytes".into(), &array);
    let sent = worker.post_message_with_transfer(&message, &Array::of1(&array.buffer()));
    let answer = match sent {
        Ok(()) => JsFuture::from(answer).await,
        Err(e) => Err(e),
    };
    let data = answer.ok().and_then(|e| e.dyn_into::<MessageEvent>().ok());
    let Some(data) = data.map(|e| e.data()) else {
        // It did not load, or failed: the next ask starts another.
        worker.terminate();
        WORKER.with(|kept| kept.borrow_mut().take());
        return Err(concat!(
            module!(),
            " did not load or stopped (try again: it is started afresh)"
        )
        .into());
    };
    let field = |k: &str| {
        Reflect::get(&data, &k.into())
            .ok()
            .and_then(|v| v.as_string())
    };
    match (field("text"), field("error")) {
        (Some(text), _) => Ok(text),
        (None, Some(error)) => Err(error),
        (None, None) => Err(concat!(module!(), " answered nothing").into()),
    }
}

/// A message for [`ask`]: `type` and the fields given.
pub fn message(kind: &str, fields: &[(&str, JsValue)]) -> Object {
    let message = Object::new();
    let _ = Reflect::set(&message, &"type".into(), &kind.into());
    for (k, v) in fields {
        let _ = Reflect::set(&message, &(*k).into(), v);
    }
    message
}
