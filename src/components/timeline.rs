//! The timeline: a space-time diagram with one lane per monitor, one for the
//! client and one for the scenario. Only the visible window is drawn; the body
//! re-renders when the window or the selection changes, not every frame.

use super::arrow_canvas::{use_arrow_canvas, Line};
use super::real_band::{real_bands, real_open, BandProps, OpenProps, RealTrace};
use super::secs;
use crate::effect::use_effect_on;
use crate::flights::View;
use crate::playback::{protocol_bit, MarkKind, Model, PROTOCOLS};
use crate::state::Msg;
use monscope_core::fixed::Fixed;
use monscope_core::mon::status::MonState;
use monscope_core::time::{Time, MS, SEC};
use monscope_core::trace::format::note_plain;
use monscope_core::trace::layout::{nearest, tick_step, to_segment, Flight, Plot};
use monscope_core::trace::EventKind;
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
    /// Protocols not drawn (bits of `playback::protocol_bit`).
    pub hidden: u8,
    pub on: Callback<Msg>,
}

pub(super) const LANE: f64 = 26.0;
const TOP: f64 = 22.0;
/// More arrows than this in the window: draw the first ones and ask to zoom in.
const MAX_ARROWS: usize = 1500;
/// More arrows than this in the window: the plain ones go on a canvas
/// (`arrow_canvas`). Below it each keeps its SVG element and its title; a
/// built-in scenario's story window holds a few hundred.
const MAX_SVG_ARROWS: usize = 1000;

/// From this many arrows in the window on, the canvas's painter is started
/// (`cluster::WARM_DOTS`'s reason).
const WARM_ARROWS: usize = MAX_SVG_ARROWS * 2 / 3;
/// A click this close to an arrow or a mark (pixels) picks it.
const PICK_REACH: f64 = 9.0;

/// The window over `width`: x from 0 to `width`, lanes from TOP.
fn plot(p_from: Time, span: Time, width: f64) -> Plot {
    Plot {
        from: p_from,
        span,
        width,
        top: TOP,
        lane: LANE,
    }
}

/// A lane's middle, a whole number of pixels (printed with `Fixed(y, 0)`).
pub(super) fn lane_y(i: usize) -> f64 {
    plot(0, 1, 1.0).y(i)
}

fn pct(x: f64) -> String {
    format!("{}%", Fixed(x * 100.0, 3))
}

/// The arrows drawn in the window: shown protocols, at most MAX_ARROWS.
fn drawn<'a>(
    model: &Model,
    flights: &'a View<'_>,
    w0: Time,
    w1: Time,
    hidden: u8,
) -> impl Iterator<Item = Flight> + 'a {
    flights
        .in_window(model.max_flight, w0, w1)
        .filter(move |f| protocol_bit(f.protocol) & hidden == 0)
        .take(MAX_ARROWS)
}

/// The lane of a mark: its node's, or the scenario's (last).
fn mark_lane(model: &Model, node: Option<u32>) -> usize {
    node.map_or(model.mon_count() + 1, |v| v as usize)
}

/// What a click at (x, y) in the diagram (pixels from its top left, `width`
/// wide) picks: the nearest arrow or mark within PICK_REACH.
fn pick(
    model: &Model,
    w0: Time,
    span: Time,
    hidden: u8,
    width: f64,
    x: f64,
    y: f64,
) -> Option<usize> {
    let pl = plot(w0, span, width);
    let w1 = w0 + span;
    let flights = model.flights();
    let arrows =
        drawn(model, &flights, w0, w1, hidden).map(|f| (f.ev, to_segment(x, y, pl.arrow(&f))));
    let all_marks = model.marks();
    let m0 = all_marks.partition_point(|m| m.at < w0);
    let m1 = all_marks.partition_point(|m| m.at <= w1);
    let marks = all_marks[m0..m1.max(m0)].iter().map(|m| {
        let (dx, dy) = (pl.x(m.at) - x, pl.y(mark_lane(model, m.node)) - y);
        // A mark is a glyph: a little nearer than the line through it.
        (m.ev, (dx * dx + dy * dy).sqrt() - 2.0)
    });
    nearest(arrows.chain(marks), PICK_REACH)
}

/// What an arrow's hover says: its SVG element's title, and the diagram's
/// title over the same arrow on the canvas.
fn arrow_title(model: &Model, fl: &Flight) -> String {
    format!(
        "{} {} → {} at {}, {}",
        fl.op,
        model.names[fl.from as usize],
        model.names[fl.to as usize],
        secs(fl.sent),
        fl.outcome(secs)
    )
}

/// The title of the arrow on the canvas under (x, y) (pixels from the
/// diagram's top left, `width` wide): a canvas has no element to carry it.
fn canvas_title(
    model: &Model,
    w0: Time,
    span: Time,
    hidden: u8,
    width: f64,
    x: f64,
    y: f64,
) -> Option<String> {
    let ev = pick(model, w0, span, hidden, width, x, y)?;
    let flights = model.flights();
    let fl = drawn(model, &flights, w0, w0 + span, hidden).find(|f| f.ev == ev)?;
    // A dropped or held arrow is in the SVG, with its own title.
    (fl.dropped.is_none() && !fl.held).then(|| arrow_title(model, &fl))
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

/// What the diagram draws: it is drawn again only when one of these changes
/// (`use_memo` in the timeline), not every frame.
#[derive(PartialEq)]
struct BodyProps {
    model: Rc<Model>,
    win_start: Time,
    win_span: Time,
    selected_event: Option<usize>,
    selected_mon: Option<u32>,
    hidden: u8,
    /// An opened real trace, drawn as a band on each monitor's lane.
    real: Option<RealTrace>,
}

/// The diagram's SVG, and the plain arrows drawn on a canvas under it when
/// there are many (`arrow_canvas`).
fn body(p: &BodyProps) -> (Html, Rc<Vec<Line>>) {
    let model = &p.model;
    let n = model.mon_count();
    let (w0, span) = (p.win_start, p.win_span.max(1));
    let w1 = w0 + span;
    let x = |t: Time| (t.saturating_sub(w0)) as f64 / span as f64;
    let height = TOP + LANE * (n as f64 + 2.0) + 4.0;

    let step = tick_step(span);
    let first_tick = w0.div_ceil(step) * step;
    let ticks = (0..)
        .map(|k| first_tick + k * step)
        .take_while(|&t| t <= w1)
        .map(|t| {
            html! {
                <>
                    <line class="tick" x1={pct(x(t))} x2={pct(x(t))} y1="14" y2={Fixed(height, 0).to_string()} />
                    <text class="tick-label" x={pct(x(t))} y="11" text-anchor={edge_anchor(x(t))}>{ tick_label(t, step) }</text>
                </>
            }
        });

    let lanes = (0..n + 2).map(|i| {
        let selected = p.selected_mon == Some(i as u32);
        html! { <line class={classes!("lane", (i % 2 == 1).then_some("odd"), selected.then_some("selected"))} x1="0" x2="100%" y1={Fixed(lane_y(i), 0).to_string()} y2={Fixed(lane_y(i), 0).to_string()} /> }
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
                                  y={Fixed(lane_y(i) - LANE / 2.0 + 2.0, 1).to_string()} height={Fixed(LANE - 4.0, 1).to_string()}
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

    let flights = model.flights();
    let shown = flights
        .in_window(model.max_flight, w0, w1)
        .filter(|f| protocol_bit(f.protocol) & p.hidden == 0)
        .count();
    let pl = plot(w0, span, 1.0);
    // Many arrows: the plain ones go on the canvas; a dropped, held or
    // selected one keeps its SVG element (its dashes, ✕ and title).
    let count = drawn(model, &flights, w0, w1, p.hidden).count();
    let many = count > MAX_SVG_ARROWS;
    if count > WARM_ARROWS {
        super::arrow_canvas::warm();
    }
    let plain =
        |fl: &Flight| many && fl.dropped.is_none() && !fl.held && p.selected_event != Some(fl.ev);
    let lines: Vec<Line> = drawn(model, &flights, w0, w1, p.hidden)
        .filter(|fl| plain(fl))
        .map(|fl| Line {
            at: pl.arrow(&fl),
            proto: PROTOCOLS
                .iter()
                .position(|p| *p == fl.protocol)
                .unwrap_or(PROTOCOLS.len() - 1),
        })
        .collect();
    let arrows = drawn(model, &flights, w0, w1, p.hidden).filter(|fl| !plain(fl)).map(|fl| {
        let ev = fl.ev;
        let (x0, y0, x1, y1) = pl.arrow(&fl);
        let selected = p.selected_event == Some(ev);
        let class = classes!(
            "arrow",
            super::protocol_class(fl.protocol),
            fl.dropped.is_some().then_some("dropped"),
            fl.held.then_some("held"),
            selected.then_some("selected")
        );
        let title = arrow_title(model, &fl);
        html! {
            <g {class} data-ev={ev.to_string()} data-testid={if fl.dropped.is_some() { "tl-drop" } else if fl.held { "tl-held" } else { "tl-msg" }}>
                <title>{ title }</title>
                <line x1={pct(x0)} y1={Fixed(y0, 1).to_string()} x2={pct(x1)} y2={Fixed(y1, 1).to_string()}
                      marker-end={if fl.dropped.is_some() { "" } else { "url(#arrowhead)" }} />
                if fl.dropped.is_some() {
                    <text class="drop-x" x={pct(x1)} y={Fixed(y1 + 4.0, 1).to_string()} text-anchor="middle">{ "✕" }</text>
                }
            </g>
        }
    });

    let all_marks = model.marks();
    let trace = model.trace();
    let m_first = all_marks.partition_point(|m| m.at < w0);
    let m_last = all_marks.partition_point(|m| m.at <= w1);
    let marks = all_marks[m_first..m_last.max(m_first)].iter().take(2000).map(|m| {
        let ev = m.ev;
        let y = lane_y(mark_lane(model, m.node));
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
                  x={pct(x(m.at))} y={Fixed(y + if is_state { 4.5 } else { 5.0 }, 1).to_string()}
                  text-anchor="middle" data-ev={ev.to_string()}
                  data-testid={match &m.kind { MarkKind::Expect(true) => "tl-pass", MarkKind::Expect(false) => "tl-fail", _ => "tl-mark" }}>
                <title>{
                    if let (MarkKind::Note, Some(EventKind::Note { text })) = (&m.kind, trace.get(ev).as_deref().map(|e| &e.kind)) {
                        format!("note at {}: {}", secs(m.at), note_plain(text))
                    } else {
                        format!("{} {} at {}", m.node.map(|n| model.names[n as usize].clone()).unwrap_or_else(|| "scenario".into()), what, secs(m.at))
                    }
                }</title>
                { glyph }
            </text>
        }
    });

    let svg = html! {
        <>
            <svg class="timeline-svg" height={Fixed(height, 0).to_string()} width="100%" data-testid="timeline-svg">
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
                <g class="arrows">{ for arrows }</g>
                <g class="marks">{ for marks }</g>
                // On top, so that its label stays readable.
                if let Some(real) = &p.real {
                    { real_bands(&BandProps { real, names: &model.names[..n.min(model.names.len())], win_start: w0, win_span: span }) }
                }
            </svg>
            if shown > MAX_ARROWS {
                <p class="hint">{ format!("{shown} messages in this window; showing the first {MAX_ARROWS}. Zoom in to see them all.") }</p>
            }
        </>
    };
    (svg, Rc::new(lines))
}

#[function_component(Timeline)]
pub fn timeline(p: &Props) -> Html {
    let model = &p.model;
    let n = model.mon_count();
    let (w0, span) = (p.win_start, p.win_span.max(1));
    let height = TOP + LANE * (n as f64 + 2.0) + 4.0;
    let area = use_node_ref();
    // Dragging the diagram pans it: (pointer x where it started, window start
    // then, whether it moved far enough to be a drag rather than a click),
    // and whether the last one ended as a drag (its click is not a click).
    // One hook for both, and `bool::default` as the app's: each hook of its
    // own type or initializer is generic code of its own in the wasm.
    let drag = use_mut_ref(|| (None::<(f64, Time, bool)>, false));
    let dragging = use_state(bool::default);
    let real = use_state(|| None::<RealTrace>);
    let open_real = {
        let real = real.clone();
        Callback::from(move |r: Option<RealTrace>| real.set(r))
    };
    let diagram = use_memo(
        BodyProps {
            model: p.model.clone(),
            win_start: w0,
            win_span: span,
            selected_event: p.selected_event,
            selected_mon: p.selected_mon,
            hidden: p.hidden,
            real: (*real).clone(),
        },
        body,
    );
    let on_down = {
        let drag = drag.clone();
        Callback::from(move |e: PointerEvent| {
            let mut d = drag.borrow_mut();
            // A drag that ended without a click must not swallow this one.
            d.1 = false;
            if e.is_primary() && e.button() == 0 {
                d.0 = Some((e.client_x() as f64, w0, false));
            }
        })
    };
    // Over the canvas's arrows, the diagram's title is the arrow's (its
    // SVG arrows have their own); looked for as the pointer moves, not a frame.
    let hover = use_state_eq(Option::<String>::default);
    let on_move = {
        let (drag, area, on, dragging) =
            (drag.clone(), area.clone(), p.on.clone(), dragging.clone());
        let (model, hidden, hover) = (p.model.clone(), p.hidden, hover.clone());
        let canvas = !diagram.1.is_empty();
        Callback::from(move |e: PointerEvent| {
            let mut d = drag.borrow_mut();
            let Some((x0, start, moved)) = d.0.as_mut() else {
                if let Some(el) = area.cast::<web_sys::Element>().filter(|_| canvas) {
                    let rect = el.get_bounding_client_rect();
                    let (x, y) = (
                        e.client_x() as f64 - rect.left(),
                        e.client_y() as f64 - rect.top(),
                    );
                    hover.set(canvas_title(&model, w0, span, hidden, rect.width(), x, y));
                }
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
        let (drag, dragging) = (drag.clone(), dragging.clone());
        Callback::from(move |_: PointerEvent| {
            let mut d = drag.borrow_mut();
            if let Some((_, _, moved)) = d.0.take() {
                d.1 = moved;
                if moved {
                    dragging.set(false);
                }
            }
        })
    };
    let on_click = {
        let (on, area, drag) = (p.on.clone(), area.clone(), drag.clone());
        let (model, hidden) = (p.model.clone(), p.hidden);
        Callback::from(move |e: MouseEvent| {
            if std::mem::take(&mut drag.borrow_mut().1) {
                return; // the end of a drag, not a click
            }
            let Some(el) = area.cast::<web_sys::Element>() else {
                return;
            };
            let rect = el.get_bounding_client_rect();
            if rect.width() <= 0.0 {
                return;
            }
            let (x, y) = (
                e.client_x() as f64 - rect.left(),
                e.client_y() as f64 - rect.top(),
            );
            // The nearest arrow or mark under the pointer, else a seek.
            match pick(&model, w0, span, hidden, rect.width(), x, y) {
                Some(ev) => on.emit(Msg::Pick(ev, e.page_x(), e.page_y())),
                None => {
                    let rel = monscope_core::fixed::clamp(x / rect.width(), 0.0, 1.0);
                    on.emit(Msg::Seek(w0 + (rel * span as f64) as Time));
                }
            }
        })
    };
    // Wheel: zoom; shift+wheel or a sideways swipe: pan. Not passive, so the
    // page does not scroll at the same time.
    {
        let on = p.on.clone();
        let area = area.clone();
        use_effect_on((), move |_| {
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
            Box::new(move || drop(listener))
        });
    }
    let btn = |label: &'static str, title: &'static str, testid: &'static str, msg: Msg| {
        let onclick = super::click(&p.on, msg);
        html! { <button {onclick} {title} aria-label={title} data-testid={testid}>{ label }</button> }
    };
    let follow = super::change(&p.on, Msg::Follow(!p.follow));
    let canvas = use_arrow_canvas(diagram.1.clone(), height);
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
                { btn("fit run", "show the whole run", "fit-run", Msg::FitRun) }
                <button onclick={super::click(&p.on, Msg::FitSelection)} disabled={p.selected_event.is_none()}
                        title="show the selected message or mark" data-testid="fit-selection">{ "fit selection" }</button>
                { super::export::export(&super::export::Props { model: p.model.clone(), win_start: w0, win_span: span, on_error: p.on.reform(Msg::Notify) }) }
                { real_open(&OpenProps { real: (*real).clone(), on_open: open_real, on_error: p.on.reform(Msg::Notify) }) }
            </div>
            <div class="timeline-grid">
                <div class="lane-labels" style={format!("height:{}px", Fixed(height, 0))}>
                    { for names.enumerate().map(|(i, nm)| {
                        let selected = p.selected_mon == Some(i as u32);
                        html! {
                            <div class={classes!("lane-label", selected.then_some("selected"))} style={format!("top:{}px", Fixed(lane_y(i) - 9.0, 0))}>{ nm }</div>
                        }
                    }) }
                </div>
                <div class={classes!("timeline-area", dragging.then_some("dragging"))} ref={area} onclick={on_click}
                     onpointerdown={on_down} onpointermove={on_move} onpointerup={on_up.clone()} onpointercancel={on_up}
                     onpointerleave={{ let hover = hover.clone(); Callback::from(move |_: PointerEvent| hover.set(None)) }}
                     data-testid="timeline-area" data-win-start={w0.to_string()} data-win-span={span.to_string()}
                     title={(*hover).clone().unwrap_or_else(|| "click a message or a mark to select it, elsewhere to seek; drag to pan; wheel to zoom".into())}>
                    { canvas }
                    { diagram.0.clone() }
                    if (0.0..=1.0).contains(&px) {
                        <div class="playhead" style={format!("left:{}%", Fixed(px * 100.0, 3))} data-testid="playhead"></div>
                    }
                </div>
            </div>
        </div>
    }
}
