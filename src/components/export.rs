//! Export for docs without JavaScript: the timeline's window as a standalone
//! SVG (the same renderer as `monscope svg`) and the trace as JSON lines (the
//! same lines as `monscope run --json`), both written in a worker
//! (trace_export.rs).

use crate::playback::Model;
use crate::trace_export;
use monscope_core::time::Time;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

pub struct Props {
    pub model: Rc<Model>,
    pub win_start: Time,
    pub win_span: Time,
    /// Where a failure is reported (the page's notice).
    pub on_error: Callback<String>,
}

fn stem(model: &Model) -> String {
    crate::download::file_stem(model.scenario.title.as_deref().unwrap_or("scenario"))
}

/// An export's click, run once the lazy module is in (src/lazy.rs; a failed
/// load is left to the call, which says so): the run handed to the export
/// worker (trace_export.rs), its answer offered as the download. Only a
/// click runs it, so it is in the lazy module.
#[inline(never)]
pub fn exported(svg: bool, model: &Model, from: Time, span: Time, err: Callback<String>) {
    let bytes = trace_export::encode(&model.trace());
    let (message, file, mime, what) = if svg {
        let to = (from + span).min(model.end.max(from + 1));
        let title = model.scenario.title.as_deref().unwrap_or("monscope");
        let names = model.names.iter().map(|n| JsValue::from_str(n));
        let message = trace_export::message(
            "svg",
            &[
                ("title", title.into()),
                ("names", names.collect::<js_sys::Array>().into()),
                ("from", (from as f64).into()),
                ("to", (to as f64).into()),
            ],
        );
        let file = format!("{}.svg", stem(model));
        (message, file, "image/svg+xml", "Export SVG")
    } else {
        let message = trace_export::message("json", &[]);
        let file = format!("{}.trace.jsonl", stem(model));
        (message, file, "application/x-ndjson", "Export trace")
    };
    spawn_local(async move {
        let done = trace_export::ask(message, bytes)
            .await
            .and_then(|text| crate::download::offer(&file, mime, &text));
        if let Err(e) = done {
            err.emit(format!("{what}: {e}"));
        }
    });
}

/// A plain function, not a component: it renders with its parent (a
/// component of its own would cost about a kilobyte of the transfer).
pub fn export(p: &Props) -> Html {
    let click = |svg: bool| {
        let (model, from, span, err) =
            (p.model.clone(), p.win_start, p.win_span, p.on_error.clone());
        Callback::from(move |_: MouseEvent| {
            let (model, err) = (model.clone(), err.clone());
            spawn_local(async move {
                let _ = crate::lazy::load().await;
                exported(svg, &model, from, span, err);
            });
        })
    };
    let (svg_click, json_click) = (click(true), click(false));
    // The worker starts as the pointer or focus comes near (trace_export.rs),
    // once the lazy module, which the click needs too, is in.
    let warm = || crate::lazy::then(|| drop(trace_export::warm()));
    html! {
        <span class="export" onpointerenter={move |_| warm()} onfocusin={move |_| warm()}>
            { super::button(svg_click, false, "export-svg", "the diagram of this window as a standalone SVG", "Export SVG") }
            { super::button(json_click, false, "export-json", "every event of the run, one JSON object per line (as monscope run --json)", "Export trace") }
        </span>
    }
}
