//! Health checks as ceph-mon 16.2.15 raises them (issue 12: `monscope compare`
//! showed MON_DOWN at once in monscope, after 60 s on the real cluster).

mod common;

use monscope_core::scenario::parse;
use monscope_core::sim::run;

/// The expectations of `text` that failed.
fn failed(text: &str) -> Vec<String> {
    common::failed(&run(&parse(text).unwrap_or_else(|e| panic!("{e}"))))
}

#[test]
fn mon_down_waits_until_the_monmap_is_mon_down_mkfs_grace_old_healthmonitor_check_for_mon_down() {
    // c is out of quorum from 10 s; Pacific says nothing until the monmap,
    // created before the monitors started at 0 s, is 60 s old, then raises
    // MON_DOWN at the leader's next tick (HealthMonitor::tick, every 5 s from
    // its start: the one at 60 s), commits it, and clears it when c is back.
    let text = "mons a b c\nat 10s kill c\nat 30s expect leader a\nat 30s expect quorum a b\n\
                at 59s expect health ok\nat 61s expect health MON_DOWN\n\
                at 70s revive c\nat 100s expect health ok\n";
    assert_eq!(failed(text), Vec::<String>::new());
    // The grace is Ceph's option of that name: 0 raises it at once.
    let text = "mons a b c\nset mon_down_mkfs_grace 0\nat 10s kill c\n\
                at 30s expect health MON_DOWN\n";
    assert_eq!(failed(text), Vec::<String>::new());
}
