//! Fidelity tests for the CONNECTIVITY strategy: the ConnectionTracker
//! (§2.6), pinging (§2.7) and the propose handler (§2.5).

use super::harness::{Cluster, State};
use super::{addr, monmap, msg, Solo};
use crate::mon::config::Config;
use crate::mon::elector::{ConnectionTracker, Elector, ElectorEffect, ElectorEnv};
use crate::mon::messages::{ElectionOp, MMonPing, Message, PingOp};
use crate::mon::monmap::{MonMap, Strategy};
use crate::mon::out::{Out, Timer, TimerOp};
use crate::mon::Rank;
use crate::time::{Time, SEC};
use std::sync::Arc;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

/// A tracker for `rank` in which every monitor of `n` reports every other alive.
fn all_live(rank: Rank, n: Rank) -> ConnectionTracker {
    let live = |r: Rank| {
        let mut t = ConnectionTracker::new(r, 100.0, 10);
        for p in 0..n {
            t.report_live_connection(p, 0.0);
        }
        t
    };
    let mut mine = live(rank);
    for r in (0..n).filter(|r| *r != rank) {
        mine.receive_peer_report(&live(r));
    }
    mine
}

/// Copy of `t` in which monitor `reporter` says `peer` is dead (a newer report).
fn with_dead(t: &ConnectionTracker, reporter: Rank, peer: Rank) -> ConnectionTracker {
    let mut r = ConnectionTracker::new(reporter, 100.0, 10);
    r.receive_peer_report(t);
    if let Some(rep) = t.peer_reports.get(&reporter) {
        r.my_reports = rep.clone();
        r.version = rep.epoch_version;
        r.epoch = rep.epoch;
    }
    r.report_dead_connection(peer, 1.0);
    let mut out = t.clone();
    out.receive_peer_report(&r);
    out
}

#[test]
fn a_dead_connection_lowers_a_score_by_units_over_two_half_lives() {
    let mut t = ConnectionTracker::new(0, 100.0, 10);
    t.report_live_connection(1, 0.0);
    assert!(
        close(t.my_reports.history[&1], 1.0),
        "a new peer starts at 1"
    );
    // p = p·(1 − 10/200) − 10/200
    t.report_dead_connection(1, 10.0);
    assert!(close(t.my_reports.history[&1], 0.9));
    assert!(!t.my_reports.current[&1]);
    t.report_dead_connection(1, 10.0);
    assert!(close(t.my_reports.history[&1], 0.9 * 0.95 - 0.05));
    // A dead report no longer counts toward the total score.
    assert_eq!(t.total_score(1), (0.0, 0));
    // Floor at 0.
    t.report_dead_connection(1, 1000.0);
    assert_eq!(t.my_reports.history[&1], 0.0);
    // Reports about myself or a negative rank are ignored.
    let v = t.version;
    t.report_dead_connection(0, 1.0);
    t.report_dead_connection(-1, 1.0);
    assert_eq!(t.version, v);
}

#[test]
fn a_live_report_raises_it_toward_1() {
    let mut t = ConnectionTracker::new(0, 100.0, 10);
    t.report_live_connection(1, 0.0);
    t.report_dead_connection(1, 10.0); // 0.9
    t.report_live_connection(1, 10.0);
    // p = p·(1 − 10/200) + 10/200
    assert!(close(t.my_reports.history[&1], 0.9 * 0.95 + 0.05));
    assert!(t.my_reports.current[&1]);
    let (s, live) = t.total_score(1);
    assert!(close(s, 0.9 * 0.95 + 0.05));
    assert_eq!(live, 1);
    for _ in 0..1000 {
        t.report_live_connection(1, 10.0);
    }
    let p = t.my_reports.history[&1];
    assert!(p <= 1.0 && p > 0.999_999, "capped at 1, got {p}");
}

#[test]
fn the_tracker_persists_every_persist_interval_versions() {
    let mut t = ConnectionTracker::new(0, 100.0, 3);
    let persists: Vec<bool> = (0..6).map(|_| t.report_live_connection(1, 1.0)).collect();
    assert_eq!(persists, [false, false, true, false, false, true]);
    // increase_epoch restarts the version count and publishes my report.
    t.increase_epoch(5);
    assert_eq!((t.epoch, t.version), (5, 0));
    assert_eq!(t.peer_reports[&0].epoch, 5);
    t.increase_epoch(3);
    assert_eq!(t.epoch, 5, "never backwards");
}

#[test]
fn peer_reports_merge_by_epoch_then_version() {
    let mut me = ConnectionTracker::new(0, 100.0, 10);
    let mut other = ConnectionTracker::new(1, 100.0, 10);
    other.increase_epoch(3);
    other.report_live_connection(2, 1.0); // epoch 3, version 1
    me.receive_peer_report(&other);
    assert_eq!(me.peer_reports[&1].epoch_version, 1);
    // The same epoch and an older version: kept.
    let mut older = ConnectionTracker::new(1, 100.0, 10);
    older.increase_epoch(3);
    older.report_dead_connection(2, 1.0);
    older.report_dead_connection(2, 1.0);
    let newer_version = older.clone();
    let mut stale = ConnectionTracker::new(1, 100.0, 10);
    stale.increase_epoch(3);
    me.receive_peer_report(&newer_version); // version 2 > 1: taken
    assert!(!me.peer_reports[&1].current[&2]);
    me.receive_peer_report(&other); // version 1 < 2: ignored
    assert!(!me.peer_reports[&1].current[&2]);
    me.receive_peer_report(&stale); // version 0: ignored
    assert_eq!(me.peer_reports[&1].epoch_version, 2);
    // A newer epoch wins even with a lower version.
    let mut next = ConnectionTracker::new(1, 100.0, 10);
    next.increase_epoch(5);
    me.receive_peer_report(&next);
    assert_eq!(me.peer_reports[&1].epoch, 5);
    // My own report is never replaced by someone else's copy of it.
    me.report_live_connection(1, 1.0);
    let mut forged = ConnectionTracker::new(0, 100.0, 10);
    forged.increase_epoch(99);
    let mut carrier = ConnectionTracker::new(2, 100.0, 10);
    carrier.receive_peer_report(&forged);
    me.receive_peer_report(&carrier);
    assert_eq!(me.peer_reports[&0].epoch, 0);
}

#[test]
fn the_total_score_sums_live_reports_from_others() {
    let t = all_live(0, 5);
    assert_eq!(t.total_score(3), (4.0, 4));
    let t = with_dead(&t, 1, 3);
    assert_eq!(t.total_score(3), (3.0, 3));
}

#[test]
fn the_tracker_encoding_round_trips_and_rejects_garbage() {
    let mut t = all_live(2, 5);
    t.report_dead_connection(4, 7.5);
    t.increase_epoch(9);
    let bytes = t.encode();
    let d = ConnectionTracker::decode(&bytes, 10).expect("decodes");
    assert_eq!(d.encode(), bytes);
    assert_eq!(d.my_reports, t.my_reports);
    assert_eq!(d.peer_reports, t.peer_reports);
    assert!(d.is_clean(2, 5));
    assert!(!d.is_clean(2, 4), "mentions rank 4");
    for cut in 0..bytes.len() {
        assert!(ConnectionTracker::decode(&bytes[..cut], 10).is_none());
    }
    assert!(ConnectionTracker::decode(&[0xff; 7], 10).is_none());
}

#[test]
fn a_monitor_loads_its_scores_from_the_store() {
    let t = with_dead(&all_live(2, 5), 2, 4);
    let mut el = Elector::new(2, &Config::default());
    el.load_tracker(2, Some(&t.encode()), 5);
    assert_eq!(el.tracker().peer_reports, t.peer_reports);
    // Not clean for this rank: start over.
    let mut el = Elector::new(2, &Config::default());
    el.load_tracker(3, Some(&t.encode()), 5);
    assert!(el.tracker().peer_reports.is_empty());
    assert_eq!(el.tracker().rank, 3);
}

// ---- the propose handler ----

fn conn_solo(rank: Rank, epoch: u32) -> Solo {
    let mut s = Solo::with_map(monmap(5, Strategy::Connectivity, &[]), rank, epoch);
    s.el.logic.epoch = epoch;
    s.el.logic.persisted_epoch = epoch;
    s.el.logic.peer_tracker = all_live(rank, 5);
    s
}

#[test]
fn a_peon_drops_an_out_of_quorum_proposal_when_it_would_not_change_its_vote() {
    // Peon 2 of leader 0, everyone scores 4; 3 was left out of the quorum.
    let mut s = conn_solo(2, 4);
    s.quorum = vec![0, 1, 2];
    s.el.logic.last_election_winner = 0;
    s.el.logic.last_voted_for = 0;
    let fx = s.propose(3, 5);
    assert!(fx.is_empty(), "{fx:?}");
    assert!(s.sent().is_empty());
    assert_eq!(s.el.epoch(), 4);
    // The leader itself never drops it: it bumps and, outscoring 3, runs.
    let mut l = conn_solo(0, 4);
    l.quorum = vec![0, 1, 2];
    l.el.logic.last_election_winner = 0;
    l.el.logic.last_voted_for = 0;
    let fx = l.propose(3, 5);
    assert!(fx.contains(&ElectorEffect::StartElection), "{fx:?}");
    // A peon whose vote would change by more than the margin honours it:
    // leader 0 is now reported dead by 1 and 4 (frozen at the last election).
    let mut p = conn_solo(2, 4);
    p.quorum = vec![0, 1, 2];
    p.el.logic.last_election_winner = 0;
    p.el.logic.last_voted_for = 0;
    let t = with_dead(&with_dead(&p.el.logic.peer_tracker, 1, 0), 4, 0);
    p.el.logic.stable_peer_tracker = Some(t);
    let fx = p.propose(3, 5);
    assert!(fx.contains(&ElectorEffect::JoinElection), "{fx:?}");
    assert_eq!(p.el.epoch(), 5);
}

#[test]
fn scores_are_frozen_for_the_election() {
    // Rank 1 starts an election with everyone scoring 4 (frozen copy).
    let mut s = conn_solo(1, 2);
    s.call();
    assert_eq!(s.el.epoch(), 3);
    // Then its live tracker learns that 3 and 4 lost rank 0.
    let live = with_dead(&with_dead(&s.el.logic.peer_tracker, 3, 0), 4, 0);
    s.el.logic.peer_tracker = live;
    // 0 proposes in this epoch: by the frozen scores 0 ties with me and has
    // the lower rank, so I defer, even though live scores say I am better.
    s.propose(0, 3);
    assert_eq!(s.sent(), vec![(0, ElectionOp::Ack, 3, vec![])]);
    assert_eq!(s.el.leader_acked(), 0);
    // A new epoch re-freezes: now 0 scores 2 against my 4 and I run again.
    s.el.logic.leader_acked = -1;
    let fx = s.propose(0, 5);
    assert!(fx.contains(&ElectorEffect::StartElection), "{fx:?}");
}

#[test]
fn a_proposal_carries_the_frozen_tracker_and_every_message_the_live_one() {
    let mut s = conn_solo(1, 2);
    s.call();
    let Message::Election(m) = &s.out.sends[0].1 else {
        panic!("not an election message");
    };
    assert_eq!(m.op, ElectionOp::Propose);
    assert!(m.scoring.is_some());
    assert_eq!(
        m.sharing.as_deref().map(|t| &t.peer_reports),
        s.el.logic
            .stable_peer_tracker
            .as_ref()
            .map(|t| &t.peer_reports)
    );
    // A peer's tracker arriving on any message is merged.
    let mut other = all_live(3, 5);
    other.increase_epoch(7);
    other.report_dead_connection(0, 1.0);
    let mut m = msg(&s.monmap, ElectionOp::Ack, 3, &[]);
    m.scoring = Some(Arc::new(other));
    s.go_pub(|el, env, out| el.dispatch(env, addr(3), &m, out));
    assert_eq!(s.el.tracker().peer_reports[&3].epoch, 7);
    assert_eq!(s.el.tracker().total_score(0).0, 3.0);
}

#[test]
fn a_disallowed_monitor_scores_minus_one_and_never_leads() {
    let mut c = Cluster::new(5, Strategy::Connectivity, &["a", "b"]);
    for r in 0..5 {
        c.nodes[r].el.logic.peer_tracker = all_live(r as Rank, 5);
    }
    for r in 0..5 {
        c.start_election(r);
    }
    c.run();
    assert_eq!(c.node(2).state, State::Leader);
    for r in [0, 1, 3, 4] {
        assert_eq!(c.node(r).state, State::Peon, "rank {r}");
        assert_eq!(c.node(r).leader, 2);
    }
    // A disallowed proposer is never deferred to, even by another disallowed one.
    let mut s = Solo::with_map(monmap(5, Strategy::Connectivity, &["a", "b"]), 1, 3);
    s.el.logic.epoch = 3;
    s.el.logic.peer_tracker = all_live(1, 5);
    s.propose(0, 3);
    assert!(s.sent().is_empty());
    // And its victory makes no sense to an allowed monitor: restart.
    let mut s = Solo::with_map(monmap(5, Strategy::Connectivity, &["a"]), 3, 3);
    s.el.logic.epoch = 3;
    s.el.logic.peer_tracker = all_live(3, 5);
    let fx = s.recv(0, ElectionOp::Victory, 4, &[0, 3]);
    assert!(
        !fx.iter().any(|e| matches!(e, ElectorEffect::Lose { .. })),
        "{fx:?}"
    );
    assert!(s.logs().iter().any(|l| l.contains("makes no sense")));
}

#[test]
fn score_disagreement_costs_a_net_2_epochs() {
    // Rank 3 acked 1 in epoch 3. 1's proposal said 0 is worse than 1, but
    // my scores say 0 beats 1 (a tie, and 0 is the lower rank).
    let mut s = conn_solo(3, 2);
    s.call();
    s.propose(1, 3);
    assert_eq!(s.el.leader_acked(), 1);
    let leaders_view = with_dead(&all_live(1, 5), 4, 0);
    s.el.logic.leader_peer_tracker = Some(leaders_view);
    s.propose(0, 3);
    assert_eq!(
        s.el.epoch(),
        5,
        "bump to 4, then start() proposes at 5: {:?}",
        s.logs()
    );
    assert!(s
        .sent()
        .iter()
        .all(|(_, op, e, _)| *op == ElectionOp::Propose && *e == 5));
    assert!(s.logs().iter().any(|l| l.contains("score disagreement")));
}

#[test]
fn transitive_deferral_switches_to_a_better_candidate() {
    let mut s = conn_solo(3, 2);
    s.call();
    s.propose(1, 3);
    s.el.logic.leader_peer_tracker = Some(all_live(1, 5));
    s.propose(0, 3);
    assert_eq!(s.el.leader_acked(), 0);
    assert_eq!(s.el.epoch(), 3);
    assert_eq!(s.sent(), vec![(0, ElectionOp::Ack, 3, vec![])]);
}

// ---- pinging ----

struct Pinger {
    monmap: Arc<MonMap>,
    el: Elector,
    out: Out,
}

impl Pinger {
    fn new() -> Pinger {
        let monmap = monmap(3, Strategy::Connectivity, &[]);
        let mut el = Elector::new(2, &Config::default());
        el.load_tracker(0, None, 3);
        Pinger {
            monmap,
            el,
            out: Out::new(),
        }
    }
    fn at(
        &mut self,
        now: Time,
        f: impl FnOnce(&mut Elector, &ElectorEnv, &mut Out) -> Vec<ElectorEffect>,
    ) -> Vec<ElectorEffect> {
        let env = ElectorEnv {
            now,
            my_rank: 0,
            monmap: &self.monmap,
            quorum: &[0, 1, 2],
            ever_participated: true,
        };
        self.out.clear();
        f(&mut self.el, &env, &mut self.out)
    }
    /// (to rank, op, stamp) of the pings sent by the last call.
    fn pings(&self) -> Vec<(Rank, PingOp, Time)> {
        self.out
            .sends
            .iter()
            .filter_map(|(a, m)| match m {
                Message::Ping(p) => Some((self.monmap.rank_of_addr(*a), p.op, p.stamp)),
                _ => None,
            })
            .collect()
    }
    fn reply(&self, op: PingOp, stamp: Time) -> MMonPing {
        MMonPing {
            op,
            stamp,
            tracker: Arc::new(ConnectionTracker::new(1, 43_200.0, 10)),
        }
    }
}

#[test]
fn pings_wait_for_a_quorum_then_run_every_timeout_over_divisor() {
    let mut p = Pinger::new();
    p.at(SEC, |el, env, out| el.begin_peer_ping(env, 1, out));
    assert!(p.pings().is_empty(), "no quorum yet: pending");
    p.at(2 * SEC, |el, env, out| el.notify_quorum_formed(env, out));
    assert_eq!(p.pings(), vec![(1, PingOp::Ping, 2 * SEC)]);
    assert_eq!(
        p.out.timers,
        vec![TimerOp::Set {
            timer: Timer::PingCheck(1),
            after: SEC
        }]
    );
    // The reply counts as live; the next check pings again.
    let r = p.reply(PingOp::PingReply, 2 * SEC);
    p.at(2 * SEC + 5_000, |el, env, out| {
        el.handle_ping(env, 1, &r, out)
    });
    assert_eq!(p.el.pinging().0, vec![1]);
    assert!(p.el.tracker().my_reports.current[&1]);
    p.at(3 * SEC, |el, env, out| el.on_ping_check(env, 1, out));
    assert_eq!(p.pings(), vec![(1, PingOp::Ping, 3 * SEC)]);
    // A PING is answered with its own stamp.
    let ping = p.reply(PingOp::Ping, 3 * SEC + 7);
    p.at(3 * SEC + 9, |el, env, out| {
        el.handle_ping(env, 1, &ping, out)
    });
    assert_eq!(p.pings(), vec![(1, PingOp::PingReply, 3 * SEC + 7)]);
}

#[test]
fn ping_check_declares_a_peer_dead_after_mon_elector_ping_timeout() {
    let mut p = Pinger::new();
    p.at(SEC, |el, env, out| el.notify_quorum_formed(env, out));
    p.at(SEC, |el, env, out| el.begin_peer_ping(env, 1, out));
    // No answer. Up to ping_timeout after the first ping it is not dead yet.
    for t in [2 * SEC, 3 * SEC - 1] {
        p.at(t, |el, env, out| el.on_ping_check(env, 1, out));
        assert_eq!(p.el.pinging(), (vec![1], vec![]), "at {t}us");
    }
    p.at(3 * SEC, |el, env, out| el.on_ping_check(env, 1, out));
    assert_eq!(p.el.pinging(), (vec![], vec![1]));
    assert!(!p.el.tracker().my_reports.current[&1]);
    assert_eq!(
        p.out.timers,
        vec![TimerOp::Set {
            timer: Timer::DeadPing(1),
            after: 2 * SEC
        }]
    );
    // 2 s of silence at the default 12 h half-life.
    let h = p.el.tracker().my_reports.history[&1];
    let s = 2.000_001 / (2.0 * 43_200.0);
    assert!(close(h, 1.0 * (1.0 - s) - s), "{h}");
}

#[test]
fn no_pings_to_a_dead_peer_until_it_speaks() {
    let mut p = Pinger::new();
    p.at(SEC, |el, env, out| el.notify_quorum_formed(env, out));
    p.at(SEC, |el, env, out| el.begin_peer_ping(env, 1, out));
    p.at(4 * SEC, |el, env, out| el.on_ping_check(env, 1, out));
    assert_eq!(p.el.pinging().1, vec![1]);
    // dead_ping keeps lowering the score and sends nothing.
    let before = p.el.tracker().my_reports.history[&1];
    p.at(6 * SEC, |el, env, out| el.on_dead_ping(env, 1, out));
    assert!(p.pings().is_empty());
    assert!(p.el.tracker().my_reports.history[&1] < before);
    // A stale ping_check does nothing more.
    p.at(7 * SEC, |el, env, out| el.on_ping_check(env, 1, out));
    assert!(p.pings().is_empty());
    // Any message from it (here an election message) starts pinging again.
    let m = msg(&p.monmap, ElectionOp::Ack, 1, &[]);
    p.at(8 * SEC, |el, env, out| el.dispatch(env, addr(1), &m, out));
    assert_eq!(p.pings(), vec![(1, PingOp::Ping, 8 * SEC)]);
    assert_eq!(p.el.pinging(), (vec![1], vec![]));
    assert!(p.el.tracker().my_reports.current[&1]);
    // And a dead_ping already armed stops.
    p.at(8 * SEC, |el, env, out| el.on_dead_ping(env, 1, out));
    assert!(p.out.timers.is_empty());
}

#[test]
fn a_ping_reply_newer_than_the_newest_ping_sent_is_dropped() {
    let mut p = Pinger::new();
    p.at(SEC, |el, env, out| el.notify_quorum_formed(env, out));
    p.at(SEC, |el, env, out| el.begin_peer_ping(env, 1, out));
    let v = p.el.tracker().version;
    let r = p.reply(PingOp::PingReply, 5 * SEC);
    p.at(2 * SEC, |el, env, out| el.handle_ping(env, 1, &r, out));
    assert_eq!(p.el.tracker().version, v);
}

#[test]
fn a_ping_from_a_peer_leaves_acked_alone_so_pings_that_cross_keep_going() {
    // Elector::handle_ping: a PING is only answered; a PING_REPLY moves acked
    // to its stamp, and only forward. Two monitors that ping each other at
    // the same instant must both go on pinging.
    let mut p = Pinger::new();
    p.at(SEC, |el, env, out| el.notify_quorum_formed(env, out));
    p.at(SEC, |el, env, out| el.begin_peer_ping(env, 1, out));
    assert_eq!(p.pings(), vec![(1, PingOp::Ping, SEC)]);
    // mon.1's own ping, sent at the same microsecond, arrives first
    let theirs = p.reply(PingOp::Ping, SEC);
    p.at(SEC + 5_000, |el, env, out| {
        el.handle_ping(env, 1, &theirs, out)
    });
    assert_eq!(p.pings(), vec![(1, PingOp::PingReply, SEC)]);
    let ours = p.reply(PingOp::PingReply, SEC);
    p.at(SEC + 5_000, |el, env, out| {
        el.handle_ping(env, 1, &ours, out)
    });
    assert!(p.el.tracker().my_reports.current[&1]);
    // the answered ping is the newest sent: the check pings again
    p.at(2 * SEC, |el, env, out| el.on_ping_check(env, 1, out));
    assert_eq!(p.pings(), vec![(1, PingOp::Ping, 2 * SEC)]);
    let newer = p.reply(PingOp::PingReply, 2 * SEC);
    p.at(2 * SEC + 5_000, |el, env, out| {
        el.handle_ping(env, 1, &newer, out)
    });
    // a duplicate of that reply (stamp == acked) changes nothing
    p.at(2 * SEC + 6_000, |el, env, out| {
        el.handle_ping(env, 1, &newer, out)
    });
    assert!(p.pings().is_empty());
    p.at(3 * SEC, |el, env, out| el.on_ping_check(env, 1, out));
    assert_eq!(p.pings(), vec![(1, PingOp::Ping, 3 * SEC)]);
    assert_eq!(p.el.pinging(), (vec![1], vec![]));
}
