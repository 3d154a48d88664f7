//! `monscope import` on real ceph-mon 16.2.15 logs (tests/fixtures/logs,
//! made by its make.sh): the leader, quorum and election epoch sequence it
//! reads from the logs is the one the same run's mon_status polling recorded
//! (status.jsonl), and every message arrow goes forward in time once the
//! clocks are corrected.

use monscope_core::import::{import, Import, LogFile};
use monscope_core::mon::status::{MonState, MonStatus};
use monscope_core::time::{Time, MS};
use monscope_core::trace::milestones::{milestones, Mark, Milestone};
use monscope_core::trace::{Event, EventKind};
use std::path::PathBuf;
use std::sync::Arc;

fn dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/logs")
        .join(name)
}

fn import_fixture(name: &str) -> Import {
    let files: Vec<(String, Vec<u8>)> = ["a", "b", "c"]
        .iter()
        .map(|m| {
            let p = dir(name).join(format!("mon.{m}.log"));
            (p.display().to_string(), std::fs::read(&p).unwrap())
        })
        .collect();
    let logs: Vec<LogFile> = files
        .iter()
        .map(|(n, b)| LogFile { name: n, bytes: b })
        .collect();
    import(&logs).unwrap()
}

/// The polled statuses of status.jsonl (`monscope real --json`) as events.
fn polled(name: &str) -> (Vec<String>, Vec<Event>, Time) {
    let text = std::fs::read_to_string(dir(name).join("status.jsonl")).unwrap();
    let mut lines = text.lines();
    let header: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    let nodes: Vec<String> = header["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .filter(|n| n != "client")
        .collect();
    let mut events = Vec::new();
    for l in lines {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        if v["type"] != "status" {
            continue;
        }
        let s = &v["status"];
        let mut st = MonStatus::down(s["rank"].as_i64().unwrap() as i32);
        st.state = match s["state"].as_str().unwrap() {
            "Probing" => MonState::Probing,
            "Synchronizing" => MonState::Synchronizing,
            "Electing" => MonState::Electing,
            "Leader" => MonState::Leader,
            "Peon" => MonState::Peon,
            _ => MonState::Down,
        };
        st.election_epoch = s["election_epoch"].as_u64().unwrap() as u32;
        st.leader = s["leader"].as_str().map(Into::into);
        st.health = s["health"]
            .as_array()
            .map(|h| {
                h.iter()
                    .filter_map(|c| c.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        st.quorum = s["quorum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q.as_str().unwrap().to_string())
            .collect();
        events.push(Event {
            at: v["at"].as_u64().unwrap(),
            kind: EventKind::Status {
                node: v["node"].as_u64().unwrap() as u32,
                status: Arc::new(st),
            },
        });
    }
    (nodes, events, header["end"].as_u64().unwrap())
}

/// Leader, quorum and epoch changes that held 250 ms (as `monscope compare`
/// counts them: a poll every 100 ms does not see shorter ones reliably).
fn quorum_marks(nodes: &[String], trace: &[Event], end: Time) -> Vec<Mark> {
    milestones(nodes, trace, end, 250 * MS)
        .into_iter()
        .filter(|m| matches!(m.what, Milestone::Quorum { .. }))
        .collect()
}

fn same_history_as_polled(name: &str) {
    let imp = import_fixture(name);
    let (nodes, polled, end) = polled(name);
    assert_eq!(imp.nodes, nodes);
    let from_logs = quorum_marks(&imp.nodes, &imp.trace, imp.end);
    let from_polls = quorum_marks(&nodes, &polled, end);
    let show = |ms: &[Mark]| -> Vec<String> {
        ms.iter()
            .map(|m| format!("{} {}", m.at / MS, m.what.describe()))
            .collect()
    };
    let values = |ms: &[Mark]| -> Vec<Milestone> { ms.iter().map(|m| m.what.clone()).collect() };
    assert_eq!(
        values(&from_logs),
        values(&from_polls),
        "logs: {:?}\npolls: {:?}",
        show(&from_logs),
        show(&from_polls)
    );
    // The two time lines differ by when the logs' first line was written
    // after the run began; from the first quorum on, within two polls.
    let (l0, p0) = (from_logs[0].at as i64, from_polls[0].at as i64);
    for (l, p) in from_logs.iter().zip(&from_polls) {
        let drift = ((l.at as i64 - l0) - (p.at as i64 - p0)).abs();
        assert!(
            drift <= 250_000,
            "{} at {} ms in the logs, {} ms polled",
            l.what.describe(),
            (l.at as i64 - l0) / 1000,
            (p.at as i64 - p0) / 1000
        );
    }
}

fn arrows_go_forward(name: &str) {
    let imp = import_fixture(name);
    let mut n = 0;
    for ev in &imp.trace {
        if let EventKind::Send { arrive_at, .. } = &ev.kind {
            assert!(ev.at <= *arrive_at, "{ev:?}");
            n += 1;
        }
    }
    assert_eq!(n, imp.messages.matched);
    // debug_ms 1 logs both ends of every message: nearly all match.
    let received = imp.messages.matched + imp.messages.unsent;
    assert!(
        imp.messages.matched * 100 >= received * 99,
        "{:?}",
        imp.messages
    );
}

#[test]
fn startup_gives_the_polled_leader_quorum_and_epochs() {
    same_history_as_polled("startup");
}

#[test]
fn failover_gives_the_polled_leader_quorum_and_epochs() {
    same_history_as_polled("failover");
}

#[test]
fn netsplit_gives_the_polled_leader_quorum_and_epochs() {
    same_history_as_polled("netsplit");
}

#[test]
fn sync_gives_the_polled_leader_quorum_and_epochs() {
    same_history_as_polled("sync");
}

#[test]
fn every_arrow_is_received_after_it_is_sent() {
    for name in ["startup", "failover", "netsplit", "sync"] {
        arrows_go_forward(name);
    }
}

/// The inferred scenario's timed statements ("kill a", ...) and whether the
/// simulator, running it, meets its expectations (the logs' final leader
/// and quorum).
fn inferred(name: &str) -> (Vec<String>, bool) {
    let text = monscope_core::import::scenario::infer(&import_fixture(name));
    let sc = monscope_core::scenario::parse(&text).unwrap_or_else(|e| panic!("{e:?}\n{text}"));
    let run = monscope_core::sim::run(&sc);
    let mut expects = 0;
    let all_pass = run.trace.iter().all(|ev| match &ev.kind {
        EventKind::Expect { pass, .. } => {
            expects += 1;
            *pass
        }
        _ => true,
    });
    assert_eq!(expects, 2, "{text}");
    let stmts = text
        .lines()
        .filter(|l| l.starts_with("at ") && !l.contains(" expect "))
        .map(|l| {
            l.split_once(' ')
                .unwrap()
                .1
                .split_once(' ')
                .unwrap()
                .1
                .to_string()
        })
        .collect();
    (stmts, all_pass)
}

#[test]
fn a_killed_and_revived_leader_is_inferred_and_replays() {
    let strs = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    // The fixtures' client writes are read too (their values are not logged).
    assert_eq!(
        inferred("failover"),
        (
            strs(&["write greeting imported", "kill a", "revive a"]),
            true
        )
    );
    assert_eq!(
        inferred("sync"),
        (
            strs(&[
                "kill c",
                "revive c",
                "write k0 imported",
                "write k1 imported",
                "write k2 imported"
            ]),
            true
        )
    );
}

#[test]
fn a_cut_link_is_inferred_from_held_messages_and_replays() {
    assert_eq!(
        inferred("netsplit"),
        (vec!["cut a b".into(), "restore a b".into()], true)
    );
}

#[test]
fn a_clean_start_infers_no_fault() {
    assert_eq!(inferred("startup"), (vec![], true));
}

#[test]
fn a_clock_a_minute_behind_is_estimated_and_corrected() {
    // mon.b's stamps rewritten from +0000 to +0001: the same wall times
    // read one minute earlier, as from a host whose clock is 60 s behind.
    let d = dir("failover");
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for m in ["a", "b", "c"] {
        let mut text = std::fs::read_to_string(d.join(format!("mon.{m}.log"))).unwrap();
        if m == "b" {
            // Only the stamp: a message's text may carry a time too.
            text = text
                .lines()
                .map(|l| l.replacen("+0000 ", "+0001 ", 1) + "\n")
                .collect();
        }
        files.push((format!("mon.{m}.log"), text.into_bytes()));
    }
    let logs: Vec<LogFile> = files
        .iter()
        .map(|(n, b)| LogFile { name: n, bytes: b })
        .collect();
    let skewed = import(&logs).unwrap();
    let b = &skewed.mons[1];
    assert!(
        (b.offset_us + 60_000_000).abs() <= 2_000,
        "offset {} µs",
        b.offset_us
    );
    let plain = import_fixture("failover");
    assert_eq!(
        quorum_marks(&skewed.nodes, &skewed.trace, skewed.end)
            .into_iter()
            .map(|m| m.what)
            .collect::<Vec<_>>(),
        quorum_marks(&plain.nodes, &plain.trace, plain.end)
            .into_iter()
            .map(|m| m.what)
            .collect::<Vec<_>>()
    );
    assert_eq!(skewed.messages.matched, plain.messages.matched);
    // The scenario replays it with b's clock a minute behind.
    let text = monscope_core::import::scenario::infer(&skewed);
    assert!(text.contains("\nat 0s skew b -1m\n"), "{text}");
    monscope_core::scenario::parse(&text).unwrap();
}

/// The health milestones (changes of the one leader's checks that held 250 ms).
fn health_marks(nodes: &[String], trace: &[Event], end: Time) -> Vec<(Time, String)> {
    milestones(nodes, trace, end, 250 * MS)
        .into_iter()
        .filter(|m| matches!(m.what, Milestone::Health(_)))
        .map(|m| (m.at, m.what.describe()))
        .collect()
}

#[test]
fn health_checks_are_the_polled_ones() {
    for name in ["startup", "failover", "sync"] {
        let imp = import_fixture(name);
        let (nodes, polled, end) = polled(name);
        let text = |v: Vec<(Time, String)>| v.into_iter().map(|m| m.1).collect::<Vec<_>>();
        assert_eq!(
            text(health_marks(&imp.nodes, &imp.trace, imp.end)),
            text(health_marks(&nodes, &polled, end)),
            "{name}"
        );
    }
}

/// HealthMonitor::check_for_mon_down: MON_DOWN only once the monmap is
/// mon_down_mkfs_grace (60 s) old. In the netsplit the storm ends after it:
/// b leads b c for 0.6 s with MON_DOWN before a wins with all three, which
/// the runner's health poll (once a second) did not catch and the logs do.
#[test]
fn mon_down_is_raised_only_after_mon_down_mkfs_grace() {
    let imp = import_fixture("netsplit");
    let marks = health_marks(&imp.nodes, &imp.trace, imp.end);
    let texts: Vec<&str> = marks.iter().map(|m| m.1.as_str()).collect();
    assert_eq!(texts, ["health MON_DOWN", "health ok"]);
    assert!(marks[0].0 > 60 * 1_000_000, "{marks:?}");
}
