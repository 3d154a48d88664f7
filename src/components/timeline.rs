//! The timeline: a space-time diagram with one lane per monitor, one for the
//! client and one for the scenario. Only the visible window is drawn; the body
//! re-renders when the window or the selection changes, not every frame.

use super::real_band::{RealBands, RealOpen, RealTrace};
use super::secs;
use crate::playback::{MarkKind, Model};
use crate::state::Msg;
use monscope_core::mon::status::MonState;
use monscope_core::time::{Time, MS, SEC};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub model: Rc<Model>,
    pub t: Time,
    pub win_start: Time,
    pub win_span: Time,
    pub follow: bool,
    pub selected_event: Option<usize>,
    pub selected_mon: Option<u32>,
    pub on: Callback<Msg>,
}

pub(super) const LANE: f64 = 26.0;
const TOP: f64 = 22.0;
/// More arrows than this in the window: draw the first ones and ask to zoom in.
const MAX_ARROWS: usize = 1500;

pub(super) fn lane_y(i: usize) -> f64 {
    TOP + LANE * (i as f64 + 0.5)
}

fn pct(x: f64) -> String {
    format!("{:.3}%", x * 100.0)
}

/// A tick step that gives about 8 ticks per window.
fn tick_step(span: Time) -> Time {
    let steps = [
        MS,
        2 * MS,
        5 * MS,
        10 * MS,
        20 * MS,
        50 * MS,
        100 * MS,
        200 * MS,
        500 * MS,
        SEC,
        2 * SEC,
        5 * SEC,
        10 * SEC,
        30 * SEC,
        60 * SEC,
        120 * SEC,
        300 * SEC,
    ];
    steps
        .iter()
        .copied()
        .find(|s| span / s <= 10)
        .unwrap_or(600 * SEC)
}

/// Labels at the diagram's edges hang inwards instead of being cut in half.
fn edge_anchor(x: f64) -> &'static str {
    if x < 0.04 {
        "start"
    } else if x > 0.96 {
        "end"
    } else {
        "middle"
    }
}

fn tick_label(t: Time, step: Time) -> String {
    if step >= SEC {
        format!("{}s", t / SEC)
    } else {
        let ms = t / MS;
        format!("{}.{:03}s", ms / 1000, ms % 1000)
    }
}

#[derive(Properties, PartialEq)]
struct BodyProps {
    model: Rc<Model>,
    win_start: Time,
    win_span: Time,
    selected_event: Option<usize>,
    selected_mon: Option<u32>,
    on: Callback<Msg>,
    real: Option<RealTrace>,
}

#[function_component(Body)]
fn body(p: &BodyProps) -> Html {
    let model = &p.model;
    let n = model.mon_count();
    let (w0, span) = (p.win_start, p.win_span.max(1));
    let w1 = w0 + span;
    let x = |t: Time| (t.saturating_sub(w0)) as f64 / span as f64;
    // Scenario lane last.
    let lane_of = |node: Option<u32>| node.map_or(n + 1, |v| v as usize);
    let height = TOP + LANE * (n as f64 + 2.0) + 4.0;

    let step = tick_step(span);
    let first_tick = w0.div_ceil(step) * step;
    let ticks = (0..)
        .map(|k| first_tick + k * step)
        .take_while(|&t| t <= w1)
        .map(|t| {
            html! {
                <>
                    <line class="tick" x1={pct(x(t))} x2={pct(x(t))} y1="14" y2={format!("{height}")} />
                    <text class="tick-label" x={pct(x(t))} y="11" text-anchor={edge_anchor(x(t))}>{ tick_label(t, step) }</text>
                </>
            }
        });

    let lanes = (0..n + 2).map(|i| {
        let selected = p.selected_mon == Some(i as u32);
        html! { <line class={classes!("lane", (i % 2 == 1).then_some("odd"), selected.then_some("selected"))} x1="0" x2="100%" y1={format!("{}", lane_y(i))} y2={format!("{}", lane_y(i))} /> }
    });

    // Hatched where a monitor is not in the cluster (before its `add`, after its removal).
    let mut absent = Vec::new();
    for (i, p) in model.presence.iter().enumerate() {
        let mut from = Some(0);
        for &(at, present) in p.iter().chain(std::iter::once(&(Time::MAX, true))) {
            match (from, present) {
                (Some(f), true) => {
                    let (a, b) = (f.max(w0), at.min(w1));
                    if a < b {
                        absent.push(html! {
                            <rect class="lane-absent" x={pct(x(a))} width={pct(x(b) - x(a))}
                                  y={format!("{:.1}", lane_y(i) - LANE / 2.0 + 2.0)} height={format!("{:.1}", LANE - 4.0)}
                                  data-testid="tl-absent">
                                <title>{ format!("{} is not in the cluster", model.names[i]) }</title>
                            </rect>
                        });
                    }
                    from = None;
                }
                (None, false) => from = Some(at),
                _ => {}
            }
        }
    }

    let first = model
        .flights
        .partition_point(|f| f.sent + model.max_flight < w0);
    let last = model.flights.partition_point(|f| f.sent <= w1);
    let visible: Vec<_> = model.flights[first..last.max(first)]
        .iter()
        .filter(|f| f.end >= w0)
        .collect();
    let too_many = visible.len() > MAX_ARROWS;
    // Arrows and marks share one click handler, which reads the trace index
    // from `data-ev` (a page flip draws up to thousands of them).
    let on_pick = {
        let on = p.on.clone();
        Callback::from(move |e: MouseEvent| {
            if let Some(ev) = super::data_attr(&e, "data-ev").and_then(|v| v.parse().ok()) {
                e.stop_propagation(); // a pick, not a seek
                on.emit(Msg::SelectEvent(Some(ev)));
            }
        })
    };
    let arrows = visible.iter().take(MAX_ARROWS).map(|fl| {
        let ev = fl.ev;
        let y0 = lane_y(fl.from as usize);
        let y1f = lane_y(fl.to as usize);
        let prog = fl.progress(fl.end).clamp(0.0, 1.0);
        let y1 = y0 + (y1f - y0) * prog;
        let selected = p.selected_event == Some(ev);
        let class = classes!(
            "arrow",
            super::protocol_class(fl.protocol),
            fl.dropped.is_some().then_some("dropped"),
            selected.then_some("selected")
        );
        let title = format!(
            "{} {} → {} at {}{}",
            fl.op,
            model.names[fl.from as usize],
            model.names[fl.to as usize],
            secs(fl.sent),
            fl.dropped.map(|d| format!(", dropped: {}", d.name())).unwrap_or_default()
        );
        html! {
            <g {class} data-ev={ev.to_string()} data-testid={if fl.dropped.is_some() { "tl-drop" } else { "tl-msg" }}>
                <title>{ title }</title>
                <line x1={pct(x(fl.sent))} y1={format!("{y0:.1}")} x2={pct(x(fl.end))} y2={format!("{y1:.1}")}
                      marker-end={if fl.dropped.is_some() { "" } else { "url(#arrowhead)" }} />
                <line class="hit" x1={pct(x(fl.sent))} y1={format!("{y0:.1}")} x2={pct(x(fl.end))} y2={format!("{y1:.1}")} />
                if fl.dropped.is_some() {
                    <text class="drop-x" x={pct(x(fl.end))} y={format!("{:.1}", y1 + 4.0)} text-anchor="middle">{ "✕" }</text>
                }
            </g>
        }
    });

    let m_first = model.marks.partition_point(|m| m.at < w0);
    let m_last = model.marks.partition_point(|m| m.at <= w1);
    let marks = model.marks[m_first..m_last.max(m_first)].iter().take(2000).map(|m| {
        let ev = m.ev;
        let y = lane_y(lane_of(m.node));
        let (glyph, class, what) = match &m.kind {
            MarkKind::State(s) => (
                "●",
                format!("mark st s-{}", s.name()),
                format!("enters {}", s.name()),
            ),
            MarkKind::Commit(v) => ("◆", "mark commit".into(), format!("commits v{v}")),
            MarkKind::Expect(true) => ("✔", "mark expect pass".into(), "expectation passed".into()),
            MarkKind::Expect(false) => ("✘", "mark expect fail".into(), "expectation FAILED".into()),
            MarkKind::Action => ("▲", "mark action".into(), "scenario action".into()),
            MarkKind::Note => ("✎", "mark note".into(), "note".into()),
            MarkKind::Violation => ("⚠", "mark violation".into(), "SAFETY VIOLATION".into()),
            MarkKind::ClientReply => ("↩", "mark reply".into(), "client reply".into()),
        };
        let selected = p.selected_event == Some(ev);
        let is_state = matches!(m.kind, MarkKind::State(_));
        let state_leader = matches!(m.kind, MarkKind::State(MonState::Leader));
        html! {
            <text class={classes!(class, selected.then_some("selected"), state_leader.then_some("big"))}
                  x={pct(x(m.at))} y={format!("{:.1}", y + if is_state { 4.5 } else { 5.0 })}
                  text-anchor="middle" data-ev={ev.to_string()}
                  data-testid={match &m.kind { MarkKind::Expect(true) => "tl-pass", MarkKind::Expect(false) => "tl-fail", _ => "tl-mark" }}>
                <title>{ format!("{} {} at {}", m.node.map(|n| model.names[n as usize].clone()).unwrap_or_else(|| "scenario".into()), what, secs(m.at)) }</title>
                { glyph }
            </text>
        }
    });

    html! {
        <>
            <svg class="timeline-svg" height={format!("{height}")} width="100%" data-testid="timeline-svg">
                <defs>
                    <pattern id="absent-hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
                        <line class="absent-hatch-line" x1="0" y1="0" x2="0" y2="8" />
                    </pattern>
                    <marker id="arrowhead" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
                        <path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead" />
                    </marker>
                </defs>
                { for absent }
                { for lanes }
                { for ticks }
                <g class="arrows" onclick={on_pick.clone()}>{ for arrows }</g>
                <g class="marks" onclick={on_pick}>{ for marks }</g>
                // On top, so that its label stays readable.
                if let Some(real) = &p.real {
                    <RealBands real={real.clone()} names={model.names.iter().take(n).cloned().collect::<Vec<_>>()} win_start={w0} win_span={span} />
                }
            </svg>
            if too_many {
                <p class="hint">{ format!("{} messages in this window; showing the first {MAX_ARROWS}. Zoom in to see them all.", visible.len()) }</p>
            }
        </>
    }
}

#[function_component(Timeline)]
pub fn timeline(p: &Props) -> Html {
    let model = &p.model;
    let n = model.mon_count();
    let (w0, span) = (p.win_start, p.win_span.max(1));
    let height = TOP + LANE * (n as f64 + 2.0) + 4.0;
    let area = use_node_ref();
    // Dragging the diagram pans it: (pointer x where it started, window start
    // then, whether it moved far enough to be a drag rather than a click).
    let drag = use_mut_ref(|| None::<(f64, Time, bool)>);
    let dragged = use_mut_ref(|| false);
    let dragging = use_state(|| false);
    let real = use_state(|| None::<RealTrace>);
    let open_real = {
        let real = real.clone();
        Callback::from(move |r: Option<RealTrace>| real.set(r))
    };
    let mon_names: Vec<String> = model.names.iter().take(n).cloned().collect();
    let on_down = {
        let (drag, dragged) = (drag.clone(), dragged.clone());
        Callback::from(move |e: PointerEvent| {
            // A drag that ended without a click must not swallow this one.
            *dragged.borrow_mut() = false;
            if e.is_primary() && e.button() == 0 {
                *drag.borrow_mut() = Some((e.client_x() as f64, w0, false));
            }
        })
    };
    let on_move = {
        let (drag, area, on, dragging) =
            (drag.clone(), area.clone(), p.on.clone(), dragging.clone());
        Callback::from(move |e: PointerEvent| {
            let mut d = drag.borrow_mut();
            let Some((x0, start, moved)) = d.as_mut() else {
                return;
            };
            let Some(el) = area.cast::<web_sys::Element>() else {
                return;
            };
            let width = el.get_bounding_client_rect().width();
            let dx = e.client_x() as f64 - *x0;
            if !*moved {
                if dx.abs() < 4.0 || width <= 0.0 {
                    return;
                }
                *moved = true;
                // Keep receiving the moves outside the diagram; the click
                // that ends the drag then goes to the diagram, not to an arrow.
                let _ = el.set_pointer_capture(e.pointer_id());
                dragging.set(true);
            }
            let to = (*start as f64 - dx / width * span as f64).max(0.0);
            on.emit(Msg::PanTo(to as Time));
        })
    };
    let on_up = {
        let (drag, dragged, dragging) = (drag.clone(), dragged.clone(), dragging.clone());
        Callback::from(move |_: PointerEvent| {
            if let Some((_, _, moved)) = drag.borrow_mut().take() {
                *dragged.borrow_mut() = moved;
                if moved {
                    dragging.set(false);
                }
            }
        })
    };
    let on_click = {
        let on = p.on.clone();
        let area = area.clone();
        let dragged = dragged.clone();
        Callback::from(move |e: MouseEvent| {
            if std::mem::take(&mut *dragged.borrow_mut()) {
                return; // the end of a drag, not a click
            }
            let Some(el) = area.cast::<web_sys::Element>() else {
                return;
            };
            let rect = el.get_bounding_client_rect();
            if rect.width() <= 0.0 {
                return;
            }
            let rel = ((e.client_x() as f64 - rect.left()) / rect.width()).clamp(0.0, 1.0);
            on.emit(Msg::Seek(w0 + (rel * span as f64) as Time));
        })
    };
    // Wheel: zoom; shift+wheel or a sideways swipe: pan. Not passive, so the
    // page does not scroll at the same time.
    {
        let on = p.on.clone();
        let area = area.clone();
        use_effect_with((), move |_| {
            let listener = area.cast::<web_sys::Element>().map(|el| {
                let opts = gloo::events::EventListenerOptions::enable_prevent_default();
                gloo::events::EventListener::new_with_options(&el, "wheel", opts, move |e| {
                    let Some(e) = e.dyn_ref::<web_sys::WheelEvent>() else {
                        return;
                    };
                    e.prevent_default();
                    if e.shift_key() || e.delta_x().abs() > e.delta_y().abs() {
                        let d = if e.shift_key() {
                            e.delta_y()
                        } else {
                            e.delta_x()
                        };
                        on.emit(Msg::Pan(d.signum() * 0.1));
                    } else {
                        on.emit(Msg::Zoom(if e.delta_y() > 0.0 { 1.25 } else { 0.8 }));
                    }
                })
            });
            move || drop(listener)
        });
    }
    let btn = |label: &'static str, title: &'static str, testid: &'static str, msg: Msg| {
        let on = p.on.clone();
        let onclick = Callback::from(move |_: MouseEvent| on.emit(msg.clone()));
        html! { <button {onclick} {title} aria-label={title} data-testid={testid}>{ label }</button> }
    };
    let follow = {
        let on = p.on.clone();
        let f = p.follow;
        Callback::from(move |_: Event| on.emit(Msg::Follow(!f)))
    };
    let px = (p.t.saturating_sub(w0)) as f64 / span as f64;
    let names = model
        .names
        .iter()
        .cloned()
        .chain(std::iter::once("scenario".to_string()));
    html! {
        <div class="timeline" data-testid="timeline">
            <div class="timeline-bar">
                <h2>{ "Timeline" }</h2>
                { btn("−", "zoom out", "zoom-out", Msg::Zoom(2.0)) }
                { btn("+", "zoom in", "zoom-in", Msg::Zoom(0.5)) }
                { btn("◀", "pan left", "pan-left", Msg::Pan(-0.5)) }
                { btn("▶", "pan right", "pan-right", Msg::Pan(0.5)) }
                <label class="inline"><input type="checkbox" checked={p.follow} onchange={follow} />{ " follow playhead" }</label>
                <span class="muted">{ format!("{} – {}", secs(w0), secs(w0 + span)) }</span>
                <super::export::Export model={p.model.clone()} win_start={w0} win_span={span} on_error={p.on.reform(Msg::Notify)} />
                <RealOpen real={(*real).clone()} names={mon_names} on_open={open_real} on_error={p.on.reform(Msg::Notify)} />
            </div>
            <div class="timeline-grid">
                <div class="lane-labels" style={format!("height:{height}px")}>
                    { for names.enumerate().map(|(i, nm)| {
                        let selected = p.selected_mon == Some(i as u32);
                        html! {
                            <div class={classes!("lane-label", selected.then_some("selected"))} style={format!("top:{}px", lane_y(i) - 9.0)}>{ nm }</div>
                        }
                    }) }
                </div>
                <div class={classes!("timeline-area", dragging.then_some("dragging"))} ref={area} onclick={on_click}
                     onpointerdown={on_down} onpointermove={on_move} onpointerup={on_up.clone()} onpointercancel={on_up}
                     data-testid="timeline-area" data-win-start={w0.to_string()} data-win-span={span.to_string()}
                     title="click to seek; drag to pan; wheel to zoom">
                    <Body model={model.clone()} win_start={w0} win_span={span} selected_event={p.selected_event} selected_mon={p.selected_mon} on={p.on.clone()} real={(*real).clone()} />
                    if (0.0..=1.0).contains(&px) {
                        <div class="playhead" style={format!("left:{:.3}%", px * 100.0)} data-testid="playhead"></div>
                    }
                </div>
            </div>
        </div>
    }
}
