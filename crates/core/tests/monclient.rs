//! The client on a cut link (issue 12). Ceph's client connections hold what
//! a cut stops in TCP, as the monitors' do; the MonClient notices a cut only
//! when its keepalives go unanswered for mon_client_ping_timeout
//! (MonClient::tick), then marks the connection down, which discards what its
//! socket held, and resends the command on a new session. Measured on
//! ceph-mon 16.2.15 with librados (README "Fidelity"): a command held by a
//! cut was resent 30.01 s after the last answered keepalive and answered at
//! once by another monitor; with the link healed before that, it reached its
//! monitor at the next TCP retransmission and was answered on the same
//! session; a new `ceph` command whose leader was cut off was answered
//! through another monitor in 0.44 s.

mod common;

use common::failed;
use monscope_core::mon::messages::Message;
use monscope_core::scenario::parse;
use monscope_core::sim::run;
use monscope_core::sim::run::Run;
use monscope_core::time::{MS, SEC};
use monscope_core::trace::{DropReason, EventKind, MsgId};

fn sim(text: &str) -> Run {
    run(&parse(text).unwrap_or_else(|e| panic!("{e}")))
}

fn node(r: &Run, name: &str) -> u32 {
    r.nodes.iter().position(|n| n == name).unwrap() as u32
}

/// (time, monitor) of each reply the client got.
fn replies(r: &Run) -> Vec<(u64, u32)> {
    r.trace
        .iter()
        .filter_map(|ev| match &ev.kind {
            EventKind::ClientReply { from, .. } => Some((ev.at, *from)),
            _ => None,
        })
        .collect()
}

fn client_logs<'a>(r: &'a Run, what: &'a str) -> Vec<u64> {
    let client = r.nodes.len() as u32 - 1;
    r.trace
        .iter()
        .filter_map(|ev| match &ev.kind {
            EventKind::Log { node, text } if *node == client && text.text().contains(what) => {
                Some(ev.at)
            }
            _ => None,
        })
        .collect()
}

/// The id of the first client request message sent to `to`.
fn first_request_to(r: &Run, to: u32) -> MsgId {
    r.trace
        .iter()
        .find_map(|ev| match &ev.kind {
            EventKind::Send { id, to: t, msg, .. }
                if u32::from(*t) == to && matches!(**msg, Message::Client(_)) =>
            {
                Some(*id)
            }
            _ => None,
        })
        .expect("a request was sent")
}

#[test]
fn a_cut_session_is_given_up_once_keepalives_go_unanswered_for_mon_client_ping_timeout_monclient_tick(
) {
    // The write reaches a only after the cut: TCP holds it. The `ceph`
    // command's MonClient ticks first after mon_client_hunt_interval (3 s),
    // sends a keepalive then and every mon_client_ping_interval (10 s), and
    // gives up at the first one 30 s after the last answer (the session's
    // opening): at 53 s. It marks the connection down, so a never gets the
    // held write, and resends it to b or c (at random), answered at once.
    let r = sim("mons a b c\nat 20s write k v\nat 20.001s isolate a\n\
         at 70s expect committed k v\nat 80s heal\nend 150s\n");
    assert_eq!(failed(&r), Vec::<String>::new());
    assert_eq!(client_logs(&r, "hunting").len(), 1, "one hunt");
    assert_eq!(
        client_logs(&r, "no keepalive since 20 (33 seconds), reconnecting"),
        vec![53 * SEC]
    );
    let (at, from) = replies(&r)[0];
    assert_ne!(from, node(&r, "a"));
    assert!(at > 53 * SEC && at < 53 * SEC + 100 * MS, "{at}");
    let held = first_request_to(&r, node(&r, "a"));
    let fate: Vec<_> = r
        .trace
        .iter()
        .filter_map(|ev| match &ev.kind {
            EventKind::Deliver { id } if *id == held => Some((ev.at, None)),
            EventKind::Drop { id, reason } if *id == held => Some((ev.at, Some(*reason))),
            _ => None,
        })
        .collect();
    assert_eq!(fate, vec![(53 * SEC, Some(DropReason::Reset))]);
}

#[test]
fn a_command_held_by_a_short_cut_is_answered_on_its_session_at_the_tcp_retransmission_monclient_tick(
) {
    // Healed before any keepalive went unanswered for long: nothing shows
    // the client a failure, the write reaches a at the first retransmission
    // after the heal (0.215 s × 15 after it was sent), and a answers it.
    let r = sim("mons a b c\nat 20s write k v\nat 20.001s isolate a\nat 23s heal\nat 40s expect committed k v\n");
    assert_eq!(failed(&r), Vec::<String>::new());
    assert!(
        client_logs(&r, "hunting").is_empty(),
        "the client never hunts"
    );
    let (at, from) = replies(&r)[0];
    assert_eq!(from, node(&r, "a"));
    assert!(at > 23_225 * MS && at < 23_400 * MS, "{at}");
}

#[test]
fn a_new_session_opens_only_with_a_monitor_the_client_can_reach_monclient_add_conns() {
    // The leader a is cut off before the write: the new MonClient's
    // handshakes go to several monitors at once and a never answers, so the
    // session opens with b, which forwards the write to its leader. The
    // forward waits in TCP; b, out of quorum once its lease runs out, sends
    // the client elsewhere (waitlist_or_zap_client), and the client hunts on
    // among the monitors it can reach (b again or c, at random), never to a.
    let r = sim("mons a b c\nat 20s isolate a\nat 21s write k v\nat 60s expect committed k v\n");
    assert_eq!(failed(&r), Vec::<String>::new());
    let b = node(&r, "b");
    let target = r.trace.iter().find_map(|ev| match &ev.kind {
        EventKind::ClientRequest { target, .. } => Some(target.map(u32::from)),
        _ => None,
    });
    assert_eq!(target, Some(Some(b)));
    let client = r.nodes.len() as u32 - 1;
    let asked_a = r.trace.iter().any(|ev| {
        matches!(&ev.kind, EventKind::Send { from, to, .. } if u32::from(*from) == client && u32::from(*to) == node(&r, "a"))
    });
    assert!(!asked_a, "the client never talks to a");
    assert!(
        client_logs(&r, "reconnecting").is_empty(),
        "no keepalive timed out"
    );
    assert_ne!(replies(&r)[0].1, node(&r, "a"));
}

#[test]
fn a_client_still_hunting_moves_on_every_mon_client_hunt_interval_monclient_tick_continuing_hunt() {
    // c is cut off before the write (a and b elect without it by 38 s): the
    // MonClient's handshake with c never completes, so no session opens and
    // nothing waits on keepalives. Its next tick (mon_client_hunt_interval,
    // 3 s) finds it still hunting and reopens the session elsewhere
    // ("continuing hunt"): ceph-mon 16.2.15 committed such a write through
    // another monitor 3.02 s after it was sent (README, the fidelity table).
    let r =
        sim("mons a b c\nat 20s isolate c\nat 40s write k v via c\nat 44s expect committed k v\n");
    assert_eq!(failed(&r), Vec::<String>::new());
    assert_eq!(client_logs(&r, "continuing hunt"), vec![43 * SEC]);
    assert!(
        client_logs(&r, "reconnecting").is_empty(),
        "no keepalive ran"
    );
    let (at, from) = replies(&r)[0];
    assert_eq!(from, node(&r, "a"));
    assert!(at > 43 * SEC && at < 43_100 * MS, "{at}");
    // The command goes only on an open session (MonClient::_send_command):
    // nothing is sent to c.
    let to_c = r.trace.iter().any(|ev| {
        matches!(&ev.kind, EventKind::Send { to, msg, .. }
            if u32::from(*to) == node(&r, "c") && matches!(**msg, Message::Client(_)))
    });
    assert!(!to_c, "c never gets the request");

    // With every monitor cut off the client moves on at each tick, never
    // waiting on keepalives, and is answered once a heal lets one answer.
    let r = sim(
        "mons a b c\nat 10s isolate a\nat 10s isolate b\nat 10s isolate c\n\
         at 11s write k v via c\nat 21s heal\nat 60s expect committed k v\n",
    );
    assert_eq!(failed(&r), Vec::<String>::new());
    let hunts = client_logs(&r, "continuing hunt");
    assert_eq!(&hunts[..3], &[14 * SEC, 17 * SEC, 20 * SEC]);
    assert!(
        client_logs(&r, "reconnecting").is_empty(),
        "no keepalive ran"
    );
}

#[test]
fn a_client_that_had_a_session_hunts_less_often_each_time_mon_client_hunt_interval_backoff_monclient_start_hunting(
) {
    // The write's session opens with a, then every monitor is cut off: the
    // keepalives give up at 53 s and the MonClient reopens with nobody to
    // answer. Having had a connection, each reopen (_start_hunting)
    // multiplies the tick interval by mon_client_hunt_interval_backoff
    // (1.5) up to mon_client_hunt_interval_max_multiple (10): the next
    // ticks come 4.5, 6.75, 10.125, 15.1875, 22.78125, 30 and 30 s apart.
    let r = sim(
        "mons a b c\nat 20s write k v\nat 20.001s isolate a\nat 20.001s isolate b\n\
         at 20.001s isolate c\nat 150s heal\nat 400s expect committed k v\n",
    );
    assert_eq!(failed(&r), Vec::<String>::new());
    assert_eq!(
        client_logs(&r, "no keepalive since 20 (33 seconds), reconnecting"),
        vec![53 * SEC]
    );
    let hunts = client_logs(&r, "continuing hunt");
    assert_eq!(
        &hunts[..6],
        &[
            57_500_000,
            64_250_000,
            74_375_000,
            89_562_500,
            112_343_750,
            142_343_750
        ]
    );
    // After the heal the next tick finds a monitor and the write commits.
    assert!(replies(&r)[0].0 > 150 * SEC);
}

#[test]
fn the_hunt_backoff_and_its_cap_are_the_scenarios_options_monclient_start_hunting() {
    // As the test above, with `set mon_client_hunt_interval_backoff 2` and
    // `mon_client_hunt_interval_max_multiple 4`: after the keepalives give
    // up at 53 s each reopen doubles the multiplier, capped at 4: the ticks
    // come 6, 12, 12, 12 s apart.
    let r = sim("mons a b c\nset mon_client_hunt_interval_backoff 2\n\
         set mon_client_hunt_interval_max_multiple 4\n\
         at 20s write k v\nat 20.001s isolate a\nat 20.001s isolate b\n\
         at 20.001s isolate c\nat 100s heal\nat 200s expect committed k v\n");
    assert_eq!(failed(&r), Vec::<String>::new());
    let hunts = client_logs(&r, "continuing hunt");
    assert_eq!(&hunts[..4], &[59 * SEC, 71 * SEC, 83 * SEC, 95 * SEC]);
}

#[test]
fn a_new_monclient_ticks_at_mon_client_hunt_interval_min_multiple_monclient_constructor() {
    // MonClient's constructor starts reopen_interval_multiplier at
    // mon_client_hunt_interval_min_multiple: a first session that never
    // opens (c is cut off) moves on after 3 s × 2.
    let r = sim("mons a b c\nset mon_client_hunt_interval_min_multiple 2\n\
         at 20s isolate c\nat 40s write k v via c\nat 50s expect committed k v\n");
    assert_eq!(failed(&r), Vec::<String>::new());
    assert_eq!(client_logs(&r, "continuing hunt"), vec![46 * SEC]);
}

#[test]
fn mon_client_hunt_parallel_is_how_many_untried_monitors_a_hunt_tries_at_once_monclient_add_conns()
{
    // Five monitors, d and e cut off, `write via d`: at the tick at 43 s the
    // MonClient tries untried monitors among a, b, c and e. Three at once
    // (the default) or all (0) always include one that answers; one at a
    // time, the pick is e for some seeds, and the next tick, 3 s later,
    // tries one of a, b and c (e was tried).
    let hunts = |parallel: u64, seed: u64| {
        let r = sim(&format!(
            "mons a b c d e\nseed {seed}\nset mon_client_hunt_parallel {parallel}\n\
             at 20s isolate d\nat 20s isolate e\nat 40s write k v via d\n\
             at 60s expect committed k v\n"
        ));
        assert_eq!(failed(&r), Vec::<String>::new(), "seed {seed}");
        client_logs(&r, "continuing hunt")
    };
    for seed in 1..=12 {
        assert_eq!(hunts(3, seed), vec![43 * SEC], "seed {seed}");
        assert_eq!(hunts(0, seed), vec![43 * SEC], "seed {seed}");
    }
    let one: Vec<Vec<u64>> = (1..=12).map(|seed| hunts(1, seed)).collect();
    assert!(
        one.iter()
            .all(|h| h[..] == [43 * SEC] || h[..] == [43 * SEC, 46 * SEC]),
        "{one:?}"
    );
    assert!(one.iter().any(|h| h.len() == 2), "{one:?}");
}

#[test]
fn a_hunting_clients_messenger_reconnects_to_a_revived_monitor_between_ticks_protocolv2_fault() {
    // As above: the tick at 47.0625 s connects to a, b and c, all down. Each
    // refused connection is tried again after ms_initial_backoff (0.2 s),
    // doubling (ProtocolV2::_fault while connecting): at 47.26, 47.66,
    // 48.46 and 50.06 s, which meets the monitors revived at 50 s, and the
    // session opens then, not at the next tick (69.84 s). ceph-mon 16.2.15
    // (realfid8, 14:46 UTC, debug_monc 20): "found mon.c" at 53.37 s, the
    // attempt after (53.27 s: the real monitors took longer than 0.06 s to
    // listen again) and its handshake.
    let r = sim(
        "mons a b c\nat 10s kill b c\nat 12s write k v via a\nat 13s kill a\n\
         at 50s revive a b c\nat 100s expect committed k v\n",
    );
    assert_eq!(failed(&r), Vec::<String>::new());
    assert_eq!(client_logs(&r, "found mon."), vec![50_062_500]);
    let hunts = client_logs(&r, "continuing hunt");
    assert_eq!(hunts.last(), Some(&47_062_500), "{hunts:?}");
    assert!(replies(&r)[0].0 < 69 * SEC, "{:?}", replies(&r));
}

#[test]
fn a_hunting_clients_connection_to_a_cut_off_monitor_gets_through_at_the_next_syn_after_the_heal() {
    // `write via c` with c cut off: the connection's SYNs go unanswered
    // (sent at 40, 41 and 43 s). The heal at 41.5 s lets the SYN at 43 s
    // through, but c, not back in the quorum yet, refuses the handshake
    // (no global_id out of quorum); the messenger tries again 0.2 s later,
    // doubling (43.2, 43.6, 44.4, 46.0, 49.2 s), and the session opens
    // with c at the first try after it rejoined, before the MonClient's
    // next tick (50 s with a 10 s hunt interval).
    let r = sim(
        "mons a b c\nset mon_client_hunt_interval 10\nat 20s isolate c\n\
         at 40s write k v via c\nat 41.5s heal\nat 60s expect committed k v\n",
    );
    assert_eq!(failed(&r), Vec::<String>::new());
    assert_eq!(client_logs(&r, "found mon.c"), vec![49_200_000]);
    assert_eq!(client_logs(&r, "continuing hunt"), Vec::<u64>::new());
}

#[test]
fn a_monitor_whose_authmonitor_committed_nothing_refuses_clients_monitor_handle_auth_request_ebusy()
{
    // A write at 0 s: no monitor's AuthMonitor has a version before the
    // second quorum's commits (5.1 s), so each refuses the handshake
    // ("haven't formed initial quorum, EBUSY"), and the client's messenger
    // tries again 0.2, 0.4, 0.8, 1.6 s later (ceph-mon 16.2.15, realfid9: a
    // leader whose services never went active refused at 12.000, 12.212
    // and 12.620 s). The session opens once one has committed auth's first
    // version: at the tick at 6 s.
    let r = sim("mons a b c\nat 0s write k v\nat 10s expect committed k v\n");
    assert_eq!(failed(&r), Vec::<String>::new());
    let to_mon = r.trace.iter().find_map(|ev| match &ev.kind {
        EventKind::Send { msg, .. } if matches!(**msg, Message::Client(_)) => Some(ev.at),
        _ => None,
    });
    assert_eq!(to_mon, Some(6 * SEC));
    assert!(replies(&r)[0].0 < 6_100 * MS, "{:?}", replies(&r));
}

#[test]
fn a_hunting_client_picks_at_random_among_the_monitors_it_has_not_tried_monclient_add_conns() {
    // `via c` puts c alone at the lowest `mon priority`; cut off, it never
    // answers, and the tick at 43 s moves on to the next batch, a and b,
    // shuffled (std::shuffle): which answers first is the run's chance,
    // the same for the same seed.
    let pick = |seed: u64| {
        let r = sim(&format!(
            "mons a b c\nseed {seed}\nat 20s isolate c\nat 40s write k v via c\nend 45s\n"
        ));
        assert_eq!(
            client_logs(&r, "continuing hunt"),
            vec![43 * SEC],
            "seed {seed}"
        );
        let (at, from) = replies(&r)[0];
        assert!(at > 43 * SEC && at < 43_200 * MS, "seed {seed}: {at}");
        r.nodes[from as usize].clone()
    };
    let picks: Vec<String> = (1..=12).map(pick).collect();
    assert!(picks.iter().all(|p| p == "a" || p == "b"), "{picks:?}");
    assert!(picks.iter().any(|p| p == "a"), "{picks:?}");
    assert!(picks.iter().any(|p| p == "b"), "{picks:?}");
    assert_eq!(pick(5), picks[4]);
}

#[test]
fn a_session_reset_reopens_and_the_next_tick_backs_off_again_monclient_ms_handle_reset() {
    // b and c are down; the write's session opens with a at 12 s, and a
    // dies at 13 s. ms_handle_reset reopens at once (x1.5), the tick at
    // 15 s finds the MonClient still hunting (x2.25), and the ticks after
    // come 6.75, 10.125 and 15.1875 s apart. ceph-mon 16.2.15 with
    // debug_monc 20 (realfid8, 14:46 UTC): "continuing hunt" at 15.004,
    // 21.752, 31.880 and 47.068 s.
    let r = sim(
        "mons a b c\nat 10s kill b c\nat 12s write k v via a\nat 13s kill a\n\
         at 50s revive a b c\nat 100s expect committed k v\n",
    );
    assert_eq!(failed(&r), Vec::<String>::new());
    let hunts = client_logs(&r, "continuing hunt");
    assert_eq!(&hunts[..4], &[15 * SEC, 21_750_000, 31_875_000, 47_062_500]);
}

#[test]
fn a_session_reset_reopens_at_once_between_two_ticks_monclient_ms_handle_reset_current_mon() {
    // The write's session opens with e, a peon, whose forward to the
    // leader a the cut holds. e dies at 31 s: its sockets close, the
    // client's connection is reset, and ms_handle_reset ("current mon")
    // reopens the session at once and resends the write there; the tick
    // (33 s) is not waited for. ceph-mon 16.2.15, debug_monc 20 (realfid10):
    // "ms_handle_reset current mon" at the kill, "found mon.a" 4 ms later.
    let r = sim(
        "mons a b c d e\nat 29s cut e -> a\nat 30s write k v via e\nat 31s kill e\n\
         end 40s\n",
    );
    assert_eq!(
        client_logs(&r, "ms_handle_reset current mon"),
        vec![31 * SEC]
    );
    let e = node(&r, "e");
    let resent: Vec<(u64, u32)> = r
        .trace
        .iter()
        .filter_map(|ev| match &ev.kind {
            EventKind::Send { to, msg, .. } if matches!(**msg, Message::Client(_)) => {
                Some((ev.at, u32::from(*to)))
            }
            _ => None,
        })
        .collect();
    assert_eq!(resent[0], (30 * SEC, e));
    assert_eq!(resent[1].0, 31 * SEC);
    assert_ne!(resent[1].1, e);
}

#[test]
fn a_session_the_monitor_sends_elsewhere_is_reset_and_reopened_at_once_monitor_waitlist_or_zap_client(
) {
    // The write's session opens with c, a peon, just as c is cut off from
    // its peers (not from the client). Out of quorum, c's tick finds the
    // write waiting longer than mon_lease, drops it and marks the session's
    // connection down (Monitor::waitlist_or_zap_client, "sending client
    // elsewhere"): the client sees the reset then, not at its own next
    // check, and reopens at once.
    let r = sim("mons a b c\nat 30s partition c | a b\nat 30s write k v via c\nend 80s\n");
    let trimmed = r
        .trace
        .iter()
        .find_map(|ev| match &ev.kind {
            EventKind::Log { text, .. }
                if text
                    .text()
                    .contains("session 1 and sending client elsewhere") =>
            {
                Some(ev.at)
            }
            _ => None,
        })
        .expect("c sends the client elsewhere");
    assert_eq!(
        client_logs(&r, "ms_handle_reset current mon").first(),
        Some(&trimmed)
    );
    assert_eq!(trimmed, 40 * SEC);
}

#[test]
fn a_monitor_out_of_quorum_refuses_a_new_monclient_authmonitor_assign_global_id_inactive() {
    // a is partitioned off at 20 s and out of every quorum from then on; a
    // new `ceph` command (`write via a`, no global_id yet) is refused at
    // 40.0, 40.2, 40.6, 41.4 s ("handle_auth_request failed to assign
    // global_id") and goes to b at the MonClient's first tick, 43 s
    // (ceph-mon 16.2.15, realfid10: committed at 43.03 s).
    let r = sim(
        "mons a b c\nat 20s partition a | b c\nat 40s write k v via a\n\
                 at 60s expect committed k v\n",
    );
    assert_eq!(failed(&r), Vec::<String>::new());
    let a = node(&r, "a");
    let to_a = r.trace.iter().any(|ev| {
        matches!(&ev.kind, EventKind::Send { to, msg, .. }
            if u32::from(*to) == a && matches!(**msg, Message::Client(_)))
    });
    assert!(!to_a, "the request reached a");
    assert_eq!(client_logs(&r, "continuing hunt"), vec![43 * SEC]);
    assert_eq!(replies(&r).len(), 1);
    assert_eq!(replies(&r)[0].1, node(&r, "b"));
}

#[test]
fn a_monitor_out_of_quorum_lets_in_a_monclient_that_has_a_global_id_monitor_handle_auth_request() {
    // The client's session with a opened at 20 s (it has a global_id). a
    // dies at 20.2 s and its reopen goes to c, which sends it elsewhere at
    // 30 s, out of quorum; at 32 s it hunts to b, which is electing: b lets
    // it in, as Monitor::handle_auth_request asks AuthMonitor for a
    // global_id only when the client has none, and the write waits on b
    // until b leads (34.04 s). ceph-mon 16.2.15 (uncommitted-recovery,
    // 20:19 UTC): b accepted the client's session while out of quorum and
    // answered 34 ms after its victory.
    let r = sim("mons a b c\nlatency 5ms\nseed 4\nat 12s write key before\n\
                 at 20s cut b -> a\nat 20s cut c -> a\nat 20s write key inflight via a\n\
                 at 20.2s kill a\nat 20.2s heal\nat 45s expect committed key inflight\n");
    assert_eq!(failed(&r), Vec::<String>::new());
    let b = node(&r, "b");
    let to_b = r.trace.iter().find_map(|ev| match &ev.kind {
        EventKind::Send { to, msg, .. }
            if u32::from(*to) == b && matches!(**msg, Message::Client(_)) =>
        {
            Some(ev.at)
        }
        _ => None,
    });
    assert_eq!(to_b, Some(32 * SEC));
    let last = *replies(&r).last().unwrap();
    assert_eq!(last.1, b);
    assert!(last.0 < 34_100 * MS, "{last:?}");
}
