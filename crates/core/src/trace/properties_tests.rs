//! The properties over synthetic traces: what Ceph guarantees is flagged when
//! broken, and what Ceph allows is not.

use super::Property;
use crate::mon::messages::{ClientOp, ClientResult, MClientReply, Message};
use crate::mon::monmap::{MonInfo, MonMap, Strategy};
use crate::mon::monmap_service::encode_monmap;
use crate::mon::status::{MonState, MonStatus};
use crate::mon::store::Transaction;
use crate::mon::Addr;
use crate::scenario::ast::Expectation;
use crate::time::{Time, SEC};
use crate::trace::expect::check;
use crate::trace::state::ClusterState;
use crate::trace::{ClientAnswer, Event, EventKind, NodeId, SmallNode};
use std::sync::Arc;

const A: NodeId = 0;
const B: NodeId = 1;
const C: NodeId = 2;
const CLIENT: NodeId = 3;

/// Monitors a b c and the client; events at `now` (seconds).
struct T {
    st: ClusterState,
    now: Time,
    tid: u64,
    next_version: u64,
}

fn s(n: &str) -> String {
    n.to_string()
}

impl T {
    fn new() -> T {
        T {
            st: ClusterState::new(vec![s("a"), s("b"), s("c")]),
            now: 0,
            tid: 0,
            next_version: 1,
        }
    }
    fn at(&mut self, secs: u64) -> &mut Self {
        self.now = secs * SEC;
        self
    }
    /// The properties this event broke.
    fn ev(&mut self, kind: EventKind) -> Vec<Property> {
        let found = self.st.apply(&Event { at: self.now, kind });
        found.iter().map(|v| v.property).collect()
    }
    /// A commit of `value` (which the simulator hands the fold beside the event).
    fn commit_valued(&mut self, node: NodeId, version: u64, value: &[u8]) -> Vec<Property> {
        let kind = EventKind::Commit {
            node,
            version,
            value_hash: crate::sim::fnv1a(value),
        };
        let found = self
            .st
            .apply_valued(&Event { at: self.now, kind }, Some(&value.into()), None);
        found.iter().map(|v| v.property).collect()
    }
    fn status(
        &mut self,
        node: NodeId,
        state: MonState,
        epoch: u32,
        leader: Option<&str>,
    ) -> Vec<Property> {
        let mut st = MonStatus::down(node as i32);
        st.state = state;
        st.election_epoch = epoch;
        st.leader = leader.map(Into::into);
        if leader.is_some() {
            st.quorum = vec![s("a"), s("b"), s("c")].into();
        }
        self.ev(EventKind::Status {
            node,
            status: Arc::new(st),
        })
    }
    /// `leader` leads epoch `epoch`; the others are its peons.
    fn quorum(&mut self, leader: NodeId, epoch: u32, peons: &[NodeId]) -> &mut Self {
        let name = self.st.name(leader).to_string();
        assert!(self
            .status(leader, MonState::Leader, epoch, Some(&name))
            .is_empty());
        for &p in peons {
            assert!(self
                .status(p, MonState::Peon, epoch, Some(&name))
                .is_empty());
        }
        self
    }
    /// `node` commits the next version, setting `key`=`value`; returns the version.
    fn commit(&mut self, node: NodeId, key: &str, value: &str) -> (u64, Vec<Property>) {
        let v = self.next_version;
        self.next_version += 1;
        (v, self.commit_at(node, v, key, value))
    }
    fn commit_at(&mut self, node: NodeId, version: u64, key: &str, value: &str) -> Vec<Property> {
        let mut tx = Transaction::new();
        tx.put("mon_config_key", key, value.as_bytes().to_vec());
        let value = tx.encode();
        self.commit_valued(node, version, &value)
    }
    fn request(&mut self, op: ClientOp) -> u64 {
        self.tid += 1;
        let tid = self.tid;
        assert!(self
            .ev(EventKind::ClientRequest {
                tid,
                target: Some(A as SmallNode),
                op: Arc::new(op),
            })
            .is_empty());
        tid
    }
    fn write(&mut self, key: &str, value: &str) -> u64 {
        self.request(ClientOp::Write {
            key: s(key),
            value: s(value),
        })
    }
    fn read(&mut self, key: &str) -> u64 {
        self.request(ClientOp::Read { key: s(key) })
    }
    fn reply(&mut self, tid: u64, from: NodeId, result: ClientResult) -> Vec<Property> {
        self.ev(EventKind::ClientReply {
            tid,
            from,
            answer: Arc::new(ClientAnswer {
                text: "".into(),
                result,
            }),
        })
    }
    fn acked(&mut self, tid: u64, version: u64) -> Vec<Property> {
        self.reply(tid, A, ClientResult::Written { version })
    }
    /// `from` sends the answer to read `tid` and the client takes it.
    fn answer(
        &mut self,
        tid: u64,
        from: NodeId,
        value: Option<&str>,
        version: u64,
    ) -> Vec<Property> {
        let result = ClientResult::Value {
            value: value.map(s),
            version,
        };
        let msg = Message::ClientReply(MClientReply {
            tid,
            result: result.clone(),
        });
        assert!(self
            .ev(EventKind::Send {
                id: 0,
                from: from as SmallNode,
                to: CLIENT as SmallNode,
                arrive_at: self.now,
                msg: Arc::new(msg),
            })
            .is_empty());
        self.reply(tid, from, result)
    }
}

fn formed() -> T {
    let mut t = T::new();
    t.at(1).quorum(A, 2, &[B, C]);
    t
}

#[test]
fn an_older_write_that_comes_back_after_a_newer_acknowledged_one_loses_the_newer() {
    let mut t = formed();
    let old = t.at(10).write("k", "old");
    let (v, _) = t.commit(A, "k", "old");
    assert!(t.at(11).acked(old, v).is_empty());
    let new = t.at(70).write("k", "new");
    let (v, _) = t.commit(A, "k", "new");
    assert!(t.at(71).acked(new, v).is_empty());
    // A forwarded copy of the old write is committed again, long after.
    let (_, found) = t.at(99).commit(A, "k", "old");
    assert_eq!(found, vec![Property::WriteKept]);
    let text = &t.st.violations()[0].text;
    assert!(text.contains("k=new is lost"), "{text}");
    let o = check(&t.st, &Expectation::Safe, t.now);
    assert!(!o.pass);
}

#[test]
fn a_write_never_acknowledged_may_land_after_a_newer_one() {
    let mut t = formed();
    let slow = t.at(10).write("k", "slow");
    let fast = t.at(12).write("k", "fast");
    let (v, _) = t.commit(A, "k", "fast");
    assert!(t.at(13).acked(fast, v).is_empty());
    // The slow one was still unanswered: it is concurrent with "fast".
    let (v, found) = t.at(14).commit(A, "k", "slow");
    assert!(found.is_empty());
    assert!(t.at(15).acked(slow, v).is_empty());
}

#[test]
fn an_acknowledged_write_the_history_lacks_is_flagged_even_when_its_ack_comes_after_the_older_value(
) {
    let mut t = formed();
    let old = t.at(10).write("k", "old");
    let (v, _) = t.commit(A, "k", "old");
    t.at(11).acked(old, v);
    let new = t.at(20).write("k", "new");
    let (vn, _) = t.commit(A, "k", "new");
    // The old value comes back before the new write's answer arrives.
    let (_, found) = t.at(21).commit(A, "k", "old");
    assert!(found.is_empty());
    assert_eq!(t.at(22).acked(new, vn), vec![Property::WriteKept]);
}

#[test]
fn a_write_is_acknowledged_in_the_version_that_sets_it() {
    let mut t = formed();
    let w = t.at(10).write("k", "x");
    t.write("j", "y");
    let (v, _) = t.commit(A, "j", "y");
    assert_eq!(t.at(11).acked(w, v), vec![Property::WriteKept]);
}

#[test]
fn a_value_no_client_wrote_is_flagged() {
    let mut t = formed();
    let (_, found) = t.at(10).commit(A, "k", "ghost");
    assert_eq!(found, vec![Property::WriteKept]);
}

#[test]
fn a_read_in_the_leaders_quorum_has_every_write_acknowledged_before_it() {
    let mut t = formed();
    let w = t.at(10).write("k", "x");
    let (v, _) = t.commit(A, "k", "x");
    t.at(11).acked(w, v);
    // Served by a peon of the same leader and epoch, at the version before.
    let r = t.at(12).read("k");
    assert_eq!(t.answer(r, B, None, v - 1), vec![Property::ReadLatest]);
    let text = &t.st.violations()[0].text;
    assert!(text.contains("lacks k=x"), "{text}");
    // At the version itself, it is right.
    let r = t.at(13).read("k");
    assert!(t.answer(r, C, Some("x"), v).is_empty());
}

#[test]
fn a_peon_of_an_older_quorum_may_serve_a_stale_read_until_its_lease_runs_out() {
    let mut t = formed();
    // c is cut off; a and b elect again (epoch 4) and commit k=x.
    t.at(20).quorum(B, 4, &[A]);
    let w = t.at(21).write("k", "x");
    let (v, _) = t.commit(B, "k", "x");
    t.at(22).acked(w, v);
    // c, still a peon of epoch 2 with a lease from a, serves the old value:
    // Ceph has no fence against that.
    let r = t.at(23).read("k");
    assert!(t.answer(r, C, None, v - 1).is_empty());
}

#[test]
fn a_read_returns_the_value_of_the_version_it_names() {
    let mut t = formed();
    let w = t.at(10).write("k", "x");
    let (v, _) = t.commit(A, "k", "x");
    t.at(11).acked(w, v);
    let r = t.at(12).read("k");
    assert_eq!(t.answer(r, A, Some("y"), v), vec![Property::ReadLatest]);
}

#[test]
fn a_monitor_never_follows_two_leaders_in_one_epoch() {
    let mut t = formed();
    assert!(t.at(5).status(C, MonState::Electing, 3, None).is_empty());
    // Two candidates both collect a majority of epoch 3: allowed, each leads epoch 4...
    assert!(t.status(A, MonState::Leader, 4, Some("a")).is_empty());
    assert!(t.status(B, MonState::Leader, 4, Some("b")).is_empty());
    assert!(t.status(C, MonState::Peon, 4, Some("b")).is_empty());
    // ...but a monitor that follows both in that epoch is not.
    assert_eq!(
        t.status(C, MonState::Peon, 4, Some("a")),
        vec![Property::OneLeaderPerEpoch]
    );
}

#[test]
fn election_epochs_never_go_back_unless_the_store_is_wiped() {
    let mut t = formed();
    assert!(t.at(5).status(C, MonState::Down, 2, None).is_empty());
    assert_eq!(
        t.at(6).status(C, MonState::Probing, 1, None),
        vec![Property::EpochKept]
    );
    let mut wipe = Transaction::new();
    wipe.erase_prefix("monitor").erase_prefix("paxos");
    t.at(7).ev(EventKind::Store {
        node: A,
        tx: wipe.into(),
    });
    assert!(t.at(8).status(A, MonState::Probing, 1, None).is_empty());
}

/// Monmap `epoch` with `names`, in rank order.
fn map(epoch: u32, names: &[&str]) -> MonMap {
    MonMap {
        epoch,
        mons: names
            .iter()
            .enumerate()
            .map(|(i, n)| MonInfo {
                name: s(n),
                addr: Addr(i as u32),
            })
            .collect(),
        strategy: Strategy::Classic,
        disallowed_leaders: Vec::new(),
    }
}

impl T {
    /// mon.a commits `version` holding monmap `m`.
    fn commit_monmap(&mut self, version: u64, m: &MonMap) -> Vec<Property> {
        let mut tx = Transaction::new();
        tx.put("monmap", &m.epoch.to_string(), encode_monmap(m));
        let value = tx.encode();
        self.commit_valued(A, version, &value)
    }
    /// The client's `mon add NAME` (or remove), answered at once as Pacific does.
    fn mon_command(&mut self, add: bool, name: &str) -> u64 {
        let op = if add {
            ClientOp::MonAdd {
                name: s(name),
                addr: Addr(9),
            }
        } else {
            ClientOp::MonRemove { name: s(name) }
        };
        let tid = self.request(op);
        let ok = ClientResult::Command {
            ok: true,
            text: String::new(),
        };
        assert!(self.reply(tid, A, ok).is_empty());
        tid
    }
}

#[test]
fn the_newest_committed_monmap_is_what_expect_monmap_checks() {
    let mut t = formed();
    assert!(t.commit_monmap(1, &map(1, &["a", "b", "c"])).is_empty());
    t.mon_command(true, "x");
    assert!(t
        .commit_monmap(2, &map(2, &["a", "b", "c", "x"]))
        .is_empty());
    let want = |n: &[&str]| Expectation::Monmap(n.iter().map(|x| s(x)).collect());
    let o = check(&t.st, &want(&["x", "c", "b", "a"]), t.now);
    assert!(o.pass, "{}", o.actual);
    assert_eq!(o.actual, "monmap e2 is a b c x");
    assert!(!check(&t.st, &want(&["a", "b", "c"]), t.now).pass);
}

#[test]
fn an_old_mon_add_coming_back_after_a_later_remove_committed_breaks_membership() {
    // Issue 13, bug 1: a peon kept a forwarded `mon add x` its client had
    // seen answered, and re-sent it after a later `mon remove x` committed.
    let mut t = formed();
    t.commit_monmap(1, &map(1, &["a", "b", "c"]));
    t.at(10).mon_command(true, "x");
    assert!(t
        .commit_monmap(2, &map(2, &["a", "b", "c", "x"]))
        .is_empty());
    t.at(70).mon_command(false, "x");
    assert!(t.commit_monmap(3, &map(3, &["a", "b", "c"])).is_empty());
    t.at(99);
    assert_eq!(
        t.commit_monmap(4, &map(4, &["a", "b", "c", "x"])),
        vec![Property::MembershipKept]
    );
}

#[test]
fn a_mon_add_answered_but_lost_to_an_election_is_what_pacific_allows() {
    // MonmapMonitor::prepare_command answers before the proposal commits; an
    // election discards the pending map. Nothing committed, nothing flagged;
    // a monitor nobody asked for is.
    let mut t = formed();
    t.commit_monmap(1, &map(1, &["a", "b", "c"]));
    t.at(10).mon_command(true, "x");
    t.at(40).mon_command(false, "b");
    assert!(t.commit_monmap(2, &map(2, &["a", "c"])).is_empty());
    assert_eq!(
        t.commit_monmap(3, &map(3, &["a", "c", "y"])),
        vec![Property::MembershipKept]
    );
}

#[test]
fn expect_quorum_all_is_every_member_of_the_newest_committed_monmap() {
    let mut t = formed();
    t.commit_monmap(1, &map(1, &["a", "b", "c"]));
    let o = check(&t.st, &Expectation::QuorumAll, t.now);
    assert!(o.pass, "{}", o.actual);
    t.mon_command(true, "x");
    t.commit_monmap(2, &map(2, &["a", "b", "c", "x"]));
    assert!(!check(&t.st, &Expectation::QuorumAll, t.now).pass);
}

#[test]
fn a_version_recommitted_with_first_committed_prepended_again_is_one_value() {
    // Paxos::begin puts first_committed = 1 in front of a version-1 value
    // each time it begins it: a value recovered and begun again differs in
    // bytes, not in effect.
    let mut t = formed();
    let mut first = Transaction::new();
    first.put_u64("paxos", "first_committed", 1);
    first.put("monmap", "1", b"epoch 1".to_vec());
    let mut again = Transaction::new();
    again.put_u64("paxos", "first_committed", 1);
    again.append(first.clone());
    let mut other = Transaction::new();
    other.put_u64("paxos", "first_committed", 1);
    other.put("monmap", "1", b"epoch 2".to_vec());
    for (node, tx, broken) in [(A, first, false), (B, again, false), (C, other, true)] {
        let value = tx.encode();
        let found = t.commit_valued(node, 1, &value);
        assert_eq!(
            found == vec![Property::OneValuePerVersion],
            broken,
            "{found:?}"
        );
    }
}

/// A value's effect: each key's last write counts, in any order, and an
/// erased prefix drops the writes before it; any other difference shows.
#[test]
fn values_with_the_same_effect_hash_alike_and_others_do_not() {
    use super::effect_hash;
    let tx = |f: &dyn Fn(&mut Transaction)| {
        let mut t = Transaction::new();
        f(&mut t);
        t
    };
    // Many keys, so the search for a key's entry runs past others.
    let many = |t: &mut Transaction| {
        for i in 0..40 {
            t.put("kv", &format!("k{i}"), vec![i as u8]);
        }
    };
    let base = tx(&|t| {
        many(t);
        t.put("kv", "k7", vec![1]).put("paxos", "k7", vec![2]);
    });
    let reordered = tx(&|t| {
        t.put("paxos", "k7", vec![9]).put("paxos", "k7", vec![2]);
        many(t);
        t.put("kv", "k7", vec![1]);
    });
    assert_eq!(effect_hash(&base), effect_hash(&reordered));
    let other_value = tx(&|t| {
        many(t);
        t.put("kv", "k7", vec![3]).put("paxos", "k7", vec![2]);
    });
    assert_ne!(effect_hash(&base), effect_hash(&other_value));
    let erased = tx(&|t| {
        many(t);
        t.put("paxos", "k7", vec![5])
            .erase_prefix("kv")
            .erase_prefix("paxos");
        t.put("paxos", "k7", vec![2]).put("kv", "k7", vec![1]);
    });
    let only = tx(&|t| {
        t.erase_prefix("paxos").erase_prefix("kv");
        t.put("kv", "k7", vec![1]).put("paxos", "k7", vec![2]);
    });
    assert_eq!(effect_hash(&erased), effect_hash(&only));
    assert_ne!(effect_hash(&erased), effect_hash(&base));
}
