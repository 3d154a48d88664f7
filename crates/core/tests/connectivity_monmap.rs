//! Connection scores across monmap changes (`mon add`, `mon remove`): each
//! monitor's ConnectionTracker follows its own rank changes and the removal
//! of other ranks (Elector::notify_rank_changed / notify_rank_removed).

use monscope_core::scenario::parse;
use monscope_core::sim::Sim;
use monscope_core::time::SEC;

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
    (st.scores.clone(), st.leader.as_deref().map(str::to_string))
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
