//! Breaking things: every button makes a scenario line at the playhead. The
//! selected monitor's row sits under the playback controls, in the first
//! screen (`mon_row`); links, partitions and the client below.

use super::button;
use crate::app::Frame;
use crate::playback::Model;
use crate::state::Msg;
use monscope_core::mon::status::MonState;
use monscope_core::scenario::printer::print_action;
use monscope_core::scenario::Action;
use monscope_core::trace::NodeId;
use std::rc::Rc;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// How many partition groups the buttons cycle through, and their marks.
const GROUPS: u8 = 3;
const GROUP_MARK: [&str; 3] = ["①", "②", "③"];

/// Only what the panels read: a seek or a frame that changes none of it
/// leaves them as they are (with the whole frame, both re-rendered at each).
#[derive(Properties, PartialEq)]
pub struct Props {
    pub model: Rc<Model>,
    /// The selected monitor's row: the monitor, whether it is in the
    /// cluster at the playhead, and its state there ([`selected`]).
    pub selected_mon: Option<(NodeId, bool, MonState)>,
    pub selected_link: Option<(NodeId, NodeId)>,
    pub can_undo: bool,
    /// The selected monitor's row (and undo), else the other rows.
    #[prop_or_default]
    pub mon_row: bool,
    pub on: Callback<Msg>,
}

/// The selected monitor's row's props, read from the frame at the playhead:
/// none for a selection that is no monitor (the client).
pub fn selected(mon: Option<NodeId>, frame: &Frame) -> Option<(NodeId, bool, MonState)> {
    let m = mon? as usize;
    let state = frame.statuses.get(m)?.state;
    Some((
        m as NodeId,
        frame.present.get(m).copied().unwrap_or(true),
        state,
    ))
}

fn input_value(r: &NodeRef) -> String {
    r.cast::<HtmlInputElement>()
        .map(|i| i.value())
        .unwrap_or_default()
}

fn select_value(r: &NodeRef) -> String {
    r.cast::<HtmlSelectElement>()
        .map(|i| i.value())
        .unwrap_or_default()
}

#[function_component(Actions)]
pub fn actions(p: &Props) -> Html {
    let names = &p.model.names;
    let n = p.model.mon_count();
    let act = |line: String| super::click(&p.on, Msg::Apply(line));
    let key_ref = use_node_ref();
    let value_ref = use_node_ref();
    let via_ref = use_node_ref();
    let skew_ref = use_node_ref();
    // Partition groups by monitor: 0 = in no group, else 1..=GROUPS.
    let groups = use_state(Vec::<u8>::new);
    // What is missing before a skew or a partition can be applied.
    // (`use_state_eq` with `Option::default`, as the timeline's hover: one
    // instance of the hook's code for both.)
    let local_error = use_state_eq(Option::<String>::default);
    let link_a = use_node_ref();
    let link_b = use_node_ref();

    let mon_bar = match p.selected_mon {
        Some((m, false, _)) => html! {
            <div class="hint" data-testid="action-absent">
                { format!("mon.{} is not in the cluster at this time: move the playhead to act on it.", names[m as usize]) }
            </div>
        },
        Some((m, true, state)) => {
            let name = names[m as usize].clone();
            let down = state == MonState::Down;
            let skew = {
                let on = p.on.clone();
                let r = skew_ref.clone();
                let name = name.clone();
                let local_error = local_error.clone();
                Callback::from(move |_: MouseEvent| {
                    let v = input_value(&r);
                    let v = v.trim();
                    if v.is_empty() {
                        local_error.set(Some(
                            "Type a clock offset first, e.g. 300ms or -1.5s.".into(),
                        ));
                        return;
                    }
                    local_error.set(None);
                    let v = if v.chars().last().is_some_and(|c| c.is_ascii_digit()) {
                        format!("{v}ms")
                    } else {
                        v.to_string()
                    };
                    on.emit(Msg::Apply(format!("skew {name} {v}")));
                })
            };
            html! {
                <div class="mon-bar" role="group" aria-label={format!("act on mon.{name}")}>
                    <span class="row-title">{ format!("mon.{name}") }</span>
                    { button(act(format!("kill {name}")), down, "action-kill", "kill (k)", "Kill") }
                    { button(act(format!("revive {name}")), !down, "action-revive", "revive (r)", "Revive") }
                    { button(act(format!("wipe {name}")), !down, "action-wipe", "wipe the store (w); kill first", "Wipe") }
                    { button(act(format!("isolate {name}")), false, "action-isolate", "cut every link (i)", "Isolate") }
                    { button(act(format!("call-election {name}")), down, "action-election", "call an election (e)", "Call election") }
                    // (The power-cycle button of the IndexedDB work goes here.)
                    <span class="inline">
                        <input ref={skew_ref} size="6" placeholder="-300ms" aria-label="clock skew" data-testid="skew-input" />
                        { button(skew, false, "action-skew", "offset this monitor's clock (timecheck measures it)", "Skew clock") }
                    </span>
                </div>
            }
        }
        None => html! {
            <div class="hint">{ "Select a monitor (click it, or press 1–9) to kill, revive, wipe, isolate it or make it call an election." }</div>
        },
    };

    let (la, lb) = p.selected_link.unwrap_or((0, 1.min(n as NodeId)));
    let link_options = |r: &NodeRef, sel: NodeId, testid: &'static str| {
        html! {
            <select ref={r.clone()} aria-label="link end" data-testid={testid}>
                { for names.iter().take(n).enumerate().map(|(i, nm)| html! {
                    <option value={nm.clone()} selected={i as NodeId == sel}>{ nm.clone() }</option>
                }) }
            </select>
        }
    };
    let link_act = |verb: &'static str, arrow: bool| {
        let on = p.on.clone();
        let a = link_a.clone();
        let b = link_b.clone();
        Callback::from(move |_: MouseEvent| {
            let (a, b) = (select_value(&a), select_value(&b));
            let line = if arrow {
                format!("{verb} {a} -> {b}")
            } else {
                format!("{verb} {a} {b}")
            };
            on.emit(Msg::Apply(line));
        })
    };
    let group_of = |i: usize| groups.get(i).copied().unwrap_or(0);
    let chips = names.iter().take(n).enumerate().map(|(i, name)| {
        let g = group_of(i);
        let onclick = {
            let groups = groups.clone();
            let local_error = local_error.clone();
            Callback::from(move |_: MouseEvent| {
                let mut v = (*groups).clone();
                v.resize(n.max(v.len()), 0);
                v[i] = (v[i] + 1) % (GROUPS + 1);
                groups.set(v);
                local_error.set(None);
            })
        };
        let label = if g == 0 {
            format!("{name}: no group")
        } else {
            format!("{name}: group {g}")
        };
        html! {
            <button class="group-chip" {onclick} data-group={g.to_string()} aria-label={label.clone()} title={format!("{label}; click for the next group")}
                    data-testid={format!("group-{name}")}>
                { if g == 0 { format!("{name} ·") } else { format!("{name} {}", GROUP_MARK[g as usize - 1]) } }
            </button>
        }
    });
    let partition = {
        let on = p.on.clone();
        let groups = groups.clone();
        let local_error = local_error.clone();
        let names = names.clone();
        Callback::from(move |_: MouseEvent| {
            let sets: Vec<String> = (1..=GROUPS)
                .map(|g| {
                    let members: Vec<&str> = names
                        .iter()
                        .take(n)
                        .enumerate()
                        .filter(|(i, _)| groups.get(*i).copied() == Some(g))
                        .map(|(_, nm)| nm.as_str())
                        .collect();
                    members.join(" ")
                })
                .filter(|s| !s.is_empty())
                .collect();
            if sets.len() < 2 {
                local_error.set(Some(
                    "Put monitors in at least two groups first: click a monitor's button to cycle it through groups 1, 2, 3.".into(),
                ));
                return;
            }
            local_error.set(None);
            on.emit(Msg::Apply(format!("partition {}", sets.join(" | "))));
        })
    };
    let clear_groups = {
        let groups = groups.clone();
        let local_error = local_error.clone();
        Callback::from(move |_: MouseEvent| {
            groups.set(Vec::new());
            local_error.set(None);
        })
    };
    let client = |read: bool| {
        let on = p.on.clone();
        let local_error = local_error.clone();
        let (k, v, via) = (key_ref.clone(), value_ref.clone(), via_ref.clone());
        Callback::from(move |_: MouseEvent| {
            let key = input_value(&k).trim().to_string();
            let value = input_value(&v).trim().to_string();
            let via = Some(select_value(&via)).filter(|v| !v.is_empty());
            if key.is_empty() || (!read && value.is_empty()) {
                local_error.set(Some(if read {
                    "Type the key to read first.".into()
                } else {
                    "Type a key and a value to write first.".into()
                }));
                return;
            }
            local_error.set(None);
            // The printer quotes a key or value with spaces, so it reads back the same.
            let action = if read {
                Action::Read { key, via }
            } else {
                Action::Write { key, value, via }
            };
            on.emit(Msg::Apply(print_action(&action)));
        })
    };
    let (write, read) = (client(false), client(true));
    let undo = super::click(&p.on, Msg::Undo);
    let local = local_error.as_ref().map(|e| {
        html! { <div class="notice error" role="alert" data-testid="action-error">{ e.clone() }</div> }
    });
    if p.mon_row {
        return html! {
            <div class="actions mon-actions" data-testid="selected-actions">
                { local }
                <div class="action-row">
                    { mon_bar }
                    <button class="undo" onclick={undo} disabled={!p.can_undo} data-testid="undo" title="undo the last action (u)">{ "Undo" }</button>
                </div>
            </div>
        };
    }

    html! {
        <div class="actions" data-testid="actions">
            { local }
            <div class="action-row" role="group" aria-label="links">
                <span class="row-title">{ "link" }</span>
                { link_options(&link_a, la, "link-a") }
                { link_options(&link_b, lb, "link-b") }
                { button(link_act("cut", false), false, "action-cut", "", "Cut") }
                { button(link_act("cut", true), false, "action-cut-one-way", "cut the first → second direction only", "Cut →") }
                { button(link_act("restore", false), false, "action-restore", "", "Restore") }
                { button(act("heal".into()), false, "action-heal", "undo every cut (h)", "Heal") }
            </div>
            <div class="action-row" role="group" aria-label="partition">
                <span class="row-title">{ "partition" }</span>
                { for chips }
                { button(partition, false, "action-partition", "cut every link between different groups", "Partition") }
                { button(clear_groups, false, "partition-clear", "", "Clear groups") }
            </div>
            <div class="action-row" role="group" aria-label="client">
                <span class="row-title">{ "client" }</span>
                <input ref={key_ref.clone()} size="8" placeholder="key" aria-label="key" data-testid="client-key" />
                <input ref={value_ref.clone()} size="8" placeholder="value" aria-label="value" data-testid="client-value" />
                <select ref={via_ref.clone()} aria-label="via monitor" data-testid="client-via">
                    <option value="" selected=true>{ "via leader" }</option>
                    { for names.iter().take(n).map(|nm| html! { <option value={nm.clone()}>{ format!("via {nm}") }</option> }) }
                </select>
                { button(write, false, "action-write", "", "Write") }
                { button(read, false, "action-read", "", "Read") }
            </div>
            <div class="action-row" role="group" aria-label="cluster">
                <span class="row-title">{ "cluster" }</span>
                { button(super::click(&p.on, Msg::PowerCycle), false, "action-power-cycle", "kill every running monitor and revive it from its store a second later (two scenario lines)", "Power cycle") }
            </div>
        </div>
    }
}
