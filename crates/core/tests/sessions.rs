//! Client sessions (issue 13, bug 1): a peon keeps a request it routed to
//! the leader only while the client's session lives (Monitor::remove_session),
//! so a copy forwarded to a leader that died is not resent minutes later.

mod common;

use common::failed;
use monscope_core::scenario::parse;
use monscope_core::sim::run;
use monscope_core::sim::run::Run;
use monscope_core::time::SEC;
use monscope_core::trace::EventKind;

fn sim(text: &str) -> Run {
    run(&parse(text).unwrap_or_else(|e| panic!("{e}")))
}

fn logs_containing<'a>(r: &'a Run, what: &'a str) -> impl Iterator<Item = (u64, u32)> + 'a {
    r.trace.iter().filter_map(move |ev| match &ev.kind {
        EventKind::Log { node, text } if text.text().contains(what) => Some((ev.at, *node)),
        _ => None,
    })
}

#[test]
fn a_request_routed_to_a_dead_leader_goes_with_its_session_and_never_comes_back_monitor_remove_session(
) {
    // The first reproduction: `mon add x` goes to b, which forwards
    // it to a, dead; x is later removed. Once, b kept a copy and resent it
    // after the heal: x came back into the monmap at about 99s and health
    // stayed MON_DOWN. The request is served once, and removed with its
    // session when the client closes it.
    let r = sim(
        "mons a b c d e\nat 10s kill a\nat 11s add x\nat 21s isolate e\n\
         at 40s revive a\nat 65s expect quorum a b c d x\nat 70s remove x\n\
         at 90s heal\nat 150s expect quorum a b c d e\nat 150s expect health ok\n",
    );
    assert_eq!(failed(&r), Vec::<String>::new());
    // b, out of quorum once a's death ends its lease, sends the client
    // elsewhere (waitlist_or_zap_client) and drops what it routed with the
    // session (remove_session); the client hunts and is answered.
    let b = r.nodes.iter().position(|n| n == "b").unwrap() as u32;
    assert!(
        logs_containing(&r, "remove_session: dropping routed request 1").any(|(_, n)| n == b),
        "b dropped the routed `mon add x` with the session"
    );
    let readded = logs_containing(&r, "adding mon.x").any(|(at, _)| at > 70 * SEC);
    assert!(!readded, "x is never added again after its removal");
}

#[test]
fn an_old_write_routed_for_a_closed_session_never_overwrites_a_newer_one_monitor_remove_session() {
    // The second reproduction: `write k old` at 11s, `write k new` at 70s.
    // Before, k=new was acknowledged and then every monitor ended with k=old.
    let r = sim(
        "mons a b c d e\nat 10s kill a\nat 11s write k old\nat 21s isolate e\n\
         at 40s revive a\nat 70s write k new\nat 90s heal\n\
         at 100s expect committed k new\nat 150s expect committed k new\n",
    );
    assert_eq!(failed(&r), Vec::<String>::new());
    for i in 0..5 {
        assert_eq!(
            r.state.kv(i).get("k").map(String::as_str),
            Some("new"),
            "mon {i}"
        );
    }
}

#[test]
fn sessions_are_dropped_once_out_of_quorum_for_more_than_2_mon_lease_monitor_tick() {
    // e is cut off with its client's request; the client's close cannot reach
    // it. Out of quorum for over 2 x mon_lease, e trims every session at a
    // tick, and with them what it routed.
    let r = sim(
        "mons a b c d e\nat 20s kill a\nat 20.5s write k v via e\nat 21s isolate e\n\
         at 60s heal\nat 90s expect committed k v\nend 100s\n",
    );
    assert_eq!(failed(&r), Vec::<String>::new());
    let e = r.nodes.iter().position(|n| n == "e").unwrap() as u32;
    // Its client's message, older than mon_lease, may go first
    // (waitlist_or_zap_client): either way the session goes at a tick.
    let trimmed = logs_containing(&r, "because we've been out of quorum too long")
        .chain(logs_containing(&r, "sending client elsewhere"))
        .filter(|(_, n)| *n == e)
        .map(|(at, _)| at)
        .min()
        .expect("e trims its sessions");
    assert!(trimmed > 21 * SEC && trimmed < 60 * SEC, "{trimmed}");
}

#[test]
fn a_command_on_a_live_session_waits_until_its_monitor_is_readable_monclient_hunts_only_on_session_failure(
) {
    // c's clock 6 s ahead: every lease reaches it expired, so it holds the
    // write (PaxosService::dispatch → wait_for_readable). MonClient hunts
    // only when its session fails, so the write waits for the skew to go;
    // ceph-mon 16.2.15 committed it 2.4 s after the skew was undone.
    let r = sim(
        "mons a b c\nat 20s skew c 6s\nat 22s write k v via c\nat 30s expect missing k\n\
         at 40s skew c 0s\nat 45s expect committed k v\n",
    );
    assert_eq!(failed(&r), Vec::<String>::new());
    assert_eq!(
        logs_containing(&r, "hunting").count(),
        0,
        "the client never hunts"
    );
    let answered = r.trace.iter().find_map(|ev| match &ev.kind {
        EventKind::ClientReply { from, .. } => Some((ev.at, *from)),
        _ => None,
    });
    let c = r.nodes.iter().position(|n| n == "c").unwrap() as u32;
    assert!(
        matches!(answered, Some((at, from)) if from == c && at > 40 * SEC && at < 45 * SEC),
        "{answered:?}"
    );
}

#[test]
fn a_write_whose_proposal_an_election_cancelled_is_dispatched_again_c_command_eagain() {
    // c dies just before the write: the proposal waits for c's accept until
    // the accept timeout, the leader bootstraps, and the restart fails the
    // commit waiter with -EAGAIN. Monitor::C_Command then dispatches the
    // command again (dispatch_op), and it is answered once a quorum forms.
    let r = sim("mons a b c\nat 10s kill c\nat 11s write k v\nat 40s expect committed k v\n");
    assert_eq!(failed(&r), Vec::<String>::new());
    let a = r.nodes.iter().position(|n| n == "a").unwrap() as u32;
    assert!(
        logs_containing(&r, "EAGAIN, dispatching it again").any(|(_, n)| n == a),
        "a dispatched the write again"
    );
}
