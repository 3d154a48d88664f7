//! What the inspector shows for one monitor at the playhead: its state
//! machines and its store, as labelled text. Pure, so it is tested natively.

use monscope_core::mon::store::{MonitorDBStore, StoreOp, Transaction};
use monscope_core::sim::Sim;
use monscope_core::time::{format_secs, Time};
use monscope_core::trace::NodeId;

/// One titled group of (field, value) rows.
#[derive(Clone, Debug, PartialEq)]
pub struct Section {
    pub title: String,
    pub rows: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MonDetail {
    pub name: String,
    pub running: bool,
    pub sections: Vec<Section>,
    /// The store: (prefix, [(key, decoded value)]).
    pub store: Vec<(String, Vec<(String, String)>)>,
}

fn row(k: &str, v: impl ToString) -> (String, String) {
    (k.to_string(), v.to_string())
}

fn ranks(r: &[i32]) -> String {
    if r.is_empty() {
        "{}".into()
    } else {
        let v: Vec<String> = r.iter().map(|x| x.to_string()).collect();
        format!("{{{}}}", v.join(","))
    }
}

fn time(t: Time) -> String {
    if t == 0 {
        "none".into()
    } else {
        format!("{}s", format_secs(t))
    }
}

/// The monitor `node` of `sim` (at `sim.now()`).
pub fn detail(sim: &Sim, node: NodeId) -> Option<MonDetail> {
    let names = sim.node_names();
    let name = names.get(node as usize)?.clone();
    if node as usize + 1 >= names.len() {
        return None; // the client
    }
    let status = sim.state().status(node).clone();
    let mut sections = vec![Section {
        title: "monitor".into(),
        rows: vec![
            row("state", status.state.name()),
            row("rank", status.rank),
            row("election_epoch", status.election_epoch),
            row(
                "leader",
                status.leader.clone().unwrap_or_else(|| "none".into()),
            ),
            row(
                "quorum",
                if status.quorum.is_empty() {
                    "none".into()
                } else {
                    status.quorum.join(" ")
                },
            ),
            row(
                "health",
                if status.health.is_empty() {
                    "ok".into()
                } else {
                    status.health.join(" ")
                },
            ),
        ],
    }];
    let running = sim.monitor(node).is_some();
    if let Some(mon) = sim.monitor(node) {
        sections.push(Section {
            title: "probing".into(),
            rows: vec![row("outside_quorum", ranks(&mon.outside_quorum()))],
        });
        let el = mon.elector();
        sections.push(Section {
            title: "elector".into(),
            rows: vec![
                row("epoch", el.epoch()),
                row("electing_me", el.electing_me()),
                row("leader_acked", el.leader_acked()),
                row("acked_me", ranks(&el.acked_me())),
                row("timer armed", el.timer_armed()),
            ],
        });
        let p = &mon.consensus().paxos;
        sections.push(Section {
            title: "paxos".into(),
            rows: vec![
                row("state", p.state.name()),
                row("first_committed", p.first_committed),
                row("last_committed", p.last_committed),
                row("accepted_pn", p.accepted_pn),
                row("last_pn", p.last_pn),
                row("lease_expire", time(p.lease_expire)),
                row(
                    "uncommitted",
                    p.uncommitted()
                        .map(|(v, pn)| format!("v{v} pn {pn}"))
                        .unwrap_or_else(|| "none".into()),
                ),
            ],
        });
        let kv = &mon.consensus().kv;
        sections.push(Section {
            title: "config-key service".into(),
            rows: vec![
                row("first_committed", kv.first_committed),
                row("last_committed", kv.last_committed),
                row("proposing", kv.proposing),
            ],
        });
    }
    let store = sim.store(node).map(store_rows).unwrap_or_default();
    Some(MonDetail {
        name,
        running,
        sections,
        store,
    })
}

/// Keys whose values are u64s written by `put_u64`.
fn is_u64_key(prefix: &str, key: &str) -> bool {
    matches!(
        key,
        "last_committed"
            | "first_committed"
            | "accepted_pn"
            | "last_pn"
            | "pending_v"
            | "pending_pn"
            | "election_epoch"
            | "joined"
    ) || (prefix == "monitor" && key != "magic")
}

/// A value in words where we know its encoding.
pub fn decode_value(prefix: &str, key: &str, value: &[u8]) -> String {
    if value.len() == 8 && is_u64_key(prefix, key) {
        let mut b = [0u8; 8];
        b.copy_from_slice(value);
        return u64::from_le_bytes(b).to_string();
    }
    if prefix == "paxos" && key.bytes().all(|c| c.is_ascii_digit()) {
        if let Ok(tx) = Transaction::decode(value) {
            let ops: Vec<String> = tx
                .ops
                .iter()
                .map(|op| match op {
                    StoreOp::Put { prefix, key, value } => {
                        format!("put {prefix}/{key} = {}", decode_value(prefix, key, value))
                    }
                    StoreOp::Erase { prefix, key } => format!("erase {prefix}/{key}"),
                    StoreOp::ErasePrefix { prefix } => format!("erase {prefix}/*"),
                })
                .collect();
            return ops.join("; ");
        }
    }
    match std::str::from_utf8(value) {
        Ok(s) if s.chars().all(|c| !c.is_control()) => format!("{s:?}"),
        _ => format!("{} bytes", value.len()),
    }
}

fn store_rows(store: &MonitorDBStore) -> Vec<(String, Vec<(String, String)>)> {
    store
        .prefixes()
        .map(|p| {
            let rows = store
                .iter_prefix(p)
                .map(|(k, v)| (k.to_string(), decode_value(p, k, v)))
                .collect();
            (p.to_string(), rows)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playback::Model;
    use monscope_core::scenario::library;
    use monscope_core::time::SEC;

    #[test]
    fn the_inspector_decodes_the_store() {
        let model = Model::build(library::get("client-writes").unwrap()).unwrap();
        let sim = model.sim_at(20 * SEC);
        let d = detail(&sim, 0).unwrap();
        assert!(d.running);
        let paxos = d.store.iter().find(|(p, _)| p == "paxos").unwrap();
        let lc = paxos.1.iter().find(|(k, _)| k == "last_committed").unwrap();
        assert!(lc.1.parse::<u64>().unwrap() >= 3, "{lc:?}");
        let kv = d.store.iter().find(|(p, _)| p == "config-key").unwrap();
        assert!(
            kv.1.iter().any(|(k, v)| k == "beta" && v == "\"2\""),
            "{kv:?}"
        );
        assert!(detail(&sim, 5).is_none(), "the client has no inspector");
        assert!(detail(&sim, 99).is_none());
    }
}
