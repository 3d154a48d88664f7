//! Probing rules that ceph-mon 16.2.15 follows and that issues 12 and 13
//! found missing: probes from outside the monmap are answered (a removed
//! monitor learns its removal), and a rank change resets every connection
//! (replies to older probing rounds are lost, so no probe storm).

use monscope_core::mon::config::Config;
use monscope_core::mon::monitor::{Input, Monitor};
use monscope_core::mon::monmap::{MonInfo, MonMap, Strategy};
use monscope_core::mon::monmap_service::persist_monmap;
use monscope_core::mon::out::Out;
use monscope_core::mon::status::MonState;
use monscope_core::mon::store::{MonitorDBStore, Transaction};
use monscope_core::mon::Addr;
use monscope_core::scenario::parse;
use monscope_core::sim::run;
use monscope_core::sim::run::{run_until, Run};
use monscope_core::time::SEC;
use monscope_core::trace::{DropReason, EventKind};
use std::borrow::Cow;
use std::sync::Arc;

fn sim(text: &str) -> Run {
    run(&parse(text).unwrap_or_else(|e| panic!("{e}")))
}

fn logs<'a>(r: &'a Run, node: u32) -> impl Iterator<Item = (u64, Cow<'a, str>)> + 'a {
    r.trace.iter().filter_map(move |ev| match &ev.kind {
        EventKind::Log { node: n, text } if *n == node => {
            Some((ev.at, Cow::Owned(text.text().into_owned())))
        }
        _ => None,
    })
}

#[test]
fn a_removed_monitor_is_answered_from_outside_the_monmap_and_exits_monitor_handle_probe_probe() {
    // Issue 12: five monitors; c is isolated, removed, and the cut heals.
    // c probes with its old monmap; the others answer with the new one
    // (and remember c as an extra probe peer); c adopts it, finds itself
    // gone and exits ("removed from monmap, suicide"), once its TCP
    // connections deliver what they held: at their next retransmission
    // after the heal (ceph-mon 16.2.15, isolate 20 s, remove 25 s, heal
    // 45 s: it exited 2.4 s after the heal).
    for (isolate, remove, heal) in [(20, 25, 45), (20, 21, 50), (30, 50, 60), (60, 61, 90)] {
        let r = sim(&format!(
            "mons a b c d e\nat {isolate}s isolate c\nat {remove}s remove c\nat {heal}s heal\n\
             end {}s\n",
            heal + (heal - isolate) + 20
        ));
        let suicide = logs(&r, 2)
            .find(|(_, t)| t.contains("removed from monmap, suicide"))
            .map(|(at, _)| at)
            .unwrap_or_else(|| panic!("c never exited ({isolate} {remove} {heal})"));
        // The retransmission timer doubles from the first held message, so
        // the next one comes at most as long after the heal as the cut lasted.
        let latest = if (isolate, heal) == (20, 45) {
            heal + 3
        } else {
            heal + (heal - isolate) + 1
        };
        assert!(
            suicide > heal * SEC && suicide <= latest * SEC,
            "c exits when its held probes get through after the heal: {suicide}"
        );
        let hints = (0..5)
            .filter(|&n| n != 2)
            .any(|n| logs(&r, n).any(|(_, t)| t == "adding peer mon.c to list of hints"));
        assert!(hints, "a peer remembers c as an extra probe peer");
        assert_eq!(r.state.status(2).state, MonState::Down);
        let a = r.state.status(0);
        assert_eq!(*a.quorum, ["a", "b", "d", "e"]);
    }
}

#[test]
fn a_monitor_that_joined_and_is_not_in_its_stored_monmap_refuses_to_start_monitor_preinit() {
    // A store that joined a quorum and whose newest monmap (e2) lacks c:
    // Monitor::preinit refuses to start ("must have been removed").
    let map = |epoch: u32, names: &[&str]| MonMap {
        epoch,
        mons: names
            .iter()
            .enumerate()
            .map(|(i, n)| MonInfo {
                name: n.to_string(),
                addr: Addr(i as u32),
            })
            .collect(),
        strategy: Strategy::Classic,
        disallowed_leaders: Vec::new(),
    };
    let mut store = MonitorDBStore::new();
    let mut t = Transaction::new();
    t.put_u64("monitor", "joined", 1);
    persist_monmap(&mut t, &map(2, &["a", "b"]));
    store.apply(&t);
    let seed = Arc::new(map(1, &["a", "b", "c"]));
    let mut c = Monitor::new("c", Addr(2), seed, Arc::new(Config::default()), store);
    let mut out = Out::new();
    c.handle(0, Input::Boot, &mut out);
    assert!(c.exited());
    assert!(out.sends.is_empty(), "no probe goes out");
}

#[test]
fn a_never_joined_monitor_that_changes_rank_drops_replies_to_older_rounds_messenger_mark_down_all()
{
    // Issue 13, bug 2: x1 has never joined. The stale leader a (cut off with
    // e, which dies) still shows monmap e1, the others e2 with x1 in it, and
    // x1 adopts whichever differs (handle_probe_reply: "!has_ever_joined").
    // Each adoption changes its rank and resets every connection, so the
    // replies to the round before are lost: one bootstrap per round trip
    // until a catches up, not messages tripling every 10 ms.
    // (The add comes once b leads {b c d}: an add answered by the stale a
    // would be lost, as b's quorum commits its own versions first, its
    // metadata and cluster log, so a's uncommitted monmap is never
    // recovered.)
    let text = "mons a b c d e\nlatency 5ms\nat 13046ms partition d c b | e a\n\
                at 21096ms kill e\nat 25500ms add x1\nat 28021ms heal\n\
                at 60s expect quorum a b c d x1\n";
    let r = run_until(&parse(text).unwrap(), 60 * SEC);
    assert_eq!(r.expect_counts(), (1, 0));
    let sends_after_heal = r
        .trace
        .iter()
        .filter(|ev| ev.at > 28 * SEC && ev.at < 32 * SEC)
        .filter(|ev| matches!(ev.kind, EventKind::Send { .. }))
        .count();
    assert!(sends_after_heal < 5_000, "{sends_after_heal} messages");
    let resets = r
        .trace
        .iter()
        .filter(|ev| {
            matches!(
                ev.kind,
                EventKind::Drop {
                    reason: DropReason::Reset,
                    ..
                }
            )
        })
        .count();
    assert!(
        resets > 0,
        "replies to older rounds were lost with the connections"
    );
}
