//! Export for docs without JavaScript: the timeline's window as a standalone
//! SVG (the same renderer as `monscope svg`) and the trace as JSON lines (the
//! same lines as `monscope run --json`).

use crate::playback::Model;
use monscope_core::time::Time;
use monscope_core::trace::{json, svg};
use std::rc::Rc;
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

/// A plain function, not a component: it renders with its parent (a
/// component of its own would cost about a kilobyte of the transfer).
pub fn export(p: &Props) -> Html {
    let svg_click = {
        let (model, from, span, err) =
            (p.model.clone(), p.win_start, p.win_span, p.on_error.clone());
        Callback::from(move |_: MouseEvent| {
            let to = (from + span).min(model.end.max(from + 1));
            let title = model
                .scenario
                .title
                .clone()
                .unwrap_or_else(|| "monscope".into());
            let result = svg::render(&title, &model.names, &model.trace().to_vec(), from, to)
                .map_err(|e| format!("Export SVG: {e}"))
                .and_then(|text| {
                    crate::download::offer(&format!("{}.svg", stem(&model)), "image/svg+xml", &text)
                        .map_err(|e| format!("Export SVG: {e}"))
                });
            if let Err(e) = result {
                err.emit(e);
            }
        })
    };
    let json_click = {
        let (model, err) = (p.model.clone(), p.on_error.clone());
        Callback::from(move |_: MouseEvent| {
            let text = json::json_lines(&model.trace().to_vec());
            let file = format!("{}.trace.jsonl", stem(&model));
            if let Err(e) = crate::download::offer(&file, "application/x-ndjson", &text) {
                err.emit(format!("Export trace: {e}"));
            }
        })
    };
    html! {
        <span class="export">
            <button onclick={svg_click} data-testid="export-svg" title="the diagram of this window as a standalone SVG">{ "Export SVG" }</button>
            <button onclick={json_click} data-testid="export-json" title="every event of the run, one JSON object per line (as monscope run --json)">{ "Export trace" }</button>
        </span>
    }
}
