//! Whole-cluster fidelity tests: scenarios run through the simulator, and the
//! trace is checked against what Ceph's monitors do (reference §1–§3).

mod common;

use monscope_core::mon::messages::{Message, PaxosOp};
use monscope_core::mon::status::MonState;
use monscope_core::mon::store::StoreOp;
use monscope_core::scenario::{library, parse};
use monscope_core::sim::run::{run_until, Run};
use monscope_core::sim::{run, Sim};
use monscope_core::time::{Time, MS, SEC};
use monscope_core::trace::{Event, EventKind};

fn sim(text: &str) -> Run {
    run(&parse(text).unwrap_or_else(|e| panic!("{e}")))
}

fn node(r: &Run, name: &str) -> u32 {
    r.nodes.iter().position(|n| n == name).unwrap() as u32
}

/// Times at which `name` entered `state`.
fn entered(r: &Run, name: &str, state: MonState) -> Vec<Time> {
    let id = node(r, name);
    let mut prev = MonState::Down;
    let mut v = Vec::new();
    for ev in &r.trace {
        if let EventKind::Status { node, status } = &ev.kind {
            if *node == id {
                if status.state == state && prev != state {
                    v.push(ev.at);
                }
                prev = status.state;
            }
        }
    }
    v
}

/// The sends of a decoded trace (`r.trace.to_vec()`).
fn sends(trace: &[Event]) -> impl Iterator<Item = (&Event, u32, u32, &Message)> {
    trace.iter().filter_map(|ev| match &ev.kind {
        EventKind::Send { from, to, msg, .. } => Some((ev, (*from).into(), (*to).into(), &**msg)),
        _ => None,
    })
}

#[test]
fn five_monitors_all_up_rank_0_wins_with_every_ack_at_epoch_2_and_again_at_4_after_the_first_commit(
) {
    // A fixed latency makes every monitor finish probing at the same instant,
    // so all are electing when the proposals arrive (reference §2.9). The
    // first quorum's commit of monmap epoch 1 sends everyone back to
    // bootstrap, and the same election repeats two epochs up (§8, creation).
    let r = run_until(
        &parse("mons a b c d e\nlatency 5ms\nend 1s\n").unwrap(),
        300 * MS,
    );
    let a = r.state.status(0);
    assert_eq!(a.state, MonState::Leader);
    assert_eq!(a.election_epoch, 4);
    assert_eq!(*a.quorum, ["a", "b", "c", "d", "e"]);
    // No election timeout was needed: both victories came well before 5s.
    let led = entered(&r, "a", MonState::Leader);
    assert_eq!(led.len(), 2, "{led:?}");
    assert!(led[1] < 200 * MS, "{led:?}");
}

#[test]
fn a_fresh_quorum_of_rank_0_collects_with_pn_100_and_commits_version_1() {
    let r = sim("mons a b c\nend 3s\n");
    let collect = sends(&r.trace.to_vec())
        .find_map(|(_, _, _, m)| match m {
            Message::Paxos(p) if p.op == PaxosOp::Collect => Some(p.pn),
            _ => None,
        })
        .expect("a COLLECT");
    assert_eq!(collect, 100);
    for i in 0..3 {
        assert!(r.state.status(i).paxos.last_committed >= 1);
        assert_eq!(r.state.status(i).accepted_pn, 100);
    }
}

#[test]
fn leases_renew_every_3s() {
    let r = sim("mons a b c\nlatency 5ms\nend 20s\n");
    let leases: Vec<Time> = sends(&r.trace.to_vec())
        .filter(|(_, from, to, m)| {
            *from == 0 && *to == 1 && matches!(m, Message::Paxos(p) if p.op == PaxosOp::Lease)
        })
        .map(|(ev, ..)| ev.at)
        .collect();
    // After the start-up commits (monmap's, then kv's create_initial), each
    // followed by a lease, the leader renews the lease every 3s.
    let last_commit = r
        .trace
        .iter()
        .filter(|ev| matches!(ev.kind, EventKind::Commit { node: 0, .. }))
        .map(|ev| ev.at)
        .max()
        .unwrap();
    let renewals: Vec<Time> = leases.into_iter().filter(|t| *t >= last_commit).collect();
    assert!(renewals.len() >= 5, "{renewals:?}");
    for w in renewals.windows(2) {
        assert_eq!(w[1] - w[0], 3 * SEC, "{renewals:?}");
    }
}

#[test]
fn a_peon_that_hears_no_lease_for_10s_bootstraps() {
    let r = sim("mons a b c\nat 20s kill a\nend 40s\n");
    let b = node(&r, "b");
    let last_lease = r
        .trace
        .iter()
        .filter(|ev| ev.at <= 20 * SEC)
        .filter_map(|ev| match &ev.kind {
            EventKind::Send {
                to, arrive_at, msg, ..
            } => match &**msg {
                Message::Paxos(p) if u32::from(*to) == b && p.op == PaxosOp::Lease => {
                    Some(*arrive_at)
                }
                _ => None,
            },
            _ => None,
        })
        .max()
        .unwrap();
    let probing = entered(&r, "b", MonState::Probing);
    let after: Vec<_> = probing.iter().filter(|t| **t > 20 * SEC).collect();
    assert_eq!(*after[0], last_lease + 10 * SEC);
}

#[test]
fn leader_failover_raises_the_epoch_by_2_and_the_new_leader_outbids_with_pn_301() {
    // a led the creation quorum (pn 100, epoch 2) and the one after the
    // monmap's first commit (pn 200, epoch 4); b's first pn is 301 (§3.5).
    let r = sim("mons a b c\nlatency 5ms\nat 20s kill a\nend 60s\n");
    let b = r.state.status(1);
    assert_eq!(b.state, MonState::Leader);
    assert_eq!(*b.quorum, ["b", "c"]);
    assert_eq!(b.election_epoch, 6);
    assert_eq!(b.accepted_pn, 301);
    // b had 2 of 3 acks, so it waited the full 5s election timeout.
    let electing = *entered(&r, "b", MonState::Electing).last().unwrap();
    let leading = entered(&r, "b", MonState::Leader)[0];
    assert!(leading - electing >= 5 * SEC, "{electing} {leading}");
}

#[test]
fn a_monitor_still_probing_misses_the_proposal_and_the_leader_waits_the_election_timeout() {
    // Election messages are dropped while probing (§1.8): with uneven
    // latencies b is still probing when a proposes, so a has 4 of 5 acks.
    let r = sim("mons a b c d e\nseed 1\nend 20s\n");
    let won = entered(&r, "a", MonState::Leader)[0];
    assert!((5 * SEC..6 * SEC).contains(&won), "{won}");
    let b = r.state.status(1);
    assert_eq!(*b.quorum, ["a", "b", "c", "d", "e"]);
    assert!(b.election_epoch >= 4);
}

#[test]
fn a_commit_waits_for_every_quorum_members_accept() {
    // c's ACCEPTs cannot reach a: a has a majority of accepts but must not commit.
    let r = sim("mons a b c\nat 10s cut c -> a\nat 10s write k v\nend 30s\n");
    let a = node(&r, "a");
    let commits_before_bootstrap = r
        .trace
        .iter()
        .filter(|ev| ev.at > 10 * SEC && ev.at < 19 * SEC)
        .any(|ev| matches!(ev.kind, EventKind::Commit { node, .. } if node == a));
    assert!(!commits_before_bootstrap);
    // Leases stop while the proposal is in flight (§3.7), so the peons' lease
    // timeout, 10s after the last lease, ends this quorum before the leader's
    // 10s accept timeout would.
    let b_probing = entered(&r, "b", MonState::Probing);
    let b_lost = *b_probing.iter().find(|t| **t > 10 * SEC).unwrap();
    assert!((17 * SEC..20 * SEC).contains(&b_lost), "{b_probing:?}");
    assert!(
        r.state.status(0).paxos.last_committed >= 2,
        "the write commits after re-election"
    );
}

#[test]
fn same_scenario_same_digest_and_a_seed_changes_the_run() {
    for (stem, text) in library::BUILTIN {
        let s = parse(text).unwrap();
        assert_eq!(run(&s).digest(), run(&s).digest(), "{stem}");
    }
    let a = sim("mons a b c\nseed 1\nloss 5%\nend 20s\n").digest();
    let b = sim("mons a b c\nseed 2\nloss 5%\nend 20s\n").digest();
    assert_ne!(a, b);
}

#[test]
fn stepping_and_running_reach_the_same_trace() {
    let s = parse(library::get("leader-failover").unwrap()).unwrap();
    let mut stepped = Sim::new(&s);
    while stepped.step() {}
    assert_eq!(stepped.trace(), run(&s).trace.to_vec());
}

#[test]
fn every_builtin_scenario_meets_its_expectations() {
    for (stem, text) in library::BUILTIN {
        let r = run(&parse(text).unwrap());
        let failed = common::failed(&r);
        assert!(failed.is_empty(), "{stem}: {failed:#?}");
        assert!(r.state.violations().is_empty(), "{stem}");
    }
}

/// The trace shows each monitor's status as its admin socket would give it
/// at every moment: after any input, the status last recorded for a running
/// monitor is the one it reports (the simulator writes a status only when
/// something it reads may have changed, so a change it missed shows here).
#[test]
fn every_recorded_status_is_the_running_monitors_own() {
    for (stem, text) in library::BUILTIN {
        let mut sim = Sim::new(&parse(text).unwrap());
        let nodes = sim.node_names().len() as u32;
        while sim.step() {
            for n in 0..nodes {
                if let Some(m) = sim.monitor(n) {
                    assert_eq!(
                        *sim.state().status(n),
                        m.status(),
                        "{stem}: mon {n} at {}",
                        sim.now()
                    );
                }
            }
        }
    }
}

/// A player drains the trace as it goes and keeps trace-less clones as
/// snapshots: resuming a snapshot gives the same events as one straight run.
#[test]
fn take_trace_and_snapshots_give_the_straight_run() {
    let text = monscope_core::scenario::library::get("leader-failover").unwrap();
    let scenario = monscope_core::scenario::parse(text).unwrap();
    let straight = monscope_core::sim::run(&scenario).trace.to_vec();
    let mut sim = monscope_core::sim::Sim::new(&scenario);
    let mut trace = Vec::new();
    let mut snaps = Vec::new();
    let mut t = 0;
    while t <= scenario.end {
        sim.run_until(t);
        trace.extend(sim.take_trace());
        assert!(sim.trace().is_empty());
        snaps.push((t, sim.clone()));
        t += 5_000_000;
    }
    sim.run_until(scenario.end);
    trace.extend(sim.take_trace());
    assert_eq!(trace, straight);
    // Resume from a middle snapshot: the events after it are the straight run's.
    let (at, snap) = &snaps[snaps.len() / 2];
    let mut resumed = snap.clone();
    resumed.run_until(scenario.end);
    let after: Vec<_> = straight.iter().filter(|e| e.at > *at).cloned().collect();
    assert_eq!(resumed.take_trace(), after);
}

/// A copy of the simulator starts with nothing pending and no decoded value
/// remembered (sim/outbox.rs): resumed from a copy taken a third and two
/// thirds of the way, every built-in scenario gives the straight run's events.
#[test]
fn every_built_in_scenario_resumes_from_a_copy_as_the_straight_run() {
    for (stem, text) in monscope_core::scenario::library::BUILTIN {
        let scenario = monscope_core::scenario::parse(text).unwrap();
        let straight = monscope_core::sim::run(&scenario).trace.to_vec();
        let mut sim = monscope_core::sim::Sim::new(&scenario);
        for at in [scenario.end / 3, scenario.end / 3 * 2] {
            sim.run_until(at);
            sim.take_trace();
            let mut copy = sim.clone();
            copy.run_until(scenario.end);
            let after: Vec<_> = straight.iter().filter(|e| e.at > at).cloned().collect();
            assert!(copy.take_trace() == after, "{stem} resumed at {at} µs");
        }
    }
}

#[test]
fn a_write_that_waits_behind_a_new_monmap_is_dropped_by_the_bootstrap_and_committed_once() {
    // Paxos::commit_finish bootstraps inside do_refresh when the committed
    // value holds a new monmap: no LEASE, no finish_round, so the write pending
    // behind it is never begun; restart() discards it and the client's retry
    // commits it, once.
    let r = sim("mons a b c\nseed 3\nat 15s add d\nat 15.006s write k1 v1\nend 40s\n");
    let a = node(&r, "a");
    let commit_at = sends(&r.trace.to_vec())
        .find(|(ev, from, _, m)| {
            ev.at > 15 * SEC
                && *from == a
                && matches!(m, Message::Paxos(p) if p.op == PaxosOp::Commit)
        })
        .map(|(ev, ..)| ev.at)
        .expect("a COMMIT of the new monmap");
    let probing = *entered(&r, "a", MonState::Probing)
        .iter()
        .find(|t| **t >= commit_at)
        .unwrap();
    assert_eq!(probing, commit_at, "bootstrap in the refresh");
    let after_commit: Vec<PaxosOp> = sends(&r.trace.to_vec())
        .filter(|(ev, from, ..)| *from == a && ev.at == commit_at)
        .filter_map(|(_, _, _, m)| match m {
            Message::Paxos(p) => Some(p.op),
            _ => None,
        })
        .collect();
    assert_eq!(after_commit, vec![PaxosOp::Commit, PaxosOp::Commit]);
    // k1 reaches a's store exactly once
    let k1_puts = r
        .trace
        .iter()
        .filter(|ev| match &ev.kind {
            EventKind::Store { node, tx } => *node == a && tx.ops().any(|op| {
                matches!(op, StoreOp::Put { prefix, key, .. } if prefix == "mon_config_key" && key == "k1")
            }),
            _ => false,
        })
        .count();
    assert_eq!(k1_puts, 1);
}

#[test]
fn healthy_monitors_under_a_fixed_latency_never_declare_each_other_dead_and_score_n_minus_1() {
    // Under `latency 5ms` monitors begin pinging each other at the same
    // instant; Elector::handle_ping's rules keep every link live.
    let r = sim("mons a b c d e\nstrategy connectivity\nlatency 5ms\nend 120s\n");
    let dead: Vec<_> = r
        .trace
        .iter()
        .filter_map(|ev| match &ev.kind {
            EventKind::Log { text, .. } if text.text().contains("connection dead") => {
                Some(text.text().into_owned())
            }
            _ => None,
        })
        .collect();
    assert!(dead.is_empty(), "{dead:?}");
    for i in 0..5 {
        let st = r.state.status(i);
        assert_eq!(st.scores.len(), 5, "mon {i}");
        for (name, score) in &st.scores {
            assert!((score - 4.0).abs() < 1e-3, "mon {i} scores {name} {score}");
        }
    }
}
