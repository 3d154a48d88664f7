//! The auth service's own versions (issue 12): what Pacific's AuthMonitor
//! commits without a client asking, as the real leader's `propose_pending`
//! lines show on ceph-mon 16.2.15 (README "The cluster log and health
//! services"). Each is a paxos version a user sees in `expect version`.

mod common;

use common::failed;
use monscope_core::mon::messages::Message;
use monscope_core::mon::store::StoreOp;
use monscope_core::scenario::parse;
use monscope_core::sim::run;
use monscope_core::sim::run::Run;
use monscope_core::time::SEC;
use monscope_core::trace::EventKind;

fn sim(text: &str) -> Run {
    run(&parse(text).unwrap_or_else(|e| panic!("{e}")))
}

fn node(r: &Run, name: &str) -> u32 {
    r.nodes.iter().position(|n| n == name).unwrap() as u32
}

/// Each auth version `who` committed: (time, paxos version it went in, its text).
fn auth_versions(r: &Run, who: u32) -> Vec<(u64, u64, String)> {
    let mut out = Vec::new();
    for ev in &r.trace {
        let EventKind::Store { node, tx } = &ev.kind else {
            continue;
        };
        if *node != who {
            continue;
        }
        let mut paxos_v = None;
        let mut auth = None;
        for op in tx.ops() {
            if let StoreOp::Put { prefix, key, value } = op {
                let key = key.as_str();
                if prefix == "paxos" && key == "last_committed" {
                    paxos_v = Some(u64::from_le_bytes(
                        value.as_slice().try_into().unwrap_or([0; 8]),
                    ));
                }
                if prefix == "auth" && key.chars().all(|c| c.is_ascii_digit()) {
                    auth = Some(String::from_utf8_lossy(value.as_slice()).into_owned());
                }
            }
        }
        if let (Some(v), Some(text)) = (paxos_v, auth) {
            out.push((ev.at, v, text));
        }
    }
    out
}

/// (time, from) of every MMonGlobalID sent.
fn global_id_requests(r: &Run) -> Vec<(u64, u32)> {
    r.trace
        .iter()
        .filter_map(|ev| match &ev.kind {
            EventKind::Send { from, msg, .. } if matches!(&**msg, Message::GlobalId(_)) => {
                Some((ev.at, u32::from(*from)))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn a_fresh_cluster_raises_max_global_id_right_after_auths_first_version_authmonitor_on_active() {
    // Measured: auth's first version (create_initial, max_global_id 4096)
    // with the other services' first versions (v3), then at once
    // "increasing max_global_id to 14096" (on_active: 4096 <
    // mon_globalid_prealloc), its own paxos version (v5) right after the
    // first log lines' (v4); nothing more while idle.
    let r = sim("mons a b c\nseed 6\nat 60s expect quorum a b c\n");
    assert_eq!(failed(&r), Vec::<String>::new());
    let a = node(&r, "a");
    let auth = auth_versions(&r, a);
    assert_eq!(auth.len(), 2, "{auth:?}");
    assert_eq!(auth[0].2, "max_global_id 4096\n");
    assert_eq!(auth[1].2, "max_global_id 14096\n");
    assert_eq!((auth[0].1, auth[1].1), (3, 5), "{auth:?}");
    assert!(auth[1].0 < SEC, "at the start-up: {auth:?}");
    assert!(global_id_requests(&r).is_empty());
}

#[test]
fn a_restarted_peon_asks_the_leader_for_more_global_ids_at_its_first_tick_authmonitor_tick() {
    // Measured (recent-sync, c revived at 40 s): c's last_allocated_id
    // starts at max_global_id, so its first tick as a peon sends
    // MMonGlobalID ("tick requesting more ids from leader"); the leader's
    // prepare_global_id commits one auth version (v16 at 45.1 s), and c
    // stops asking once it has it.
    let r = sim("mons a b c\nseed 6\nat 20s kill c\nat 40s revive c\nat 90s expect quorum a b c\n");
    assert_eq!(failed(&r), Vec::<String>::new());
    let (a, c) = (node(&r, "a"), node(&r, "c"));
    let asked = global_id_requests(&r);
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(asked[0].1, c);
    assert!(asked[0].0 > 40 * SEC && asked[0].0 <= 46 * SEC, "{asked:?}");
    let auth = auth_versions(&r, a);
    assert_eq!(auth.len(), 3, "{auth:?}");
    assert_eq!(auth[2].2, "max_global_id 24096\n");
    assert!(auth[2].0 > asked[0].0 && auth[2].0 < asked[0].0 + SEC);
    // c commits it too: its paxos version is the leader's.
    let on_c = auth_versions(&r, c);
    assert_eq!(on_c.last().map(|v| v.1), Some(auth[2].1));
}

#[test]
fn a_restarted_monitor_that_wins_raises_max_global_id_itself_authmonitor_on_active() {
    // The leader killed and revived: a wins again, and its AuthMonitor,
    // starting at max_global_id, increases it in on_active (no
    // MMonGlobalID: the leader proposes its own increase).
    let r = sim("mons a b c\nseed 6\nat 40s kill a\nat 100s revive a\nat 130s expect leader a\n");
    assert_eq!(failed(&r), Vec::<String>::new());
    let a = node(&r, "a");
    let auth = auth_versions(&r, a);
    let last = auth.last().unwrap();
    assert!(last.0 > 100 * SEC, "{auth:?}");
    assert_eq!(last.2, "max_global_id 24096\n");
    assert!(global_id_requests(&r).is_empty());
}

#[test]
fn a_monitor_that_learns_several_auth_versions_at_once_asks_for_more_ids_authmonitor_update_from_paxos(
) {
    // update_from_paxos walks every new auth increment and only then sets
    // an unset last_allocated_id to max_global_id: a monitor that joins
    // after auth's first two versions (here c, in the start-up's third
    // round) starts at 14096 and asks at its next tick, as a restarted one
    // does (ceph-mon 16.2.15: five-mons-start's late e, "tick requesting
    // more ids from leader").
    let r = sim("mons a b c\nseed 7\nend 12s\n");
    let (a, c) = (node(&r, "a"), node(&r, "c"));
    assert_eq!(global_id_requests(&r), vec![(10 * SEC, c)]);
    let auth = auth_versions(&r, a);
    assert_eq!(
        auth.last().map(|v| v.2.as_str()),
        Some("max_global_id 24096\n")
    );
}
