//! What the inspector shows for one monitor at the playhead: its state
//! machines and its store, as labelled text. Pure, so it is tested natively.

use monscope_core::fixed::Fixed;
use monscope_core::mon::elector::ConnectionTracker;
use monscope_core::mon::monitor::Monitor;
use monscope_core::mon::monmap::{MonMap, Strategy};
use monscope_core::mon::monmap_service::{decode_monmap, latest_in_store};
use monscope_core::mon::status::{MonState, MonStatus};
use monscope_core::mon::store::{MonitorDBStore, StoreOp, Transaction};
use monscope_core::mon::{Addr, Rank};
use monscope_core::sim::Sim;
use monscope_core::time::{format_duration, format_secs, Time};
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
    /// Read from an imported history's logs ([`from_logs`]), not a simulator.
    pub from_logs: bool,
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
#[inline(never)] // the lazy module's entry (src/lazy.rs)
pub fn detail(sim: &Sim, node: NodeId) -> Option<MonDetail> {
    let names = sim.node_names();
    let name = names.get(node as usize)?.clone();
    if node as usize + 1 >= names.len() {
        return None; // the client
    }
    let status = sim.state().status(node).clone();
    let mut sections = vec![monitor_section(&status)];
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
        if mon.monmap().strategy == Strategy::Connectivity {
            // The connectivity strategy's pinger: whom it pings, whom it gave up on.
            let (live, dead) = el.pinging();
            let by_name = |r: &[Rank]| rank_names(mon.monmap(), r);
            if let Some(s) = sections.last_mut() {
                s.rows.push(row("pinging", by_name(&live)));
                s.rows.push(row("declared dead", by_name(&dead)));
            }
        }
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
        let map = mon.monmap();
        let svc = &mon.consensus().monmap;
        let mut rows = vec![
            row("epoch", map.epoch),
            row("members", members(map)),
            row("strategy", map.strategy.name()),
        ];
        if !map.disallowed_leaders.is_empty() {
            rows.push(row("disallowed_leaders", map.disallowed_leaders.join(" ")));
        }
        rows.extend([
            row("first_committed", svc.first_committed),
            row("last_committed", svc.last_committed),
            row("proposing", svc.proposing),
        ]);
        sections.push(Section {
            title: "monmap service".into(),
            rows,
        });
        sections.push(timecheck_section(mon, status.state));
        sections.push(sync_section(mon, &names));
    }
    if !status.scores.is_empty() {
        sections.push(Section {
            title: "connectivity scores".into(),
            rows: status
                .scores
                .iter()
                .map(|(name, score)| row(name, format!("{score}", score = Fixed(*score, 3))))
                .collect(),
        });
    }
    let store = sim.store(node).map(store_rows).unwrap_or_default();
    Some(MonDetail {
        name,
        running,
        sections,
        store,
        from_logs: false,
    })
}

/// The monitor's status: what `mon_status` (and a log's prefix) says.
fn monitor_section(status: &MonStatus) -> Section {
    Section {
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
    }
}

/// What monitor `name`'s log says at the playhead: an imported history has
/// its statuses (the trace's status events), not its state machines.
#[inline(never)] // the lazy module's entry (src/lazy.rs)
pub fn from_logs(name: &str, status: &MonStatus) -> MonDetail {
    let p = &status.paxos;
    MonDetail {
        name: name.to_string(),
        running: status.state != MonState::Down,
        sections: vec![
            monitor_section(status),
            Section {
                title: "paxos".into(),
                rows: vec![
                    row("state", p.state.name()),
                    row("first_committed", p.first_committed),
                    row("last_committed", p.last_committed),
                ],
            },
        ],
        store: Vec::new(),
        from_logs: true,
    }
}

/// A monmap's members in rank order: `a(0) b(1) c(2)`.
fn members(map: &MonMap) -> String {
    let v: Vec<String> = map
        .mons
        .iter()
        .enumerate()
        .map(|(r, m)| format!("{}({r})", m.name))
        .collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(" ")
    }
}

fn rank_name(map: &MonMap, r: Rank) -> String {
    map.name_of(r)
        .map_or_else(|| format!("rank {r}"), str::to_string)
}

fn rank_names(map: &MonMap, ranks: &[Rank]) -> String {
    if ranks.is_empty() {
        return "none".into();
    }
    let v: Vec<String> = ranks.iter().map(|&r| rank_name(map, r)).collect();
    v.join(" ")
}

/// A signed duration: `-300ms`, `1.5s`.
fn signed(us: i64) -> String {
    let d = format_duration(us.unsigned_abs());
    if us < 0 {
        format!("-{d}")
    } else {
        d
    }
}

/// What timecheck measured: on the leader its own rounds, on a peon the
/// leader's last REPORT.
fn timecheck_section(mon: &Monitor, state: MonState) -> Section {
    let tc = mon.timecheck();
    let map = mon.monmap();
    let mut rows = vec![row(
        "role",
        match state {
            MonState::Leader => "leader: measures every member",
            MonState::Peon => "peon: answers pings, keeps the last report",
            _ => "idle outside a quorum",
        },
    )];
    if state == MonState::Leader {
        rows.push(row("round", tc.round));
        rows.push(row("rounds_since_clean", tc.rounds_since_clean));
    }
    for (&r, &skew) in &tc.skews {
        let latency = tc.latencies.get(&r).copied().unwrap_or(0);
        rows.push(row(
            &format!("{} skew", rank_name(map, r)),
            format!("{} (latency {})", signed(skew), signed(latency)),
        ));
    }
    Section {
        title: "timecheck".into(),
        rows,
    }
}

/// The sync state: as requester (syncing from a provider) and as provider.
fn sync_section(mon: &Monitor, names: &[String]) -> Section {
    let sync = mon.sync_state();
    // Addresses are node ids.
    let addr_name = |a: Addr| {
        names
            .get(a.0 as usize)
            .cloned()
            .unwrap_or_else(|| format!("{a:?}"))
    };
    let mut rows = vec![row(
        "syncing from",
        match sync.provider {
            Some(a) => format!(
                "{} ({}, cookie {}, from v{})",
                addr_name(a),
                if sync.full { "full" } else { "recent" },
                sync.cookie,
                sync.start_version
            ),
            None => "nobody".into(),
        },
    )];
    rows.push(row("last_committed_floor", sync.last_committed_floor));
    let providing: Vec<String> = sync
        .providers
        .values()
        .map(|p| {
            format!(
                "{} ({}, cookie {}, up to v{})",
                addr_name(p.addr),
                if p.full { "full" } else { "recent" },
                p.cookie,
                p.last_committed
            )
        })
        .collect();
    rows.push(row(
        "providing to",
        if providing.is_empty() {
            "nobody".into()
        } else {
            providing.join("; ")
        },
    ));
    Section {
        title: "sync".into(),
        rows,
    }
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
            | "in_sync"
            | "force_sync"
            | "last_committed_floor"
    ) || (prefix == "monitor" && key != "magic" && key != "connectivity_scores")
}

/// A stored connection tracker: its epoch and version, and the total score
/// of each rank (the same sum the elector compares).
fn decode_tracker(value: &[u8], map: Option<&MonMap>) -> Option<String> {
    let t = ConnectionTracker::decode(value, 0)?;
    let mut ranks: Vec<Rank> = t.peer_reports.keys().copied().collect();
    for rep in t.peer_reports.values() {
        ranks.extend(rep.history.keys().copied());
    }
    monscope_core::mon::vecset::sort_small(&mut ranks);
    ranks.dedup();
    let scores: Vec<String> = ranks
        .iter()
        .map(|&r| {
            let name = map.map_or_else(|| format!("rank {r}"), |m| rank_name(m, r));
            format!("{name} {}", Fixed(t.total_score(r).0, 3))
        })
        .collect();
    Some(format!(
        "tracker of rank {}, epoch {}, version {}; scores: {}",
        t.rank,
        t.epoch,
        t.version,
        if scores.is_empty() {
            "none".into()
        } else {
            scores.join(", ")
        }
    ))
}

/// A value in words where we know its encoding; `map` names ranks.
pub fn decode_value(prefix: &str, key: &str, value: &[u8], map: Option<&MonMap>) -> String {
    if value.len() == 8 && is_u64_key(prefix, key) {
        let mut b = [0u8; 8];
        b.copy_from_slice(value);
        return u64::from_le_bytes(b).to_string();
    }
    if prefix == "monitor" && key == "connectivity_scores" {
        if let Some(s) = decode_tracker(value, map) {
            return s;
        }
    }
    // A monmap version, or the one a full sync backed up.
    let is_monmap = (prefix == "monmap" && key.bytes().all(|c| c.is_ascii_digit()))
        || (prefix == "mon_sync" && key == "latest_monmap");
    if is_monmap {
        if let Ok(m) = decode_monmap(value) {
            let mut s = format!(
                "monmap e{} ({}): {}",
                m.epoch,
                m.strategy.name(),
                members(&m)
            );
            if !m.disallowed_leaders.is_empty() {
                s.push_str(&format!(
                    "; disallowed leaders {}",
                    m.disallowed_leaders.join(" ")
                ));
            }
            return s;
        }
    }
    // Paxos versions and the kv service's incrementals are transactions.
    if (prefix == "paxos" || prefix == "kv") && key.bytes().all(|c| c.is_ascii_digit()) {
        if let Ok(tx) = Transaction::decode(value) {
            let ops: Vec<String> = tx
                .ops
                .iter()
                .map(|op| match op {
                    StoreOp::Put { prefix, key, value } => {
                        let v = decode_value(prefix, key, value, map);
                        format!("put {prefix}/{key} = {v}")
                    }
                    StoreOp::Erase { prefix, key } => format!("erase {prefix}/{key}"),
                    StoreOp::ErasePrefix { prefix } => format!("erase {prefix}/*"),
                })
                .collect();
            if ops.is_empty() {
                return "empty transaction".into();
            }
            return ops.join("; ");
        }
    }
    // The cluster log's entries, the committed health checks and the
    // monitors' metadata are lines of text.
    let lines = matches!(prefix, "logm" | "health")
        || (prefix == "monitor_store" && key == "last_metadata");
    if lines {
        if let Ok(s) = std::str::from_utf8(value) {
            if !s.is_empty() {
                return s.lines().collect::<Vec<_>>().join(" | ");
            }
        }
    }
    match std::str::from_utf8(value) {
        Ok(s) if s.chars().all(|c| !c.is_control()) => monscope_core::text_escape::quoted(s),
        _ => format!("{} bytes", value.len()),
    }
}

fn store_rows(store: &MonitorDBStore) -> Vec<(String, Vec<(String, String)>)> {
    let map = latest_in_store(store);
    let map = map.as_ref();
    store
        .prefixes()
        .map(|p| {
            let rows = store
                .iter_prefix(p)
                .map(|(k, v)| (k.to_string(), decode_value(p, k, v, map)))
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
        let kv = d.store.iter().find(|(p, _)| p == "mon_config_key").unwrap();
        assert!(
            kv.1.iter().any(|(k, v)| k == "beta" && v == "\"2\""),
            "{kv:?}"
        );
        // The monmap service's versions are whole monmaps.
        let mm = d.store.iter().find(|(p, _)| p == "monmap").unwrap();
        assert!(
            mm.1.iter()
                .any(|(k, v)| k == "1" && v == "monmap e1 (classic): a(0) b(1) c(2) d(3) e(4)"),
            "{mm:?}"
        );
        let svc = d
            .sections
            .iter()
            .find(|s| s.title == "monmap service")
            .unwrap();
        assert!(
            svc.rows
                .contains(&("members".into(), "a(0) b(1) c(2) d(3) e(4)".into())),
            "{svc:?}"
        );
        assert!(detail(&sim, 5).is_none(), "the client has no inspector");
        assert!(detail(&sim, 99).is_none());
    }

    #[test]
    fn the_cluster_logs_lines_and_the_health_checks_are_shown_as_text() {
        let model = Model::build(library::get("leader-failover").unwrap()).unwrap();
        let sim = model.sim_at(70 * SEC);
        let d = detail(&sim, 1).unwrap();
        let logm = d.store.iter().find(|(p, _)| p == "logm").unwrap();
        assert!(
            logm.1
                .iter()
                .any(|(_, v)| v.contains("mon.b is new leader, mons b,c in quorum (ranks 1,2)")),
            "{logm:?}"
        );
        let health = d.store.iter().find(|(p, _)| p == "health").unwrap();
        assert!(
            health
                .1
                .iter()
                .any(|(k, v)| k == "leader" && v == "MON_DOWN 1/3 mons down, quorum b,c"),
            "{health:?}"
        );
    }

    #[test]
    fn connectivity_scores_and_the_stored_tracker_are_shown() {
        let model = Model::build(library::get("connectivity-broken-link").unwrap()).unwrap();
        let sim = model.sim_at(40 * SEC);
        let d = detail(&sim, 2).unwrap();
        let scores = d
            .sections
            .iter()
            .find(|s| s.title == "connectivity scores")
            .unwrap();
        let names: Vec<&str> = scores.rows.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["a", "b", "c", "d", "e"]);
        for (_, v) in &scores.rows {
            assert!(v.parse::<f64>().is_ok(), "{v}");
        }
        let el = d.sections.iter().find(|s| s.title == "elector").unwrap();
        assert!(el.rows.iter().any(|(k, _)| k == "pinging"), "{el:?}");
        let stored = d.store.iter().find(|(p, _)| p == "monitor").unwrap();
        let t = stored
            .1
            .iter()
            .find(|(k, _)| k == "connectivity_scores")
            .unwrap();
        assert!(
            t.1.starts_with("tracker of rank 2") && t.1.contains("a "),
            "{t:?}"
        );
        // a declared b dead after the cut.
        let a = detail(&sim, 0).unwrap();
        let el = a.sections.iter().find(|s| s.title == "elector").unwrap();
        assert!(
            el.rows.contains(&("declared dead".into(), "b".into())),
            "{el:?}"
        );
    }

    #[test]
    fn the_leader_shows_timecheck_and_an_added_monitor_shows_in_the_monmap() {
        let model = Model::build(library::get("add-and-remove").unwrap()).unwrap();
        let sim = model.sim_at(40 * SEC);
        let leader = sim.state().leader().unwrap();
        let d = detail(&sim, leader).unwrap();
        let tc = d.sections.iter().find(|s| s.title == "timecheck").unwrap();
        assert!(tc.rows.iter().any(|(k, _)| k == "d skew"), "{tc:?}");
        let svc = d
            .sections
            .iter()
            .find(|s| s.title == "monmap service")
            .unwrap();
        assert!(svc.rows.contains(&("epoch".into(), "2".into())), "{svc:?}");
        assert!(svc
            .rows
            .contains(&("members".into(), "a(0) b(1) c(2) d(3)".into())));
        let sim = model.sim_at(85 * SEC);
        let d = detail(&sim, 0).unwrap();
        let svc = d
            .sections
            .iter()
            .find(|s| s.title == "monmap service")
            .unwrap();
        assert!(
            svc.rows
                .contains(&("members".into(), "a(0) c(1) d(2)".into())),
            "{svc:?}"
        );
    }

    #[test]
    fn a_synchronizing_monitor_shows_its_provider() {
        let model = Model::build(library::get("full-sync-after-trim").unwrap()).unwrap();
        let sim = model.sim_at(40 * SEC + 25_000);
        let c = model.names.iter().position(|n| n == "c").unwrap() as NodeId;
        let d = detail(&sim, c).unwrap();
        let sync = d.sections.iter().find(|s| s.title == "sync").unwrap();
        let from = &sync
            .rows
            .iter()
            .find(|(k, _)| k == "syncing from")
            .unwrap()
            .1;
        assert!(from.contains("(full, cookie"), "{sync:?}");
        let provider = from.split(' ').next().unwrap();
        let p = model.names.iter().position(|n| n == provider).unwrap() as NodeId;
        let pd = detail(&sim, p).unwrap();
        let ps = pd.sections.iter().find(|s| s.title == "sync").unwrap();
        assert!(
            ps.rows
                .iter()
                .any(|(k, v)| k == "providing to" && v.starts_with("c (full")),
            "{ps:?}"
        );
        let store = d.store.iter().find(|(p, _)| p == "mon_sync").unwrap();
        assert!(
            store.1.iter().any(|(k, v)| k == "in_sync" && v == "1"),
            "{store:?}"
        );
        assert!(
            store
                .1
                .iter()
                .any(|(k, v)| k == "latest_monmap" && v.starts_with("monmap e")),
            "{store:?}"
        );
    }
}
