//! Generation, judging and shrinking of schedules.

use super::*;
use crate::mon::monmap::Strategy;
use crate::scenario::ast::Action;
use crate::time::SEC;

#[test]
fn a_seed_and_an_index_give_the_same_schedule_and_verdict_every_time() {
    let cfg = Config::default();
    for i in 0..5 {
        let a = explore_one(&cfg, 7, i);
        let b = explore_one(&cfg, 7, i);
        assert_eq!(a.schedule, b.schedule);
        assert_eq!(a.verdict, b.verdict);
        assert!(a.verdict.events > 0);
    }
    assert_ne!(generate(&cfg, 7, 0), generate(&cfg, 7, 1));
    assert_ne!(generate(&cfg, 7, 0), generate(&cfg, 8, 0));
}

#[test]
fn every_generated_schedule_is_a_valid_scenario_that_heals_everything_and_checks_the_end() {
    for (mons, strategy) in [
        (3, Strategy::Classic),
        (5, Strategy::Disallow),
        (7, Strategy::Connectivity),
    ] {
        let cfg = Config {
            mons,
            strategy,
            ..Config::default()
        };
        for i in 0..200 {
            let s = generate(&cfg, 1, i);
            let sc = s.scenario().unwrap_or_else(|e| panic!("{e}\n{}", s.text()));
            assert_eq!(s.effective_faults(), s.faults, "{}", s.text());
            // Wiped, added and removed monitors stay a minority of the monmap.
            let spent: std::collections::BTreeSet<&String> = s
                .faults
                .iter()
                .filter_map(|(_, a)| match a {
                    Action::Wipe(n) => n.first(),
                    Action::Add(n) | Action::Remove(n) => Some(n),
                    _ => None,
                })
                .collect();
            assert!(spent.len() <= (mons - 1) / 2, "{}", s.text());
            let last = sc.timed.last().expect("checks at the end");
            assert_eq!(last.at, sc.end);
            assert!(sc
                .timed
                .iter()
                .any(|t| t.at == s.quiet_at && t.action == Action::Heal));
        }
    }
}

#[test]
fn shrinking_keeps_the_one_fault_that_matters_and_the_failure_class() {
    // Without a quiet period a killed monitor is revived at the very instant
    // of the checks: a failure by construction, whatever the core does.
    let mut s = generate(&Config::default(), 3, 0);
    s.faults.retain(|(_, a)| matches!(a, Action::Write { .. }));
    s.faults
        .push((s.quiet_at - 10 * SEC, Action::Kill(vec!["c".into()])));
    s.faults.sort_by_key(|f| f.0);
    s.quiet = 0;
    let v = judge_schedule(&s);
    let f = v.finding.expect("it fails");
    assert_eq!(f.class, Class::Quorum, "{}", f.text);
    let shrunk = shrink(&s, &f, 200);
    assert_eq!(shrunk.finding.class, Class::Quorum);
    assert_eq!(
        shrunk.schedule.faults,
        vec![(shrunk.schedule.faults[0].0, Action::Kill(vec!["c".into()]))]
    );
    assert!(
        shrunk.schedule.faults[0].0.is_multiple_of(SEC),
        "moved to a whole second"
    );
    assert!(shrunk.runs <= 200);
}
