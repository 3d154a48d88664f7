//! Requests waiting on Paxos survive a sync: Monitor::sync_finish calls
//! init_paxos (Paxos::init and each service's init reload their variables
//! from the store), and the contexts queued on Ceph's one Paxos object stay
//! queued. Found by `monscope explore` (a write waiting on a wiped, syncing
//! peon was never answered while its session lived).

use monscope_core::scenario::parse;
use monscope_core::sim::run;
use monscope_core::trace::EventKind;

#[test]
fn a_read_waiting_on_a_monitor_that_syncs_is_answered_after_the_sync_monitor_init_paxos() {
    // c misses three commits, more than paxos_max_join_drift (1): revived, it
    // must sync first. A read sent to it meanwhile waits for a readable
    // Paxos (PaxosService::dispatch → wait_for_readable) and is answered
    // once c is a peon with a lease.
    let text = "mons a b c\nseed 3\nset paxos_max_join_drift 1\nat 10s kill c\n\
                at 11s write k0 v0\nat 30s write k1 v1\nat 32s write k2 v2\n\
                at 40s revive c\nat 40.001s read k2 via c\nend 60s\n";
    let r = run(&parse(text).unwrap_or_else(|e| panic!("{e}")));
    let synced = r.trace.iter().any(
        |e| matches!(&e.kind, EventKind::Log { node: 2, text } if text.text().starts_with("sync_finish")),
    );
    assert!(synced, "c synchronized");
    let answer = r.trace.iter().find_map(|e| match &e.kind {
        EventKind::ClientReply {
            tid: 4,
            from,
            answer,
        } => Some((e.at, *from, answer.text.clone())),
        _ => None,
    });
    let (at, from, text) = answer.expect("the read is answered");
    assert_eq!(from, 2, "by c");
    assert!(text.contains("= v2"), "{text}");
    assert!(at < 41_000_000, "right after c joins: {at}");
}
