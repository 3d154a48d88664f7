//! The log reader on lines as each Ceph release writes them, and on bad input.

use super::line::{parse, Fact, Who};
use super::*;
use crate::mon::status::{MonState, PaxosState};
use crate::trace::EventKind;

// Pacific: lines from ceph-mon 16.2.15 on this machine (tests/fixtures/logs).
const PAC_PAXOS: &str = "2026-12-05T22:38:19.581+0000 7f6f85ffb6c0 10 mon.a@0(leader).paxos(paxos active c 1..5) lease_renew_timeout";
const PAC_SEND: &str = "2026-12-05T22:38:19.581+0000 7f6f85ffb6c0  1 -- v2:127.0.0.2:3300/0 --> v2:127.0.0.3:3300/0 -- paxos(lease lc 0 fc 0 pn 0 opn 0) v4 -- 0x7f6f5c00d040 con 0x55f8ad284aa0";
const PAC_RECV: &str = "2026-12-05T22:32:54.949+0000 7f2a797fa6c0  1 -- v2:127.0.0.3:3300/0 <== mon.0 v2:127.0.0.2:3300/0 2 ==== election(f0dcab69-4033-4c27-b21f-3d32dd11cc1c propose rel 16 e1) v9 ==== 456+0+0 (unknown 0 0 0) 0x7f2a60008900 con 0x55baf6359f20";
const PAC_LOGIC: &str =
    "2026-12-05T22:32:21.657+0000 7efbd57fa6c0  5 paxos.0).electionLogic(1) I win! acked_me=0,1";
const PAC_HEALTH: &str = "2026-12-05T22:38:35.101+0000 7fef30ff96c0  0 log_channel(cluster) log [WRN] : Health check failed: 1/3 mons down, quorum b,c (MON_DOWN)";
const PAC_LEASE: &str = "2026-12-05T22:38:35.101+0000 7fef30ff96c0  1 mon.b@1(peon).paxos(paxos active c 1..9) lease_timeout -- calling new election";

#[test]
fn the_prefix_names_the_monitor_its_rank_and_state() {
    let l = parse(PAC_PAXOS).unwrap();
    assert_eq!(
        l.who,
        Some(Who {
            name: "a",
            rank: 0,
            state: Some(MonState::Leader)
        })
    );
    assert_eq!(
        l.fact,
        Some(Fact::Paxos {
            state: PaxosState::Active,
            first_committed: 1,
            last_committed: 5
        })
    );
    let early = parse("2026-12-05T22:38:19.093+0000 7ffb 10 mon.b@-1(???) e0 preinit").unwrap();
    assert_eq!(early.who.map(|w| (w.rank, w.state)), Some((-1, None)));
}

#[test]
fn messenger_lines_give_both_ends_of_a_message() {
    assert_eq!(
        parse(PAC_SEND).unwrap().fact,
        Some(Fact::Send {
            from: "v2:127.0.0.2:3300/0",
            to: "v2:127.0.0.3:3300/0",
            msg: "paxos(lease lc 0 fc 0 pn 0 opn 0) v4"
        })
    );
    assert_eq!(
        parse(PAC_RECV).unwrap().fact,
        Some(Fact::Receive {
            me: "v2:127.0.0.3:3300/0",
            from_entity: "mon.0",
            from: "v2:127.0.0.2:3300/0",
            msg: "election(f0dcab69-4033-4c27-b21f-3d32dd11cc1c propose rel 16 e1) v9"
        })
    );
}

#[test]
fn election_epochs_health_checks_and_lease_timeouts_are_read() {
    assert_eq!(parse(PAC_LOGIC).unwrap().election_epoch, Some(1));
    assert_eq!(
        parse(PAC_HEALTH).unwrap().fact,
        Some(Fact::Health {
            code: "MON_DOWN",
            raised: true,
            text: "1/3 mons down, quorum b,c"
        })
    );
    assert_eq!(parse(PAC_LEASE).unwrap().fact, Some(Fact::LeaseTimeout));
}

// Quincy, Reef and Squid: the Monitor.cc, Elector.cc and ElectionLogic.cc
// prefixes and Connection::send_message's `-->` line checked unchanged in
// Ceph's current source. These excerpts are
// written in those forms (addresses as an address vector, as a monitor with
// v2 and v1 ports prints them), not copied from a daemon's log.
#[test]
fn newer_releases_lines_read_the_same() {
    let reef_send = "2024-03-01T10:00:00.123+0000 7f0a1b2c3d40  1 -- [v2:10.0.0.1:3300/0,v1:10.0.0.1:6789/0] --> [v2:10.0.0.2:3300/0,v1:10.0.0.2:6789/0] -- paxos(begin lc 41 fc 1 pn 500 opn 0) v4 -- 0x5581 con 0x5582";
    let Some(Fact::Send { to, msg, .. }) = parse(reef_send).unwrap().fact else {
        panic!("not a send");
    };
    assert_eq!(to, "[v2:10.0.0.2:3300/0,v1:10.0.0.2:6789/0]");
    assert_eq!(msg, "paxos(begin lc 41 fc 1 pn 500 opn 0) v4");
    let squid_win = "2025-01-10T08:00:00.001+0000 7f00aa00bb00 10 mon.host-1@0(electing) e3 win_election epoch 12 quorum 0,1,2 features 4540701547738038271 mon_features mon_feature_t([kraken,luminous,mimic,osdmap-prune,nautilus,octopus,pacific,elector-pinging,quincy,reef,squid]) min_mon_release squid";
    let l = parse(squid_win).unwrap();
    assert_eq!(l.who.unwrap().name, "host-1");
    assert_eq!(
        l.fact,
        Some(Fact::Won {
            epoch: 12,
            quorum: vec![0, 1, 2]
        })
    );
}

fn log(name: &str, lines: &[&str]) -> (String, Vec<u8>) {
    (name.to_string(), (lines.join("\n") + "\n").into_bytes())
}

fn run(files: &[(String, Vec<u8>)]) -> Result<Import, Error> {
    let f: Vec<LogFile> = files
        .iter()
        .map(|(n, b)| LogFile { name: n, bytes: b })
        .collect();
    import(&f)
}

const A_WINS: &str = "2026-12-05T22:38:20.000+0000 7f 10 mon.a@0(electing) e1 win_election epoch 4 quorum 0,1 features 1";
const B_LOSES: &str = "2026-12-05T22:38:20.001+0000 7f 10 mon.b@1(electing) e1 lose_election, epoch 4 leader is mon0 quorum is 0,1 features 1";

#[test]
fn a_binary_file_another_daemons_log_and_a_cut_line_are_said_and_the_rest_imported() {
    let binary = (
        "core.dump".to_string(),
        vec![0x7f, b'E', b'L', b'F', 0, 0, 1, 2],
    );
    let osd = log(
        "ceph-osd.0.log",
        &["2026-12-05T22:38:20.000+0000 7f  1 osd.0 12 heartbeat osd_stat(store_statfs)"],
    );
    let mut b = log("mon.b.log", &[B_LOSES]).1;
    b.extend_from_slice(b"2026-12-05T22:38:21.000+0000 7f 10 mon.b@1(peon).paxos(paxos act");
    let files = [
        binary,
        osd,
        log("mon.a.log", &[A_WINS]),
        ("mon.b.log".to_string(), b),
    ];
    let imp = run(&files).unwrap();
    assert_eq!(imp.nodes, ["a", "b"]);
    let p = imp.problems.join("\n");
    assert!(
        p.contains("core.dump: binary data, not a text log; skipped"),
        "{p}"
    );
    assert!(p.contains("ceph-osd.0.log: no line names a monitor"), "{p}");
    assert!(p.contains("mon.b.log: the last line is cut short"), "{p}");
    // b follows a in epoch 4, as its log says.
    let b_peon = imp.trace.iter().any(|e| match &e.kind {
        EventKind::Status { node: 1, status } => {
            status.state == MonState::Peon && status.leader.as_deref() == Some("a")
        }
        _ => false,
    });
    assert!(b_peon);
}

#[test]
fn nothing_to_import_is_an_error_that_says_why() {
    let e = run(&[log("notes.txt", &["hello", "world"])]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "no ceph-mon log to import\n  notes.txt: no line is a Ceph log line (TIME THREAD LEVEL TEXT); skipped"
    );
}

#[test]
fn unknown_lines_are_counted_and_listed_never_fatal() {
    let imp = run(&[log(
        "mon.a.log",
        &[
            A_WINS,
            "epoch 0",
            "2026-12-05T22:38:20.100+0000 7f  1 rocksdb: flush",
        ],
    )])
    .unwrap();
    assert_eq!(imp.unknown, 2);
    assert_eq!(
        imp.unknown_samples,
        [
            "mon.a.log:2: epoch 0",
            "mon.a.log:3: 2026-12-05T22:38:20.100+0000 7f  1 rocksdb: flush"
        ]
    );
}

#[test]
fn wall_times_print_as_utc() {
    assert_eq!(
        format_wall(1_796_491_669_740_000),
        "2026-12-05T17:27:49.740Z"
    );
}

#[test]
fn the_json_trace_opens_as_a_band_of_each_monitor() {
    let imp = run(&[log("mon.a.log", &[A_WINS]), log("mon.b.log", &[B_LOSES])]).unwrap();
    let mut text = report::header(&imp) + "\n";
    text += &crate::trace::json::json_lines(&imp.trace);
    let bands = crate::trace::state_bands::read_state_bands(&text).unwrap();
    assert_eq!(bands.source, "imported from logs");
    let names: Vec<&str> = bands.mons.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(bands.mons[1].1.last().unwrap().state, MonState::Peon);
}

#[test]
fn a_quorum_member_without_a_log_keeps_its_entity_name() {
    // Only b's log: its quorum has rank 0, whose log is missing.
    let imp = run(&[log("mon.b.log", &[B_LOSES])]).unwrap();
    let last = imp.trace.iter().rev().find_map(|e| match &e.kind {
        EventKind::Status { status, .. } => Some(status.clone()),
        _ => None,
    });
    let s = last.unwrap();
    assert_eq!(s.leader.as_deref(), Some("mon.0"));
    assert_eq!(*s.quorum, ["mon.0", "b"]);
}

#[test]
fn a_clients_config_key_set_is_a_write_once_per_burst() {
    let set = |t: &str, who: &str| {
        format!("2026-12-05T22:38:{t}+0000 7f  0 {who} e1 handle_command mon_command([{{prefix=config-key set, key=greeting}}] v 0) v1")
    };
    let (b1, a1, a2) = (
        set("23.289", "mon.b@1(peon)"),
        set("23.290", "mon.a@0(leader)"),
        set("53.000", "mon.a@0(leader)"),
    );
    let imp = run(&[
        log("mon.a.log", &[A_WINS, &a1, &a2]),
        log("mon.b.log", &[B_LOSES, &b1]),
    ])
    .unwrap();
    let keys: Vec<&str> = imp.writes.iter().map(|(_, k)| k.as_str()).collect();
    // The peon's and the leader's lines of one write are one; 30 s later is another.
    assert_eq!(keys, ["greeting", "greeting"]);
    assert_eq!(imp.writes[1].0 - imp.writes[0].0, 29_711_000);
}

#[test]
fn an_excerpt_imports_to_the_same_history_for_its_window() {
    let a = log("mon.a.log", &[A_WINS]);
    let b = log("mon.b.log", &[B_LOSES]);
    let files: Vec<LogFile> = [&a, &b]
        .iter()
        .map(|(n, bytes)| LogFile { name: n, bytes })
        .collect();
    let imp = import(&files).unwrap();
    let text = excerpt::excerpt(&files, &imp, 0, imp.end);
    let parts = excerpt::split(&text);
    assert_eq!(parts.len(), 2);
    let again: Vec<LogFile> = parts
        .iter()
        .map(|(n, t)| LogFile {
            name: n,
            bytes: t.as_bytes(),
        })
        .collect();
    let imp2 = import(&again).unwrap();
    assert_eq!(imp2.trace, imp.trace);
}

#[test]
fn a_monitors_rotated_logs_are_one_history() {
    let later = "2026-12-05T22:38:30.000+0000 7f 10 mon.a@0(leader).paxos(paxos active c 1..3) x";
    let imp = run(&[
        log("ceph-mon.a.log", &[later]),
        log("ceph-mon.a.log.1", &[A_WINS]),
        log("mon.b.log", &[B_LOSES]),
    ])
    .unwrap();
    assert_eq!(imp.nodes, ["a", "b"]);
    assert_eq!(imp.mons[0].files, ["ceph-mon.a.log", "ceph-mon.a.log.1"]);
    // The older file's election comes first: a, electing, wins; then the
    // newer file's paxos range.
    let a: Vec<(MonState, u64)> = imp
        .trace
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Status { node: 0, status } => {
                Some((status.state, status.paxos.last_committed))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        a,
        [
            (MonState::Electing, 0),
            (MonState::Leader, 0),
            (MonState::Leader, 3)
        ]
    );
}
