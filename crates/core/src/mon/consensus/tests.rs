//! Fidelity tests for Paxos (§3) and the kv PaxosService (§4), named after
//! the rule each checks.

use super::harness::{Cluster, Role, CLIENT};
use super::Origin;
use crate::mon::messages::{ClientOp, ClientResult, PaxosOp};
use crate::mon::out::Timer;
use crate::mon::status::PaxosState;
use crate::mon::Rank;
use crate::time::{MS, SEC};

/// The versions a fresh quorum commits after its first election:
/// MDSMonitor's create_initial at once (v1), then OSDMonitor's,
/// LogMonitor's, AuthMonitor's, HealthMonitor's and KVMonitor's, batched
/// while v1 was in flight (v2), then AuthMonitor::on_active's increase of
/// max_global_id (v3).
const FIRST: u64 = 3;

/// A fresh 3-mon cluster, leader 0, that committed its first versions.
fn steady3() -> Cluster {
    let mut c = Cluster::new(3);
    c.elect(0, &[0, 1, 2]);
    c.advance(MS);
    for r in 0..3 {
        assert_eq!(c.node(r).c.last_committed(), FIRST, "mon.{r}");
    }
    c
}

fn written(c: &Cluster, tid: u64) -> Option<u64> {
    c.replies.iter().find_map(|(_, _, r)| match r.result {
        ClientResult::Written { version } if r.tid == tid => Some(version),
        _ => None,
    })
}

#[test]
fn rank0_leader_generates_pn_100_200_300() {
    let mut c = Cluster::new(3);
    for want in [100, 200, 300] {
        c.elect(0, &[0, 1, 2]);
        assert_eq!(c.node(0).c.paxos.accepted_pn, want);
        assert_eq!(c.node(0).c.paxos.last_pn, want);
        assert_eq!(c.node(0).store.get_u64("paxos", "last_pn"), want);
        // the peons promised it, persistently
        assert_eq!(c.node(2).store.get_u64("paxos", "accepted_pn"), want);
    }
}

#[test]
fn after_accepted_pn_300_rank1_generates_401() {
    let mut c = Cluster::new(3);
    for _ in 0..3 {
        c.elect(0, &[0, 1, 2]);
    }
    assert_eq!(c.node(1).c.paxos.accepted_pn, 300);
    c.kill(0);
    c.elect(1, &[1, 2]);
    assert_eq!(c.node(1).c.paxos.accepted_pn, 401);
    assert_eq!(c.node(2).c.paxos.accepted_pn, 401);
    let collects = c.sent_ops(PaxosOp::Collect);
    assert_eq!(collects.last().unwrap().m.pn, 401);
}

#[test]
fn a_fresh_quorum_commits_each_services_create_initial_after_its_first_election_paxosservice_should_propose(
) {
    // PaxosService::_active on a leader with lc 0: create_initial, then
    // propose_pending. MDSMonitor (PAXOS_MDSMAP) comes first and proposes
    // at once (v1); OSDMonitor, LogMonitor, AuthMonitor, HealthMonitor and
    // KVMonitor propose while v1 is in flight, so theirs go out together
    // when it commits (v2); auth's on_active then raises max_global_id (v3).
    let mut c = Cluster::new(3);
    c.elect(0, &[0, 1, 2]);
    for r in 0..3 {
        let n = c.node(r);
        assert_eq!(n.c.last_committed(), FIRST, "mon.{r}");
        assert_eq!(n.c.first_committed(), 1, "mon.{r}");
        assert_eq!(n.c.mds.last_committed, 1);
        assert_eq!(n.store.get_u64("mdsmap", "last_committed"), 1);
        assert_eq!(n.c.osd.last_committed, 1);
        assert_eq!(n.c.logm.last_committed, 1);
        assert_eq!(n.store.get_u64("logm", "last_committed"), 1);
        assert_eq!(n.c.health.last_committed, 1);
        assert_eq!(n.c.kv.last_committed, 1);
        assert_eq!(n.store.get_u64("kv", "last_committed"), 1);
        assert_eq!(n.c.auth.last_committed, 2);
        let commits = n.commits();
        assert_eq!(commits.len(), 3);
        assert_eq!(commits[2].0, FIRST);
        assert_eq!(
            commits[2].1,
            c.node(0).commits()[2].1,
            "same value everywhere"
        );
    }
    assert_eq!(c.node(0).c.status().state, PaxosState::Active);
    assert!(c.node(0).actives >= 1, "the leader went active");
    // the peons go active on the next lease (state ACTIVE and readable)
    c.advance(3 * SEC);
    for r in 1..3 {
        assert_eq!(c.node(r).c.status().state, PaxosState::Active);
        assert!(c.is_readable(r));
    }
}

#[test]
fn a_quorum_of_one_commits_version_1_at_once() {
    // Alone, each commit completes within its proposal, so every service's
    // create_initial is a version of its own: mdsmap, osdmap, logm, auth,
    // health, kv, and auth's increase of max_global_id.
    let mut c = Cluster::new(1);
    c.elect(0, &[0]);
    assert_eq!(c.node(0).c.last_committed(), 7);
    assert!(c.is_readable(0));
    c.write(0, 1, "k", "v");
    assert_eq!(written(&c, 1), Some(8));
    assert_eq!(c.node(0).kv("k").as_deref(), Some("v"));
}

#[test]
fn a_commit_waits_for_every_quorum_members_accept() {
    let mut c = Cluster::new(3);
    c.drop = Box::new(|from, _, m| m.op == PaxosOp::Accept && from == 2);
    c.elect(0, &[0, 1, 2]);
    // mon.1 accepted: a majority, but not everyone
    assert_eq!(c.node(0).c.last_committed(), 0);
    assert_eq!(c.node(0).c.status().state, PaxosState::Updating);
    assert!(c.sent_ops(PaxosOp::Commit).is_empty());
    c.advance(10 * SEC - 1);
    assert!(c.node(0).bootstraps.is_empty());
    c.advance(1);
    let (at, reason) = &c.node(0).bootstraps[0];
    assert_eq!(*at, 10 * SEC);
    assert!(reason.contains("accept timeout"), "{reason}");
}

#[test]
fn recovery_reproposes_an_accepted_but_uncommitted_value() {
    let mut c = steady3();
    // the old leader's BEGIN for v4 (FIRST + 1) reaches only mon.2, and mon.2's ACCEPT is lost
    c.drop = Box::new(|from, to, m| {
        (m.op == PaxosOp::Begin && to == 1) || (m.op == PaxosOp::Accept && from == 2)
    });
    c.write(0, 7, "k", "old-leader");
    assert_eq!(c.node(2).c.uncommitted(), Some((FIRST + 1, 100)));
    assert_eq!(c.node(1).c.uncommitted(), None);
    let proposed = c
        .node(2)
        .store
        .get("paxos", &(FIRST + 1).to_string())
        .unwrap()
        .to_vec();
    c.drop = Box::new(|_, _, _| false);
    c.kill(0);
    c.elect(1, &[1, 2]);
    let l = c.node(1);
    assert_eq!(l.c.paxos.accepted_pn, 201);
    let logs = l.logs();
    let learned = logs
        .iter()
        .position(|s| s.contains("learned uncommitted v4 pn 100"));
    let begin_old = logs
        .iter()
        .position(|s| s.contains("begin on old learned value v4"));
    assert!(learned.is_some() && begin_old > learned, "{logs:?}");
    // the first BEGIN of the new leader is the old value
    let begins: Vec<_> = c
        .sent_ops(PaxosOp::Begin)
        .into_iter()
        .filter(|s| s.from == 1)
        .collect();
    assert_eq!(
        begins[0].m.values.get(&(FIRST + 1)).map(|b| b.to_vec()),
        Some(proposed.clone())
    );
    assert_eq!(begins[0].m.pn, 201);
    for r in [1, 2] {
        let n = c.node(r);
        assert_eq!(n.c.last_committed(), FIRST + 1);
        assert_eq!(n.commits().last().unwrap(), &(FIRST + 1, proposed.clone()));
        assert_eq!(n.kv("k").as_deref(), Some("old-leader"));
    }
    assert_eq!(c.node(1).c.status().state, PaxosState::Active);
}

#[test]
fn a_peon_with_lc_behind_the_leader_gets_the_missing_commits_during_collect() {
    let mut c = steady3();
    c.elect(0, &[0, 1]);
    c.write(0, 1, "a", "1");
    c.advance(100 * MS);
    c.write(0, 2, "b", "2");
    c.advance(2 * SEC);
    assert_eq!(c.node(0).c.last_committed(), FIRST + 2);
    assert_eq!(c.node(2).c.last_committed(), FIRST);
    c.elect(0, &[0, 1, 2]);
    let commits: Vec<_> = c
        .sent_ops(PaxosOp::Commit)
        .into_iter()
        .filter(|s| s.to == 2 && s.m.epoch == c.epoch)
        .collect();
    assert_eq!(
        commits[0].m.values.keys().copied().collect::<Vec<_>>(),
        vec![FIRST + 1, FIRST + 2]
    );
    let n = c.node(2);
    assert_eq!(n.c.last_committed(), FIRST + 2);
    assert_eq!(n.kv("a").as_deref(), Some("1"));
    assert_eq!(n.kv("b").as_deref(), Some("2"));
    let versions: Vec<u64> = n.commits().iter().map(|x| x.0).collect();
    assert_eq!(versions, (1..=FIRST + 2).collect::<Vec<_>>());
    let last = FIRST as usize + 1;
    assert_eq!(n.commits()[last].1, c.node(0).commits()[last].1);
}

#[test]
fn a_peon_that_hears_no_lease_for_10s_bootstraps() {
    let mut c = steady3();
    c.advance(2 * SEC);
    let last_lease = c.sent_ops(PaxosOp::Lease).last().unwrap().at;
    c.kill(0);
    c.advance(last_lease + 10 * SEC - 1 - c.now);
    assert!(c.node(1).bootstraps.is_empty());
    c.advance(1);
    for r in [1, 2] {
        let (at, reason) = &c.node(r).bootstraps[0];
        assert_eq!(*at, last_lease + 10 * SEC);
        assert!(reason.contains("lease timeout"), "{reason}");
        assert_eq!(c.node(r).role, Role::Out);
    }
}

#[test]
fn a_peon_whose_leader_never_sends_a_lease_bootstraps_after_peon_init() {
    let mut c = Cluster::new(3);
    c.drop = Box::new(|from, _, _| from == 0);
    c.elect(0, &[0, 1, 2]);
    c.advance(10 * SEC);
    assert_eq!(c.node(1).bootstraps[0].0, 10 * SEC);
}

#[test]
fn leases_renew_every_3s() {
    let mut c = steady3();
    let start = c.now;
    c.advance(20 * SEC);
    let times: Vec<_> = c
        .sent_ops(PaxosOp::Lease)
        .into_iter()
        .filter(|s| s.to == 1 && s.at > start)
        .map(|s| s.at)
        .collect();
    let gaps: Vec<_> = times.windows(2).map(|w| w[1] - w[0]).collect();
    assert_eq!(gaps.len(), 5);
    assert!(gaps.iter().all(|g| *g == 3 * SEC), "{gaps:?}");
    let lease = c.sent_ops(PaxosOp::Lease).last().unwrap().m.clone();
    assert_eq!(lease.lease_timestamp, lease.sent_timestamp + 5 * SEC);
    assert_eq!(
        times[0],
        3 * SEC,
        "3 s after the lease of the v1 commit at 0"
    );
    assert!(c.nodes.iter().all(|n| n.bootstraps.is_empty()));
    assert!(c.is_readable(1) && c.is_readable(2));
}

#[test]
fn lease_ack_timeout_fires_10s_after_the_first_unacked_lease_even_though_leases_renew() {
    let mut c = steady3();
    assert!(
        !c.node(0).timers.contains_key(&Timer::LeaseAckTimeout),
        "all acked"
    );
    c.drop = Box::new(|from, _, m| m.op == PaxosOp::LeaseAck && from == 2);
    c.advance(4 * SEC);
    // the first unacked lease was sent (and its ack lost) at t0
    let t0 = c
        .sent_ops(PaxosOp::LeaseAck)
        .into_iter()
        .find(|s| s.dropped)
        .unwrap()
        .at;
    assert_eq!(c.node(0).timers[&Timer::LeaseAckTimeout], t0 + 10 * SEC);
    c.advance(t0 + 10 * SEC - 1 - c.now);
    assert!(c.node(0).bootstraps.is_empty());
    // leases kept being renewed meanwhile
    let renewals = c
        .sent_ops(PaxosOp::Lease)
        .iter()
        .filter(|s| s.to == 2 && s.at > t0)
        .count();
    assert_eq!(renewals, 3);
    c.advance(1);
    let (at, reason) = &c.node(0).bootstraps[0];
    assert_eq!(*at, t0 + 10 * SEC);
    assert!(reason.contains("lease ack timeout"), "{reason}");
}

#[test]
fn handle_begin_clears_lease_expire_so_reads_stop() {
    let mut c = steady3();
    c.advance(SEC);
    assert!(c.is_readable(1));
    let lease_timeout = c.node(1).timers[&Timer::LeaseTimeout];
    c.drop = Box::new(|from, _, m| m.op == PaxosOp::Accept && from == 2);
    c.write(0, 1, "k", "v");
    let n = c.node(1);
    assert_eq!(n.c.status().state, PaxosState::Updating);
    assert_eq!(n.c.status().lease_expire, 0);
    assert!(!c.is_readable(1));
    // the lease timeout is not reset by BEGIN
    assert_eq!(c.node(1).timers[&Timer::LeaseTimeout], lease_timeout);
    // a read waits instead of being answered
    c.client(1, 2, ClientOp::Read { key: "k".into() });
    assert!(c.replies.iter().all(|(_, _, r)| r.tid != 2));
}

#[test]
fn a_write_forwarded_through_a_peon_commits_and_is_answered() {
    let mut c = steady3();
    c.advance(SEC);
    c.write(1, 9, "color", "blue");
    let (_, origin, reply) = c.replies.iter().find(|(_, _, r)| r.tid == 9).unwrap();
    assert_eq!(
        origin,
        &Origin::Forwarded {
            peon: crate::mon::Addr(1),
            client: CLIENT
        }
    );
    assert_eq!(reply.result, ClientResult::Written { version: FIRST + 1 });
    for r in 0..3 {
        assert_eq!(c.node(r).kv("color").as_deref(), Some("blue"), "mon.{r}");
    }
    // after the next lease the peon answers reads itself
    c.advance(3 * SEC);
    c.client(
        2,
        10,
        ClientOp::Read {
            key: "color".into(),
        },
    );
    let (_, origin, reply) = c.replies.iter().find(|(_, _, r)| r.tid == 10).unwrap();
    assert_eq!(origin, &Origin::Client(CLIENT));
    assert_eq!(
        reply.result,
        ClientResult::Value {
            value: Some("blue".into()),
            version: FIRST + 1
        }
    );
}

#[test]
fn every_config_key_set_is_its_own_version_kvmonitor_force_immediate_propose() {
    // KVMonitor::prepare_command ends with force_immediate_propose(): no
    // paxos_propose_interval wait, and no batching. ceph-mon 16.2.15 gave one
    // kv version per `config-key set`, sequential or concurrent.
    let mut c = steady3();
    c.advance(SEC);
    for (tid, key) in [(1, "a"), (2, "b"), (3, "c")] {
        let t = c.now;
        c.write(0, tid, key, "v");
        assert_eq!(
            written(&c, tid),
            Some(FIRST + tid),
            "sequential write {key}"
        );
        assert_eq!(
            sent_since(&c, PaxosOp::Begin, 0, t),
            2,
            "one BEGIN per peon"
        );
        c.advance(200 * MS);
    }
    // Two at the same instant: the second waits for the first one's commit
    // (the service is proposing), then goes as the next version on its own.
    let write = |k: &str| ClientOp::Write {
        key: k.into(),
        value: "v".into(),
    };
    c.clients(vec![(0, 4, write("d")), (0, 5, write("e"))]);
    assert_eq!(written(&c, 4), Some(FIRST + 4));
    assert_eq!(written(&c, 5), Some(FIRST + 5));
    assert!(!c.node(0).timers.contains_key(&Timer::ProposeTimer));
    assert!(c
        .node(0)
        .logs()
        .contains(&"kv: forced immediate propose".into()));
}

#[test]
fn a_monmap_change_is_proposed_at_once() {
    // MonmapMonitor::should_propose always answers a delay of 0.0: PaxosService's
    // default (wait out paxos_propose_interval after the last commit) is not used.
    let mut c = steady3();
    c.advance(SEC);
    c.client(0, 1, mon_add_d());
    c.monmap = crate::mon::monmap_service::latest_in_store(&c.node(0).store).unwrap();
    assert_eq!(c.monmap.epoch, 2);
    c.elect(0, &[0, 1, 2]);
    c.advance(100 * MS);
    // the monmap service is at e2, 100 ms after a commit
    let t = c.now;
    c.client(0, 2, ClientOp::MonRemove { name: "d".into() });
    assert_eq!(sent_since(&c, PaxosOp::Begin, 0, t), 2);
    assert!(!c.node(0).timers.contains_key(&Timer::MonmapProposeTimer));
    assert!(c.replies.iter().any(|(at, _, r)| r.tid == 2 && *at == t));
}

#[test]
fn a_lease_that_arrives_already_expired_makes_the_peon_unreadable() {
    let mut c = Cluster::new(3);
    c.node_mut(2).skew = 6 * SEC;
    c.elect(0, &[0, 1, 2]);
    c.advance(SEC);
    assert!(c.is_readable(1));
    assert!(!c.is_readable(2));
    assert_eq!(c.node(2).c.status().state, PaxosState::Active);
    assert!(
        c.node(2).logs().iter().any(|s| s.contains("in the past")),
        "{:?}",
        c.node(2).logs()
    );
    // a read on the skewed peon waits
    c.client(2, 5, ClientOp::Read { key: "x".into() });
    assert!(c.replies.iter().all(|(_, _, r)| r.tid != 5));
}

#[test]
fn commits_are_noted_once_per_version_on_every_monitor() {
    let mut c = steady3();
    c.advance(SEC);
    c.write(0, 1, "a", "1");
    c.advance(3 * SEC);
    for r in 0..3 {
        let v: Vec<u64> = c.node(r).commits().iter().map(|x| x.0).collect();
        assert_eq!(v, (1..=FIRST + 1).collect::<Vec<_>>(), "mon.{r}");
    }
}

#[test]
fn paxos_trims_beyond_paxos_min_plus_trim_min_as_a_replicated_value() {
    let mut c = Cluster::new(3);
    c.cfg.paxos_min = 2;
    c.cfg.paxos_trim_min = 1;
    c.elect(0, &[0, 1, 2]);
    // v1 to v3 are the services' first versions (and auth's increase); the
    // writes are v4 and v5
    for i in 0..2u64 {
        c.advance(2 * SEC);
        c.write(0, i, &format!("k{i}"), "v");
        c.advance(2 * SEC);
    }
    // v5 made lc - fc = 4 > 3: trim [1, 3) proposed as v6, then nothing more
    for r in 0..3 {
        let n = c.node(r);
        assert_eq!(n.c.last_committed(), 6, "mon.{r}");
        assert_eq!(n.c.first_committed(), 3, "mon.{r}");
        assert!(!n.store.exists("paxos", "1") && !n.store.exists("paxos", "2"));
        assert!(n.store.exists("paxos", "3"));
    }
    assert!(!c.node(0).c.paxos.trimming);
}

fn mon_add_d() -> ClientOp {
    ClientOp::MonAdd {
        name: "d".into(),
        addr: crate::mon::Addr(3),
    }
}

/// Paxos messages of `op` sent by `from` at or after `t`.
fn sent_since(c: &Cluster, op: PaxosOp, from: Rank, t: u64) -> usize {
    c.sent_ops(op)
        .iter()
        .filter(|s| s.from == from && s.at >= t)
        .count()
}

#[test]
fn a_commit_whose_refresh_needs_a_bootstrap_does_not_finish_the_round() {
    // commit_finish: `if (do_refresh()) { commit_proposal(); extend_lease();
    // finish_round(); }`. A newer committed monmap makes MonmapMonitor ask for
    // a bootstrap inside the refresh: no LEASE, and the write that came
    // mid-round (pending behind the monmap) is not proposed but discarded by
    // restart(); its client retries.
    let mut c = steady3();
    c.advance(SEC);
    let t = c.now;
    c.clients(vec![
        (0, 1, mon_add_d()),
        (
            0,
            2,
            ClientOp::Write {
                key: "k".into(),
                value: "v".into(),
            },
        ),
    ]);
    for r in 0..3 {
        let n = c.node(r);
        assert_eq!(n.c.last_committed(), FIRST + 1, "mon.{r}");
        assert_eq!(n.bootstraps.len(), 1, "mon.{r}: {:?}", n.bootstraps);
        assert!(n.bootstraps[0].1.contains("monmap e2 committed"), "mon.{r}");
        assert!(
            !n.store.exists("paxos", &(FIRST + 2).to_string()),
            "mon.{r}: nothing more began"
        );
        assert_eq!(n.kv("k"), None, "mon.{r}");
    }
    assert_eq!(sent_since(&c, PaxosOp::Commit, 0, t), 2);
    assert_eq!(sent_since(&c, PaxosOp::Lease, 0, t), 0);
    assert_eq!(sent_since(&c, PaxosOp::Begin, 0, t), 2, "only v3's");
    assert_eq!(sent_since(&c, PaxosOp::LeaseAck, 1, t), 0);
    assert_eq!(written(&c, 2), None, "the write is not in v3");
    // Monitor::C_Command on -EAGAIN: the command is dispatched again.
    assert!(c
        .node(0)
        .logs()
        .contains(&"request tid 2: EAGAIN, dispatching it again".into()));
    assert!(
        c.replies.iter().any(|(_, _, r)| r.tid == 1),
        "mon add is answered"
    );
}

#[test]
fn a_recovery_whose_refresh_needs_a_bootstrap_extends_the_lease_but_does_not_finish_the_round() {
    // handle_last, "that's everyone": extend_lease(); `if (do_refresh())
    // finish_round();`. Leader a learns from b's LAST a commit carrying
    // monmap e2: it still sends the LEASE (before the refresh), then
    // bootstraps without finish_round's trim proposal.
    let mut c = steady3();
    c.kill(0);
    c.elect(1, &[1, 2]);
    c.advance(SEC);
    c.client(1, 1, mon_add_d());
    assert_eq!(c.node(1).c.last_committed(), FIRST + 1);
    assert_eq!(c.node(0).c.last_committed(), FIRST);
    // a had once used pn 300 (in a round b never heard of), so b accepts its
    // next collect rather than answering with its higher pn 201
    let mut t = crate::mon::store::Transaction::new();
    t.put_u64("paxos", "last_pn", 300);
    c.node_mut(0).store.apply(&t);
    c.revive(0);
    // lc - fc would be 1 > paxos_min + paxos_trim_min: finish_round would trim
    c.cfg.paxos_min = 0;
    c.cfg.paxos_trim_min = 0;
    let t = c.now;
    c.elect(0, &[0, 1]);
    let a = c.node(0);
    assert_eq!(a.c.last_committed(), FIRST + 1, "learned from b's LAST");
    assert_eq!(a.bootstraps.len(), 1, "{:?}", a.bootstraps);
    assert!(a.bootstraps[0].1.contains("monmap e2 committed"));
    assert_eq!(sent_since(&c, PaxosOp::Lease, 0, t), 1, "{:#?}", a.logs());
    assert_eq!(sent_since(&c, PaxosOp::Begin, 0, t), 0, "no trim proposal");
    assert_eq!(a.c.first_committed(), 1);
}

/// The keys (prefix/key) that paxos version `v` puts or erases, from `r`'s store.
fn version_keys(c: &Cluster, r: Rank, v: u64) -> Vec<String> {
    use crate::mon::store::{StoreOp, Transaction};
    let bytes = c.node(r).store.get("paxos", &v.to_string()).unwrap();
    Transaction::decode(bytes)
        .unwrap()
        .ops
        .iter()
        .map(|op| match op {
            StoreOp::Put { prefix, key, .. } => format!("put {prefix}/{key}"),
            StoreOp::Erase { prefix, key } => format!("erase {prefix}/{key}"),
            StoreOp::ErasePrefix { prefix } => format!("erase {prefix}/*"),
        })
        .collect()
}

#[test]
fn finish_round_wakes_its_waiters_before_it_trims_so_a_waiting_write_goes_first() {
    // finish_round: finish_contexts(waiting_for_active ...) runs the waiters at
    // once (a write retried there proposes, and paxos is UPDATING again);
    // only then should_trim/trim, whose transaction waits for the next round.
    // kv proposes at once (KVMonitor's force_immediate_propose), so the
    // retried write proposes at once instead of arming a proposal timer.
    let mut c = steady3();
    c.cfg.paxos_min = 1;
    c.cfg.paxos_trim_min = 2;
    c.advance(SEC);
    c.write(0, 1, "a", "1");
    let write = |k: &str| ClientOp::Write {
        key: k.into(),
        value: "v".into(),
    };
    // d goes as v5; e comes mid-round and waits. v5 makes lc - fc = 4 > 3.
    c.clients(vec![(0, 3, write("d")), (0, 4, write("e"))]);
    assert_eq!(written(&c, 3), Some(5));
    assert_eq!(written(&c, 4), Some(6), "the waiting write went first");
    let v6 = version_keys(&c, 0, 6);
    assert!(v6.contains(&"put mon_config_key/e".to_string()), "{v6:?}");
    assert!(!v6.iter().any(|k| k.starts_with("erase paxos/")), "{v6:?}");
    let v7 = version_keys(&c, 0, 7);
    assert!(v7.contains(&"erase paxos/1".to_string()), "{v7:?}");
    assert!(
        v7.contains(&"put paxos/first_committed".to_string()),
        "{v7:?}"
    );
    assert!(!c.node(0).c.paxos.trimming);
}

#[test]
fn mon_add_is_answered_before_it_commits_monmapmonitor_prepare_command() {
    // Pacific's MonmapMonitor::prepare_command replies "adding mon.d ..." and
    // only then proposes ("we are returning to the user"): with c's ACCEPT
    // lost the new monmap does not commit, and the client has its answer.
    let mut c = steady3();
    c.advance(SEC);
    c.drop = Box::new(|from, _, m| m.op == PaxosOp::Accept && from == 2);
    c.client(0, 1, mon_add_d());
    assert_eq!(c.node(0).c.monmap.last_committed, 1, "not committed");
    let (_, _, reply) = c.replies.iter().find(|(_, _, r)| r.tid == 1).unwrap();
    assert_eq!(
        reply.result,
        ClientResult::Command {
            ok: true,
            text: "adding mon.d at addr 3".into()
        }
    );
}
