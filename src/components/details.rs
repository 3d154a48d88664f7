//! The selected event (a message or a mark): its fields, in a card next to
//! where it was clicked (or in the side panel, selected from elsewhere).

use super::secs;
use crate::playback::Model;
use crate::state::Msg;
use monscope_core::fixed::Fixed;
use monscope_core::mon::messages::{ClientOp, Message};
use monscope_core::trace::format::{describe, message_summary};
use monscope_core::trace::EventKind;
use std::rc::Rc;
use yew::prelude::*;

pub struct Props {
    pub model: Rc<Model>,
    pub ev: usize,
    /// Where it was clicked (page pixels).
    pub anchor: Option<(i32, i32)>,
    pub on: Callback<Msg>,
}

fn ranks(r: &[i32]) -> String {
    let v: Vec<String> = r.iter().map(|x| x.to_string()).collect();
    format!("{{{}}}", v.join(","))
}

/// A message's fields, named as in Ceph.
fn message_fields(msg: &Message) -> Vec<(String, String)> {
    let r = |k: &str, v: String| (k.to_string(), v);
    match msg {
        Message::Probe(m) => vec![
            r("name", m.name.clone()),
            r("quorum", ranks(&m.quorum)),
            r("leader", m.leader.to_string()),
            r("paxos_first_version", m.paxos_first_version.to_string()),
            r("paxos_last_version", m.paxos_last_version.to_string()),
            r("has_ever_joined", m.has_ever_joined.to_string()),
            r("monmap epoch", m.monmap.epoch.to_string()),
        ],
        Message::Election(m) => vec![
            r("epoch", m.epoch.to_string()),
            r("quorum", ranks(&m.quorum)),
            r("strategy", m.strategy.name().to_string()),
        ],
        Message::Paxos(m) => {
            let values: Vec<String> = m.values.keys().map(|v| format!("v{v}")).collect();
            vec![
                r("epoch", m.epoch.to_string()),
                r("first_committed", m.first_committed.to_string()),
                r("last_committed", m.last_committed.to_string()),
                r("pn_from", m.pn_from().to_string()),
                r("pn", m.pn.to_string()),
                r("uncommitted_pn", m.uncommitted_pn().to_string()),
                r("lease_timestamp", secs(m.lease_timestamp)),
                r("sent_timestamp", secs(m.sent_timestamp)),
                r(
                    "values",
                    if values.is_empty() {
                        "none".into()
                    } else {
                        values.join(" ")
                    },
                ),
            ]
        }
        Message::Client(m)
        | Message::Forward(monscope_core::mon::messages::MForward { req: m, .. }) => {
            let op = match &*m.op {
                ClientOp::Write { key, value } => format!("write {key}={value}"),
                ClientOp::Read { key } => format!("read {key}"),
                ClientOp::MonAdd { name, .. } => format!("mon add {name}"),
                ClientOp::MonRemove { name } => format!("mon remove {name}"),
            };
            vec![
                r("tid", m.tid.to_string()),
                r("session", m.session.to_string()),
                r("op", op),
            ]
        }
        Message::Close(m) => vec![r("session", m.session.to_string())],
        Message::Route(m) => vec![
            r("tid", m.reply.tid.to_string()),
            r("result", format!("{:?}", m.reply.result)),
        ],
        Message::ClientReply(m) => vec![
            r("tid", m.tid.to_string()),
            r("result", format!("{:?}", m.result)),
        ],
        Message::Ping(m) => {
            // tracker_bl: the sender's own report, one entry per peer.
            let report = &m.tracker.my_reports;
            let peers: Vec<String> = report
                .history
                .iter()
                .map(|(peer, score)| {
                    let alive = report.current.get(peer).copied().unwrap_or(false);
                    format!(
                        "{peer}:{score}{}",
                        if alive { "" } else { " (dead)" },
                        score = Fixed(*score, 3)
                    )
                })
                .collect();
            vec![
                r("stamp", secs(m.stamp)),
                r("tracker epoch", m.tracker.epoch.to_string()),
                r("tracker version", m.tracker.version.to_string()),
                r("report", peers.join(" ")),
            ]
        }
        Message::Sync(m) => vec![
            r("cookie", m.cookie.to_string()),
            r("last_committed", m.last_committed.to_string()),
            r("last_key", format!("{}/{}", m.last_key.0, m.last_key.1)),
            r("chunk_bl", format!("{} bytes", m.chunk_bl.len())),
        ],
        Message::Timecheck(m) => {
            let per_rank = |v: &monscope_core::mon::vecmap::VecMap<i32, i64>| {
                let s: Vec<String> = v
                    .iter()
                    .map(|(k, us)| format!("{k}:{}ms", Fixed(*us as f64 / 1000.0, 3)))
                    .collect();
                if s.is_empty() {
                    "none".to_string()
                } else {
                    s.join(" ")
                }
            };
            vec![
                r("epoch", m.epoch.to_string()),
                r("round", m.round.to_string()),
                r("timestamp", secs(m.timestamp)),
                r("skews", per_rank(&m.skews)),
                r("latencies", per_rank(&m.latencies)),
            ]
        }
        Message::GlobalId(m) => vec![r("old_max_id", m.old_max_id.to_string())],
        Message::Log(m) => m
            .entries
            .iter()
            .map(|e| {
                r(
                    &format!("seq {}", e.seq),
                    format!("[{}] {}", e.prio.as_str(), e.msg),
                )
            })
            .collect(),
    }
}

/// A plain function, not a component: it renders with its parent (a
/// component of its own would cost about a kilobyte of the transfer). Only
/// a selected event shows it: it is in the lazy module (src/lazy.rs), called
/// once that is in.
#[inline(never)]
pub fn details(p: &Props) -> Html {
    let Some(ev) = p.model.trace().event(p.ev) else {
        return html! {};
    };
    let names = &p.model.names;
    let mut rows: Vec<(String, String)> = vec![("time".into(), secs(ev.at))];
    if let EventKind::Send {
        id,
        from,
        to,
        arrive_at,
        msg,
    } = &ev.kind
    {
        rows.push(("message".into(), format!("#{id} {}", message_summary(msg))));
        rows.push(("protocol".into(), msg.protocol().into()));
        rows.push((
            "from → to".into(),
            format!("{} → {}", names[*from as usize], names[*to as usize]),
        ));
        if let Some(f) = p.model.flight(*id) {
            if !f.held {
                rows.push(("arrives".into(), secs(*arrive_at)));
            }
            rows.push(("outcome".into(), f.outcome(secs)));
        } else {
            rows.push(("arrives".into(), secs(*arrive_at)));
        }
        rows.extend(message_fields(msg));
    }
    let close = super::click(&p.on, Msg::SelectEvent(None));
    html! {
        <section class={classes!("panel", "details", p.anchor.is_some().then_some("popover"))} aria-label="selected event" data-testid="details"
                 style={p.anchor.map(|(x, y)| format!("left:min({}px,calc(100vw - 23rem));top:{}px", x + 14, y + 14))}>
            <h2>{ "Selected" }<button class="link-button" onclick={close} aria-label="clear the selection">{ "✕" }</button></h2>
            <p class="mono">{ describe(&ev, names) }</p>
            <dl>
                { for rows.iter().map(|(k, v)| html! { <><dt>{ k.clone() }</dt><dd>{ v.clone() }</dd></> }) }
            </dl>
        </section>
    }
}
