//! Client sessions (issue 13, bug 1): a peon keeps a request it routed to
//! the leader only while the client's session lives (Monitor::remove_session),
//! so a copy forwarded to a leader that died is not resent minutes later.

use monscope_core::scenario::parse;
use monscope_core::sim::run;
use monscope_core::sim::run::Run;
use monscope_core::time::SEC;
use monscope_core::trace::EventKind;

fn sim(text: &str) -> Run {
    run(&parse(text).unwrap_or_else(|e| panic!("{e}")))
}

fn failed(r: &Run) -> Vec<String> {
    r.trace
        .iter()
        .filter_map(|ev| match &ev.kind {
            EventKind::Expect {
                line,
                text,
                pass: false,
                actual,
            } => Some(format!("line {line}: {text}: {actual}")),
            _ => None,
        })
        .collect()
}

fn logs_containing<'a>(r: &'a Run, what: &'a str) -> impl Iterator<Item = (u64, u32)> + 'a {
    r.trace.iter().filter_map(move |ev| match &ev.kind {
        EventKind::Log { node, text } if text.contains(what) => Some((ev.at, *node)),
        _ => None,
    })
}

#[test]
fn a_hunting_client_closes_its_session_and_the_peon_drops_what_it_routed_monitor_remove_session() {
    // The first reproduction: `mon add x` goes to b, which forwards
    // it to a, dead. The client hunts elsewhere and is answered; x is later
    // removed. Before, b kept its copy and resent it after the heal: x came
    // back into the monmap at about 99s and health stayed MON_DOWN.
    let r = sim(
        "mons a b c d e\nat 10s kill a\nat 11s add x\nat 21s isolate e\n\
         at 40s revive a\nat 65s expect quorum a b c d x\nat 70s remove x\n\
         at 90s heal\nat 150s expect quorum a b c d e\nat 150s expect health ok\n",
    );
    assert_eq!(failed(&r), Vec::<String>::new());
    let b = r.nodes.iter().position(|n| n == "b").unwrap() as u32;
    assert!(
        logs_containing(&r, "remove_session: dropping routed request 1")
            .any(|(at, n)| n == b && at > 11 * SEC && at < 15 * SEC),
        "b dropped the routed `mon add x` when the client hunted away at 14s"
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
    let trimmed = logs_containing(&r, "because we've been out of quorum too long")
        .find(|(_, n)| *n == e)
        .map(|(at, _)| at)
        .expect("e trims its sessions");
    assert!(trimmed > 21 * SEC && trimmed < 60 * SEC, "{trimmed}");
}
