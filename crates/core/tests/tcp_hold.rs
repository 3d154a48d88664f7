//! A cut between two monitors does not lose their messages: Ceph's
//! mon-to-mon connections are lossless msgr2 over TCP, an iptables DROP
//! leaves the TCP connection standing, and what was sent waits in the
//! sender's socket until the first retransmission after the heal (measured
//! on ceph-mon 16.2.15, README "Cut and restore").

use monscope_core::scenario::parse;
use monscope_core::sim::run;
use monscope_core::sim::run::Run;
use monscope_core::sim::tcp::{aborted_at, reconnection, retransmission, ACKLESS_WINDOW};
use monscope_core::time::{Time, SEC};
use monscope_core::trace::{DropReason, EventKind, MsgId, NodeId};
use std::collections::BTreeMap;

fn sim(text: &str) -> Run {
    run(&parse(text).unwrap_or_else(|e| panic!("{e}")))
}

/// Each message from `from` to `to`: when it was sent, whether the link
/// held it, and how it ended (delivered or dropped, and when).
#[derive(Debug, Default, Clone)]
struct Fate {
    sent: Time,
    held: bool,
    delivered: Option<Time>,
    dropped: Option<(Time, DropReason)>,
}

fn fates(r: &Run, from: NodeId, to: NodeId) -> BTreeMap<MsgId, Fate> {
    let mut m: BTreeMap<MsgId, Fate> = BTreeMap::new();
    for ev in &r.trace {
        match &ev.kind {
            EventKind::Send {
                id, from: f, to: t, ..
            } if (u32::from(*f), u32::from(*t)) == (from, to) => {
                m.insert(
                    *id,
                    Fate {
                        sent: ev.at,
                        ..Fate::default()
                    },
                );
            }
            EventKind::Hold { id } => {
                if let Some(f) = m.get_mut(id) {
                    f.held = true;
                }
            }
            EventKind::Deliver { id } => {
                if let Some(f) = m.get_mut(id) {
                    f.delivered = Some(ev.at);
                }
            }
            EventKind::Drop { id, reason } => {
                if let Some(f) = m.get_mut(id) {
                    f.dropped = Some((ev.at, *reason));
                }
            }
            _ => {}
        }
    }
    m
}

#[test]
fn a_cut_link_holds_what_is_sent_and_delivers_it_all_at_the_next_tcp_retransmission_after_the_heal()
{
    // ceph-mon 16.2.15, `cut a b` at 20 s, heal at 25 s: b got a's first held
    // message 6.9 s after it was sent (31 retransmission timeouts), then the
    // rest of the backlog at the same moment, in order.
    let r = sim("mons a b c\nat 20s cut a b\nat 25s heal\nend 40s\n");
    let ab = fates(&r, 0, 1);
    let held: Vec<&Fate> = ab.values().filter(|f| f.held).collect();
    assert!(!held.is_empty(), "a sent b something during the cut");
    assert!(held.iter().all(|f| f.dropped.is_none()), "nothing is lost");
    let first = held[0].sent;
    let resumed = retransmission(first, 5);
    assert!(
        resumed > 25 * SEC,
        "the 5th retransmission is the first after the heal"
    );
    let arrivals: Vec<Time> = held.iter().map(|f| f.delivered.unwrap()).collect();
    assert!(arrivals.iter().all(|&t| t == arrivals[0]), "all at once");
    assert!(arrivals[0] >= resumed && arrivals[0] < resumed + SEC / 50);
    // Nothing from a reached b between the cut and that moment.
    assert!(ab
        .values()
        .filter_map(|f| f.delivered)
        .all(|t| !(20 * SEC..arrivals[0]).contains(&t)));
}

#[test]
fn a_one_way_cut_holds_one_direction_and_stalls_the_other_once_its_acknowledgements_go_unanswered()
{
    // ceph-mon 16.2.15, `cut a -> b` at 20 s, `restore a -> b` at 50 s: b
    // heard nothing from a; a heard b for 0.65 s, then nothing; after the
    // restore each direction resumed at its own retransmission.
    let r = sim("mons a b c\nat 20s cut a -> b\nat 50s restore a -> b\nend 90s\n");
    let ab = fates(&r, 0, 1);
    let ba = fates(&r, 1, 0);
    let during = |m: &BTreeMap<MsgId, Fate>| -> Vec<Fate> {
        m.values()
            .filter(|f| (20 * SEC..50 * SEC).contains(&f.sent))
            .cloned()
            .collect()
    };
    assert!(during(&ab).iter().all(|f| f.held));
    let ba_during = during(&ba);
    let first_unacked = ba_during[0].sent;
    for f in &ba_during {
        if f.sent < first_unacked + ACKLESS_WINDOW {
            assert!(!f.held && f.delivered < Some(21 * SEC), "{f:?}");
        } else {
            assert!(f.held, "{f:?}");
        }
    }
    assert!(ba_during.iter().any(|f| f.held));
    let resumed_ba = ba_during
        .iter()
        .find(|f| f.held)
        .unwrap()
        .delivered
        .unwrap();
    let k8 = retransmission(first_unacked, 8);
    assert!(resumed_ba >= k8 && resumed_ba < k8 + SEC / 50);
    let first_ab = during(&ab)[0].sent;
    let resumed_ab = during(&ab)[0].delivered.unwrap();
    assert!(
        resumed_ab >= retransmission(first_ab, 8)
            && resumed_ab < retransmission(first_ab, 8) + SEC / 50
    );
}

#[test]
fn a_restarted_monitor_loses_what_a_cut_held_for_it_protocolv2_reset_session() {
    // b restarts while a's messages to it wait in a's socket: the
    // retransmission after the heal meets the new process, which answers
    // with a reset (ProtocolV2::handle_session_reset → reset_session drops
    // the session's queue); a's messages to the old b are lost. What the old
    // b held for a goes with its sockets at the restart.
    let r =
        sim("mons a b c\nat 20s cut a b\nat 22s kill b\nat 23s revive b\nat 25s heal\nend 40s\n");
    let ab = fates(&r, 0, 1);
    let held_before_kill: Vec<&Fate> = ab
        .values()
        .filter(|f| f.held && f.sent < 22 * SEC)
        .collect();
    assert!(!held_before_kill.is_empty());
    for f in held_before_kill {
        assert!(f.delivered.is_none(), "{f:?}");
        assert_eq!(f.dropped.map(|d| d.1), Some(DropReason::Reset));
    }
    let ba = fates(&r, 1, 0);
    for f in ba.values().filter(|f| f.held && f.sent < 22 * SEC) {
        assert_eq!(f.dropped, Some((23 * SEC, DropReason::Reset)), "{f:?}");
    }
}

#[test]
fn a_client_link_holds_what_a_cut_stops_as_tcp_does() {
    // The client's connections are TCP sockets too (lossy only in that Ceph
    // does not replay them after a reset): a cut holds the request, and the
    // first retransmission after the heal delivers it (tests/monclient.rs).
    // The session opened just before the cut: a client still hunting would
    // have moved on at its next tick instead.
    let r = sim("mons a b c\nat 10s write k v via a\nat 10.001s isolate a\nat 15s heal\nend 30s\n");
    let client: NodeId = 3;
    let to_a = fates(&r, client, 0);
    let held: Vec<&Fate> = to_a
        .values()
        .filter(|f| f.sent >= 10 * SEC && f.sent < 15 * SEC)
        .collect();
    assert!(!held.is_empty());
    let resume = retransmission(10 * SEC, 5); // the first one after the heal
    assert!(
        held.iter().all(|f| f.held
            && f.dropped.is_none()
            && f.delivered
                .is_some_and(|d| d >= resume && d < resume + SEC / 50)),
        "{held:?}"
    );
}

#[test]
fn a_cut_past_tcp_retries2_aborts_the_connection_and_msgr_reconnects_at_the_first_syn_after_the_heal(
) {
    // c is cut off from a and b for 980 s. About 940 s after c's first
    // unacknowledged message the kernel aborts the connection; c's
    // messenger requeues what it held and keeps trying to connect. The
    // first SYN after the heal reconnects: the held messages arrive then,
    // not at a retransmission up to 120 s later, and c rejoins.
    let r = sim(
        "mons a b c\nat 20s cut a c\nat 20s cut b c\nat 1000s heal\n\
         at 1030s expect quorum a b c\n",
    );
    assert!(r
        .trace
        .iter()
        .all(|ev| !matches!(&ev.kind, EventKind::Expect { pass: false, .. })));
    let c_to_a = fates(&r, 2, 0);
    let held: Vec<&Fate> = c_to_a.values().filter(|f| f.held).collect();
    let since = held
        .iter()
        .map(|f| f.sent)
        .min()
        .expect("c's messages to a were held");
    let heal = 1000 * SEC;
    let abort = aborted_at(since);
    assert!(abort < heal);
    let syn = reconnection(abort, heal);
    assert!(syn >= heal && syn < retransmission(since, 17));
    assert!(
        held.iter()
            .filter(|f| f.sent < heal)
            .all(|f| f.dropped.is_none()
                && f.delivered.is_some_and(|d| d >= syn && d < syn + SEC / 50)),
        "{held:?}"
    );
}
