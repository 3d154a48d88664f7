//! Connection scores across monmap changes (`mon add`, `mon remove`): each
//! monitor's ConnectionTracker follows its own rank changes and the removal
//! of other ranks (Elector::notify_rank_changed / notify_rank_removed).

use monscope_core::mon::messages::{Message, PingOp};
use monscope_core::scenario::parse;
use monscope_core::sim::run::run;
use monscope_core::sim::Sim;
use monscope_core::time::{MS, SEC};
use monscope_core::trace::{DropReason, EventKind};

const SCENARIO: &str = "mons a b c
strategy connectivity
seed 3
at 15s add d
at 40s expect quorum a b c d
at 70s remove b
at 90s expect quorum a c d
end 120s
";

fn sim_at(secs: u64) -> Sim {
    let mut sim = Sim::new(&parse(SCENARIO).unwrap());
    sim.run_until(secs * SEC);
    sim
}

/// (name, score) pairs of monitor `node`'s status, and its leader.
fn scores(sim: &Sim, node: u32) -> (Vec<(String, f64)>, Option<String>) {
    let st = sim.state().status(node);
    (st.scores.to_vec(), st.leader.as_deref().map(str::to_string))
}

fn named(v: &[(&str, f64)]) -> Vec<(String, f64)> {
    v.iter().map(|(n, s)| (n.to_string(), *s)).collect()
}

#[test]
fn after_mon_add_every_monitor_of_four_scores_3_in_every_tracker() {
    let sim = sim_at(50);
    let all_3 = named(&[("a", 3.0), ("b", 3.0), ("c", 3.0), ("d", 3.0)]);
    for node in 0..4 {
        let (s, _) = scores(&sim, node);
        assert_eq!(s, all_3, "mon {node}");
    }
    // d's tracker is filed under its rank (3), not the rank -1 it started with.
    let d = sim.monitor(3).unwrap().elector().tracker();
    assert_eq!(d.rank, 3);
    assert!(d.peer_reports.contains_key(&3));
    assert!(!d.peer_reports.contains_key(&-1));
}

#[test]
fn after_mon_remove_ranks_move_down_and_the_lowest_rank_leads() {
    let sim = sim_at(100);
    let all_2 = named(&[("a", 2.0), ("c", 2.0), ("d", 2.0)]);
    for node in [0, 2, 3] {
        let (s, leader) = scores(&sim, node);
        assert_eq!(s, all_2, "mon {node}");
        assert_eq!(leader.as_deref(), Some("a"), "mon {node}");
    }
    for (node, rank) in [(0, 0), (2, 1), (3, 2)] {
        let m = sim.monitor(node).unwrap();
        let t = m.elector().tracker();
        assert_eq!(t.rank, rank, "mon {node}'s tracker follows its new rank");
        // Nothing by or about rank 3 (which no longer exists) survives.
        assert!(t.peer_reports.keys().all(|&r| (0..3).contains(&r)));
        for rep in t.peer_reports.values() {
            assert!(rep.history.keys().all(|&p| (0..3).contains(&p)));
        }
        // Pinging covers exactly the two other monitors, by their new ranks.
        let (live, dead) = m.elector().pinging();
        let others: Vec<i32> = (0..3).filter(|&r| r != rank).collect();
        assert_eq!(live, others, "mon {node} pings");
        assert!(dead.is_empty());
    }
}

/// The same add and removal on loopback-like links (ceph-mon 16.2.15 on
/// 127.0.0.N: the three monitors' elections after the add start within
/// 4 ms of each other, and each PROPOSE reaches peers that are electing).
fn loopback() -> String {
    SCENARIO.replace("seed 3\n", "seed 3\nlatency 1ms\n")
}

#[test]
fn a_ping_in_flight_when_the_added_monitor_resets_its_connections_is_lost_protocolv2_reset_session()
{
    // Measured (debug_ms 1): d adopted monmap e3 at 17.0 s, its rank went
    // from -1 to 3 and it shut down every connection; a's first ping to d,
    // sent in the same millisecond, was never received ("_fault with
    // nothing to send, going to standby", then "reset_session" when d
    // connected again: msgr2 discards what the reset session had sent). a
    // pings again only once that ping is answered, so 2 s later it
    // reported d dead ("begin_dead_ping to peer 3" at 19.0 s).
    let r = run(&parse(&loopback()).unwrap());
    let pings_to_d: Vec<_> = r
        .trace
        .iter()
        .filter_map(|ev| match &ev.kind {
            EventKind::Send { id, to: 3, msg, .. }
                if matches!(&**msg, Message::Ping(p) if p.op == PingOp::Ping)
                    && ev.at > 16 * SEC
                    && ev.at < 18 * SEC =>
            {
                Some(*id)
            }
            _ => None,
        })
        .collect();
    assert_eq!(pings_to_d.len(), 3, "a, b and c ping d once");
    let lost = r
        .trace
        .iter()
        .filter(|ev| {
            matches!(&ev.kind, EventKind::Drop { id, reason: DropReason::Reset }
                if pings_to_d.contains(id))
        })
        .count();
    assert_eq!(lost, 3, "every first ping is lost with d's old connections");
    let dead: Vec<u64> = r
        .trace
        .iter()
        .filter_map(|ev| match &ev.kind {
            EventKind::Log { node, text }
                if *node < 3 && text.text().contains("mon.3 did not ack a ping for 2.0s") =>
            {
                Some(ev.at)
            }
            _ => None,
        })
        .collect();
    assert_eq!(dead.len(), 3, "{dead:?}");
    assert!(dead
        .iter()
        .all(|t| (19 * SEC..19 * SEC + 10 * MS).contains(t)));
}

#[test]
fn an_added_monitor_every_peer_pings_again_outscores_them_and_leads_elector_begin_peer_ping() {
    // Measured: a won {a b c} at 20.0 s (d, in its own first-boot
    // election, acked nobody); d's election timed out at 22.0 s, and its
    // new probes made a, b and c ping it again (begin_peer_ping: a live
    // report), so at its election d scored 2.99972 against a's 2 ("propose
    // from rank=0,from_score=2; my score=2.99972") and won, epoch +4 from
    // the first quorum.
    let r = run(&parse(&loopback()).unwrap());
    let wins: Vec<(u64, u32, String)> = r
        .trace
        .iter()
        .filter_map(|ev| match &ev.kind {
            EventKind::Log { node, text } if text.text().starts_with("won election") => {
                Some((ev.at, *node, text.to_string()))
            }
            _ => None,
        })
        .filter(|(at, _, _)| *at > 15 * SEC && *at < 60 * SEC)
        .collect();
    assert_eq!(wins.len(), 2, "{wins:?}");
    assert_eq!(wins[0].1, 0);
    assert!(wins[0].2.ends_with("quorum {0,1,2}"), "{wins:?}");
    assert!((20 * SEC..21 * SEC).contains(&wins[0].0), "{wins:?}");
    assert_eq!(wins[1].1, 3, "d leads: {wins:?}");
    assert!(wins[1].2.ends_with("quorum {0,1,2,3}"), "{wins:?}");
    assert!((22 * SEC..23 * SEC).contains(&wins[1].0), "{wins:?}");
    let proposed = r.trace.iter().any(|ev| {
        matches!(&ev.kind, EventKind::Log { node: 3, text }
            if text.text().contains("propose from 0 score 2.000; my score 3.000"))
    });
    assert!(proposed, "d scores 3, a 2");
}
