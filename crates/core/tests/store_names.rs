//! The store's prefixes and keys by Pacific's names: what a user of
//! `ceph-monstore-tool STORE dump-keys` sees, and what the inspector's store
//! view shows. Measured on ceph-mon 16.2.15 (realfid9, 2026-12-06 17:51 UTC,
//! `monscope real --keep`: three monitors, `config-key set colour blue` at
//! 10 s, the stores dumped after the run).

use monscope_core::mon::store::MonitorDBStore;
use monscope_core::scenario::parse;
use monscope_core::sim::run;
use monscope_core::sim::run::Run;
use monscope_core::trace::EventKind;
use std::collections::BTreeSet;

const SCENARIO: &str = "mons a b c\nat 10s write colour blue\nend 20s\n";

/// The real leader's `dump-keys`, a version number written as N.
const PACIFIC_LEADER: &[&str] = &[
    "auth/N",
    "auth/first_committed",
    "auth/format_version",
    "auth/full_1",
    "auth/full_latest",
    "auth/last_committed",
    "config/first_committed",
    "config/last_committed",
    "health/auth",
    "health/first_committed",
    "health/health",
    "health/last_committed",
    "health/leader",
    "health/mdsmap",
    "health/mgr",
    "health/mgrstat",
    "health/monmap",
    "health/mutes",
    "health/osdmap",
    "health/quorum",
    "kv/N",
    "kv/first_committed",
    "kv/last_committed",
    "logm/N",
    "logm/first_committed",
    "logm/full_0",
    "logm/full_1",
    "logm/full_2",
    "logm/full_3",
    "logm/full_4",
    "logm/full_latest",
    "logm/last_committed",
    "mdsmap/N",
    "mdsmap/first_committed",
    "mdsmap/last_committed",
    "mgr/N",
    "mgr/first_committed",
    "mgr/last_committed",
    "mgr_command_descs/",
    "mgrstat/N",
    "mgrstat/first_committed",
    "mgrstat/last_committed",
    "mon_config_key/colour",
    "monitor/cluster_fingerprint",
    "monitor/cluster_uuid",
    "monitor/connectivity_scores",
    "monitor/election_epoch",
    "monitor/election_writeable_test",
    "monitor/feature_set",
    "monitor/joined",
    "monitor/magic",
    "monitor_store/last_metadata",
    "monmap/N",
    "monmap/first_committed",
    "monmap/last_committed",
    "osd_pg_creating/creating",
    "osdmap/N",
    "osdmap/first_committed",
    "osdmap/full_1",
    "osdmap/full_latest",
    "osdmap/last_committed",
    "paxos/N",
    "paxos/first_committed",
    "paxos/last_committed",
    "paxos/last_pn",
    "paxos/pending_pn",
    "paxos/pending_v",
];

/// `who`'s store at the end of the run, folded from its transactions.
fn store(r: &Run, who: u32) -> MonitorDBStore {
    let mut s = MonitorDBStore::new();
    for ev in &r.trace {
        if let EventKind::Store { node, tx } = &ev.kind {
            if *node == who {
                s.apply(&tx.to_transaction());
            }
        }
    }
    s
}

/// Its keys as `prefix/key`, a version number written as N.
fn keys(s: &MonitorDBStore) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for p in s.prefixes() {
        for (k, _) in s.iter_prefix(p) {
            let k = if !k.is_empty() && k.bytes().all(|c| c.is_ascii_digit()) {
                "N"
            } else {
                k
            };
            out.insert(format!("{p}/{k}"));
        }
    }
    out
}

fn leader_keys() -> BTreeSet<String> {
    let r = run(&parse(SCENARIO).unwrap());
    keys(&store(&r, 0))
}

#[test]
fn config_key_data_is_under_kvmonitors_kv_prefix_mon_config_key() {
    let k = leader_keys();
    assert!(k.contains("mon_config_key/colour"), "{k:?}");
    assert!(!k.iter().any(|k| k.starts_with("config-key/")), "{k:?}");
}

#[test]
fn the_leaders_metadata_is_under_monitor_store_prefix_monitor_update_mon_metadata() {
    let k = leader_keys();
    assert!(k.contains("monitor_store/last_metadata"), "{k:?}");
    assert!(!k.contains("monitor/last_metadata"), "{k:?}");
}

#[test]
fn every_key_a_monitor_writes_is_one_pacifics_store_holds_under_the_same_name() {
    // What monscope does not model is missing (mgr, config, the services'
    // full_ versions and health keys, mkfs's keys), never misnamed.
    let pacific: BTreeSet<String> = PACIFIC_LEADER.iter().map(|s| s.to_string()).collect();
    let extra: Vec<String> = leader_keys().difference(&pacific).cloned().collect();
    assert_eq!(extra, Vec::<String>::new());
}
