//! A real run next to the simulated one: the page opens a `monscope real
//! FILE --json` trace and draws each monitor's real states as a second,
//! thinner band on its lane of the timeline, labelled with the daemon that
//! produced them ("real ceph-mon 16.2.15"). Monitors are matched by name;
//! the trace is read by `trace::state_bands`, nothing else of it is used.

use super::timeline::{lane_y, LANE};
use monscope_core::time::Time;
use monscope_core::trace::state_bands::{read_state_bands, StateBands, MAX_BYTES};
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
    let text = String::from_utf8(js_sys::Uint8Array::new(&buf).to_vec())
        .map_err(|_| format!("{name}: not a text file"))?;
    let bands = read_state_bands(&text).map_err(|e| format!("{name}: {e}"))?;
    Ok(RealTrace {
        file: name,
        bands: Rc::new(bands),
    })
}

#[derive(Properties, PartialEq)]
pub struct OpenProps {
    pub real: Option<RealTrace>,
    /// The monitors of the simulated run, to say which the trace lacks.
    pub names: Vec<String>,
    pub on_open: Callback<Option<RealTrace>>,
    pub on_error: Callback<String>,
}

/// The timeline bar's button that opens a real trace, and once one is open,
/// its legend and a button that closes it.
#[function_component(RealOpen)]
pub fn real_open(p: &OpenProps) -> Html {
    let input = use_node_ref();
    let pick = {
        let input = input.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(i) = input.cast::<HtmlInputElement>() {
                i.click();
            }
        })
    };
    let change = {
        let (on_open, on_error) = (p.on_open.clone(), p.on_error.clone());
        Callback::from(move |e: Event| {
            let el: HtmlInputElement = e.target_unchecked_into();
            if let Some(file) = el.files().and_then(|f| f.get(0)) {
                let (on_open, on_error) = (on_open.clone(), on_error.clone());
                spawn_local(async move {
                    match read(file).await {
                        Ok(r) => on_open.emit(Some(r)),
                        Err(e) => on_error.emit(format!("Opening a real trace failed: {e}")),
                    }
                });
            }
            el.set_value("");
        })
    };
    let close = p.on_open.reform(|_: MouseEvent| None);
    let legend = p.real.as_ref().map(|r| {
        let missing: Vec<&str> = p
            .names
            .iter()
            .filter(|n| r.bands.of(n).is_none())
            .map(String::as_str)
            .collect();
        let title = format!(
            "{}: each monitor's states on the real cluster, as a thin band under its lane{}",
            r.file,
            if missing.is_empty() {
                String::new()
            } else {
                format!("; not in the trace: {}", missing.join(" "))
            }
        );
        html! {
            <span class="real-legend" data-testid="real-legend" {title}>
                <svg width="22" height="8"><rect x="0" y="2" width="22" height="4" style="fill:var(--s-leader)" /></svg>
                { format!(" {} ({})", r.bands.source, r.file) }
                <button onclick={close} title="close the real trace" aria-label="close the real trace" data-testid="real-close">{ "✕" }</button>
            </span>
        }
    });
    html! {
        <>
            <button onclick={pick} title="open a `monscope real FILE --json` trace of this scenario" data-testid="real-open">{ "real trace…" }</button>
            <input ref={input} type="file" accept=".json,.jsonl,application/json,text/plain" hidden=true onchange={change} data-testid="real-file" />
            { for legend }
        </>
    }
}

#[derive(Properties, PartialEq)]
pub struct BandProps {
    pub real: RealTrace,
    /// The simulated run's monitors, lane by lane.
    pub names: Vec<String>,
    pub win_start: Time,
    pub win_span: Time,
}

/// The real states, one band per monitor lane, inside the timeline's SVG.
#[function_component(RealBands)]
pub fn real_bands(p: &BandProps) -> Html {
    let (w0, span) = (p.win_start, p.win_span.max(1));
    let w1 = w0 + span;
    let x = |t: Time| t.saturating_sub(w0) as f64 / span as f64 * 100.0;
    let source = &p.real.bands.source;
    let lanes = p.names.iter().enumerate().filter_map(|(i, name)| {
        let bands = p.real.bands.of(name)?;
        // Under the lane's marks, inside the lane.
        let y = lane_y(i) + LANE / 2.0 - 7.0;
        let rects = bands.iter().filter(|b| b.to > w0 && b.from < w1).map(|b| {
            let (a, z) = (b.from.max(w0), b.to.min(w1));
            html! {
                <rect x={format!("{:.3}%", x(a))} width={format!("{:.3}%", x(z) - x(a))}
                      y={format!("{y:.1}")} height="5"
                      style={format!("fill:var(--s-{});stroke:#1d2430;stroke-width:0.5", b.state.name())} data-state={b.state.name()}>
                    <title>{ format!("{source}: {name} {} from {} to {}", b.state.name(), super::secs(b.from), super::secs(b.to)) }</title>
                </rect>
            }
        });
        Some(html! {
            <g class="real-band" data-testid="real-band" data-mon={name.clone()}>
                { for rects }
                <text x="0.3%" y={format!("{:.1}", y - 1.0)} style="font-size:9px;font-weight:600;fill:#1d2430;paint-order:stroke;stroke:#fff;stroke-width:3px" data-testid="real-band-label">
                    { source.clone() }
                </text>
            </g>
        })
    });
    html! { <g class="real-bands">{ for lanes }</g> }
}
