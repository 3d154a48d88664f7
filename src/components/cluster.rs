//! The cluster view (SVG): monitors on a ring, links, the quorum, leases and
//! every message in flight at the playhead.

use super::message_canvas::{Canvas, Scene};
use crate::app::Frame;
use crate::dots::Mark;
use crate::playback::{protocol_bit, Flight, Model, PROTOCOLS};
use crate::state::Msg;
use crate::word_fit::{fitted, META_EM, NAME_EM, STATE_EM};
use monscope_core::fixed::Fixed;
use monscope_core::mon::status::MonState;
use monscope_core::time::{Time, SEC};
use monscope_core::trace::NodeId;
use std::rc::Rc;
use yew::prelude::*;

pub struct Props {
    pub model: Rc<Model>,
    pub frame: Rc<Frame>,
    pub t: Time,
    pub speed: f64,
    pub selected_mon: Option<NodeId>,
    pub selected_event: Option<usize>,
    pub reduced_motion: bool,
    /// Protocols not drawn (bits of `playback::protocol_bit`).
    pub hidden: u8,
    /// A large play button over the ring (the playground, paused).
    pub overlay: bool,
    /// The links (`use_links`).
    pub links: Rc<Html>,
    /// The messages' canvas (`message_canvas::use_message_canvas`).
    pub canvas: Rc<Canvas>,
    pub on_select: Callback<Msg>,
}

/// Beyond this many messages in the air, labels would be noise.
const MAX_LABELS: usize = 40;

/// Beyond this many messages in the air, they are drawn on a canvas
/// (`message_canvas`): an SVG element each is too much DOM to move at 60 fps.
pub const MAX_DOM: usize = 150;

/// From this many on, the canvas's painter is started (its worker loads the
/// page's module, tens of ms): ready by the time there are MAX_DOM, not
/// started at all on a page that never has so many.
const WARM_DOTS: usize = MAX_DOM * 2 / 3;

fn ring(n: usize) -> f64 {
    if n <= 3 {
        150.0
    } else {
        185.0
    }
}

fn radius(n: usize) -> f64 {
    match n {
        0..=3 => 50.0,
        4..=7 => 45.0,
        _ => (320.0 / n as f64).max(22.0),
    }
}

/// Half the side of the square the ring is drawn in, centred on (0, 0): the
/// picture is only as large as the ring, so it fills the space it is given.
fn half(n: usize) -> f64 {
    ring(n) + radius(n) + 32.0
}

/// Where node `i` of `n` monitors sits; the client sits in a corner.
pub fn position(i: usize, n: usize) -> (f64, f64) {
    let h = half(n);
    if i >= n {
        return (-h + 36.0, h - 24.0);
    }
    let a = -std::f64::consts::FRAC_PI_2 + (i as f64) * std::f64::consts::TAU / n as f64;
    // The browser's Math.cos/sin: Rust's f64::cos/sin would bring libm's
    // argument reduction into the wasm (about 3 kB compressed). The two may
    // differ in the last bit, far below the 0.1 px that positions are drawn to.
    (
        ring(n) * js_sys::Math::cos(a),
        ring(n) * js_sys::Math::sin(a),
    )
}

/// How far from a node's centre its messages start and end: its rim.
fn rim(i: usize, n: usize) -> f64 {
    if i >= n {
        26.0
    } else {
        radius(n) + 5.0
    }
}

fn state_class(s: MonState) -> &'static str {
    match s {
        MonState::Down => "s-down",
        MonState::Probing => "s-probing",
        MonState::Synchronizing => "s-synchronizing",
        MonState::Electing => "s-electing",
        MonState::Leader => "s-leader",
        MonState::Peon => "s-peon",
    }
}

/// A small circle's state word: "synchronizing" would be squeezed past
/// reading, so it is "sync" there (the label and the inspector say it whole).
fn state_word(s: MonState, small: bool) -> &'static str {
    match s {
        MonState::Synchronizing if small => "sync",
        _ => s.name(),
    }
}

/// One of a monitor's words at `y`, squeezed to fit its circle if it
/// would leave it (word_fit.rs; `px`: its CSS size, `edge`: its farthest
/// point from the centre).
fn word(text: &str, class: &'static str, y: f64, em: f64, px: f64, r: f64, edge: f64) -> Html {
    let len = fitted(text, em, px, r, edge);
    html! {
        <text {class} y={f(y)} text-anchor="middle"
            textLength={len.map(f)} lengthAdjust={len.map(|_| "spacingAndGlyphs")}>{ text.to_string() }</text>
    }
}

fn f(x: f64) -> String {
    Fixed(x, 1).to_string()
}

/// A message's path on the ring: from its sender's rim to its receiver's,
/// and the unit vector to its right (where its lane and label go).
struct Path {
    x0: f64,
    y0: f64,
    dx: f64,
    dy: f64,
    len: f64,
    /// Unit vector to the right of the direction of travel.
    px: f64,
    py: f64,
}

/// `rims` holds each node's centre and rim radius (`position`, `rim`), the
/// client last: computed once a frame, not once a message.
fn path(fl: &Flight, rims: &[(f64, f64, f64)]) -> Path {
    // A node past the monitors is the client, as in `position`.
    let at = |node: NodeId| rims[(node as usize).min(rims.len() - 1)];
    let (ax, ay, ra) = at(fl.from);
    let (bx, by, rb) = at(fl.to);
    let full = ((bx - ax).powi(2) + (by - ay).powi(2)).sqrt().max(1.0);
    let (ux, uy) = ((bx - ax) / full, (by - ay) / full);
    let len = (full - ra - rb).max(1.0);
    Path {
        x0: ax + ux * ra,
        y0: ay + uy * ra,
        dx: ux * len,
        dy: uy * len,
        len,
        px: -uy,
        py: ux,
    }
}

/// Messages on one link close together fan out sideways, each in its own
/// lane: the lane of a flight `along` its link (0 nearest the link), given
/// the flights placed on that link before it. At most LANES: beyond, dots
/// share the outermost lane (hundreds of pings on one link would otherwise
/// fan out far past the ring and off the picture).
fn fan_out(placed: &[(f64, usize)], along: f64) -> usize {
    // Two dots closer than this along a link would overlap with their labels.
    const APART: f64 = 16.0;
    const LANES: usize = 6;
    placed
        .iter()
        .filter(|(at, _)| (at - along).abs() < APART)
        .map(|&(_, lane)| lane + 1)
        .max()
        .unwrap_or(0)
        .min(LANES - 1)
}

/// Whether two boxes (x, y, width, height) overlap.
fn overlap(a: (f64, f64, f64, f64), b: (f64, f64, f64, f64)) -> bool {
    a.0 < b.0 + b.2 && b.0 < a.0 + a.2 && a.1 < b.1 + b.3 && b.1 < a.1 + a.3
}

#[derive(PartialEq)]
pub struct LinksProps {
    model: Rc<Model>,
    cuts: Vec<(NodeId, NodeId)>,
    present: Vec<bool>,
    selected_link: Option<(NodeId, NodeId)>,
    on_select: Callback<Msg>,
}

/// The links between monitors (and to the client when cut): drawn again only
/// when a cut, the membership or the selection changes, not every frame.
#[hook]
pub fn use_links(
    model: Option<&Rc<Model>>,
    frame: Option<&Rc<Frame>>,
    selected_link: Option<(NodeId, NodeId)>,
    on: &Callback<Msg>,
) -> Rc<Html> {
    let props = model.zip(frame).map(|(m, f)| LinksProps {
        model: m.clone(),
        cuts: f.cuts.clone(),
        present: f.present.clone(),
        selected_link,
        on_select: on.clone(),
    });
    use_memo(props, |p| p.as_ref().map_or_else(Html::default, links))
}

fn links(p: &LinksProps) -> Html {
    let model = &p.model;
    let n = model.mon_count();
    let cut = |a: NodeId, b: NodeId| p.cuts.contains(&(a, b));
    let present = |i: usize| i >= n || p.present.get(i).copied().unwrap_or(true);
    let mut links = Vec::new();
    for a in 0..=n {
        for b in (a + 1)..=n {
            let (an, bn) = (a as NodeId, b as NodeId);
            let (ab, ba) = (cut(an, bn), cut(bn, an));
            if (b == n && !ab && !ba) || !present(a) || !present(b) {
                continue;
            }
            let (x0, y0) = position(a, n);
            let (x1, y1) = position(b, n);
            let selected = p.selected_link == Some((an, bn)) || p.selected_link == Some((bn, an));
            let onclick = super::click(&p.on_select, Msg::SelectLink(Some((an, bn))));
            let label = format!(
                "link {} – {}{}",
                model.names[a],
                model.names[b],
                match (ab, ba) {
                    (true, true) => ", cut both ways",
                    (true, false) => ", cut one way",
                    (false, true) => ", cut one way",
                    _ => "",
                }
            );
            let body = if ab || ba {
                // Broken: two stubs with a gap in the middle, and an arrow on a one-way cut.
                let mx = |k: f64| x0 + (x1 - x0) * k;
                let my = |k: f64| y0 + (y1 - y0) * k;
                let arrow = if ab != ba {
                    // Arrow in the direction that is cut.
                    let (fx, fy, tx, ty) = if ab {
                        (x0, y0, x1, y1)
                    } else {
                        (x1, y1, x0, y0)
                    };
                    let (dx, dy) = (tx - fx, ty - fy);
                    let len = (dx * dx + dy * dy).sqrt().max(1.0);
                    let (ux, uy) = (dx / len, dy / len);
                    let (hx, hy) = (fx + dx * 0.43, fy + dy * 0.43);
                    let pts = format!(
                        "{},{} {},{} {},{}",
                        f(hx + ux * 9.0),
                        f(hy + uy * 9.0),
                        f(hx - uy * 6.0),
                        f(hy + ux * 6.0),
                        f(hx + uy * 6.0),
                        f(hy - ux * 6.0)
                    );
                    html! { <polygon class="cut-arrow" points={pts} /> }
                } else {
                    html! {}
                };
                html! {
                    <>
                        <line class="link cut" x1={f(x0)} y1={f(y0)} x2={f(mx(0.45))} y2={f(my(0.45))} />
                        <line class="link cut" x1={f(mx(0.55))} y1={f(my(0.55))} x2={f(x1)} y2={f(y1)} />
                        <text class="cut-mark" x={f(mx(0.5))} y={f(my(0.5) + 5.0)} text-anchor="middle">{ "✂" }</text>
                        { arrow }
                    </>
                }
            } else {
                html! { <line class="link" x1={f(x0)} y1={f(y0)} x2={f(x1)} y2={f(y1)} /> }
            };
            links.push(html! {
                <g class={classes!("link-g", selected.then_some("selected"))} {onclick}
                   data-testid={format!("link-{}-{}", model.names[a], model.names[b])}
                   data-cut={if ab || ba { "true" } else { "false" }}>
                    <title>{ label }</title>
                    { body }
                    <line class="link-hit" x1={f(x0)} y1={f(y0)} x2={f(x1)} y2={f(y1)} />
                </g>
            });
        }
    }

    html! { <>{ for links }</> }
}

/// A plain function, not a component: it renders with its parent (a
/// component of its own would cost about a kilobyte of the transfer).
pub fn cluster_view(p: &Props) -> Html {
    let model = &p.model;
    let n = model.mon_count();
    let r = radius(n);
    // Small circles (from nine monitors): smaller words, no meta line.
    let small = r < 34.0;
    let t = p.t;
    let statuses = &p.frame.statuses;
    // The client is always there; a monitor only once added and until removed.
    let present = |i: usize| i >= n || p.frame.present.get(i).copied().unwrap_or(true);

    // The quorum outline, drawn under the monitors.
    let leader = statuses
        .iter()
        .position(|s| s.state == MonState::Leader && !s.quorum.is_empty());
    let quorum = leader.map(|l| {
        let pts: Vec<(f64, f64)> = statuses[l]
            .quorum
            .iter()
            .filter_map(|name| model.names.iter().position(|m| m == name))
            .map(|i| position(i, n))
            .collect();
        let w = f(2.0 * r + 26.0);
        if pts.len() == 1 {
            html! { <circle class="quorum" cx={f(pts[0].0)} cy={f(pts[0].1)} r={f(r + 13.0)} /> }
        } else {
            let points: Vec<String> = pts
                .iter()
                .map(|(x, y)| format!("{},{}", f(*x), f(*y)))
                .collect();
            html! { <polygon class="quorum" points={points.join(" ")} stroke-width={w} /> }
        }
    });

    // Monitors.
    let lease_len = model.scenario.config.mon_lease.max(1);
    let mons = (0..n).map(|i| {
        let s = &statuses[i];
        let (x, y) = position(i, n);
        let name = &model.names[i];
        let node = i as NodeId;
        let selected = p.selected_mon == Some(node);
        let onclick = super::click(&p.on_select, Msg::SelectMon(Some(node)));
        let onkeydown = {
            let on = p.on_select.clone();
            Callback::from(move |e: KeyboardEvent| {
                // Space is the page's play/pause, as everywhere.
                if e.key() == "Enter" {
                    e.prevent_default();
                    e.stop_propagation();
                    on.emit(Msg::SelectMon(Some(node)));
                }
            })
        };
        if !present(i) {
            // Not added yet, or removed: a ghost, so the ring does not jump.
            let why = match model.next_presence_change(node, t) {
                Some((_, true)) => "not added",
                _ => "removed",
            };
            return html! {
                <g class={classes!("mon", "absent", selected.then_some("selected"), small.then_some("small"))}
                   transform={format!("translate({},{})", f(x), f(y))}
                   role="button" tabindex="0" aria-label={format!("mon.{name}, {why}")} aria-pressed={selected.to_string()}
                   {onclick} {onkeydown} data-testid={format!("mon-{name}")} data-state="absent">
                    <circle class="mon-halo" r={f(r + 11.0)} />
                    <circle class="mon-body" r={f(r)} />
                    { word(name, "mon-name", -2.0, NAME_EM, if small { 18.0 } else { 21.0 }, r, 2.0 + 15.0) }
                    { word(why, "mon-state", 12.0, STATE_EM, if small { 12.0 } else { 14.0 }, r, 15.0) }
                    <title>{ format!("mon.{name}: {}", if why == "removed" { "removed from the monmap" } else { "added later by the scenario" }) }</title>
                </g>
            };
        }
        let in_quorum = matches!(s.state, MonState::Leader | MonState::Peon);
        let lease = (in_quorum && s.paxos.lease_expire > 0).then(|| {
            let local = (t as i64).saturating_add(model.skew_at(name, t)).max(0) as Time;
            let left = s.paxos.lease_expire.saturating_sub(local) as f64 / lease_len as f64;
            let left = monscope_core::fixed::clamp(left, 0.0, 1.0);
            let lr = r + 6.0;
            let c = std::f64::consts::TAU * lr;
            html! {
                <circle class="lease" r={f(lr)} cx="0" cy="0"
                    stroke-dasharray={format!("{} {}", f(c * left), f(c))}
                    transform="rotate(-90)" data-testid={format!("lease-{name}")}>
                    <title>{ format!("lease: {}% left", Fixed(left * 100.0, 0)) }</title>
                </circle>
            }
        });
        let crown = (s.state == MonState::Leader).then(|| {
            let top = -r - 12.0;
            html! {
                <path class="crown" data-testid={format!("crown-{name}")}
                    d={format!("M -13 {a} L -13 {b} L -6 {c} L 0 {b2} L 6 {c} L 13 {b} L 13 {a} Z",
                        a = f(top + 6.0), b = f(top - 6.0), c = f(top - 1.0), b2 = f(top - 9.0))} />
            }
        });
        let label = format!(
            "mon.{name}, rank {}, {}, election epoch {}, last committed {}",
            s.rank,
            s.state.name(),
            s.election_epoch,
            s.paxos.last_committed
        );
        html! {
            <g class={classes!("mon", state_class(s.state), selected.then_some("selected"), small.then_some("small"))}
               transform={format!("translate({},{})", f(x), f(y))}
               role="button" tabindex="0" aria-label={label} aria-pressed={selected.to_string()}
               {onclick} {onkeydown}
               data-testid={format!("mon-{name}")} data-state={s.state.name()}
               data-epoch={s.election_epoch.to_string()} data-lc={s.paxos.last_committed.to_string()}>
                <circle class="mon-halo" r={f(r + 11.0)} />
                { lease }
                <circle class="mon-body" r={f(r)} />
                { crown }
                if small {
                    { word(name, "mon-name", -2.0, NAME_EM, 18.0, r, 15.0) }
                    { word(state_word(s.state, small), "mon-state", 11.0, STATE_EM, 12.0, r, 14.0) }
                } else {
                    { word(name, "mon-name", -9.0, NAME_EM, 21.0, r, 24.0) }
                    { word(s.state.name(), "mon-state", 8.0, STATE_EM, 14.0, r, 11.0) }
                    { word(&format!("r{} · e{} · v{}", s.rank, s.election_epoch, s.paxos.last_committed),
                        "mon-meta", 24.0, META_EM, 12.5, r, 27.0) }
                }
            </g>
        }
    });

    // Messages in the air; dropped ones fail where they were lost and fade.
    // The ✕ lingers 1.5 s of real time at the current speed (at least 20 ms simulated).
    // One a cut link holds waits in its sender's socket, not in the air: the
    // timeline draws it (dashed, from send to delivery), the link shows the cut.
    let linger = ((p.speed * 1.5 * SEC as f64) as Time).clamp(20_000, 3 * SEC);
    let mut hidden = 0;
    let flights = model.flights();
    let flying: Vec<Flight> = model
        .air(&flights, t, linger)
        .filter(|f| !f.held)
        .filter(|f| {
            let shown = protocol_bit(f.protocol) & p.hidden == 0;
            hidden += usize::from(!shown);
            shown
        })
        .collect();
    let labels = flying.len() <= MAX_LABELS;
    let selected_event = p.selected_event;
    let still = p.reduced_motion;
    // The flights placed so far on each link (from, to), for the fan-out.
    let mut placed: Vec<Vec<(f64, usize)>> = vec![Vec::new(); (n + 1) * (n + 1)];
    // Where labels may not go: the monitors (and the client), the dots and
    // the labels placed.
    let rims: Vec<(f64, f64, f64)> = (0..=n)
        .map(|i| {
            let (x, y) = position(i, n);
            (x, y, rim(i, n))
        })
        .collect();
    let mut taken: Vec<(f64, f64, f64, f64)> = Vec::new();
    // Where each message is (its path, how far along, its position), first;
    // then the labels, which keep clear of every dot.
    let spots: Vec<(Path, f64, f64, f64, f64)> = flying
        .iter()
        .map(|fl| {
            let pa = path(fl, &rims);
            // A lost message stays where it was lost. Under reduced motion a
            // message in the air is an arrow over its whole path, not a dot.
            let prog = if fl.dropped.is_some() && t >= fl.end {
                monscope_core::fixed::clamp(fl.progress(fl.end), 0.0, 1.0)
            } else if still {
                1.0
            } else {
                monscope_core::fixed::clamp(fl.progress(t), 0.0, 1.0)
            };
            let along = pa.len * prog;
            let node = |id: NodeId| (id as usize).min(n);
            let on_link = &mut placed[node(fl.from) * (n + 1) + node(fl.to)];
            let lane = fan_out(on_link, along);
            on_link.push((along, lane));
            let off = 6.0 + 12.0 * lane as f64;
            let (x, y) = (
                pa.x0 + pa.dx * prog + pa.px * off,
                pa.y0 + pa.dy * prog + pa.py * off,
            );
            if labels && !still {
                taken.push((x - 6.0, y - 6.0, 12.0, 12.0));
            }
            (pa, along, off, x, y)
        })
        .collect();
    // Many messages: the plain moving dots go on a canvas; a lost one (its ✕),
    // the selected one and reduced motion's arrows keep their SVG element.
    let many = flying.len() > MAX_DOM && !still;
    if flying.len() > WARM_DOTS && !still {
        super::message_canvas::warm();
    }
    let plain = |fl: &Flight| {
        many && !(fl.dropped.is_some() && t >= fl.end) && selected_event != Some(fl.ev)
    };
    let canvas = many.then(|| {
        let marks = flying
            .iter()
            .zip(&spots)
            .filter(|(fl, _)| plain(fl))
            .map(|(fl, &(_, _, _, x, y))| Mark {
                x,
                y,
                proto: PROTOCOLS
                    .iter()
                    .position(|p| *p == fl.protocol)
                    .unwrap_or(PROTOCOLS.len() - 1),
                ev: fl.ev,
            })
            .collect();
        *p.canvas.scene.borrow_mut() = Some(Rc::new(Scene {
            half: half(n),
            marks,
        }));
        html! { <canvas ref={p.canvas.node.clone()} class="cluster messages" aria-hidden="true" data-testid="messages-canvas" /> }
    });
    if canvas.is_none() {
        *p.canvas.scene.borrow_mut() = None;
    }
    let messages = flying.iter().zip(spots).filter(|(fl, _)| !plain(fl)).map(|(fl, (pa, along, off, x, y))| {
        // The label goes outside the dot's lane, not at the ends, and further
        // out until it covers no monitor, dot or label; else it is left out.
        let mut spot = None;
        if labels && along > 14.0 && pa.len - along > 14.0 {
            // Op names are capitals: about 8.5 units each at 11 px bold.
            let w = 8.6 * fl.op.len() as f64;
            let anchor = if pa.px > 0.35 {
                "start"
            } else if pa.px < -0.35 {
                "end"
            } else {
                "middle"
            };
            let left = match anchor {
                "start" => 0.0,
                "end" => -w,
                _ => -w / 2.0,
            };
            for d in [11.0, 24.0, 37.0, 50.0] {
                let (lx, ly) = (x + pa.px * d, y + pa.py * d + 4.0);
                let b = (lx + left, ly - 11.0, w, 14.0);
                let on_mon = rims.iter().any(|&(cx, cy, r)| {
                    // The box's point nearest the monitor's centre.
                    let nx = monscope_core::fixed::clamp(cx, b.0, b.0 + b.2) - cx;
                    let ny = monscope_core::fixed::clamp(cy, b.1, b.1 + b.3) - cy;
                    nx * nx + ny * ny < r * r
                });
                if !on_mon && !taken.iter().any(|o| overlap(*o, b)) {
                    taken.push(b);
                    spot = Some((lx, ly, anchor));
                    break;
                }
            }
        }
        // Relative to (ox, oy): the moving dot's own origin, or the picture's.
        let label = |ox: f64, oy: f64| spot.map(|(lx, ly, anchor)| {
            html! { <text class="msg-label" x={f(lx - ox)} y={f(ly - oy)} text-anchor={anchor}>{ fl.op }</text> }
        });
        let from = &model.names[fl.from as usize];
        let to = &model.names[fl.to as usize];
        let ev = fl.ev.to_string();
        let proto = super::protocol_class(fl.protocol);
        if fl.dropped.is_some() && t >= fl.end {
            let age = (t - fl.end) as f64 / linger as f64;
            let opacity = if still { 1.0 } else { monscope_core::fixed::clamp(1.0 - age, 0.15, 1.0) };
            html! {
                <g key={fl.id} class="msg dropped" transform={format!("translate({x},{y})", x = Fixed(x, 1), y = Fixed(y, 1))} opacity={Fixed(opacity, 2).to_string()}
                   data-ev={ev} data-testid="msg-dropped">
                    <title>{ format!("{} {from} → {to} dropped: {}", fl.op, fl.dropped.map(|d| d.name()).unwrap_or("")) }</title>
                    <text class="drop-x" text-anchor="middle" y="6">{ "✕" }</text>
                    { label(x, y) }
                </g>
            }
        } else {
            let selected = selected_event == Some(fl.ev);
            let class = classes!("msg", proto, selected.then_some("selected"));
            let title = html! { <title>{ format!("{} {from} → {to}", fl.op) }</title> };
            if still {
                html! {
                    <g key={fl.id} {class} data-ev={ev} data-testid="msg" data-op={fl.op} data-proto={fl.protocol}>
                        { title }
                        <line x1={f(pa.x0 + pa.px * off)} y1={f(pa.y0 + pa.py * off)} x2={f(x)} y2={f(y)} marker-end="url(#msg-head)" />
                        { label(0.0, 0.0) }
                    </g>
                }
            } else {
                html! {
                    <g key={fl.id} {class} data-ev={ev} data-testid="msg" data-op={fl.op} data-proto={fl.protocol}
                       transform={format!("translate({x},{y})", x = Fixed(x, 1), y = Fixed(y, 1))}>
                        { title }
                        <circle r={if selected { "8" } else { "5.5" }} />
                        { label(x, y) }
                    </g>
                }
            }
        }
    }).collect::<Html>();
    // Hundreds of messages move every frame: one click handler for all of
    // them (it reads the trace index from `data-ev`), not one closure each.
    let on_message = p.on_select.reform(|e: MouseEvent| {
        match super::data_attr(&e, "data-ev").and_then(|v| v.parse().ok()) {
            Some(ev) => Msg::Pick(ev, e.page_x(), e.page_y()),
            None => Msg::SelectEvent(None),
        }
    });

    let client = {
        let (x, y) = position(n, n);
        html! {
            <g class="client" transform={format!("translate({},{})", f(x), f(y))} data-testid="client">
                <rect x="-22" y="-14" width="44" height="28" rx="5" />
                <text text-anchor="middle" y="5">{ "client" }</text>
            </g>
        }
    };

    let clear = super::click(&p.on_select, Msg::SelectLink(None));
    let h = f(half(n));
    let side = f(2.0 * half(n));
    let view_box = format!("-{h} -{h} {side} {side}");
    // The protocol filter is the colour key too.
    let chips = PROTOCOLS.iter().map(|proto| {
        let bit = protocol_bit(proto);
        let shown = p.hidden & bit == 0;
        let onclick = super::click(&p.on_select, Msg::ToggleProtocol(bit));
        html! {
            <button class={classes!("chip", super::protocol_class(proto))} {onclick} aria-pressed={shown.to_string()}
                    title={format!("{} {proto} messages", if shown { "hide" } else { "show" })} data-testid={format!("filter-{proto}")}>
                <span class="dot"></span>{ *proto }
            </button>
        }
    });
    html! {
        <>
        <div class="ring">
        <svg class="cluster" viewBox={view_box.clone()} role="img" data-testid="cluster"
             aria-label={format!("{} monitors; {} messages in flight", n, flying.len())}
             data-in-flight={flying.len().to_string()} data-hidden={hidden.to_string()}>
            <rect class="bg" x={format!("-{h}")} y={format!("-{h}")} width={side.clone()} height={side} onclick={clear} />
            { quorum }
            <super::Keep html={p.links.clone()} />
            { client }
            { for mons }
        </svg>
        // The messages move every frame: a picture of their own over the
        // ring, so that the browser repaints only them, not the ring under them.
        { for canvas }
        <svg class="cluster messages" viewBox={view_box} aria-hidden="true" data-testid="messages">
            <defs>
                <marker id="msg-head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="4" markerHeight="4" orient="auto">
                    <path d="M0 0L10 5L0 10z" fill="context-stroke" />
                </marker>
            </defs>
            <g onclick={on_message}>{ messages }</g>
        </svg>
        if p.overlay {
            <button class="play-overlay" onclick={super::click(&p.on_select, Msg::Play(true))}
                    aria-label="Play (space)" title="Play (space)" data-testid="play-overlay">{ "▶" }</button>
        }
        </div>
        <div class="filter" role="group" aria-label="messages shown, by protocol">
            { for chips }
            <span class="muted" data-testid="hidden-count">
                { if hidden > 0 { format!("{hidden} hidden in flight") } else { String::new() } }
            </span>
        </div>
        </>
    }
}
