//! Fidelity tests for monitor sync (§1.5 step 5, §1.6, §1.8) and Paxos trim
//! (§3.10): whole clusters through the simulator, and single monitors fed by hand.

use monscope_core::mon::config::Config;
use monscope_core::mon::messages::{
    ElectionOp, MMonElection, MMonPaxos, MMonProbe, MMonSync, Message, PaxosOp, ProbeOp, SyncOp,
};
use monscope_core::mon::monitor::{Input, Monitor};
use monscope_core::mon::monmap::{MonInfo, MonMap, Strategy};
use monscope_core::mon::out::{Note, Out};
use monscope_core::mon::status::MonState;
use monscope_core::mon::store::{MonitorDBStore, StoreOp, Transaction};
use monscope_core::mon::Addr;
use monscope_core::scenario::parse;
use monscope_core::sim::{run, Run};
use monscope_core::time::SEC;
use monscope_core::trace::EventKind;
use std::sync::Arc;

fn sim(text: &str) -> Run {
    run(&parse(text).unwrap_or_else(|e| panic!("{e}")))
}

/// (time, from, to, message) of every MMonSync sent.
fn syncs(r: &Run) -> Vec<(u64, u32, u32, MMonSync)> {
    r.trace
        .iter()
        .filter_map(|ev| match &ev.kind {
            EventKind::Send { from, to, msg, .. } => match &**msg {
                Message::Sync(m) => Some((ev.at, (*from).into(), (*to).into(), (**m).clone())),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// `n` writes, one every 500ms from `from` seconds: one paxos version each
/// (KVMonitor's force_immediate_propose).
fn writes(from: u64, n: u64) -> String {
    (0..n)
        .map(|i| format!("at {}ms write k{i} v{i}\n", from * 1000 + i * 500))
        .collect()
}

/// c's last_committed when it is killed at 10 s: the monmap (v1), the
/// FSMap (MDSMonitor's first version), the other services' first versions,
/// two new leaders' metadata and the cluster log.
const C_LC: u64 = 6;

/// c is killed at 10s, a and b commit `n` writes from 30s (each a kv
/// version and its audit line's logm version), c revives at 55s.
fn behind(settings: &str, n: u64) -> String {
    format!(
        "mons a b c\nseed 3\n{settings}at 10s kill c\nat 11s write first 1\n{}at 55s revive c\nend 75s\n",
        writes(30, n)
    )
}

#[test]
fn peer_lc_plus_10_below_provider_lc_means_recent_sync() {
    let r = sim(&behind("", 20));
    let s = syncs(&r);
    let (_, from, _, first) = &s[0];
    assert_eq!(*from, 2);
    assert_eq!(first.op, SyncOp::GetCookieRecent);
    assert_eq!(first.last_committed, C_LC);
    assert!(s.iter().any(|(_, _, _, m)| m.op == SyncOp::LastChunk));
    let c = r.state.status(2);
    assert_eq!(c.state, MonState::Peon);
    assert_eq!(
        c.paxos.last_committed,
        r.state.status(0).paxos.last_committed
    );
    assert!(r.state.was(2, MonState::Synchronizing));
    assert!(r.state.violations().is_empty());
}

#[test]
fn within_paxos_max_join_drift_there_is_no_sync() {
    // C_LC + 10 >= peer lc: c just joins, and Paxos recovery sends it the rest.
    let r = sim(&behind("", 3));
    let lc_at_revive = r
        .trace
        .to_vec()
        .iter()
        .rev()
        .filter(|ev| ev.at < 55 * SEC)
        .find_map(|ev| match &ev.kind {
            EventKind::Status { node: 0, status } => Some(status.paxos.last_committed),
            _ => None,
        })
        .unwrap();
    assert!(lc_at_revive <= C_LC + 10, "a at v{lc_at_revive}");
    assert!(syncs(&r).is_empty());
    assert!(!r.state.was(2, MonState::Synchronizing));
    assert_eq!(r.state.status(2).state, MonState::Peon);
}

#[test]
fn provider_fc_above_requester_lc_and_above_1_means_full_sync() {
    let r = sim(&behind(
        "set paxos_min 5\nset paxos_trim_min 2\nset paxos_max_join_drift 30\n",
        5,
    ));
    let a = r.state.status(0);
    assert!(a.paxos.first_committed > C_LC, "{:?}", a.paxos);
    // c would be within the drift, but the versions it lacks are trimmed.
    assert!(a.paxos.last_committed <= C_LC + 30, "{:?}", a.paxos);
    let s = syncs(&r);
    assert_eq!(s[0].3.op, SyncOp::GetCookieFull);
    assert!(r.state.was(2, MonState::Synchronizing));
    let c = r.state.status(2);
    assert_eq!(c.state, MonState::Peon);
    assert_eq!(c.paxos.first_committed, a.paxos.first_committed);
    assert_eq!(c.paxos.last_committed, a.paxos.last_committed);
    assert_eq!(r.state.kv(2), r.state.kv(0));
    assert!(r.state.violations().is_empty());
}

#[test]
fn chunks_respect_mon_sync_max_payload_keys() {
    let r = sim(&behind(
        "set paxos_min 5\nset paxos_trim_min 2\nset mon_sync_max_payload_keys 7\n",
        10,
    ));
    let chunks: Vec<Transaction> = syncs(&r)
        .into_iter()
        .filter(|(_, _, _, m)| matches!(m.op, SyncOp::Chunk | SyncOp::LastChunk))
        .map(|(_, _, _, m)| Transaction::decode(&m.chunk_bl).unwrap())
        .collect();
    assert!(chunks.len() > 3, "{}", chunks.len());
    for t in &chunks {
        assert!(!t.is_empty() && t.ops.len() <= 7, "{}", t.ops.len());
    }
    assert_eq!(r.state.status(2).state, MonState::Peon);
    assert_eq!(r.state.kv(2), r.state.kv(0));
}

#[test]
fn paxos_trim_replicates_as_a_proposal_and_advances_first_committed_everywhere() {
    let r = sim(&format!(
        "mons a b c\nset paxos_min 5\nset paxos_trim_min 2\n{}end 30s\n",
        writes(5, 10)
    ));
    // The trim travels in a BEGIN like any value: it erases paxos versions
    // and moves first_committed.
    let trim_begin = r.trace.iter().any(|ev| match &ev.kind {
        EventKind::Send { msg, .. } => match &**msg {
            Message::Paxos(p) if p.op == PaxosOp::Begin => p.values.values().any(|v| {
            Transaction::decode(v).is_ok_and(|t| {
                t.ops.iter().any(|op| {
                    matches!(op, StoreOp::Put { prefix, key, .. } if prefix == "paxos" && key == "first_committed")
                }) && t.ops.iter().any(
                    |op| matches!(op, StoreOp::Erase { prefix, .. } if prefix == "paxos"),
                )
            })
        }),
            _ => false,
        },
        _ => false,
    });
    assert!(trim_begin);
    let fc = r.state.status(0).paxos.first_committed;
    let lc = r.state.status(0).paxos.last_committed;
    assert!(fc > 1 && lc - fc <= 5 + 2, "fc {fc} lc {lc}");
    for i in 1..3 {
        assert_eq!(r.state.status(i).paxos.first_committed, fc);
        assert_eq!(r.state.status(i).paxos.last_committed, lc);
    }
}

#[test]
fn a_wiped_monitor_with_untrimmed_peers_more_than_10_ahead_does_a_recent_sync_from_0() {
    let r = sim(&format!(
        "mons a b c\nseed 2\n{}at 30s kill c\nat 31s wipe c\nat 32s revive c\nend 60s\n",
        writes(5, 15)
    ));
    assert_eq!(r.state.status(0).paxos.first_committed, 1);
    let s = syncs(&r);
    assert_eq!(s[0].3.op, SyncOp::GetCookieRecent);
    assert_eq!(s[0].3.last_committed, 0);
    assert_eq!(r.state.kv(2), r.state.kv(0));
    assert_eq!(r.state.status(2).state, MonState::Peon);
}

#[test]
fn a_wiped_monitor_behind_trimmed_peers_is_rebuilt_by_a_full_sync() {
    let r = sim(&format!(
        "mons a b c\nseed 2\nset paxos_min 5\nset paxos_trim_min 2\n{}at 30s kill c\nat 31s wipe c\nat 32s revive c\nend 60s\n",
        writes(5, 15)
    ));
    let s = syncs(&r);
    assert_eq!(s[0].3.op, SyncOp::GetCookieFull);
    assert_eq!(r.state.kv(2), r.state.kv(0));
    assert_eq!(r.state.status(2).state, MonState::Peon);
    assert!(r.state.violations().is_empty());
}

// ---- one monitor, fed by hand ----

fn monmap() -> Arc<MonMap> {
    Arc::new(MonMap {
        epoch: 1,
        mons: ["a", "b", "c"]
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

fn mon_c(store: MonitorDBStore) -> (Monitor, Out) {
    let mut m = Monitor::new("c", Addr(2), monmap(), Arc::new(Config::default()), store);
    let mut out = Out::new();
    m.handle(0, Input::Boot, &mut out);
    (m, out)
}

fn probe_reply(from: &str, first: u64, last: u64) -> Message {
    Message::Probe(Box::new(MMonProbe {
        op: ProbeOp::Reply,
        name: from.into(),
        quorum: vec![0, 1],
        leader: 0,
        monmap: monmap(),
        paxos_first_version: first,
        paxos_last_version: last,
        has_ever_joined: true,
    }))
}

fn feed(m: &mut Monitor, from: u32, msg: Message) -> Out {
    let mut out = Out::new();
    m.handle(
        SEC,
        Input::Message {
            from: Addr(from),
            msg: msg.into(),
        },
        &mut out,
    );
    out
}

fn sent_sync(out: &Out) -> Vec<(Addr, MMonSync)> {
    out.sends
        .iter()
        .filter_map(|(to, m)| match m {
            Message::Sync(s) => Some((*to, (**s).clone())),
            _ => None,
        })
        .collect()
}

fn store_at(fc: u64, lc: u64) -> MonitorDBStore {
    let mut s = MonitorDBStore::new();
    let mut t = Transaction::new();
    t.put_u64("paxos", "first_committed", fc)
        .put_u64("paxos", "last_committed", lc);
    for v in fc..=lc {
        t.put("paxos", &v.to_string(), Transaction::new().encode());
    }
    s.apply(&t);
    s
}

#[test]
fn paxos_and_election_messages_are_dropped_while_synchronizing() {
    let (mut c, _) = mon_c(store_at(1, 3));
    feed(&mut c, 1, probe_reply("b", 1, 40));
    assert_eq!(c.state(), MonState::Synchronizing);
    let epoch = c.elector().epoch();
    // A paxos message from a newer epoch would bootstrap a probing monitor.
    let out = feed(
        &mut c,
        0,
        Message::Paxos(MMonPaxos::new(PaxosOp::Lease, 100)),
    );
    assert_eq!(c.state(), MonState::Synchronizing);
    assert!(out.sends.is_empty());
    let out = feed(
        &mut c,
        0,
        Message::Election(Box::new(MMonElection {
            op: ElectionOp::Propose,
            epoch: 101,
            monmap: monmap(),
            quorum: Vec::new(),
            strategy: Strategy::Classic,
            scoring: None,
            sharing: None,
        })),
    );
    assert_eq!(c.state(), MonState::Synchronizing);
    assert_eq!(c.elector().epoch(), epoch);
    assert!(out.sends.is_empty());
}

#[test]
fn a_provider_that_is_syncing_itself_answers_no_cookie_and_the_requester_bootstraps() {
    let (mut c, _) = mon_c(store_at(1, 3));
    feed(&mut c, 1, probe_reply("b", 1, 40));
    assert_eq!(c.state(), MonState::Synchronizing);
    // Someone asks c, itself synchronizing, for a cookie.
    let out = feed(
        &mut c,
        0,
        Message::Sync(MMonSync::new(SyncOp::GetCookieFull, 0).into()),
    );
    let s = sent_sync(&out);
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].0, Addr(0));
    assert_eq!(s[0].1.op, SyncOp::NoCookie);
    // c's own provider answers NO_COOKIE: c bootstraps (probing again).
    feed(
        &mut c,
        1,
        Message::Sync(MMonSync::new(SyncOp::NoCookie, 0).into()),
    );
    assert_eq!(c.state(), MonState::Probing);
}

#[test]
fn in_sync_on_start_up_forces_a_full_sync() {
    let mut store = store_at(1, 30);
    let mut t = Transaction::new();
    t.put_u64("mon_sync", "in_sync", 1)
        .put("mon_config_key", "x", b"1".to_vec());
    store.apply(&t);
    let (mut c, out) = mon_c(store);
    // The sync prefixes were cleared at start-up, through a traced transaction.
    assert!(out.notes.iter().any(|n| matches!(n, Note::Store(t)
        if t.ops.iter().any(|op| matches!(op, StoreOp::ErasePrefix { prefix } if prefix == "paxos")))));
    assert_eq!(c.consensus().last_committed(), 0);
    assert!(!c.store().exists("mon_config_key", "x"));
    // A peer that trimmed a little (fc 5, lc 30, within the drift of the old
    // lc 30) now requires a full sync.
    let out = feed(&mut c, 1, probe_reply("b", 5, 30));
    assert_eq!(sent_sync(&out)[0].1.op, SyncOp::GetCookieFull);
    assert!(c.store().exists("mon_sync", "in_sync"));
}

#[test]
fn a_full_sync_runs_cookie_chunks_and_finish_then_bootstraps() {
    let (mut c, _) = mon_c(store_at(1, 2));
    let out = feed(&mut c, 1, probe_reply("b", 10, 12));
    let s = sent_sync(&out);
    assert_eq!(s[0].1.op, SyncOp::GetCookieFull);
    assert_eq!(c.sync_state().last_committed_floor, 2);
    assert_eq!(c.consensus().last_committed(), 0);
    // COOKIE from someone else is discarded; from b it is taken.
    let mut cookie = MMonSync::new(SyncOp::Cookie, 77);
    cookie.last_committed = 12;
    let out = feed(&mut c, 0, Message::Sync(cookie.clone().into()));
    assert!(sent_sync(&out).is_empty());
    let out = feed(&mut c, 1, Message::Sync(cookie.into()));
    assert_eq!(sent_sync(&out)[0].1.op, SyncOp::GetChunk);
    // The provider's store in one LAST_CHUNK.
    let provider = store_at(10, 12);
    let mut t = Transaction::new();
    for (k, v) in provider.iter_prefix("paxos") {
        t.put("paxos", k, v.to_vec());
    }
    t.put("mon_config_key", "hello", b"world".to_vec());
    let mut last = MMonSync::new(SyncOp::LastChunk, 77);
    last.last_committed = 12;
    last.chunk_bl = t.encode();
    feed(&mut c, 1, Message::Sync(last.into()));
    assert_eq!(c.state(), MonState::Probing);
    assert_eq!(c.consensus().first_committed(), 10);
    assert_eq!(c.consensus().last_committed(), 12);
    assert_eq!(
        c.store().get_str("mon_config_key", "hello").as_deref(),
        Some("world")
    );
    assert!(!c.store().exists("mon_sync", "in_sync"));
    assert!(!c.store().exists("mon_sync", "last_committed_floor"));
}

#[test]
fn a_peer_behind_the_sync_last_committed_floor_is_never_a_sync_source() {
    let mut store = store_at(1, 2);
    let mut t = Transaction::new();
    t.put_u64("mon_sync", "last_committed_floor", 50);
    store.apply(&t);
    let (mut c, _) = mon_c(store);
    assert_eq!(c.sync_state().last_committed_floor, 50);
    // lc 40 < floor 50: no sync from it, though it is far ahead.
    let out = feed(&mut c, 1, probe_reply("b", 1, 40));
    assert!(sent_sync(&out).is_empty());
    assert_ne!(c.state(), MonState::Synchronizing);
}

#[test]
fn the_sync_timeout_bootstraps() {
    let (mut c, _) = mon_c(store_at(1, 3));
    feed(&mut c, 1, probe_reply("b", 1, 40));
    let mut out = Out::new();
    c.handle(
        61 * SEC,
        Input::Timer(monscope_core::mon::out::Timer::SyncTimeout),
        &mut out,
    );
    assert_eq!(c.state(), MonState::Probing);
}

#[test]
fn the_kv_service_trims_on_tick_keeping_its_last_50_versions() {
    // KVMonitor::get_trim_to = version - MAX_HISTORY (50); maybe_trim runs on
    // the leader's tick once the span reaches paxos_service_trim_min.
    let r = sim(&format!(
        "mons a b c\nset paxos_service_trim_min 5\n{}end 80s\n",
        writes(2, 70)
    ));
    let trimmed = r.trace.iter().any(|ev| match &ev.kind {
        EventKind::Store { node: 1, tx } => tx.ops().any(
            |op| matches!(op, StoreOp::Put { prefix, key, .. } if prefix == "kv" && key == "first_committed"),
        ) && tx.ops().any(|op| matches!(op, StoreOp::Erase { prefix, .. } if prefix == "kv")),
        _ => false,
    });
    assert!(trimmed, "a peon applied a kv trim");
    assert!(r.state.violations().is_empty());
}

#[test]
fn a_full_sync_copies_the_monmap_service_with_the_other_sync_targets() {
    // c is down when d is added (monmap e2) and behind the trim point. The
    // writes start after a, b and d have a quorum again (39s): writes queued
    // while there is none would go as one batched proposal, too few to trim.
    let text = format!(
        "mons a b c\nseed 4\nset paxos_min 5\nset paxos_trim_min 2\nat 10s kill c\nat 12s add d\n{}at 52s revive c\nend 75s\n",
        writes(40, 10)
    );
    let mut sim = monscope_core::sim::Sim::new(&parse(&text).unwrap());
    sim.run_until(75 * SEC);
    assert!(sim.state().was(2, MonState::Synchronizing));
    assert_eq!(syncs_of(sim.trace())[0].op, SyncOp::GetCookieFull);
    let (a, c) = (sim.store(0).unwrap(), sim.store(2).unwrap());
    assert_eq!(c.get_u64("monmap", "last_committed"), 2);
    assert_eq!(c.get("monmap", "2"), a.get("monmap", "2"));
    assert_eq!(sim.monitor(2).unwrap().monmap().epoch, 2);
    assert_eq!(*sim.state().status(2).quorum, ["a", "b", "c", "d"]);
}

#[test]
fn a_store_left_mid_sync_starts_from_the_backed_up_monmap() {
    // obtain_monmap: in_sync set, the monmap prefix already cleared.
    let mut newer = (*monmap()).clone();
    newer.epoch = 5;
    let mut store = MonitorDBStore::new();
    let mut t = Transaction::new();
    t.put_u64("mon_sync", "in_sync", 1);
    t.put(
        "mon_sync",
        "latest_monmap",
        monscope_core::mon::monmap_service::encode_monmap(&newer),
    );
    store.apply(&t);
    let (c, _) = mon_c(store);
    assert_eq!(c.monmap().epoch, 5);
}

/// The MMonSync messages in a trace, in order.
fn syncs_of(trace: &[monscope_core::trace::Event]) -> Vec<MMonSync> {
    trace
        .iter()
        .filter_map(|ev| match &ev.kind {
            EventKind::Send { msg, .. } => match &**msg {
                Message::Sync(m) => Some((**m).clone()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// Every (key, value) of `prefix` in `store`.
fn prefix_of(store: &MonitorDBStore, prefix: &str) -> Vec<(String, Vec<u8>)> {
    store
        .iter_prefix(prefix)
        .map(|(k, v)| (k.to_string(), v.to_vec()))
        .collect()
}

#[test]
fn a_full_sync_copies_every_services_prefix_monitor_get_sync_targets_names() {
    // The sync targets are paxos and every service's store prefixes; after
    // c's full sync (and a quorum that commits on all three since), each
    // holds what the provider's does. ceph-mon 16.2.15, this scenario,
    // `ceph-monstore-tool dump-keys`: c's auth, health, kv, logm, mdsmap,
    // osdmap, monmap and config-key keys are a's, key for key.
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scenarios/full-sync-after-trim.mon"
    ))
    .unwrap();
    let mut sim = monscope_core::sim::Sim::new(&parse(&text).unwrap());
    sim.run_until(60 * SEC);
    assert_eq!(syncs_of(sim.trace())[0].op, SyncOp::GetCookieFull);
    let (a, c) = (sim.store(0).unwrap(), sim.store(2).unwrap());
    let targets = monscope_core::mon::sync::SYNC_TARGETS;
    for service in ["auth", "health", "logm", "mdsmap", "osdmap"] {
        assert!(targets.contains(&service), "{service} is a sync target");
        assert!(c.get_u64(service, "last_committed") > 0, "c has {service}");
    }
    // Paxos' proposal numbers are each monitor's own (a led, c accepted).
    let shared = |store| {
        let mut kept = prefix_of(store, "paxos");
        kept.retain(|(k, _)| !k.ends_with("_pn"));
        kept
    };
    assert_eq!(shared(c), shared(a), "paxos");
    for prefix in targets.into_iter().filter(|p| *p != "paxos") {
        assert_eq!(prefix_of(c, prefix), prefix_of(a, prefix), "{prefix}");
    }
    assert_eq!(*sim.state().status(2).quorum, ["a", "b", "c"]);
}
