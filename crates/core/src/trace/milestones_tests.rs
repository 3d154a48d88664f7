use super::*;
use crate::scenario::parse;
use crate::sim::run;

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn quorum(leader: &str, q: &[&str], epoch: u32) -> Milestone {
    Milestone::Quorum {
        leaders: names(&[leader]),
        quorum: names(q),
        epoch,
    }
}

fn mark(at: Time, what: Milestone) -> Mark {
    Mark { at, what }
}

#[test]
fn a_killed_leader_gives_no_leader_then_the_survivors_quorum() {
    let s = parse("mons a b c\nat 10s write k v\nat 60s kill a\nend 100s\n").unwrap();
    let r = run(&s);
    let m = milestones(&s.mons, &r.trace.to_vec(), r.end, SETTLE);
    let quorums: Vec<&Milestone> = m
        .iter()
        .map(|m| &m.what)
        .filter(|w| matches!(w, Milestone::Quorum { .. }))
        .collect();
    // The creation sequence may settle on a quorum of two first (see
    // Monitor's epoch-0 monmap); before the kill, a leads all three.
    let down = quorums
        .iter()
        .position(|q| q.describe() == "no leader")
        .unwrap();
    let before = quorums[down - 1];
    assert!(matches!(before, Milestone::Quorum { leaders, quorum, .. }
        if leaders == &["a"] && quorum == &["a", "b", "c"]));
    let last = quorums.last().unwrap();
    assert!(matches!(last, Milestone::Quorum { leaders, quorum, .. }
        if leaders == &["b"] && quorum == &["b", "c"]));
    let commit = m
        .iter()
        .find(|m| matches!(m.what, Milestone::Committed { .. }))
        .unwrap();
    assert_eq!(commit.what.describe(), "k=v committed");
    assert!(commit.at > 10 * SEC && commit.at < 11 * SEC);
    // A leader that loses its quorum raises MON_DOWN.
    assert!(m
        .iter()
        .any(|m| m.what == Milestone::Health(names(&["MON_DOWN"]))));
}

#[test]
fn a_change_that_does_not_hold_for_the_settle_time_does_not_count() {
    let a = quorum("a", &["a", "b"], 2);
    let mut out = Vec::new();
    let mut s = Settled::new(Milestone::Health(Vec::new()));
    s.see(0, Milestone::Health(names(&["MON_DOWN"])), SETTLE, &mut out);
    s.see(100 * MS, Milestone::Health(Vec::new()), SETTLE, &mut out);
    s.finish(10 * SEC, SETTLE, &mut out);
    assert!(out.is_empty(), "{out:?}");
    let mut q = Settled::new(Milestone::Health(Vec::new()));
    q.see(SEC, a.clone(), SETTLE, &mut out);
    q.finish(2 * SEC, SETTLE, &mut out);
    assert_eq!(out, [mark(SEC, a)]);
}

#[test]
fn equal_milestones_within_the_tolerance_are_the_same() {
    let sim = [
        mark(20 * MS, quorum("a", &["a", "b", "c"], 2)),
        mark(69 * SEC, quorum("b", &["b", "c"], 4)),
    ];
    let real = [
        mark(700 * MS, quorum("a", &["a", "b", "c"], 2)),
        mark(74 * SEC, quorum("b", &["b", "c"], 4)),
    ];
    let rows = compare(&sim, &real, TOLERANCE);
    let v: Vec<Verdict> = rows.iter().map(|r| r.verdict).collect();
    assert_eq!(v, [Verdict::Same, Verdict::TimeOff]);
}

#[test]
fn a_different_epoch_differs_and_an_extra_change_is_on_one_side_only() {
    let sim = [
        mark(20 * MS, quorum("a", &["a", "b", "c"], 2)),
        mark(30 * SEC, quorum("a", &["a", "b"], 4)),
        mark(
            SEC,
            Milestone::Committed {
                key: "k".into(),
                value: "v".into(),
            },
        ),
    ];
    // Start-up at epoch 4 (offset +2), then one election more than the sim.
    let real = [
        mark(500 * MS, quorum("a", &["a", "b", "c"], 4)),
        mark(30 * SEC, quorum("a", &["a", "b"], 8)),
        mark(32 * SEC, quorum("a", &["a", "b", "c"], 10)),
        mark(
            SEC,
            Milestone::Committed {
                key: "k".into(),
                value: "v".into(),
            },
        ),
    ];
    let rows = compare(&sim, &real, TOLERANCE);
    let v: Vec<(Verdict, String)> = rows
        .iter()
        .map(|r| {
            let m = r.second.as_ref().or(r.first.as_ref()).unwrap();
            (r.verdict, m.what.describe())
        })
        .collect();
    assert_eq!(
        v,
        [
            (Verdict::Same, "leader a, quorum a b c, epoch 4".to_string()),
            (Verdict::Same, "k=v committed".to_string()),
            (
                Verdict::Differs,
                "leader a, quorum a b, epoch 8".to_string()
            ),
            (
                Verdict::OnlySecond,
                "leader a, quorum a b c, epoch 10".to_string()
            ),
        ]
    );
}

#[test]
fn epochs_are_compared_from_the_first_quorum_on() {
    let sim = [
        mark(5 * SEC, quorum("a", &["a", "b", "c"], 8)),
        mark(74 * SEC, quorum("b", &["b", "c"], 10)),
    ];
    let real = [
        mark(5 * SEC, quorum("a", &["a", "b", "c"], 6)),
        mark(74 * SEC, quorum("b", &["b", "c"], 8)),
    ];
    assert_eq!(epoch_offset(&sim, &real), -2);
    let rows = compare(&sim, &real, TOLERANCE);
    assert!(rows.iter().all(|r| r.verdict == Verdict::Same), "{rows:?}");
    // The rows show each run's own epochs.
    assert_eq!(
        rows[1].second.as_ref().unwrap().what,
        quorum("b", &["b", "c"], 8)
    );
    // Different first quorums: no offset.
    assert_eq!(epoch_offset(&sim[1..], &real), 0);
}

#[test]
fn the_difference_names_the_first_part_that_differs() {
    let a = quorum("a", &["a", "b", "c"], 2);
    assert_eq!(difference(&a, &quorum("a", &["a", "b", "c"], 8)), "epoch");
    assert_eq!(difference(&a, &quorum("a", &["a", "b"], 2)), "quorum");
    assert_eq!(difference(&a, &quorum("b", &["a", "b", "c"], 2)), "leader");
    assert_eq!(difference(&a, &a), "nothing");
}

#[test]
fn concurrent_writes_pair_by_value_whatever_their_order() {
    let c = |k: &str| Milestone::Committed {
        key: k.into(),
        value: "1".into(),
    };
    let sim = [mark(SEC, c("alpha")), mark(2 * SEC, c("beta"))];
    let real = [mark(SEC, c("beta")), mark(2 * SEC, c("alpha"))];
    let rows = compare(&sim, &real, TOLERANCE);
    assert!(rows.iter().all(|r| r.verdict == Verdict::Same), "{rows:?}");
    assert_eq!(rows.len(), 2);
}

#[test]
fn an_extra_intermediate_quorum_does_not_push_the_same_quorum_out_of_place() {
    // The real run formed {a b c} once more before {a b c d}.
    let sim = [mark(25 * SEC, quorum("a", &["a", "b", "c", "d"], 10))];
    let real = [
        mark(20 * SEC, quorum("a", &["a", "b", "c"], 8)),
        mark(21 * SEC, quorum("a", &["a", "b", "c", "d"], 12)),
    ];
    let rows = compare(&sim, &real, TOLERANCE);
    let v: Vec<Verdict> = rows.iter().map(|r| r.verdict).collect();
    assert_eq!(v, [Verdict::OnlySecond, Verdict::Differs]);
    assert_eq!(
        rows[1].second.as_ref().unwrap().what,
        quorum("a", &["a", "b", "c", "d"], 12)
    );
}
