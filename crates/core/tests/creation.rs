//! A fresh cluster's creation, as ceph-mon 16.2.15 does it: monmaptool's seed
//! monmap has epoch 0, the first quorum commits monmap epoch 1, and that
//! commit sends every monitor back to bootstrap (reference §8, "Creation").

use monscope_core::mon::status::MonState;
use monscope_core::scenario::parse;
use monscope_core::sim::run::Run;
use monscope_core::sim::{run, Sim};
use monscope_core::time::{Time, SEC};
use monscope_core::trace::EventKind;

fn sim(text: &str) -> Run {
    run(&parse(text).unwrap_or_else(|e| panic!("{e}")))
}

fn node(r: &Run, name: &str) -> u32 {
    r.nodes.iter().position(|n| n == name).unwrap() as u32
}

/// (time, state, election epoch) of every state change of `name`.
fn states(r: &Run, name: &str) -> Vec<(Time, MonState, u32)> {
    let id = node(r, name);
    let mut v: Vec<(Time, MonState, u32)> = Vec::new();
    for ev in &r.trace {
        if let EventKind::Status { node, status } = &ev.kind {
            if *node == id && v.last().is_none_or(|l| l.1 != status.state) {
                v.push((ev.at, status.state, status.election_epoch));
            }
        }
    }
    v
}

/// When `name` committed paxos version `v`.
fn committed_at(r: &Run, name: &str, v: u64) -> Time {
    let id = node(r, name);
    r.trace
        .iter()
        .find_map(|ev| match ev.kind {
            EventKind::Commit { node, version, .. } if node == id && version == v => Some(ev.at),
            _ => None,
        })
        .unwrap_or_else(|| panic!("mon.{name} never committed v{v}"))
}

#[test]
fn the_seed_monmap_is_epoch_0_and_committing_epoch_1_bootstraps_monmapmonitor_update_from_paxos() {
    let r = sim("mons a b c\nlatency 5ms\nend 10s\n");
    for name in ["a", "b", "c"] {
        let st = states(&r, name);
        // Before v1 every monitor knows only monmaptool's epoch 0.
        let first_status = r
            .trace
            .iter()
            .find_map(|ev| match &ev.kind {
                EventKind::Status { node: n, status } if *n == node(&r, name) => {
                    Some(status.monmap_epoch)
                }
                _ => None,
            })
            .unwrap();
        assert_eq!(first_status, 0, "mon.{name}");
        // The commit of v1 (monmap e1) is where each one bootstraps again.
        let v1 = committed_at(&r, name, 1);
        assert!(
            st.iter()
                .any(|(t, s, _)| *t == v1 && *s == MonState::Probing),
            "mon.{name} did not bootstrap at its commit of v1 ({v1}): {st:?}"
        );
        let now = r.state.status(node(&r, name));
        assert_eq!(now.monmap_epoch, 1, "mon.{name}");
    }
    // Two quorums: the first at epoch 2 commits the monmap, the second stays.
    let a = states(&r, "a");
    let led: Vec<u32> = a
        .iter()
        .filter(|(_, s, _)| *s == MonState::Leader)
        .map(|(_, _, e)| *e)
        .collect();
    assert_eq!(led, vec![2, 4], "{a:?}");
    assert_eq!(*r.state.status(0).quorum, ["a", "b", "c"]);
}

#[test]
fn first_quorum_members_have_joined_monmapmonitor_on_active() {
    // MonmapMonitor::on_active: once paxos is at version 1 or more, a monitor
    // in the quorum notes "i was, once, part of an active quorum".
    let s = parse("mons a b c\nend 20s\n").unwrap();
    let mut sim = Sim::new(&s);
    sim.run_until(15 * SEC);
    for n in 0..3 {
        let store = sim.store(n).unwrap();
        assert_eq!(store.get_u64("monitor", "joined"), 1, "mon {n}");
    }
}

#[test]
fn a_joined_monitor_whose_election_period_ends_starts_the_next_election_electionlogic_end_election_period(
) {
    // Issue 12: the idle leader killed at 60s. b's and c's lease timeouts
    // fire together and their proposals can cross; a lost election period of a
    // monitor that has joined calls the next election (start()), never
    // bootstrap. The new leader is b with quorum {b, c}.
    for kill in [20, 30, 45, 60, 90] {
        let r = sim(&format!(
            "mons a b c\nat {kill}s kill a\nend {}s\n",
            kill + 60
        ));
        let b = r.state.status(1);
        assert_eq!(b.state, MonState::Leader, "kill at {kill}s");
        assert_eq!(*b.quorum, ["b", "c"], "kill at {kill}s");
        for name in ["b", "c"] {
            let after: Vec<_> = states(&r, name)
                .into_iter()
                .filter(|(t, ..)| *t > kill * SEC)
                .collect();
            // Exactly one bootstrap (the lease timeout), then only elections.
            let probing = after
                .iter()
                .filter(|(_, s, _)| *s == MonState::Probing)
                .count();
            assert_eq!(probing, 1, "mon.{name}, kill at {kill}s: {after:?}");
            let expired_to_bootstrap = r.trace.iter().any(|ev| {
                ev.at > kill * SEC
                    && matches!(&ev.kind, EventKind::Log { text, .. } if text.text().contains("never joined"))
            });
            assert!(!expired_to_bootstrap, "kill at {kill}s");
        }
    }
}
