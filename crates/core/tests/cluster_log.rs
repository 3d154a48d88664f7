//! The cluster log and health services (issue 12): what Pacific's
//! LogMonitor, HealthMonitor and Monitor::update_mon_metadata commit, as
//! measured on ceph-mon 16.2.15 with nothing polling the monitors (three
//! monitors, two writes, the leader killed and revived; README "The
//! cluster log and health services"). Each paxos version they add is one a
//! user sees in `expect version`, the inspector and the store.

mod common;

use common::failed;
use monscope_core::mon::store::StoreOp;
use monscope_core::scenario::parse;
use monscope_core::sim::run;
use monscope_core::sim::run::Run;
use monscope_core::time::{MS, SEC};
use monscope_core::trace::EventKind;

fn sim(text: &str) -> Run {
    run(&parse(text).unwrap_or_else(|e| panic!("{e}")))
}

fn node(r: &Run, name: &str) -> u32 {
    r.nodes.iter().position(|n| n == name).unwrap() as u32
}

/// (time, keys put) of each store transaction of `who` that writes a paxos
/// version (its "paxos/<v>" put is the commit), with the prefixes/keys of
/// the services the version changed.
fn versions(r: &Run, who: u32) -> Vec<(u64, Vec<String>)> {
    r.trace
        .iter()
        .filter_map(|ev| match &ev.kind {
            EventKind::Store { node, tx } if *node == who => {
                let keys: Vec<String> = tx
                    .ops()
                    .filter_map(|op| match op {
                        StoreOp::Put { prefix, key, .. } => {
                            Some(format!("{prefix}/{}", key.as_str()))
                        }
                        _ => None,
                    })
                    .collect();
                keys.iter()
                    .any(|k| k == "paxos/last_committed")
                    .then_some((ev.at, keys))
            }
            _ => None,
        })
        .collect()
}

/// The time of `who`'s first committed version that puts `key` after `from`.
fn first_put(r: &Run, who: u32, key: &str, from: u64) -> Option<u64> {
    versions(r, who)
        .into_iter()
        .find(|(at, keys)| *at >= from && keys.iter().any(|k| k == key))
        .map(|(at, _)| at)
}

/// Each logm version `who` committed, as its text.
fn versions_text(r: &Run, who: u32) -> Vec<String> {
    let mut out = Vec::new();
    for ev in &r.trace {
        if let EventKind::Store { node, tx } = &ev.kind {
            if *node != who {
                continue;
            }
            for op in tx.ops() {
                if let StoreOp::Put { prefix, key, value } = op {
                    if prefix == "logm" && key.as_str().chars().all(|c| c.is_ascii_digit()) {
                        out.push(String::from_utf8_lossy(value.as_slice()).into_owned());
                    }
                }
            }
        }
    }
    out
}

/// The text of every logm version `who` committed.
fn log_text(r: &Run, who: u32) -> String {
    versions_text(r, who).concat()
}

const FAILOVER: &str =
    "mons a b c\nseed 7\nat 20s write k1 v1\nat 40s kill a\nat 80s expect leader b\nend 80s\n";

#[test]
fn a_new_leader_commits_its_metadata_then_its_log_lines_50ms_later_monitor_update_mon_metadata_and_logmonitor_prepare_log(
) {
    // Measured: b won at 52.57 s; v13 (metadata, 2137 bytes) right after
    // its recovery, v14 (logm: "mon.b calling monitor election", "mon.b is
    // new leader, mons b,c in quorum (ranks 1,2)", "monmap e1", "overall
    // HEALTH_OK") 50 ms later: the lines waited for LogMonitor to be
    // writeable and were prepared before the metadata was proposed, with
    // the last commit long past (should_propose: paxos_min_wait).
    let r = sim(FAILOVER);
    assert_eq!(failed(&r), Vec::<String>::new());
    let b = node(&r, "b");
    let won = r
        .trace
        .iter()
        .find_map(|ev| match &ev.kind {
            EventKind::Log { node, text }
                if *node == b && text.text().starts_with("won election") =>
            {
                Some(ev.at)
            }
            _ => None,
        })
        .unwrap();
    let meta = first_put(&r, b, "monitor_store/last_metadata", won).unwrap();
    let logm = first_put(&r, b, "logm/last_committed", won).unwrap();
    assert!(
        meta - won < 100 * MS,
        "metadata {} ms after the win",
        (meta - won) / MS
    );
    // The timer (paxos_min_wait, 50 ms) runs from the lines' prepare,
    // just before the metadata's proposal, so here the metadata's round
    // trip (5-20 ms in this seeded net, about 0 on loopback) is inside it.
    let gap = logm - meta;
    assert!(
        (25 * MS..=70 * MS).contains(&gap),
        "log lines {} ms after the metadata",
        gap / MS
    );
    let text = log_text(&r, b);
    for line in [
        "mon.b calling monitor election",
        "mon.b is new leader, mons b,c in quorum (ranks 1,2)",
        "monmap e1: 3 mons",
        "overall HEALTH_OK",
    ] {
        assert!(text.contains(line), "{line:?} not in b's log:\n{text}");
    }
}

#[test]
fn a_writes_audit_line_commits_one_propose_interval_after_it_paxosservice_should_propose() {
    // Measured: `config-key set` committed in v9 at 15.825 s, its audit
    // line ("... cmd=[{prefix=config-key set, key=k1}]: finished", logged
    // at the reply) in v10 at 16.829 s: prepared right after a commit,
    // should_propose waits out paxos_propose_interval (1 s).
    let r = sim(FAILOVER);
    let a = node(&r, "a");
    let kv = first_put(&r, a, "mon_config_key/k1", 20 * SEC).unwrap();
    let logm = first_put(&r, a, "logm/last_committed", kv).unwrap();
    let gap = logm - kv;
    assert!(
        (950 * MS..=1050 * MS).contains(&gap),
        "audit line {} ms after the write",
        gap / MS
    );
    assert!(log_text(&r, a).contains("config-key set"));
}

#[test]
fn mon_down_is_committed_at_the_leaders_tick_and_logged_50ms_later_healthmonitor_tick() {
    // Measured: HealthMonitor::tick on the leader raised MON_DOWN at its
    // first tick past mon_down_mkfs_grace (v15, "health"); encode_pending
    // logged "Health check failed: 1/3 mons down, quorum b,c (MON_DOWN)",
    // committed 52 ms later (v16, "logm"). `ceph health` reports the
    // committed checks, so the health check shows from v15 on.
    let r = sim(FAILOVER);
    let b = node(&r, "b");
    let health = first_put(&r, b, "health/leader", 60 * SEC).unwrap();
    // b's ticks come every mon_tick_interval (5 s) from its start at 0 s:
    // the one at 60 s is the first past the grace (monmaptool created the
    // monmap before they started).
    assert!(
        (60 * SEC..60 * SEC + 100 * MS).contains(&health),
        "MON_DOWN at {health}"
    );
    let logm = first_put(&r, b, "logm/last_committed", health).unwrap();
    assert!(
        logm - health <= 70 * MS,
        "logged {} ms later",
        (logm - health) / MS
    );
    assert!(log_text(&r, b).contains("Health check failed: 1/3 mons down, quorum b,c (MON_DOWN)"));
    let text = "mons a b c\nseed 7\nat 40s kill a\nat 59s expect health ok\nat 61s expect health MON_DOWN\n";
    assert_eq!(failed(&sim(text)), Vec::<String>::new());
}

#[test]
fn mon_down_waits_until_the_monmap_is_older_than_the_grace_not_as_old_healthmonitor_check_for_mon_down(
) {
    // Pacific: `now > monmap.created + mon_down_mkfs_grace`, strictly. The
    // monmap is a second older than the scenario (monmaptool, then mkfs),
    // so with a grace of 61 s the leader's tick at 60 s finds it exactly
    // as old as the grace: not yet; the tick at 65 s raises it.
    let text = "mons a b c\nseed 7\nset mon_down_mkfs_grace 61s\nat 40s kill a\nat 64s expect health ok\nat 66s expect health MON_DOWN\n";
    let r = sim(text);
    assert_eq!(failed(&r), Vec::<String>::new());
    let b = node(&r, "b");
    let health = first_put(&r, b, "health/leader", 60 * SEC).unwrap();
    assert!(
        (65 * SEC..65 * SEC + 100 * MS).contains(&health),
        "MON_DOWN at {health}"
    );
    // One microsecond less of grace and the tick at 60 s raises it.
    let earlier = sim(&text
        .replace("61s", "60.999999s")
        .replace("at 64s expect health ok\n", ""));
    let health = first_put(&earlier, node(&earlier, "b"), "health/leader", 60 * SEC).unwrap();
    assert!(health < 60 * SEC + 100 * MS, "MON_DOWN at {health}");
}

#[test]
fn a_revived_monitor_clears_mon_down_through_a_health_commit_healthmonitor_check_leader_health() {
    // Measured: a revived and won; v19 (its metadata), v20 ("health":
    // "Health check cleared: MON_DOWN (was: 1/3 mons down, quorum b,c)",
    // "Cluster is now healthy"), v21 (logm) 50 ms later.
    let text = "mons a b c\nseed 7\nat 40s kill a\nat 100s revive a\nat 130s expect health ok\nat 130s expect quorum a b c\n";
    let r = sim(text);
    assert_eq!(failed(&r), Vec::<String>::new());
    let a = node(&r, "a");
    let cleared = first_put(&r, a, "health/leader", 100 * SEC).unwrap();
    assert!(cleared < 101 * SEC, "cleared at {cleared}");
    let log = log_text(&r, a);
    assert!(
        log.contains("Health check cleared: MON_DOWN (was: 1/3 mons down, quorum b,c)"),
        "{log}"
    );
    assert!(log.contains("Cluster is now healthy"));
}

#[test]
fn a_fresh_cluster_commits_the_services_first_versions_and_its_first_log_lines_paxosservice_create_initial(
) {
    // Measured on a fresh three-monitor cluster: v1 the monmap (and the
    // leader's metadata), then after the bootstrap it causes, every
    // service's first version (lc 0: PaxosService::_active proposes at
    // once). The first to propose is MDSMonitor (PAXOS_MDSMAP), so v2 holds
    // the metadata and the FSMap alone; v3 every other service's first
    // version (monscope has osdmap, logm, auth, health and kv of them; mgr,
    // mgrstat and config are not modelled); v4 the first log lines (logm
    // is new: should_propose 0); v5 auth's increase (tests/auth_service.rs).
    let r = sim("mons a b c\nseed 7\nat 10s expect version a = 7\nend 10s\n");
    assert_eq!(failed(&r), Vec::<String>::new());
    let a = node(&r, "a");
    let v = versions(&r, a);
    let has = |i: usize, key: &str| v[i].1.iter().any(|k| k == key);
    assert!(has(0, "monmap/1"), "{:?}", v[0].1);
    assert!(has(1, "monitor_store/last_metadata"), "{:?}", v[1].1);
    assert!(has(1, "mdsmap/1"), "{:?}", v[1].1);
    assert!(!has(1, "logm/first_committed"), "{:?}", v[1].1);
    for key in [
        "osdmap/1",
        "logm/first_committed",
        "auth/first_committed",
        "health/first_committed",
        "kv/first_committed",
    ] {
        assert!(has(2, key), "{key} not in v3: {:?}", v[2].1);
    }
    assert!(has(3, "logm/2"), "the first log lines: {:?}", v[3].1);
    assert!(has(4, "auth/2"), "auth's increase: {:?}", v[4].1);
}

#[test]
fn a_peons_own_log_lines_reach_the_leaders_log_once_in_time_order_monitor_forward_request_leader() {
    // Measured: b's "mon.b calling monitor election" lines (seq 1 and 2,
    // written while it probed and elected) reached the leader as "log(1
    // entries from seq 1 ...) from mon.1" once b was a readable peon, and
    // the leader's next log version held them among its own, by time
    // (LogMonitor's pending_log is ordered by stamp). A forwarded line
    // whose version an election discarded is sent again to the next
    // leader (resend_routed_requests) and committed once.
    let r = sim(FAILOVER);
    assert_eq!(failed(&r), Vec::<String>::new());
    let b = node(&r, "b");
    let text = log_text(&r, b);
    for who in ["mon.b", "mon.c"] {
        let first = format!(" {who} 1 : cluster [INF] {who} calling monitor election\n");
        assert_eq!(text.matches(&first).count(), 1, "{first:?} in:\n{text}");
    }
    // b's lines as a peon of a, committed by a before b led.
    let a = node(&r, "a");
    assert!(log_text(&r, a).contains(" mon.b 2 : cluster [INF] mon.b calling monitor election"));
    // Each version's lines are in time order.
    for version in versions_text(&r, b) {
        let stamps: Vec<f64> = version
            .lines()
            .filter_map(|l| l.split(' ').next()?.parse().ok())
            .collect();
        assert!(stamps.windows(2).all(|w| w[0] <= w[1]), "{version}");
    }
}

#[test]
fn the_fsmap_is_committed_once_and_logged_by_each_new_leader_mdsmonitor_on_active() {
    // Measured: "fsmap " (an empty FSMap's summary, DBG) in the leader's
    // log lines after its first commit and at each later win, next to
    // "monmap e1"; MDSMonitor::tick, with no MDS daemon, proposes nothing,
    // so mdsmap stays at its first version through the failover.
    let r = sim(FAILOVER);
    assert_eq!(failed(&r), Vec::<String>::new());
    let (a, b) = (node(&r, "a"), node(&r, "b"));
    let fsmaps = |who| {
        versions(&r, who)
            .iter()
            .filter(|(_, keys)| keys.iter().any(|k| k.starts_with("mdsmap/")))
            .count()
    };
    assert_eq!(fsmaps(a), 1);
    assert_eq!(fsmaps(b), 1, "b commits the same version, and no other");
    let text = log_text(&r, b);
    // a's lines after its first commit (monmap, fsmap, osdmap, health) were
    // prepared for logm v3 and waited for the proposal timer when c's
    // election came at 6.1 s: the pending increment went with it
    // (PaxosService::restart, LogMonitor::create_pending clears
    // pending_log) and a monitor's LogClient never sends a line twice.
    assert_eq!(
        text.matches("cluster [DBG] fsmap \n").count(),
        2,
        "a's win of all three and b's win:\n{text}"
    );
    // OSDMonitor::on_active likewise: b's win logs the OSDMap after the FSMap.
    let won = text.find("mon.b is new leader").unwrap();
    let fsmap = won + text[won..].find("fsmap \n").unwrap();
    assert!(
        text[fsmap..].contains("cluster [DBG] osdmap e1: 0 total, 0 up, 0 in\n"),
        "{text}"
    );
}

#[test]
fn after_an_election_between_the_first_two_versions_the_osdmap_goes_alone_with_the_metadata_paxosservice_active(
) {
    // Measured (a start-up whose second quorum was followed by a third
    // before the services' first versions): v2 metadata and mdsmap, v3 the
    // new leader's metadata and osdmap, v4 logm, auth, health, kv and the
    // rest: OSDMonitor (PAXOS_OSDMAP) is the first service of the new
    // round whose version is still 0.
    let r = sim("mons a b c\nseed 4\nend 8s\n");
    let a = node(&r, "a");
    let v = versions(&r, a);
    let has = |i: usize, key: &str| v[i].1.iter().any(|k| k == key);
    let at = (0..v.len()).find(|&i| has(i, "osdmap/1")).unwrap();
    assert!(has(at - 1, "mdsmap/1"), "{:?}", &v[..at + 1]);
    assert!(has(at, "monitor_store/last_metadata"), "{:?}", v[at].1);
    assert!(!has(at, "logm/first_committed"), "{:?}", v[at].1);
    assert!(has(at + 1, "logm/first_committed"), "{:?}", v[at + 1].1);
}

#[test]
fn a_new_log_services_first_line_is_committed_alone_logclient_send_to_mon_and_paxosservice_should_propose(
) {
    // Every line a monitor logs is its own MLog (LogClient::queue →
    // _send_to_mon); while logm is new (lc <= 1) should_propose proposes
    // the first one prepared at once, and the others wait for that
    // proposal and go together 1 s later (paxos_propose_interval).
    // ceph-mon 16.2.15, three monitors started (realfid8, 14:00 UTC): logm
    // v2 held "mon.a calling monitor election" alone, v3 the other twelve
    // lines of the start-up, 1.0 s later.
    let r = sim("mons a b c\nlatency 5ms\nseed 1\nend 5s\n");
    assert_eq!(failed(&r), Vec::<String>::new());
    let leader = node(&r, "a");
    let logs = versions_text(&r, leader);
    assert!(logs.len() >= 3, "{logs:?}");
    assert_eq!(logs[1].lines().count(), 1, "{}", logs[1]);
    assert!(
        logs[1].contains("mon.a calling monitor election"),
        "{}",
        logs[1]
    );
    for line in [
        "is new leader",
        "monmap e1",
        "fsmap",
        "osdmap e1",
        "overall HEALTH_OK",
    ] {
        assert!(logs[2].contains(line), "{line} in v3:\n{}", logs[2]);
    }
    let at = |v: &str| first_put(&r, leader, &format!("logm/{v}"), 0).unwrap();
    let gap = at("3") - at("2");
    assert!(gap > 900 * MS && gap < 1_100 * MS, "{gap}");
}
