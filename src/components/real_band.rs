//! A real run next to the simulated one: the page opens a `monscope real
//! FILE --json` trace and draws each monitor's real states as a second,
//! thinner band on its lane of the timeline, labelled with the daemon that
//! produced them ("real ceph-mon 16.2.15"). Monitors are matched by name;
//! the trace is read by `trace::state_bands`, nothing else of it is used,
//! in the Import page's module in a worker (as an export is written: the
//! page links no reader of it; src/handover.rs).

use super::timeline::{lane_y, LANE};
use monscope_core::fixed::Fixed;
use monscope_core::time::Time;
use monscope_core::trace::state_bands::{StateBands, MAX_BYTES};
use monscope_core::trace::svg::escape;
use std::rc::Rc;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// An opened real trace and its file name.
#[derive(Clone, Debug, PartialEq)]
pub struct RealTrace {
    pub file: String,
    pub bands: Rc<StateBands>,
}

async fn read(file: web_sys::File) -> Result<RealTrace, String> {
    let name = file.name();
    if file.size() > MAX_BYTES as f64 {
        return Err(format!("{name}: larger than {} MiB", MAX_BYTES >> 20));
    }
    let buf = JsFuture::from(file.array_buffer())
        .await
        .map_err(|_| format!("{name}: the file could not be read"))?;
    let bytes = js_sys::Uint8Array::new(&buf).to_vec();
    let ask = crate::trace_export::message("bands", &[]);
    let answer = crate::trace_export::ask(ask, bytes)
        .await
        .map_err(|e| format!("{name}: {e}"))?;
    let bands = crate::handover::from_text(&answer)
        .and_then(|b| crate::handover::decode_bands(&b))
        .ok_or_else(|| format!("{name}: the Import page's module answered something else"))?;
    Ok(RealTrace {
        file: name,
        bands: Rc::new(bands),
    })
}

/// A real trace chosen: read, then opened (or the error said). Only the
/// file input's change runs it, once the lazy module is in.
#[inline(never)]
pub fn opened(
    file: web_sys::File,
    on_open: Callback<Option<RealTrace>>,
    on_error: Callback<String>,
) {
    spawn_local(async move {
        match read(file).await {
            Ok(r) => on_open.emit(Some(r)),
            Err(e) => on_error.emit(format!("Opening a real trace failed: {e}")),
        }
    });
}

pub struct OpenProps {
    pub real: Option<RealTrace>,
    pub on_open: Callback<Option<RealTrace>>,
    pub on_error: Callback<String>,
}

/// The timeline bar's control that opens a real trace, and once one is
/// open, its legend and a button that closes it. Plain functions, not
/// components: they keep no state, and a component costs the page's wasm.
pub fn real_open(p: &OpenProps) -> Html {
    let change = {
        let (on_open, on_error) = (p.on_open.clone(), p.on_error.clone());
        Callback::from(move |e: Event| {
            let el: HtmlInputElement = e.target_unchecked_into();
            if let Some(file) = el.files().and_then(|f| f.get(0)) {
                let (on_open, on_error) = (on_open.clone(), on_error.clone());
                spawn_local(async move {
                    // The file's reading and the bands' drawing are in the
                    // lazy module (src/lazy.rs; a failed load is left to the
                    // call, which says so).
                    let _ = crate::lazy::load().await;
                    opened(file, on_open, on_error);
                });
            }
            el.set_value("");
        })
    };
    let close = p.on_open.reform(|_: MouseEvent| None);
    html! {
        <>
            // A label opens its file input: no button and handler of its own.
            <label style="cursor:pointer;text-decoration:underline" title="open a `monscope real FILE --json` trace of this scenario" data-testid="real-open">
                { "real trace…" }
                <input type="file" accept=".json,.jsonl,application/json,text/plain" hidden=true onchange={change} data-testid="real-file" />
            </label>
            if let Some(r) = &p.real {
                <span class="real-legend" data-testid="real-legend" title="each monitor's states on the real cluster: the thin band under its lane">
                    <span style="color:var(--s-leader)">{ " ▬ " }</span>{ format!("{} ({})", r.bands.source, r.file) }
                    <button onclick={close} title="close the real trace" data-testid="real-close">{ "✕" }</button>
                </span>
            }
        </>
    }
}

pub struct BandProps<'a> {
    pub real: &'a RealTrace,
    /// The simulated run's monitors, lane by lane.
    pub names: &'a [String],
    pub win_start: Time,
    pub win_span: Time,
}

/// The real states, one band per monitor lane, inside the timeline's SVG.
/// Written as one piece of SVG markup: each element drawn by `html!` costs
/// the page's wasm more than this whole component.
pub fn real_bands(p: &BandProps) -> Html {
    use std::fmt::Write;
    let (w0, span) = (p.win_start, p.win_span.max(1));
    let w1 = w0 + span;
    let x = |t: Time| t.saturating_sub(w0) as f64 / span as f64 * 100.0;
    let source = escape(&p.real.bands.source);
    let mut svg = String::from(r#"<g class="real-bands">"#);
    for (i, name) in p.names.iter().enumerate() {
        let Some(bands) = p.real.bands.of(name) else {
            continue;
        };
        // Under the lane's marks, inside the lane.
        let y = lane_y(i) + LANE / 2.0 - 7.0;
        let name = escape(name);
        let _ = write!(
            svg,
            r#"<g class="real-band" data-testid="real-band" data-mon="{name}">"#
        );
        for b in bands.iter().filter(|b| b.to > w0 && b.from < w1) {
            let (a, z, st) = (b.from.max(w0), b.to.min(w1), b.state.name());
            let _ = write!(
                svg,
                r#"<rect x="{}%" width="{}%" y="{y}" height="5" style="fill:var(--s-{st});stroke:#1d2430;stroke-width:0.5" data-state="{st}"><title>{st}</title></rect>"#,
                Fixed(x(a), 3),
                Fixed(x(z) - x(a), 3),
                y = Fixed(y, 1)
            );
        }
        let _ = write!(
            svg,
            r#"<text x="0.3%" y="{}" style="font-size:9px;font-weight:600;fill:#1d2430;paint-order:stroke;stroke:#fff;stroke-width:3px" data-testid="real-band-label">{source}</text></g>"#,
            Fixed(y - 1.0, 1)
        );
    }
    svg.push_str("</g>");
    Html::from_html_unchecked(svg.into())
}
