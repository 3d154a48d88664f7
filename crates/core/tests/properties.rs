//! The properties over whole runs of the simulator.

use monscope_core::scenario::{library, parse};
use monscope_core::sim::run;

#[test]
fn the_built_in_scenarios_break_no_property() {
    for (stem, text) in library::BUILTIN {
        let r = run(&parse(text).unwrap_or_else(|e| panic!("{stem}: {e}")));
        assert!(r.overrun.is_none(), "{stem}");
        let v: Vec<String> = r
            .state
            .violations()
            .iter()
            .map(|v| format!("{}: {}", v.property.name(), v.text))
            .collect();
        assert!(v.is_empty(), "{stem}: {v:#?}");
    }
}

#[test]
fn every_write_and_read_of_a_quiet_cluster_is_answered_and_checked() {
    let text = "mons a b c\nat 10s write k x via b\nat 12s read k via c\nat 14s write k y\nat 16s read k via b\nat 30s expect monmap a b c\nat 30s expect safe\n";
    let r = run(&parse(text).unwrap());
    assert_eq!(r.expect_counts(), (2, 0));
    assert_eq!(r.state.history().unanswered().count(), 0);
    assert_eq!(
        r.state.history().value_at("k", r.state.last_committed(0)),
        Some(Some("y"))
    );
}
