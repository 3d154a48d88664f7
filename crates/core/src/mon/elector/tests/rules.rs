//! One rule of reference §2.2-§2.5 per test, on a single Elector.

use super::{addr, cancel_expire, monmap, msg, set_expire, Solo};
use crate::mon::config::Config;
use crate::mon::elector::owner::Owner;
use crate::mon::elector::ElectorEffect::{self, *};
use crate::mon::elector::ElectorEnv;
use crate::mon::messages::ElectionOp::{self, *};
use crate::mon::monmap::Strategy;
use crate::mon::{Addr, Epoch, Rank};
use crate::time::SEC;

/// Put the logic at a stable or electing epoch, as if loaded and persisted.
fn at_epoch(s: &mut Solo, e: Epoch) {
    s.el.logic.epoch = e;
    s.el.logic.persisted_epoch = e;
}

fn proposes(to: &[Rank], e: Epoch) -> Vec<(Rank, ElectionOp, Epoch, Vec<Rank>)> {
    to.iter().map(|r| (*r, Propose, e, vec![])).collect()
}

fn ack_to(r: Rank, e: Epoch) -> Vec<(Rank, ElectionOp, Epoch, Vec<Rank>)> {
    vec![(r, Ack, e, vec![])]
}

// ---- init() parity and start() (§2.4) ----

#[test]
fn init_parity_first_boot_gives_epoch_1_not_persisted() {
    let mut s = Solo::new(3, 0, 0);
    assert_eq!(s.el.epoch(), 0, "0 in memory until init()");
    assert_eq!(s.call(), vec![]);
    assert_eq!(s.el.epoch(), 1);
    assert_eq!(s.el.logic().persisted_epoch, 0);
    assert_eq!(s.sent(), proposes(&[1, 2], 1));
    assert_eq!(s.timers(), vec![set_expire(5 * SEC)]);
    assert!(s.el.electing_me());
    assert_eq!(s.el.acked_me(), vec![0]);
}

#[test]
fn init_parity_odd_persisted_epoch_is_bumped_and_persisted() {
    // "a start() from odd epoch 3 proposes at 5"
    let mut s = Solo::new(3, 1, 3);
    assert_eq!(
        s.call(),
        vec![PersistEpoch(4), PersistEpoch(5), JoinElection]
    );
    assert_eq!(s.el.epoch(), 5);
    assert_eq!(s.sent(), proposes(&[0, 2], 5));
}

#[test]
fn init_parity_even_persisted_epoch_is_kept() {
    let mut s = Solo::new(3, 1, 4);
    assert_eq!(s.call(), vec![PersistEpoch(5), JoinElection]);
    assert_eq!(s.el.epoch(), 5);
    assert_eq!(s.sent(), proposes(&[0, 2], 5));
}

#[test]
fn start_from_odd_epoch_advances_by_2_so_a_looping_monitor_shows_odd_epochs() {
    let mut s = Solo::new(3, 0, 438);
    s.call();
    assert_eq!(s.el.epoch(), 439);
    for want in [441, 443, 445] {
        assert_eq!(
            s.expire(),
            vec![PersistEpoch(want - 1), PersistEpoch(want), JoinElection]
        );
        assert_eq!(s.el.epoch(), want);
        assert_eq!(s.sent(), proposes(&[1, 2], want));
    }
}

#[test]
fn start_when_not_participating_does_nothing() {
    let mut s = Solo::new(3, 0, 4);
    s.el.logic.participating = false;
    assert_eq!(s.call(), vec![]);
    assert!(s.sent().is_empty() && s.timers().is_empty());
    assert_eq!(s.propose(1, 5), vec![], "dispatch drops too");
}

// ---- bump_epoch (§2.4) ----

#[test]
fn bump_epoch_asserts_e_ge_epoch_and_never_goes_back() {
    let mut s = Solo::new(3, 0, 0);
    at_epoch(&mut s, 6);
    let env = ElectorEnv {
        now: 0,
        my_rank: 0,
        monmap: &s.monmap,
        quorum: &[],
        ever_participated: true,
    };
    let mut o = Owner {
        env: &env,
        out: &mut s.out,
        transport: &mut s.el.transport,
        effects: Vec::new(),
    };
    s.el.logic.bump_epoch(&mut o, 4);
    assert_eq!(o.effects, vec![PersistEpoch(6), JoinElection]);
    assert_eq!(s.el.logic.epoch, 6);
}

#[test]
fn bump_epoch_does_not_clear_leader_acked() {
    // leader_acked survives a bump caused by a newer proposal (§2.5 note).
    let mut s = Solo::new(5, 3, 0);
    assert_eq!(s.propose(1, 1), vec![PersistEpoch(1), JoinElection]);
    assert_eq!(s.sent(), ack_to(1, 1));
    assert_eq!(s.timers(), vec![set_expire(6 * SEC)]);
    assert_eq!(s.el.leader_acked(), 1);
    // Rank 2 proposes at 3: bump to 3, but I acked 1 < 2, so I do not defer.
    assert_eq!(s.propose(2, 3), vec![PersistEpoch(3), JoinElection]);
    assert_eq!(s.el.epoch(), 3);
    assert_eq!(s.el.leader_acked(), 1);
    assert!(s.sent().is_empty());
    // Rank 0 still beats my acked 1.
    assert_eq!(s.propose(0, 3), vec![]);
    assert_eq!(s.sent(), ack_to(0, 3));
    assert_eq!(s.el.leader_acked(), 0);
}

// ---- acks and victory (§2.4) ----

#[test]
fn immediate_victory_only_when_every_monmap_member_acked() {
    let mut s = Solo::new(3, 0, 0);
    s.call();
    assert_eq!(s.ack(1, 1), vec![]);
    assert!(s.sent().is_empty());
    assert_eq!(s.el.acked_me(), vec![0, 1]);
    let q = vec![0, 1, 2];
    assert_eq!(
        s.ack(2, 1),
        vec![
            PersistEpoch(2),
            JoinElection,
            Win {
                epoch: 2,
                quorum: q.clone()
            }
        ]
    );
    assert_eq!(
        s.sent(),
        vec![(1, Victory, 2, q.clone()), (2, Victory, 2, q)]
    );
    assert_eq!(s.timers(), vec![cancel_expire()]);
    assert_eq!(s.el.epoch(), 2);
    assert!(!s.el.electing_me());
    assert!(s.el.acked_me().is_empty(), "moved into the quorum");
    assert_eq!(s.el.logic().last_election_winner, 0);
}

#[test]
fn end_election_period_wins_with_a_majority_of_the_monmap_size() {
    let mut s = Solo::new(5, 0, 0);
    s.call();
    s.ack(1, 1);
    s.ack(2, 1);
    assert_eq!(
        s.expire(),
        vec![
            PersistEpoch(2),
            JoinElection,
            Win {
                epoch: 2,
                quorum: vec![0, 1, 2]
            }
        ]
    );
    assert_eq!(s.sent().iter().map(|m| m.0).collect::<Vec<_>>(), vec![1, 2]);
}

#[test]
fn end_election_period_majority_counts_down_members_of_the_monmap() {
    // 4 monitors, 2 acked (me included): 2 > 4/2 is false.
    let mut s = Solo::new(4, 0, 4);
    s.call();
    s.ack(1, 5);
    assert_eq!(
        s.expire(),
        vec![PersistEpoch(6), PersistEpoch(7), JoinElection]
    );
    assert!(s.el.electing_me());
    assert_eq!(s.sent(), proposes(&[1, 2, 3], 7));
}

#[test]
fn end_election_period_without_ever_participating_bootstraps() {
    let mut s = Solo::new(3, 1, 0);
    s.ever = false;
    s.propose(0, 1);
    assert_eq!(s.expire(), vec![Bootstrap]);
    assert!(s.sent().is_empty());
}

#[test]
fn end_election_period_after_deferring_proposes_myself() {
    // Whoever I deferred to did not win in time (6 s): run myself.
    let mut s = Solo::new(3, 2, 0);
    s.propose(0, 1);
    assert_eq!(
        s.expire(),
        vec![PersistEpoch(2), PersistEpoch(3), JoinElection]
    );
    assert_eq!(s.el.leader_acked(), -1);
    assert_eq!(s.sent(), proposes(&[0, 1], 3));
    assert_eq!(s.timers(), vec![set_expire(5 * SEC)]);
}

#[test]
fn receive_ack_with_newer_epoch_bumps_then_starts() {
    let mut s = Solo::new(3, 0, 0);
    s.call();
    // "i must have rebooted": bump to 5, then start() → 7 (net e+2).
    assert_eq!(
        s.ack(1, 5),
        vec![
            PersistEpoch(5),
            JoinElection,
            PersistEpoch(6),
            PersistEpoch(7),
            JoinElection
        ]
    );
    assert_eq!(s.el.epoch(), 7);
    assert_eq!(s.el.acked_me(), vec![0]);
    assert_eq!(s.sent(), proposes(&[1, 2], 7));
}

#[test]
fn acks_when_not_electing_me_are_ignored() {
    let mut s = Solo::new(3, 1, 0);
    s.propose(0, 1);
    assert_eq!(s.ack(2, 1), vec![]);
    assert!(s.sent().is_empty() && s.timers().is_empty());
    assert!(s.el.acked_me().is_empty());
    assert_eq!(s.el.leader_acked(), 0);
}

#[test]
fn ack_at_an_even_epoch_is_logged_not_fatal() {
    let mut s = Solo::new(3, 0, 0);
    s.call();
    at_epoch(&mut s, 2);
    assert_eq!(s.ack(1, 2), vec![]);
    assert!(s.logs().iter().any(|l| l.contains("even epoch")));
}

#[test]
fn receive_victory_claim_at_epoch_plus_one_is_accepted() {
    let mut s = Solo::new(3, 2, 0);
    s.propose(0, 1);
    let q = vec![0, 1, 2];
    assert_eq!(
        s.recv(0, Victory, 2, &q),
        vec![
            PersistEpoch(2),
            JoinElection,
            Lose {
                epoch: 2,
                quorum: q,
                leader: 0
            }
        ]
    );
    assert_eq!(s.timers(), vec![cancel_expire()]);
    assert_eq!(s.el.epoch(), 2);
    assert_eq!(s.el.leader_acked(), -1);
    assert_eq!(s.el.logic().last_election_winner, 0);
    assert_eq!(s.el.logic().last_voted_for, 0);
}

#[test]
fn receive_victory_claim_funny_epoch_bumps_starts_and_is_not_accepted() {
    let mut s = Solo::new(3, 2, 0);
    s.propose(0, 1);
    assert_eq!(
        s.recv(0, Victory, 6, &[0, 1, 2]),
        vec![PersistEpoch(6), JoinElection, PersistEpoch(7), JoinElection]
    );
    assert_eq!(s.el.epoch(), 7);
    assert!(s.el.electing_me());
    assert_eq!(s.sent(), proposes(&[0, 1], 7));
}

#[test]
fn receive_victory_claim_second_victory_in_the_same_epoch_is_funny() {
    let mut s = Solo::new(3, 2, 0);
    s.propose(0, 1);
    s.recv(0, Victory, 2, &[0, 1, 2]);
    assert_eq!(
        s.recv(0, Victory, 2, &[0, 2]),
        vec![PersistEpoch(2), JoinElection, PersistEpoch(3), JoinElection]
    );
    assert_eq!(s.el.epoch(), 3);
}

#[test]
fn victory_makes_sense_false_for_classic_restarts_the_election() {
    let mut s = Solo::new(3, 0, 0);
    s.call();
    // Rank 1 claims victory over me, rank 0: Ceph asserts; we restart.
    assert_eq!(
        s.recv(1, Victory, 2, &[0, 1, 2]),
        vec![PersistEpoch(2), JoinElection, PersistEpoch(3), JoinElection]
    );
    assert!(s.el.electing_me());
    assert_eq!(s.sent(), proposes(&[1, 2], 3));
}

#[test]
fn victory_makes_sense_for_disallow_when_i_am_disallowed() {
    let map = monmap(3, Strategy::Disallow, &["a"]);
    let mut s = Solo::with_map(map.clone(), 0, 0);
    s.call();
    let q = vec![0, 1, 2];
    let fx = s.recv(2, Victory, 2, &q);
    assert_eq!(
        fx.last(),
        Some(&Lose {
            epoch: 2,
            quorum: q.clone(),
            leader: 2
        })
    );
    // Rank 1 is allowed and outranks 2: the claim makes no sense → restart.
    let mut s = Solo::with_map(map, 1, 0);
    s.call();
    let fx = s.recv(2, Victory, 2, &q);
    assert_eq!(
        fx,
        vec![PersistEpoch(2), JoinElection, PersistEpoch(3), JoinElection]
    );
}

// ---- classic propose handling (§2.5) ----

#[test]
fn classic_prefix_newer_epoch_bumps_then_handles() {
    let mut s = Solo::new(5, 3, 0);
    assert_eq!(s.propose(1, 5), vec![PersistEpoch(5), JoinElection]);
    assert_eq!(s.sent(), ack_to(1, 5));
    assert_eq!(s.timers(), vec![set_expire(6 * SEC)]);
}

#[test]
fn classic_prefix_old_propose_from_outside_the_quorum_in_a_stable_epoch_calls_an_election() {
    let mut s = Solo::new(4, 0, 0);
    at_epoch(&mut s, 4);
    s.quorum = vec![0, 1, 2];
    assert_eq!(
        s.propose(3, 1),
        vec![StartElection],
        "3 must have just started"
    );
    assert_eq!(s.propose(2, 1), vec![], "a member's old propose is ignored");
    at_epoch(&mut s, 5);
    assert_eq!(
        s.propose(3, 1),
        vec![],
        "mid-election old propose is ignored"
    );
    assert!(s.sent().is_empty());
    assert_eq!(s.el.epoch(), 5);
}

#[test]
fn classic_i_outrank_them_and_i_am_not_running_calls_an_election() {
    let mut s = Solo::new(3, 0, 0);
    assert_eq!(
        s.propose(2, 1),
        vec![PersistEpoch(1), JoinElection, StartElection]
    );
    // The Monitor then calls call_election: from odd 1 that is epoch 3.
    assert_eq!(
        s.call(),
        vec![PersistEpoch(2), PersistEpoch(3), JoinElection]
    );
    // Running already: nothing more to do.
    assert_eq!(s.propose(1, 3), vec![]);
    assert!(s.sent().is_empty());
}

#[test]
fn classic_i_outrank_them_but_already_acked_someone_ignores() {
    let mut s = Solo::new(5, 1, 0);
    s.propose(0, 1);
    assert_eq!(s.propose(3, 1), vec![]);
    assert!(s.sent().is_empty());
    assert_eq!(s.el.leader_acked(), 0);
}

#[test]
fn classic_they_outrank_me_defer_rules() {
    let mut s = Solo::new(5, 3, 0);
    s.call();
    assert!(s.el.electing_me());
    // leader_acked < 0: defer, dropping my own candidacy.
    assert_eq!(s.propose(2, 1), vec![]);
    assert_eq!(s.sent(), ack_to(2, 1));
    assert!(!s.el.electing_me());
    assert!(s.el.acked_me().is_empty());
    // leader_acked > from: defer to the better one.
    s.propose(1, 1);
    assert_eq!(s.sent(), ack_to(1, 1));
    // leader_acked == from: ack again, timer re-armed.
    s.propose(1, 1);
    assert_eq!(s.sent(), ack_to(1, 1));
    assert_eq!(s.timers(), vec![set_expire(6 * SEC)]);
    // leader_acked < from: ignore.
    s.propose(2, 1);
    assert!(s.sent().is_empty() && s.timers().is_empty());
    assert_eq!(s.el.leader_acked(), 1);
}

#[test]
fn propose_from_my_own_rank_is_dropped() {
    let mut s = Solo::new(3, 1, 0);
    at_epoch(&mut s, 1);
    assert_eq!(s.propose(1, 1), vec![]);
    assert!(s.sent().is_empty());
    assert!(s.logs().iter().any(|l| l.contains("own rank")));
}

#[test]
fn classic_ignores_the_disallowed_leaders_list() {
    let mut s = Solo::with_map(monmap(3, Strategy::Classic, &["a"]), 1, 0);
    at_epoch(&mut s, 1);
    s.propose(0, 1);
    assert_eq!(s.sent(), ack_to(0, 1));
}

// ---- disallow propose handling (§2.5) ----

/// One DISALLOW proposal at epoch 1: (effects, ACK target if any).
fn disallow_case(
    dis: &[&str],
    me: Rank,
    from: Rank,
    leader_acked: Rank,
) -> (Vec<ElectorEffect>, Option<Rank>) {
    let mut s = Solo::with_map(monmap(5, Strategy::Disallow, dis), me, 0);
    at_epoch(&mut s, 1);
    s.el.logic.leader_acked = leader_acked;
    let fx = s.propose(from, 1);
    let acked = s.sent().iter().find(|m| m.1 == Ack).map(|m| m.0);
    (fx, acked)
}

#[test]
fn disallow_my_win_formula() {
    // my_win = !me_dis && (my_rank < from || from_dis)
    assert_eq!(
        disallow_case(&["a"], 2, 0, -1),
        (vec![StartElection], None),
        "from disallowed"
    );
    assert_eq!(
        disallow_case(&["c"], 3, 2, -1),
        (vec![StartElection], None),
        "classic would defer"
    );
    assert_eq!(
        disallow_case(&[], 1, 3, 0),
        (vec![], None),
        "already acked 0"
    );
    assert_eq!(disallow_case(&[], 1, 3, -1), (vec![StartElection], None));
}

#[test]
fn disallow_their_win_formula() {
    // their_win = !from_dis && (my_rank > from || me_dis) && (leader_acked < 0 || leader_acked >= from)
    assert_eq!(
        disallow_case(&["a"], 0, 3, -1),
        (vec![], Some(3)),
        "I am disallowed"
    );
    assert_eq!(
        disallow_case(&["e"], 4, 3, 2),
        (vec![], None),
        "acked 2 < 3"
    );
    assert_eq!(
        disallow_case(&["e"], 4, 3, 3),
        (vec![], Some(3)),
        "acked == from"
    );
    assert_eq!(
        disallow_case(&["e"], 4, 2, 3),
        (vec![], Some(2)),
        "acked 3 >= 2"
    );
    assert_eq!(disallow_case(&[], 4, 2, -1), (vec![], Some(2)));
}

#[test]
fn disallow_both_disallowed_nothing_happens() {
    assert_eq!(disallow_case(&["a", "b"], 0, 1, -1), (vec![], None));
    assert_eq!(disallow_case(&["a", "b"], 1, 0, -1), (vec![], None));
}

// ---- transport rules (§2.2) ----

#[test]
fn dispatch_drops_a_sender_not_in_my_monmap() {
    let mut s = Solo::new(3, 1, 0);
    let m = msg(&s.monmap, Propose, 1, &[]);
    let fx = s.go(|el, env, out| el.dispatch(env, Addr(999), &m, out));
    assert_eq!(fx, vec![]);
    assert_eq!(s.el.epoch(), 0);
}

#[test]
fn dispatch_drops_a_different_strategy() {
    let mut s = Solo::new(3, 1, 0);
    let mut m = msg(&s.monmap, Propose, 1, &[]);
    m.strategy = Strategy::Disallow;
    let fx = s.go(|el, env, out| el.dispatch(env, addr(0), &m, out));
    assert_eq!(fx, vec![]);
    assert!(s.sent().is_empty());
}

#[test]
fn dispatch_drops_non_propose_ops_from_older_epochs() {
    let mut s = Solo::new(3, 0, 2);
    s.call();
    assert_eq!(s.el.epoch(), 3);
    assert_eq!(s.ack(1, 1), vec![]);
    assert_eq!(s.recv(1, Victory, 2, &[0, 1]), vec![]);
    assert_eq!(s.el.acked_me(), vec![0]);
    assert!(s.logs().iter().any(|l| l.contains("old epoch")));
}

#[test]
fn dispatch_drops_a_propose_at_an_even_epoch() {
    let mut s = Solo::new(3, 1, 0);
    assert_eq!(s.propose(0, 2), vec![]);
    assert!(s.sent().is_empty());
}

#[test]
fn dispatch_ignores_nak() {
    let mut s = Solo::new(3, 1, 0);
    s.call();
    assert_eq!(s.recv(0, Nak, 1, &[]), vec![]);
    assert!(s.el.electing_me());
}

#[test]
fn timers_start_arms_the_election_timeout_defer_adds_one_second() {
    let cfg = Config {
        mon_election_timeout: 2 * SEC,
        ..Config::default()
    };
    let mut s = Solo::new(3, 1, 0);
    s.el.set_config(&cfg);
    s.call();
    assert_eq!(s.timers(), vec![set_expire(2 * SEC)]);
    s.propose(0, 1);
    assert_eq!(s.timers(), vec![set_expire(3 * SEC)]);
    assert!(s.el.timer_armed());
}

#[test]
fn cancel_timer_only_when_armed_and_an_unarmed_expiry_is_ignored() {
    let mut s = Solo::new(3, 1, 0);
    s.call();
    s.out.clear();
    s.el.cancel_timer(&mut s.out);
    assert_eq!(s.out.timers, vec![cancel_expire()]);
    s.out.clear();
    s.el.cancel_timer(&mut s.out);
    assert!(s.out.timers.is_empty());
    assert_eq!(s.expire(), vec![]);
    assert_eq!(s.el.epoch(), 1);
}

// ---- declare_standalone_victory (§1.7) ----

#[test]
fn declare_standalone_victory_epochs() {
    let mut s = Solo::new(1, 0, 0);
    assert_eq!(
        s.standalone(),
        vec![PersistEpoch(2), JoinElection],
        "0 → 1 → 2"
    );
    assert_eq!(s.el.epoch(), 2);
    let mut s = Solo::new(1, 0, 6);
    assert_eq!(
        s.standalone(),
        vec![PersistEpoch(7), JoinElection],
        "even E → E+1"
    );
    let mut s = Solo::new(1, 0, 7);
    assert_eq!(
        s.standalone(),
        vec![PersistEpoch(8), PersistEpoch(9), JoinElection],
        "odd E → E+1 → E+2"
    );
    assert!(s.sent().is_empty() && s.timers().is_empty());
}
