//! Fidelity tests for monmap changes (MonmapMonitor, §1.3, §1.5 step 2,
//! §2.2) and clock skew with timecheck (§1.10, §3.7–3.8), named after the
//! rule each checks; and the scenario errors of `add`, `remove`, `skew`.

use super::config::Config;
use super::messages::{ElectionOp, MMonElection, MMonProbe, Message, ProbeOp};
use super::monitor::{Input, Monitor};
use super::monmap::{MonInfo, MonMap, Strategy};
use super::out::Out;
use super::status::MonState;
use super::store::MonitorDBStore;
use super::Addr;
use crate::scenario::parse;
use crate::sim::run;
use crate::sim::Run;
use crate::time::SEC;
use crate::trace::EventKind;
use std::sync::Arc;

fn map(epoch: u32, names: &[&str]) -> Arc<MonMap> {
    Arc::new(MonMap {
        epoch,
        mons: names
            .iter()
            .enumerate()
            .map(|(i, n)| MonInfo {
                name: n.to_string(),
                addr: Addr(i as u32),
            })
            .collect(),
        strategy: Strategy::Classic,
        disallowed_leaders: Vec::new(),
    })
}

fn reply(from: &str, monmap: Arc<MonMap>, quorum: Vec<i32>) -> Message {
    Message::Probe(Box::new(MMonProbe {
        op: ProbeOp::Reply,
        name: from.into(),
        quorum,
        leader: 0,
        monmap,
        paxos_first_version: 1,
        paxos_last_version: 3,
        has_ever_joined: true,
    }))
}

/// Whether `node` logged a line containing `text`.
fn logged(r: &Run, node: u32, text: &str) -> bool {
    r.trace.iter().any(|e| {
        matches!(&e.kind, EventKind::Log { node: n, text: t } if *n == node && t.text().contains(text))
    })
}

/// Whether the client got an answer containing `text`.
fn replied(r: &Run, text: &str) -> bool {
    r.trace.iter().any(
        |e| matches!(&e.kind, EventKind::ClientReply { answer, .. } if answer.text.contains(text)),
    )
}

/// Which node answered request `tid`.
fn reply_from(r: &Run, tid: u64) -> Option<u32> {
    r.trace.iter().find_map(|e| match &e.kind {
        EventKind::ClientReply { tid: t, from, .. } if *t == tid => Some(*from),
        _ => None,
    })
}

const ADD_REMOVE: &str = "mons a b c\nseed 3\nat 15s add d\nat 70s remove b\nend 90s\n";

#[test]
fn add_commits_a_new_monmap_epoch_and_the_new_monitor_joins_the_quorum() {
    let sc = parse(ADD_REMOVE).unwrap();
    let r = crate::sim::run::run_until(&sc, 40 * SEC);
    let a = r.state.status(0);
    assert_eq!(a.monmap_epoch, 2);
    assert_eq!(*a.quorum, ["a", "b", "c", "d"]);
    let d = r.state.status(3);
    assert_eq!(d.state, MonState::Peon);
    assert_eq!(d.rank, 3);
    assert_eq!(d.monmap_epoch, 2);
    // every monitor bootstrapped on the commit of e2
    for node in 0..3 {
        assert!(
            logged(&r, node, "monmap e2 committed, bootstrap"),
            "node {node}"
        );
    }
    assert!(replied(&r, "mon add d: adding mon.d"));
}

#[test]
fn a_removed_monitor_that_learns_of_it_stops() {
    let r = run(&parse(ADD_REMOVE).unwrap());
    assert!(logged(&r, 1, "removed from monmap, suicide"));
    assert_eq!(r.state.status(1).state, MonState::Down);
    assert_eq!(*r.state.status(0).quorum, ["a", "c", "d"]);
    assert_eq!(r.state.status(0).monmap_epoch, 3);
}

#[test]
fn ranks_are_recomputed_after_remove() {
    let r = run(&parse(ADD_REMOVE).unwrap());
    assert_eq!(r.state.status(0).rank, 0);
    assert_eq!(r.state.status(2).rank, 1, "c moves from 2 to 1");
    assert_eq!(r.state.status(3).rank, 2, "d moves from 3 to 2");
    assert!(logged(&r, 2, "my rank is now 1 (was 2)"));
}

#[test]
fn a_probe_reply_with_a_newer_monmap_is_adopted_and_the_monitor_bootstraps() {
    let cfg = Arc::new(Config::default());
    // d started with e1, which does not list it.
    let mut d = Monitor::new(
        "d",
        Addr(3),
        map(1, &["a", "b", "c"]),
        cfg,
        MonitorDBStore::new(),
    );
    let mut out = Out::new();
    d.handle(0, Input::Boot, &mut out);
    assert_eq!(d.rank(), -1);
    out.clear();
    let newer = map(2, &["a", "b", "c", "d"]);
    d.handle(
        SEC,
        Input::Message {
            from: Addr(0),
            msg: reply("a", newer, vec![0, 1, 2]).into(),
        },
        &mut out,
    );
    assert_eq!(d.monmap().epoch, 2);
    assert_eq!(d.rank(), 3);
    assert_eq!(d.state(), MonState::Probing);
    // it bootstrapped: new probes went to a, b and c
    let probes = out
        .sends
        .iter()
        .filter(|(_, m)| matches!(m, Message::Probe(p) if p.op == ProbeOp::Probe))
        .count();
    assert_eq!(probes, 3);
}

#[test]
fn an_election_message_with_a_newer_monmap_is_adopted_persisted_and_bootstraps() {
    let cfg = Arc::new(Config::default());
    let e1 = map(1, &["a", "b", "c"]);
    let mut b = Monitor::new("b", Addr(1), e1.clone(), cfg, MonitorDBStore::new());
    let mut out = Out::new();
    b.handle(0, Input::Boot, &mut out);
    // a probe reply from c with no quorum: outside_quorum {b, c} is a majority
    let mut r = reply("c", e1.clone(), vec![]);
    if let Message::Probe(p) = &mut r {
        p.has_ever_joined = false;
    }
    b.handle(
        SEC,
        Input::Message {
            from: Addr(2),
            msg: r.into(),
        },
        &mut out,
    );
    assert_eq!(b.state(), MonState::Electing);
    out.clear();
    let e2 = map(2, &["a", "b", "c", "d"]);
    b.handle(
        2 * SEC,
        Input::Message {
            from: Addr(0),
            msg: Arc::new(Message::Election(Box::new(MMonElection {
                op: ElectionOp::Propose,
                epoch: 5,
                monmap: e2,
                quorum: Vec::new(),
                strategy: Strategy::Classic,
                scoring: None,
                sharing: None,
            }))),
        },
        &mut out,
    );
    assert_eq!(b.monmap().epoch, 2);
    assert_eq!(b.state(), MonState::Probing);
    assert_eq!(b.store().get_u64("monmap", "last_committed"), 2);
    assert!(b.store().exists("monmap", "2"));
    assert!(out.timers.iter().any(|t| matches!(
        t,
        crate::mon::out::TimerOp::Cancel {
            timer: crate::mon::out::Timer::ElectionExpire
        }
    )));
}

const SKEW: &str = "mons a b c\nlatency 5ms\nseed 2\nat 0s skew c 300ms\nat 20s skew c 6s\nat 22s write k v\nat 30s read k via c\nend 40s\n";

#[test]
fn skew_above_mon_clock_drift_allowed_raises_mon_clock_skew_on_the_leader() {
    let r = crate::sim::run::run_until(&parse(SKEW).unwrap(), 2 * SEC);
    let a = r.state.status(0);
    assert_eq!(a.state, MonState::Leader);
    assert_eq!(a.health, vec!["MON_CLOCK_SKEW"]);
    assert!(logged(&r, 0, "mon.c clock skew 285ms > max 50ms"));
    // a peon never reports health
    assert!(r.state.status(2).health.is_empty());
    // and a skew under the threshold raises nothing
    let calm = "mons a b c\nlatency 5ms\nat 0s skew c 30ms\nend 2s\n";
    let r = run(&parse(calm).unwrap());
    assert!(r.state.status(0).health.is_empty());
}

#[test]
fn a_lease_that_arrives_already_expired_makes_the_peon_refuse_reads() {
    let r = run(&parse(SKEW).unwrap());
    assert!(logged(&r, 2, "in the past; mons are probably laggy"));
    assert!(logged(&r, 2, "kv tid 2: waiting for paxos -> readable"));
    // c holds the read while its clock runs 6 s ahead, and the client does
    // not hunt: its session with c lives (MonClient hunts only when a
    // session fails).
    assert_eq!(reply_from(&r, 2), None);
    assert!(!(0..4).any(|n| logged(&r, n, "hunting")));
    assert_eq!(r.state.status(2).state, MonState::Peon);
}

#[test]
fn the_first_timecheck_round_runs_right_after_the_election() {
    let r = crate::sim::run::run_until(&parse(SKEW).unwrap(), SEC);
    assert!(logged(&r, 0, "timecheck: start round 1"));
}

fn err(text: &str) -> String {
    match parse(text) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_monmap_and_skew_input_are_scenario_errors_with_line_and_column() {
    let cases: &[(&str, &str)] = &[
        (
            "mons a b c\nat 1s add b\n",
            "line 2, column 11: cannot add \"b\": it is already a monitor (mons a b c)",
        ),
        (
            "mons a b c\nat 1s add d\nat 2s add d\n",
            "line 3, column 11: cannot add \"d\": it is already added on line 2",
        ),
        (
            "mons a b c\nat 1s remove x\n",
            "line 2, column 14: unknown monitor \"x\" (monitors are: a b c)",
        ),
        (
            "mons a b c\nat 1s remove b\nat 2s remove b\n",
            "line 3, column 14: cannot remove \"b\": it was already removed on line 2",
        ),
        (
            "mons a b c\nat 1s kill d\nat 2s add d\n",
            "line 2, column 12: cannot kill \"d\" is not a monitor yet: it is added on line 3",
        ),
        (
            "mons a b c\nat 1s remove b\nat 2s kill b\n",
            "line 3, column 12: cannot kill \"b\" was removed from the monmap on line 2",
        ),
        (
            "mons a b c\nat 1s wipe a\n",
            "line 2, column 12: cannot wipe \"a\": it is running; it must be killed first",
        ),
        (
            "mons a b c\nat 1s skew x 300ms\n",
            "line 2, column 12: unknown monitor \"x\" (monitors are: a b c)",
        ),
        (
            "mons a b c\nat 1s add all\n",
            "line 2, column 11: \"all\" is a keyword and cannot name a monitor",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(&err(text), want, "for:\n{text}");
    }
    // and the good ones parse
    assert!(
        parse("mons a b c\nat 1s add d\nat 5s kill d\nat 6s revive d\nat 9s remove d\n").is_ok()
    );
    assert!(parse("mons a b\nat 1s skew b -300ms\n").is_ok());
}
