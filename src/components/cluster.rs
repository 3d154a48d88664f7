//! The cluster view (SVG): monitors on a ring, links, the quorum, leases and
//! every message in flight at the playhead.

use crate::app::Frame;
use crate::playback::{Flight, Model};
use crate::state::Msg;
use monscope_core::mon::status::MonState;
use monscope_core::time::{Time, SEC};
use monscope_core::trace::NodeId;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub model: Rc<Model>,
    pub frame: Rc<Frame>,
    pub t: Time,
    pub speed: f64,
    pub selected_mon: Option<NodeId>,
    pub selected_event: Option<usize>,
    pub selected_link: Option<(NodeId, NodeId)>,
    pub reduced_motion: bool,
    pub on_select: Callback<Msg>,
}

const W: f64 = 640.0;
const H: f64 = 500.0;
const CX: f64 = 330.0;
const CY: f64 = 255.0;
/// Beyond this many messages in the air, labels would be noise.
const MAX_LABELS: usize = 40;

/// Where node `i` of `n` monitors sits; the client sits in a corner.
pub fn position(i: usize, n: usize) -> (f64, f64) {
    if i >= n {
        return (58.0, H - 44.0);
    }
    let ring = if n <= 3 { 150.0 } else { 185.0 };
    let a = -std::f64::consts::FRAC_PI_2 + (i as f64) * std::f64::consts::TAU / n as f64;
    // The browser's Math.cos/sin: Rust's f64::cos/sin would bring libm's
    // argument reduction into the wasm (about 3 kB compressed). The two may
    // differ in the last bit, far below the 0.1 px that positions are drawn to.
    (
        CX + ring * js_sys::Math::cos(a),
        CY + ring * js_sys::Math::sin(a),
    )
}

fn radius(n: usize) -> f64 {
    if n <= 5 {
        40.0
    } else {
        (200.0 / n as f64).max(22.0)
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

fn f(x: f64) -> String {
    format!("{x:.1}")
}

/// A message's position at `t`: along its path, offset sideways by its direction.
fn flight_point(fl: &Flight, t: Time, n: usize) -> (f64, f64) {
    let (x0, y0) = position(fl.from as usize, n);
    let (x1, y1) = position(fl.to as usize, n);
    let p = fl.progress(t).clamp(0.0, 1.0);
    let (dx, dy) = (x1 - x0, y1 - y0);
    let len = (dx * dx + dy * dy).sqrt().max(1.0);
    // Two-way traffic on one link: each direction keeps to its right.
    let (ox, oy) = (-dy / len * 5.0, dx / len * 5.0);
    (x0 + dx * p + ox, y0 + dy * p + oy)
}

#[derive(Properties, PartialEq)]
struct LinksProps {
    model: Rc<Model>,
    cuts: Vec<(NodeId, NodeId)>,
    present: Vec<bool>,
    selected_link: Option<(NodeId, NodeId)>,
    on_select: Callback<Msg>,
}

/// The links between monitors (and to the client when cut): redrawn only
/// when a cut, the membership or the selection changes, not every frame.
#[function_component(Links)]
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
            let onclick = p
                .on_select
                .reform(move |_: MouseEvent| Msg::SelectLink(Some((an, bn))));
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

/// The protocol colours' key; it never changes.
#[function_component(Legend)]
fn legend() -> Html {
    let items = ["probe", "election", "paxos", "sync", "ping", "timecheck", "client"].iter().enumerate().map(|(i, proto)| {
        let x = W - 100.0;
        let y = 20.0 + i as f64 * 18.0;
        html! {
            <g class={format!("legend p-{proto}")} transform={format!("translate({},{})", f(x), f(y))}>
                <circle r="5" /><text x="10" y="4">{ *proto }</text>
            </g>
        }
    });
    html! { <>{ for items }</> }
}

#[function_component(ClusterView)]
pub fn cluster_view(p: &Props) -> Html {
    let model = &p.model;
    let n = model.mon_count();
    let r = radius(n);
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
        let onclick = p.on_select.reform(move |_: MouseEvent| Msg::SelectMon(Some(node)));
        let onkeydown = {
            let on = p.on_select.clone();
            Callback::from(move |e: KeyboardEvent| {
                if e.key() == "Enter" || e.key() == " " {
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
                <g class={classes!("mon", "absent", selected.then_some("selected"))}
                   transform={format!("translate({},{})", f(x), f(y))}
                   role="button" tabindex="0" aria-label={format!("mon.{name}, {why}")} aria-pressed={selected.to_string()}
                   {onclick} {onkeydown} data-testid={format!("mon-{name}")} data-state="absent">
                    <circle class="mon-halo" r={f(r + 11.0)} />
                    <circle class="mon-body" r={f(r)} />
                    <text class="mon-name" y="-2" text-anchor="middle">{ name.clone() }</text>
                    <text class="mon-state" y="12" text-anchor="middle">{ why }</text>
                    <title>{ format!("mon.{name}: {}", if why == "removed" { "removed from the monmap" } else { "added later by the scenario" }) }</title>
                </g>
            };
        }
        let in_quorum = matches!(s.state, MonState::Leader | MonState::Peon);
        let lease = (in_quorum && s.paxos.lease_expire > 0).then(|| {
            let local = (t as i64).saturating_add(model.skew_at(name, t)).max(0) as Time;
            let left = s.paxos.lease_expire.saturating_sub(local) as f64 / lease_len as f64;
            let left = left.clamp(0.0, 1.0);
            let lr = r + 6.0;
            let c = std::f64::consts::TAU * lr;
            html! {
                <circle class="lease" r={f(lr)} cx="0" cy="0"
                    stroke-dasharray={format!("{} {}", f(c * left), f(c))}
                    transform="rotate(-90)" data-testid={format!("lease-{name}")}>
                    <title>{ format!("lease: {:.0}% left", left * 100.0) }</title>
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
        let small = r < 34.0;
        html! {
            <g class={classes!("mon", state_class(s.state), selected.then_some("selected"))}
               transform={format!("translate({},{})", f(x), f(y))}
               role="button" tabindex="0" aria-label={label} aria-pressed={selected.to_string()}
               {onclick} {onkeydown}
               data-testid={format!("mon-{name}")} data-state={s.state.name()}
               data-epoch={s.election_epoch.to_string()} data-lc={s.paxos.last_committed.to_string()}>
                <circle class="mon-halo" r={f(r + 11.0)} />
                { lease }
                <circle class="mon-body" r={f(r)} />
                { crown }
                <text class="mon-name" y={if small { "-2" } else { "-12" }} text-anchor="middle">{ name.clone() }</text>
                <text class="mon-state" y={if small { "10" } else { "4" }} text-anchor="middle">{ s.state.name() }</text>
                if !small {
                    <text class="mon-meta" y="18" text-anchor="middle">
                        { format!("r{} · e{} · v{}", s.rank, s.election_epoch, s.paxos.last_committed) }
                    </text>
                }
            </g>
        }
    });

    // Messages in the air; dropped ones fail where they were lost and fade.
    // The ✕ lingers 1.5 s of real time at the current speed (at least 20 ms simulated).
    let linger = ((p.speed * 1.5 * SEC as f64) as Time).clamp(20_000, 3 * SEC);
    let flying: Vec<&Flight> = model.in_flight(t, linger).collect();
    let labels = flying.len() <= MAX_LABELS;
    let selected_event = p.selected_event;
    // Hundreds of messages move every frame: one click handler for all of
    // them (it reads the trace index from `data-ev`), not one closure each.
    let messages = flying.iter().map(|fl| {
        let (x, y) = flight_point(fl, t, n);
        let transform = format!("translate({x:.1},{y:.1})");
        let from = &model.names[fl.from as usize];
        let to = &model.names[fl.to as usize];
        let ev = fl.ev.to_string();
        if fl.dropped.is_some() && t >= fl.end {
            let age = (t - fl.end) as f64 / linger as f64;
            let opacity = if p.reduced_motion { 1.0 } else { (1.0 - age).clamp(0.15, 1.0) };
            html! {
                <g key={fl.id} class="msg dropped" {transform} opacity={format!("{opacity:.2}")}
                   data-ev={ev} data-testid="msg-dropped">
                    <title>{ format!("{} {from} → {to} dropped: {}", fl.op, fl.dropped.map(|d| d.name()).unwrap_or("")) }</title>
                    <text class="drop-x" text-anchor="middle" y="6">{ "✕" }</text>
                    if labels {
                        <text class="msg-label" x="10" y="-6">{ fl.op }</text>
                    }
                </g>
            }
        } else {
            let selected = selected_event == Some(fl.ev);
            html! {
                <g key={fl.id} class={classes!("msg", super::protocol_class(fl.protocol), selected.then_some("selected"))}
                   {transform} data-ev={ev} data-testid="msg" data-op={fl.op}>
                    <title>{ format!("{} {from} → {to}", fl.op) }</title>
                    <circle r={if selected { "8" } else { "5.5" }} />
                    if labels {
                        <text class="msg-label" x="8" y="-6">{ fl.op }</text>
                    }
                </g>
            }
        }
    });
    let on_message = p.on_select.reform(|e: MouseEvent| {
        Msg::SelectEvent(super::data_attr(&e, "data-ev").and_then(|v| v.parse().ok()))
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

    let clear = p.on_select.reform(|_: MouseEvent| Msg::SelectLink(None));
    html! {
        <svg class="cluster" viewBox={format!("0 0 {W} {H}")} role="img" data-testid="cluster"
             aria-label={format!("{} monitors; {} messages in flight", n, flying.len())}
             data-in-flight={flying.len().to_string()}>
            <rect class="bg" x="0" y="0" width={W.to_string()} height={H.to_string()} onclick={clear} />
            <Legend />
            { quorum }
            <Links model={model.clone()} cuts={p.frame.cuts.clone()} present={p.frame.present.clone()}
                   selected_link={p.selected_link} on_select={p.on_select.clone()} />
            { client }
            { for mons }
            <g class="messages" onclick={on_message}>{ for messages }</g>
        </svg>
    }
}
