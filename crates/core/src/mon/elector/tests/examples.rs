//! The worked examples of reference §2.9 and multi-monitor rules, on the harness.

use super::harness::{Cluster, State};
use crate::mon::elector::ElectorEffect;
use crate::mon::messages::ElectionOp;
use crate::mon::monmap::Strategy;
use crate::mon::Rank;
use crate::time::SEC;

fn assert_leader(c: &Cluster, leader: Rank, epoch: u32, quorum: &[Rank]) {
    for r in quorum {
        let n = c.node(*r);
        let want = if *r == leader {
            State::Leader
        } else {
            State::Peon
        };
        assert_eq!(n.state, want, "rank {r} state");
        assert_eq!(n.leader, leader, "rank {r} leader");
        assert_eq!(n.quorum, quorum, "rank {r} quorum");
        assert_eq!(n.el.epoch(), epoch, "rank {r} epoch");
        assert_eq!(n.persisted, epoch, "rank {r} persisted epoch");
        assert_eq!(n.timer, None, "rank {r} election timer");
    }
}

#[test]
fn five_monitors_all_up_rank_0_wins_immediately_at_epoch_2() {
    let mut c = Cluster::new(5, Strategy::Classic, &[]);
    for r in 0..5 {
        c.start_election(r);
        // Fresh store: init gives 1 without persisting; everyone proposes at 1.
        assert_eq!(c.node(r).el.epoch(), 1);
        assert_eq!(c.node(r).persisted, 0);
    }
    c.run();
    assert_leader(&c, 0, 2, &[0, 1, 2, 3, 4]);
    // Won on the last ack, before any timer: exactly one Win.
    let wins = c
        .node(0)
        .effects
        .iter()
        .filter(|e| matches!(e, ElectorEffect::Win { .. }));
    assert_eq!(wins.count(), 1);
    assert_eq!(
        c.node(3).effects,
        vec![
            ElectorEffect::PersistEpoch(2),
            ElectorEffect::JoinElection,
            ElectorEffect::Lose {
                epoch: 2,
                quorum: vec![0, 1, 2, 3, 4],
                leader: 0
            }
        ]
    );
}

#[test]
fn only_rank_4_starts_rank_0_wins_at_epoch_4() {
    let mut c = Cluster::new(5, Strategy::Classic, &[]);
    c.start_election(4);
    assert_eq!(c.node(4).el.epoch(), 1);
    // Ranks 0-3 get rank 4's epoch-1 proposal: bump to 1, outrank 4, start at 3.
    c.deliver_from(4);
    for r in 0..4 {
        let n = c.node(r);
        assert_eq!(n.el.epoch(), 3, "rank {r}");
        assert!(n.el.electing_me());
        assert_eq!(
            n.effects,
            vec![
                ElectorEffect::PersistEpoch(1),
                ElectorEffect::JoinElection,
                ElectorEffect::StartElection,
                ElectorEffect::PersistEpoch(2),
                ElectorEffect::PersistEpoch(3),
                ElectorEffect::JoinElection,
            ],
            "rank {r}"
        );
    }
    // Everyone defers to rank 0's epoch-3 proposal (rank 4 bumps to 3 first).
    c.run();
    assert_leader(&c, 0, 4, &[0, 1, 2, 3, 4]);
    assert_eq!(c.node(4).effects[0], ElectorEffect::PersistEpoch(3));
}

#[test]
fn a_monmap_member_down_leader_waits_the_timeout_then_wins_with_a_majority() {
    let mut c = Cluster::new(5, Strategy::Classic, &[]);
    c.nodes[4].up = false;
    for r in 0..4 {
        c.start_election(r);
    }
    c.run();
    assert!(c.dropped > 0);
    // 4 of 5 acked: not everyone, so no victory yet.
    assert_eq!(c.node(0).state, State::Electing);
    assert_eq!(c.node(0).el.acked_me(), vec![0, 1, 2, 3]);
    assert_eq!(c.node(0).timer, Some(5 * SEC));
    for r in 1..4 {
        assert_eq!(c.node(r).el.leader_acked(), 0);
        assert_eq!(c.node(r).timer, Some(6 * SEC), "deferring rank {r}");
    }
    assert_eq!(c.fire_timer(0), 5 * SEC);
    c.run();
    assert_leader(&c, 0, 2, &[0, 1, 2, 3]);
}

#[test]
fn without_a_majority_the_period_ends_in_a_new_election() {
    // 5 monitors, only 0 and 1 up: 2 acks are not > 5/2.
    let mut c = Cluster::new(5, Strategy::Classic, &[]);
    for r in 2..5 {
        c.nodes[r].up = false;
    }
    c.start_election(0);
    c.start_election(1);
    c.run();
    assert_eq!(c.node(0).el.acked_me(), vec![0, 1]);
    c.fire_timer(0);
    // Fresh store: init() still reads 0, so the new proposal is again at 1.
    assert_eq!(c.node(0).el.epoch(), 1);
    assert!(c.node(0).el.electing_me());
    assert_eq!(c.node(0).state, State::Electing);
    // A monitor that never joined bootstraps instead.
    c.nodes[1].ever = false;
    c.fire_timer(1);
    assert_eq!(c.node(1).state, State::Probing);
    assert_eq!(c.node(1).effects.last(), Some(&ElectorEffect::Bootstrap));
}

#[test]
fn disallow_with_a_and_b_disallowed_c_leads() {
    let mut c = Cluster::new(5, Strategy::Disallow, &["a", "b"]);
    for r in 0..5 {
        c.start_election(r);
    }
    c.run();
    // Disallowed monitors never lead but still vote and sit in the quorum.
    assert_leader(&c, 2, 2, &[0, 1, 2, 3, 4]);
    assert_eq!(c.node(0).el.logic().last_election_winner, 2);
}

#[test]
fn disallow_only_a_starts_c_still_leads() {
    let mut c = Cluster::new(5, Strategy::Disallow, &["a", "b"]);
    c.start_election(0);
    c.run();
    assert_leader(&c, 2, 4, &[0, 1, 2, 3, 4]);
}

#[test]
fn classic_a_late_monitor_is_let_in_by_a_new_election() {
    let mut c = Cluster::new(3, Strategy::Classic, &[]);
    c.nodes[2].up = false;
    c.start_election(0);
    c.start_election(1);
    c.run();
    c.fire_timer(0);
    c.run();
    assert_leader(&c, 0, 2, &[0, 1]);
    // Rank 2 boots and proposes at epoch 1 < 2: both quorum members are at an
    // even epoch and 2 is outside their quorum, so both call a new election.
    c.nodes[2].up = true;
    c.start_election(2);
    c.run();
    assert_leader(&c, 0, 4, &[0, 1, 2]);
    assert!(c.node(1).effects.contains(&ElectorEffect::StartElection));
}

#[test]
fn victory_is_sent_only_to_quorum_members() {
    let mut c = Cluster::new(3, Strategy::Classic, &[]);
    c.nodes[2].up = false;
    c.start_election(0);
    c.start_election(1);
    c.run();
    c.fire_timer(0);
    let victories: Vec<Rank> = c
        .net
        .iter()
        .filter(|(_, _, m)| m.op == ElectionOp::Victory)
        .map(|(_, to, m)| {
            assert_eq!(m.quorum, vec![0, 1]);
            *to
        })
        .collect();
    assert_eq!(victories, vec![1]);
}
