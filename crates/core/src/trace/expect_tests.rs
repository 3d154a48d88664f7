//! Expectation checks and safety invariants over synthetic traces.

use super::{check, Outcome};
use crate::mon::status::{MonState, MonStatus};
use crate::mon::store::Transaction;
use crate::scenario::ast::VersionRef::{Count, Of};
use crate::scenario::ast::{CmpOp, EpochExpect, Expectation as E};
use crate::time::{Time, MS, SEC};
use crate::trace::state::ClusterState;
use crate::trace::{Event, EventKind, NodeId};

const A: NodeId = 0;
const B: NodeId = 1;
const C: NodeId = 2;

/// A cluster of monitors a b c, fed events at `now`.
struct T {
    st: ClusterState,
    now: Time,
}

fn status(state: MonState, epoch: u32, leader: Option<&str>, quorum: &[&str]) -> MonStatus {
    let mut s = MonStatus::down(0);
    s.state = state;
    s.election_epoch = epoch;
    s.leader = leader.map(Into::into);
    s.quorum = quorum.iter().map(|q| q.to_string()).collect();
    s
}

fn s(n: &str) -> String {
    n.to_string()
}

impl T {
    fn new() -> T {
        T {
            st: ClusterState::new(vec![s("a"), s("b"), s("c")]),
            now: 0,
        }
    }
    fn at(&mut self, secs: u64) -> &mut Self {
        self.now = secs * SEC;
        self
    }
    fn at_ms(&mut self, ms: u64) -> &mut Self {
        self.now = ms * MS;
        self
    }
    fn ev(&mut self, kind: EventKind) -> Option<String> {
        let found = self.st.apply(&Event { at: self.now, kind });
        found.first().map(|v| v.text.clone())
    }
    fn set(&mut self, node: NodeId, status: MonStatus) -> Option<String> {
        self.ev(EventKind::Status {
            node,
            status: status.into(),
        })
    }
    fn with_lc(&mut self, node: NodeId, lc: u64) -> Option<String> {
        let mut s = self.st.status(node).clone();
        s.paxos.last_committed = lc;
        self.set(node, s)
    }
    /// Boots (or revives) `node` with the last_committed its store has.
    fn probing(&mut self, node: NodeId) -> &mut Self {
        let mut st = status(MonState::Probing, 0, None, &[]);
        st.paxos.last_committed = self.st.last_committed(node);
        self.set(node, st);
        self
    }
    fn electing(&mut self, node: NodeId, epoch: u32) -> &mut Self {
        self.set(node, status(MonState::Electing, epoch, None, &[]));
        self
    }
    fn down(&mut self, node: NodeId) -> &mut Self {
        self.set(node, MonStatus::down(node as i32));
        self
    }
    /// `leader` wins epoch `epoch` with `quorum`; the other members become its peons.
    fn quorum(&mut self, leader: NodeId, epoch: u32, quorum: &[&str]) -> &mut Self {
        let lname = self.st.name(leader).to_string();
        for q in quorum {
            let n = self.st.node(q).unwrap();
            let state = if n == leader {
                MonState::Leader
            } else {
                MonState::Peon
            };
            let mut st = status(state, epoch, Some(&lname), quorum);
            st.paxos.last_committed = self.st.status(n).paxos.last_committed;
            self.set(n, st);
        }
        self
    }
    fn put(&mut self, node: NodeId, key: &str, value: &str) -> &mut Self {
        let mut tx = Transaction::new();
        tx.put("mon_config_key", key, value.as_bytes().to_vec());
        self.ev(EventKind::Store {
            node,
            tx: tx.into(),
        });
        self
    }
    fn commit(&mut self, node: NodeId, version: u64, value_hash: u64) -> Option<String> {
        self.ev(EventKind::Commit {
            node,
            version,
            value_hash,
        })
    }
    fn check(&self, e: E) -> Outcome {
        check(&self.st, &e, self.now)
    }
    fn pass(&self, e: E, actual: &str) {
        assert_eq!(self.check(e), Outcome::new(true, actual));
    }
    fn fail(&self, e: E, actual: &str) {
        assert_eq!(self.check(e), Outcome::new(false, actual));
    }
}

/// a b c start at 0s, elect a at epoch 2 at 1s.
fn formed() -> T {
    let mut t = T::new();
    t.probing(A).probing(B).probing(C);
    t.at(1).quorum(A, 2, &["a", "b", "c"]);
    t
}

#[test]
fn leader_names_the_one_running_leader() {
    let mut t = T::new();
    t.fail(E::Leader(Some(s("a"))), "no leader");
    t.pass(E::Leader(None), "no leader");
    t = formed();
    t.pass(E::Leader(Some(s("a"))), "leader is a");
    t.fail(E::Leader(Some(s("b"))), "leader is a");
    t.fail(E::Leader(None), "leader is a");
    t.at(5)
        .set(C, status(MonState::Leader, 4, Some("c"), &["c"]));
    t.fail(E::Leader(Some(s("a"))), "2 leaders: a c");
    t.fail(E::Leader(None), "2 leaders: a c");
}

#[test]
fn quorum_is_order_insensitive_and_exact() {
    let t = formed();
    t.pass(
        E::Quorum(vec![s("c"), s("a"), s("b")]),
        "quorum of a (epoch 2) is a b c",
    );
    t.fail(
        E::Quorum(vec![s("a"), s("b")]),
        "quorum of a (epoch 2) is a b c",
    );
}

#[test]
fn quorum_needs_every_member_to_follow_the_leader() {
    let mut t = formed();
    t.at(5).electing(C, 3);
    t.fail(
        E::Quorum(vec![s("a"), s("b"), s("c")]),
        "quorum of a (epoch 2) is a b c, but c is electing",
    );
    t.set(C, status(MonState::Peon, 4, Some("a"), &["a", "b", "c"]));
    t.fail(
        E::Quorum(vec![s("a"), s("b"), s("c")]),
        "quorum of a (epoch 2) is a b c, but c is at epoch 4",
    );
    t.set(C, status(MonState::Peon, 2, Some("a"), &["a", "c"]));
    t.fail(
        E::Quorum(vec![s("a"), s("b"), s("c")]),
        "quorum of a (epoch 2) is a b c, but c has quorum a c",
    );
}

#[test]
fn quorum_without_a_leader_fails() {
    let mut t = formed();
    t.at(9).down(A);
    t.fail(E::Quorum(vec![s("b"), s("c")]), "no leader");
}

#[test]
fn state_and_was() {
    let mut t = T::new();
    t.pass(E::State(s("b"), MonState::Down), "b is down");
    t.pass(E::Was(s("b"), MonState::Down), "b was down");
    t = formed();
    t.at(5).electing(C, 3);
    t.pass(E::State(s("c"), MonState::Electing), "c is electing");
    t.fail(E::State(s("c"), MonState::Peon), "c is electing");
    t.pass(E::Was(s("c"), MonState::Peon), "c was peon");
    t.pass(E::Was(s("c"), MonState::Down), "c was down");
    t.fail(
        E::Was(s("c"), MonState::Leader),
        "c was never leader (was down probing electing peon)",
    );
    t.fail(E::State(s("zz"), MonState::Down), "unknown monitor zz");
}

#[test]
fn epoch_checks_every_running_monitor() {
    let mut t = formed();
    t.pass(E::Epoch(EpochExpect::Is(2)), "epochs: a=2 b=2 c=2");
    t.pass(E::Epoch(EpochExpect::Even), "epochs: a=2 b=2 c=2");
    t.at(5).electing(C, 3);
    t.fail(E::Epoch(EpochExpect::Even), "epochs: a=2 b=2 c=3");
    t.down(C);
    t.pass(E::Epoch(EpochExpect::Is(2)), "epochs: a=2 b=2");
    t.fail(E::Epoch(EpochExpect::Odd), "epochs: a=2 b=2");
}

#[test]
fn epoch_with_nothing_running_fails() {
    T::new().fail(E::Epoch(EpochExpect::Even), "no monitor running");
    T::new().fail(E::Agree, "no monitor running");
}

#[test]
fn agree_needs_every_running_monitor_in_the_same_quorum() {
    let mut t = formed();
    t.pass(E::Agree, "all follow a (epoch 2, quorum a b c)");
    t.at(5).electing(C, 3);
    t.fail(E::Agree, "c is electing");
    t.set(C, status(MonState::Peon, 2, Some("a"), &["a", "c"]));
    t.fail(
        E::Agree,
        "c follows a (epoch 2, quorum a c), a follows a (epoch 2, quorum a b c)",
    );
    t.down(C);
    t.pass(E::Agree, "all follow a (epoch 2, quorum a b c)");
    // Peons of a dead leader do not agree.
    t.down(A);
    t.fail(E::Agree, "no leader");
}

#[test]
fn quorum_stable_holds_when_nothing_changed_in_the_window() {
    let mut t = formed();
    t.at(31);
    t.pass(
        E::QuorumStable(30 * SEC),
        "quorum of a (epoch 2) is a b c, unchanged since 1s",
    );
    // A change exactly at T−D lies outside (T−D, T].
    t.fail(
        E::QuorumStable(31 * SEC),
        "a's state changed to leader at 1s",
    );
}

#[test]
fn quorum_stable_fails_when_a_member_changed_its_epoch_inside_the_window() {
    let mut t = formed();
    t.at(40).quorum(A, 4, &["a", "b", "c"]);
    t.at(50);
    t.fail(E::QuorumStable(30 * SEC), "a's epoch changed to 4 at 40s");
    t.pass(
        E::QuorumStable(10 * SEC),
        "quorum of a (epoch 4) is a b c, unchanged since 40s",
    );
}

#[test]
fn quorum_stable_fails_when_the_leader_changed() {
    let mut t = formed();
    t.at_ms(41_200).quorum(B, 4, &["b", "c"]);
    t.down(A);
    t.at(50);
    t.fail(
        E::QuorumStable(30 * SEC),
        "b's state changed to leader at 41.2s",
    );
}

#[test]
fn quorum_stable_longer_than_the_run_so_far_fails() {
    let mut t = formed();
    t.at(10);
    t.fail(
        E::QuorumStable(30 * SEC),
        "a's state changed to leader at 1s",
    );
}

#[test]
fn stable_also_watches_monitors_outside_the_quorum() {
    let mut t = T::new();
    t.probing(A).probing(B);
    t.at(1).quorum(A, 2, &["a", "b"]);
    t.at(40).electing(C, 5);
    t.at(50);
    t.pass(
        E::QuorumStable(30 * SEC),
        "quorum of a (epoch 2) is a b, unchanged since 1s",
    );
    t.fail(E::Stable(30 * SEC), "c's epoch changed to 5 at 40s");
    t.pass(E::Unstable(30 * SEC), "c's epoch changed to 5 at 40s");
    t.at(80);
    t.pass(
        E::Stable(30 * SEC),
        "quorum of a (epoch 2) is a b, unchanged since 1s",
    );
    t.fail(
        E::Unstable(30 * SEC),
        "stable: quorum of a (epoch 2) is a b, unchanged since 1s",
    );
}

#[test]
fn committed_needs_every_quorum_member() {
    let mut t = formed();
    t.at(20).put(A, "greeting", "hi").put(B, "greeting", "hi");
    t.fail(
        E::Committed(s("greeting"), s("hi")),
        "a has greeting=hi, b has greeting=hi, c lacks greeting",
    );
    t.put(C, "greeting", "hi");
    t.pass(
        E::Committed(s("greeting"), s("hi")),
        "a b c have greeting=hi",
    );
    t.fail(
        E::Committed(s("greeting"), s("bye")),
        "a has greeting=hi, b has greeting=hi, c has greeting=hi",
    );
}

#[test]
fn committed_ignores_monitors_outside_the_quorum() {
    let mut t = formed();
    t.at(20).quorum(A, 4, &["a", "b"]);
    t.electing(C, 5);
    t.put(A, "k", "v").put(B, "k", "v");
    t.pass(E::Committed(s("k"), s("v")), "a b have k=v");
    t.pass(E::Missing(s("other")), "a b lack other");
}

#[test]
fn committed_without_a_leader_fails() {
    let mut t = formed();
    t.at(5).down(A);
    t.fail(E::Committed(s("k"), s("v")), "no quorum");
    t.fail(E::Missing(s("k")), "no quorum");
}

#[test]
fn missing_fails_if_any_member_has_the_key_and_erase_removes_it() {
    let mut t = formed();
    t.at(20).put(B, "k", "v");
    t.fail(E::Missing(s("k")), "a lacks k, b has k=v, c lacks k");
    let mut tx = Transaction::new();
    tx.erase("mon_config_key", "k");
    t.ev(EventKind::Store {
        node: B,
        tx: tx.into(),
    });
    t.pass(E::Missing(s("k")), "a b c lack k");
    t.put(C, "x", "1");
    let mut wipe = Transaction::new();
    wipe.erase_prefix("mon_config_key");
    t.ev(EventKind::Store {
        node: C,
        tx: wipe.into(),
    });
    assert!(t.st.kv(C).is_empty());
}

#[test]
fn version_compares_last_committed_and_down_monitors_keep_theirs() {
    let mut t = formed();
    t.at(10).with_lc(B, 12);
    t.pass(
        E::Version(s("b"), CmpOp::Ge, Count(12)),
        "last_committed of b is 12",
    );
    t.fail(
        E::Version(s("b"), CmpOp::Lt, Count(12)),
        "last_committed of b is 12",
    );
    t.at(11).down(B);
    t.pass(
        E::Version(s("b"), CmpOp::Eq, Count(12)),
        "last_committed of b is 12",
    );
}

#[test]
fn version_against_another_monitor_compares_both_last_committed_at_that_time() {
    // `version c = a` (an extension): a lagging monitor caught up, whatever
    // number of versions the start-up committed.
    let mut t = formed();
    t.at(10).with_lc(A, 17);
    t.with_lc(C, 6);
    t.fail(
        E::Version(s("c"), CmpOp::Eq, Of(s("a"))),
        "last_committed of c is 6, of a 17",
    );
    t.pass(
        E::Version(s("c"), CmpOp::Lt, Of(s("a"))),
        "last_committed of c is 6, of a 17",
    );
    t.at(12).with_lc(C, 17);
    t.pass(
        E::Version(s("c"), CmpOp::Eq, Of(s("a"))),
        "last_committed of c is 17, of a 17",
    );
    t.fail(
        E::Version(s("c"), CmpOp::Eq, Of(s("x"))),
        "unknown monitor x",
    );
}

#[test]
fn health_is_the_leaders_exact_set() {
    let mut t = formed();
    t.pass(E::Health(vec![]), "health: ok");
    let mut st = t.st.status(A).clone();
    st.health = vec![s("MON_CLOCK_SKEW"), s("MON_DOWN")];
    t.at(5).set(A, st);
    t.pass(
        E::Health(vec![s("MON_DOWN"), s("MON_CLOCK_SKEW")]),
        "health: MON_CLOCK_SKEW MON_DOWN",
    );
    t.fail(
        E::Health(vec![s("MON_DOWN")]),
        "health: MON_CLOCK_SKEW MON_DOWN",
    );
    t.fail(E::Health(vec![]), "health: MON_CLOCK_SKEW MON_DOWN");
    t.down(A);
    t.fail(E::Health(vec![]), "no leader");
}

#[test]
fn two_leaders_at_once_breaks_max_leaders_1() {
    let mut t = T::new();
    t.pass(E::MaxLeaders(0), "no leader so far");
    t = formed();
    t.pass(E::MaxLeaders(1), "at most 1 leader at once");
    t.at_ms(13_400)
        .set(C, status(MonState::Leader, 4, Some("c"), &["c"]));
    t.at(14).down(A);
    // Still true after the second leader is gone.
    t.at(20);
    assert_eq!(t.st.leaders_now(), 1);
    t.fail(E::MaxLeaders(1), "2 leaders at 13.4s");
    t.pass(E::MaxLeaders(2), "at most 2 leaders at once");
}

#[test]
fn leaders_one_after_another_do_not_break_max_leaders_1() {
    let mut t = formed();
    t.at(10).electing(A, 3);
    t.at(11).quorum(B, 4, &["b", "c"]);
    assert_eq!(t.st.max_leaders(), 1);
    t.pass(E::MaxLeaders(1), "at most 1 leader at once");
}

#[test]
fn agreeing_commits_are_safe() {
    let mut t = formed();
    assert_eq!(t.commit(A, 1, 0xab), None);
    assert_eq!(t.commit(B, 1, 0xab), None);
    assert_eq!(t.commit(B, 2, 0xcd), None);
    t.pass(E::Safe, "no violation");
}

#[test]
fn different_values_for_one_version_is_unsafe() {
    let mut t = formed();
    t.commit(A, 7, 0x1);
    let v = t.commit(B, 7, 0x2).expect("violation");
    assert_eq!(
        v,
        "mon.b committed v7 = 0x0000000000000002 but mon.a committed v7 = 0x0000000000000001"
    );
    // Reported once, however many monitors repeat either value.
    assert_eq!(t.commit(C, 7, 0x2), None);
    assert_eq!(t.commit(C, 7, 0x1), None);
    assert_eq!(t.st.violations().len(), 1);
    t.fail(E::Safe, &format!("violation: {v}"));
}

#[test]
fn last_committed_going_back_is_unsafe() {
    let mut t = formed();
    t.at(5).with_lc(B, 12);
    // Killing and reviving from the store keeps it.
    t.at(6).down(B);
    t.at(7).probing(B);
    let v = t.at(8).with_lc(B, 9).expect("violation");
    assert_eq!(v, "mon.b's last_committed went back from 12 to 9 at 8s");
    assert_eq!(t.at(9).with_lc(B, 10), None);
    t.fail(E::Safe, &format!("violation: {v}"));
}

#[test]
fn a_wiped_monitors_last_committed_may_go_back_to_0() {
    let mut t = formed();
    t.at(5).with_lc(B, 12);
    t.at(6).down(B);
    let mut tx = Transaction::new();
    tx.erase_prefix("paxos").erase_prefix("mon_config_key");
    t.ev(EventKind::Store {
        node: B,
        tx: tx.into(),
    });
    t.pass(
        E::Version(s("b"), CmpOp::Eq, Count(0)),
        "last_committed of b is 0",
    );
    t.at(7).probing(B);
    assert_eq!(t.with_lc(B, 0), None);
    t.pass(E::Safe, "no violation");
}

#[test]
fn several_violations_are_counted() {
    let mut t = formed();
    t.commit(A, 1, 1);
    t.commit(B, 1, 2);
    t.commit(A, 2, 1);
    t.commit(B, 2, 2);
    let o = t.check(E::Safe);
    assert!(!o.pass);
    assert!(o.actual.ends_with("(and 1 more)"), "{}", o.actual);
}

#[test]
fn status_changes_track_leaders_and_running() {
    let mut t = formed();
    assert_eq!(t.st.leader(), Some(A));
    assert!(t.st.running(C));
    t.at(3).down(C);
    assert!(!t.st.running(C));
    assert_eq!(t.st.leaders_now(), 1);
    assert_eq!(t.st.status(C).state, MonState::Down);
}
