//! The scenario language as a user meets it: the spec's example, every
//! statement form, error messages, and share links.

use super::link::{decode, encode_payload, share_link, LinkError};
use super::*;
use crate::mon::config::{Config, OptionValue};
use crate::mon::monmap::Strategy;
use crate::mon::status::MonState;
use crate::time::{MS, SEC};

const SPEC_EXAMPLE: &str = r#"title "Leader failure"
describe "Three monitors form a quorum; the leader crashes and the others elect a new one."
mons a b c
seed 7

at 20s write greeting hello
at 25s expect committed greeting hello
at 30s kill a
at 30s note "mon.a has crashed. Its peons notice when their lease runs out."
at 60s expect leader b
at 60s expect quorum b c
at 60s expect stable for 10s
at 61s write greeting again
at 70s expect committed greeting again
at 80s revive a
at 120s expect quorum a b c
at 120s expect safe
"#;

fn err(text: &str) -> String {
    match parse(text) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e.to_string(),
    }
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Parsed statements without positions, for comparing texts.
fn kinds(s: &Scenario) -> Vec<StmtKind> {
    s.stmts.iter().map(|s| s.kind.clone()).collect()
}

/// parse(print(parse(x))) agrees with parse(x) on everything but positions.
fn assert_round_trip(text: &str) -> Scenario {
    let a = parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let printed = print(&a);
    let b = parse(&printed).unwrap_or_else(|e| panic!("{e}\n{printed}"));
    assert_eq!(kinds(&a), kinds(&b), "{printed}");
    assert_eq!(print(&b), printed);
    let strip = |s: &Scenario| {
        let mut s = s.clone();
        s.stmts.clear();
        for t in &mut s.timed {
            t.pos = Pos::default();
        }
        s
    };
    assert_eq!(strip(&a), strip(&b));
    a
}

#[test]
fn the_spec_example_parses_and_resolves() {
    let s = assert_round_trip(SPEC_EXAMPLE);
    assert_eq!(s.title.as_deref(), Some("Leader failure"));
    assert_eq!(s.describe.len(), 1);
    assert_eq!(s.mons, names(&["a", "b", "c"]));
    assert_eq!(s.seed, 7);
    assert_eq!(s.strategy, Strategy::Classic);
    assert_eq!(s.latency, Latency::Uniform(2 * MS, 10 * MS));
    assert_eq!(s.loss, 0);
    assert_eq!(s.config, Config::default());
    assert!(!s.has_start);
    assert_eq!(s.timed.len(), 12);
    assert_eq!(s.end, 150 * SEC);
    assert_eq!(s.timed[0].at, 20 * SEC);
    assert_eq!(s.timed[0].pos, Pos { line: 6, col: 1 });
    assert_eq!(
        s.timed[0].action,
        Action::Write {
            key: "greeting".into(),
            value: "hello".into(),
            via: None
        }
    );
    assert_eq!(
        s.timed[6].action,
        Action::Expect(Expectation::Stable(10 * SEC))
    );
    assert_eq!(s.stmts.len(), 16);
    assert!(print(&s).starts_with("title \"Leader failure\"\ndescribe \"Three"));
}

#[test]
fn defaults_when_only_mons_is_given() {
    let s = parse("mons a\n").unwrap();
    assert_eq!(s.seed, 1);
    assert_eq!(s.end, 30 * SEC);
    assert!(s.timed.is_empty());
    assert_eq!(s.title, None);
}

#[test]
fn headers_resolve() {
    let s = assert_round_trip(
        "# a comment\n\
         mons a b c d e   # five\n\
         strategy disallow\n\
         disallow a\n\
         disallow b\n\
         seed 18446744073709551615\n\
         latency 5ms\n\
         loss 0.5%\n\
         link a b latency 1ms..3ms\n\
         link a -> b loss 100%\n\
         set mon_lease 10\n\
         set mon_election_timeout 2.5\n\
         set paxos_min_wait 20ms\n\
         set mon_lease_renew_interval_factor 0.5\n\
         set mon_accept_timeout_factor 3\n\
         set paxos_min 100\n\
         end 10m\r\n",
    );
    assert_eq!(s.strategy, Strategy::Disallow);
    assert_eq!(s.disallow, names(&["a", "b"]));
    assert_eq!(s.seed, u64::MAX);
    assert_eq!(s.latency, Latency::Fixed(5 * MS));
    assert_eq!(s.loss, 5_000_000);
    assert_eq!(
        s.links,
        vec![
            LinkRule {
                a: "a".into(),
                b: "b".into(),
                one_way: false,
                setting: LinkSetting::Latency(Latency::Uniform(MS, 3 * MS)),
            },
            LinkRule {
                a: "a".into(),
                b: "b".into(),
                one_way: true,
                setting: LinkSetting::Loss(PPB_100_PERCENT),
            },
        ]
    );
    assert_eq!(s.config.mon_lease, 10 * SEC);
    assert_eq!(s.config.mon_election_timeout, 2_500 * MS);
    assert_eq!(s.config.paxos_min_wait, 20 * MS);
    assert_eq!(s.config.mon_lease_renew_interval_factor, 0.5);
    assert_eq!(s.config.mon_accept_timeout_factor, 3.0);
    assert_eq!(s.config.paxos_min, 100);
    assert_eq!(s.end, 600 * SEC);
    let printed = print(&s);
    assert!(printed.contains("set mon_lease 10s\n"), "{printed}");
    assert!(printed.contains("set mon_election_timeout 2.5s\n"));
    assert!(printed.contains("loss 0.5%\n"));
    assert!(printed.contains("link a -> b loss 100%\n"));
    assert!(printed.contains("link a b latency 1ms..3ms\n"));
    assert!(
        matches!(&s.stmts[13].kind, StmtKind::Set { value: OptionValue::Float(f), .. } if *f == 3.0)
    );
}

#[test]
fn every_action_parses_and_prints_back() {
    let cases: &[(&str, Action)] = &[
        ("start all", Action::Start(Targets::All)),
        ("kill a b", Action::Kill(names(&["a", "b"]))),
        ("wipe a", Action::Wipe(names(&["a"]))),
        ("revive a", Action::Revive(names(&["a"]))),
        ("start b", Action::Start(Targets::Names(names(&["b"])))),
        ("call-election c", Action::CallElection("c".into())),
        (
            "cut a b",
            Action::Cut {
                a: "a".into(),
                b: "b".into(),
                one_way: false,
            },
        ),
        (
            "restore a -> b",
            Action::Restore {
                a: "a".into(),
                b: "b".into(),
                one_way: true,
            },
        ),
        (
            "partition a b | c | d",
            Action::Partition(vec![names(&["a", "b"]), names(&["c"]), names(&["d"])]),
        ),
        ("isolate d", Action::Isolate("d".into())),
        ("heal", Action::Heal),
        (
            "write k v via b",
            Action::Write {
                key: "k".into(),
                value: "v".into(),
                via: Some("b".into()),
            },
        ),
        (
            "write \"a key\" \"say \\\"hi\\\"\"",
            Action::Write {
                key: "a key".into(),
                value: "say \"hi\"".into(),
                via: None,
            },
        ),
        (
            "read k",
            Action::Read {
                key: "k".into(),
                via: None,
            },
        ),
        (
            "read \"\" via a",
            Action::Read {
                key: "".into(),
                via: Some("a".into()),
            },
        ),
        (
            "note \"hello # world\"",
            Action::Note("hello # world".into()),
        ),
    ];
    let mut text = String::from("mons a b c d\n");
    for (i, (src, _)) in cases.iter().enumerate() {
        text.push_str(&format!("at {i}s {src}\n"));
    }
    let s = assert_round_trip(&text);
    for (i, (src, want)) in cases.iter().enumerate() {
        let got = &s.timed[i];
        assert_eq!(&got.action, want, "{src}");
        assert_eq!(print_action(&got.action), *src);
    }
    assert!(s.has_start);
}

#[test]
fn every_expectation_parses_and_prints_back() {
    let cases: &[(&str, &str, Expectation)] = &[
        (
            "leader b",
            "leader b",
            Expectation::Leader(Some("b".into())),
        ),
        ("leader none", "leader none", Expectation::Leader(None)),
        (
            "quorum b c",
            "quorum b c",
            Expectation::Quorum(names(&["b", "c"])),
        ),
        ("quorum all", "quorum all", Expectation::QuorumAll),
        (
            "state a down",
            "state a down",
            Expectation::State("a".into(), MonState::Down),
        ),
        (
            "was a synchronizing",
            "was a synchronizing",
            Expectation::Was("a".into(), MonState::Synchronizing),
        ),
        ("epoch 4", "epoch 4", Expectation::Epoch(EpochExpect::Is(4))),
        (
            "epoch even",
            "epoch even",
            Expectation::Epoch(EpochExpect::Even),
        ),
        (
            "epoch odd",
            "epoch odd",
            Expectation::Epoch(EpochExpect::Odd),
        ),
        ("agree", "agree", Expectation::Agree),
        (
            "quorum-stable",
            "quorum-stable for 30s",
            Expectation::QuorumStable(30 * SEC),
        ),
        (
            "stable for 10s",
            "stable for 10s",
            Expectation::Stable(10 * SEC),
        ),
        (
            "unstable for 1.5s",
            "unstable for 1.5s",
            Expectation::Unstable(1_500 * MS),
        ),
        ("stable", "stable for 30s", Expectation::Stable(30 * SEC)),
        (
            "committed greeting \"hello world\"",
            "committed greeting \"hello world\"",
            Expectation::Committed("greeting".into(), "hello world".into()),
        ),
        ("missing k", "missing k", Expectation::Missing("k".into())),
        (
            "version a >= 12",
            "version a >= 12",
            Expectation::Version("a".into(), CmpOp::Ge, VersionRef::Count(12)),
        ),
        (
            "version a != 0",
            "version a != 0",
            Expectation::Version("a".into(), CmpOp::Ne, VersionRef::Count(0)),
        ),
        (
            "version c = a",
            "version c = a",
            Expectation::Version("c".into(), CmpOp::Eq, VersionRef::Of("a".into())),
        ),
        ("health ok", "health ok", Expectation::Health(vec![])),
        (
            "health MON_DOWN MON_CLOCK_SKEW",
            "health MON_DOWN MON_CLOCK_SKEW",
            Expectation::Health(names(&["MON_DOWN", "MON_CLOCK_SKEW"])),
        ),
        ("max-leaders 1", "max-leaders 1", Expectation::MaxLeaders(1)),
        ("safe", "safe", Expectation::Safe),
    ];
    let mut text = String::from("mons a b c\n");
    for (src, _, _) in cases {
        text.push_str(&format!("at 5s expect {src}\n"));
    }
    let s = assert_round_trip(&text);
    for (i, (src, printed, want)) in cases.iter().enumerate() {
        let Action::Expect(got) = &s.timed[i].action else {
            panic!("{src}")
        };
        assert_eq!(got, want, "{src}");
        assert_eq!(print_expectation(got), *printed);
    }
    assert_eq!(print_stmt(&s.stmts[1]), "at 5s expect leader b".to_string());
}

/// Issue 13, bug 3: a zero timer stopped simulated time (`check` hung). Ceph
/// sets no minimum for these options; a timer of 0 is refused where it is set.
#[test]
fn a_timer_or_divisor_of_zero_is_a_scenario_error_at_its_value() {
    for (option, value) in [
        ("mon_probe_timeout", "0"),
        ("mon_election_timeout", "0s"),
        ("mon_lease", "0ms"),
        ("mon_sync_timeout", "0"),
        ("mon_tick_interval", "0"),
        ("mon_elector_ping_timeout", "0"),
        ("mon_timecheck_interval", "0"),
        ("mon_timecheck_skew_interval", "0"),
        ("mon_client_hunt_interval", "0us"),
    ] {
        let e = err(&format!("mons a b c\nset {option} {value}\n"));
        let col = 6 + option.len();
        assert_eq!(
            e,
            format!(
                "line 2, column {col}: {option} must be greater than 0 (a timer of 0 fires again at once, forever)"
            )
        );
    }
    for (option, why) in [
        (
            "mon_elector_ping_divisor",
            "pings go out every ping timeout / divisor",
        ),
        (
            "mon_con_tracker_persist_interval",
            "the tracker is persisted every N updates",
        ),
        (
            "mon_sync_max_payload_size",
            "an empty chunk never finishes a sync",
        ),
        (
            "mon_sync_max_payload_keys",
            "an empty chunk never finishes a sync",
        ),
    ] {
        let e = err(&format!("mons a b c\nset {option} 0\n"));
        assert!(
            e.ends_with(&format!("{option} must be at least 1 ({why})")),
            "{e}"
        );
    }
    assert!(err("mons a\nset mon_accept_timeout_factor 0\n").contains("greater than 0"));
    assert!(err("mons a\nset mon_con_tracker_score_halflife 0\n").contains("greater than 0"));
    // Negative values do not parse as a number or a duration at all.
    assert!(err("mons a\nset mon_elector_ignore_propose_margin -0.1\n").contains("found \"-0.1\""));
    assert!(err("mons a\nset mon_probe_timeout -1s\n").contains("found \"-1s\""));
    // Zero still means something for these, as in Ceph.
    for ok in [
        "set mon_session_timeout 0",
        "set mon_clock_drift_allowed 0",
        "set paxos_max_join_drift 0",
        "set paxos_min 0",
        "set paxos_propose_interval 0",
    ] {
        parse(&format!("mons a b c\n{ok}\n")).unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
}

/// MonClient's hunting options (MonClient::_add_conns, _start_hunting,
/// _un_backoff) are set by their Ceph names, from Ceph's defaults; values
/// that would make the client's tick fire again at once are refused.
#[test]
fn the_monclient_hunt_options_are_settable_with_cephs_defaults() {
    let d = parse("mons a b c\n").unwrap().config;
    assert_eq!(d.mon_client_hunt_parallel, 3);
    assert_eq!(d.mon_client_hunt_interval_backoff, 1.5);
    assert_eq!(d.mon_client_hunt_interval_min_multiple, 1.0);
    assert_eq!(d.mon_client_hunt_interval_max_multiple, 10.0);
    let s = assert_round_trip(
        "mons a b c\n\
         set mon_client_hunt_parallel 0\n\
         set mon_client_hunt_interval_backoff 2\n\
         set mon_client_hunt_interval_min_multiple 0.5\n\
         set mon_client_hunt_interval_max_multiple 4.5\n",
    );
    assert_eq!(s.config.mon_client_hunt_parallel, 0);
    assert_eq!(s.config.mon_client_hunt_interval_backoff, 2.0);
    assert_eq!(s.config.mon_client_hunt_interval_min_multiple, 0.5);
    assert_eq!(s.config.mon_client_hunt_interval_max_multiple, 4.5);
    assert_eq!(
        err("mons a\nset mon_client_hunt_interval_backoff 0.9\n"),
        "line 2, column 38: mon_client_hunt_interval_backoff must be at least 1 \
         (below, the hunt timer shrinks to 0)"
    );
    for option in [
        "mon_client_hunt_interval_min_multiple",
        "mon_client_hunt_interval_max_multiple",
    ] {
        let e = err(&format!("mons a\nset {option} 0\n"));
        assert!(
            e.ends_with(&format!(
                "{option} must be greater than 0 (a timer of 0 fires again at once, forever)"
            )),
            "{e}"
        );
    }
    assert!(err("mons a\nset mon_client_hunt_parallel 1.5\n").contains("whole number"));
}

#[test]
fn errors_name_line_and_column() {
    let cases: &[(&str, &str)] = &[
        // The spec's own example.
        (
            "strategy disallow\nmons a b c\n\n# who may not lead\n\n\ndisallow f\n",
            "line 7, column 10: unknown monitor \"f\" (monitors are: a b c)",
        ),
        (
            "link a f latency 1ms\nmons a b c\n",
            "line 1, column 8: unknown monitor \"f\" (monitors are: a b c)",
        ),
        (
            "mons a b c\n\n\n\n\n\nat 5s kill f\n",
            "line 7, column 12: unknown monitor \"f\" (monitors are: a b c)",
        ),
        (
            "mons a b c\nat 5s explode a\n",
            "line 2, column 7: expected an action (start kill revive wipe call-election skew add remove cut restore partition isolate heal write read note expect), found \"explode\"",
        ),
        (
            "mons a\nfrobnicate\n",
            "line 2, column 1: expected a statement (title describe mons strategy disallow seed latency loss link set end at), found \"frobnicate\"",
        ),
        (
            "mons a b\nat 5s kill a b c\n",
            "line 2, column 16: unknown monitor \"c\" (monitors are: a b)",
        ),
        (
            "mons a\nat 5s heal now\n",
            "line 2, column 12: unexpected \"now\": expected the end of the line",
        ),
        (
            "title \"oops\nmons a\n",
            "line 1, column 7: unterminated string: expected a closing \" on this line",
        ),
        (
            "mons a\nat 5s\n",
            "line 2, column 6: expected an action (start kill revive wipe call-election skew add remove cut restore partition isolate heal write read note expect)",
        ),
        (
            "mons a\nat 10s heal\nat 5s heal\n",
            "line 3, column 4: time goes backwards: 5s is before 10s (line 2); timed statements must be in time order",
        ),
        (
            "mons a\nend 5s\nat 10s heal\n",
            "line 2, column 5: end 5s is before the last timed statement (at 10s on line 3)",
        ),
        (
            "mons a\nlatency 10ms..2ms\n",
            "line 2, column 9: latency range 10ms..2ms is backwards: expected the smaller value first",
        ),
        (
            "mons a\nlatency 2ms..10\n",
            "line 2, column 14: expected a duration with a unit (us, ms, s or m) like 250ms, 1.5s or 2m, found \"10\"",
        ),
        (
            "mons a\nat 1.0000005s heal\n",
            "line 2, column 4: \"1.0000005s\" is not a whole number of microseconds",
        ),
        (
            "mons a\nloss 101%\n",
            "line 2, column 6: \"101%\" is over 100%",
        ),
        (
            "mons a\nloss 0.00000001%\n",
            "line 2, column 6: \"0.00000001%\" is finer than the resolution of 0.0000001% (one in a billion)",
        ),
        (
            "mons a\nset mon_lease_renew_interval_factor 2\n",
            "line 2, column 37: mon_lease_renew_interval_factor must be between 0 and 1 (exclusive)",
        ),
        (
            "mons a\nset paxos_min 1.5\n",
            "line 2, column 15: expected a value for paxos_min (a whole number), found \"1.5\"",
        ),
        (
            "mons a\nset mon_lease soon\n",
            "line 2, column 15: expected a duration with a unit (us, ms, s or m) like 250ms, 1.5s or 2m, found \"soon\"",
        ),
        ("mons a\nmons b\n", "line 2, column 1: mons is given twice (first on line 1)"),
        ("mons\n", "line 1, column 1: mons needs 1 to 15 monitor names, e.g. mons a b c"),
        ("mons a b a\n", "line 1, column 10: monitor \"a\" is listed twice"),
        (
            "mons a b c d e f g h i j k l m n o p\n",
            "line 1, column 36: too many monitors: at most 15",
        ),
        (
            "seed 3\n",
            "line 1, column 1: missing \"mons\": a scenario needs its monitors, e.g. mons a b c",
        ),
        (
            "mons A\n",
            "line 1, column 6: expected a monitor name (a lower-case letter, then up to 15 of a-z 0-9 -), found \"A\"",
        ),
        ("mons all\n", "line 1, column 6: \"all\" is a keyword and cannot name a monitor"),
        (
            "disallow a\nmons a b\n",
            "line 1, column 1: disallow needs \"strategy disallow\" or \"strategy connectivity\" (the strategy is classic)",
        ),
        (
            "mons a b\nat 1s cut a a\n",
            "line 2, column 13: a link joins two different monitors, found \"a\" twice",
        ),
        (
            "mons a b\nat 1s partition a b\n",
            "line 2, column 20: a partition needs at least two groups separated by |, e.g. partition a b | c",
        ),
        (
            "mons a b c\nat 1s partition a b | b c\n",
            "line 2, column 23: monitor \"b\" is named twice; partition groups must be disjoint",
        ),
        (
            "mons a b\nat 1s partition a | | b\n",
            "line 2, column 21: expected a monitor name before |",
        ),
        (
            "mons a b\nat 1s expect state a sleeping\n",
            "line 2, column 22: expected a state (probing synchronizing electing leader peon down), found \"sleeping\"",
        ),
        (
            "mons a b\nat 1s expect health MON_SAD\n",
            "line 2, column 21: expected ok or health checks (MON_DOWN MON_CLOCK_SKEW), found \"MON_SAD\"",
        ),
        (
            "mons a b\nat 1s expect version a ~ 3\n",
            "line 2, column 24: expected a comparison (= != < <= > >=), found \"~\"",
        ),
        (
            "mons a b\nat 1s expect stable during 3s\n",
            "line 2, column 21: expected \"for\" or the end of the line, found \"during\"",
        ),
        (
            "mons a b\nat 1s note hello\n",
            "line 2, column 12: expected a quoted caption, e.g. note \"...\", found \"hello\"",
        ),
        (
            "mons a b\nat 1s kill \"a\"\n",
            "line 2, column 12: expected a monitor name, found a string",
        ),
        (
            "mons a\nat 1s write k v by a\n",
            "line 2, column 17: expected \"via\" or the end of the line, found \"by\"",
        ),
        // Columns count characters, not bytes.
        (
            "title \"café\" mons\nmons a\n",
            "line 1, column 14: unexpected \"mons\": expected the end of the line",
        ),
        (
            "mons a\nat 1s write k v via é\n",
            "line 2, column 21: expected a monitor name (a lower-case letter, then up to 15 of a-z 0-9 -), found \"é\"",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(&err(text), want, "for:\n{text}");
    }
}

#[test]
fn unknown_set_options_list_the_supported_ones() {
    let e = err("mons a\nset mon_nope 5\n");
    assert!(e.starts_with("line 2, column 5: unknown option \"mon_nope\" (supported: mon_election_timeout mon_lease "), "{e}");
}

#[test]
fn monitor_lifecycle_is_checked_in_file_order() {
    let cases: &[(&str, &str)] = &[
        (
            "mons a b\nat 1s revive a\n",
            "line 2, column 14: cannot revive \"a\": it is running (only a killed monitor can be revived)",
        ),
        (
            "mons a b\nat 1s kill a\nat 2s kill b a\n",
            "line 3, column 14: cannot kill \"a\": it is not running (it was killed on line 2)",
        ),
        (
            "mons a b\nat 1s wipe b\n",
            "line 2, column 12: cannot wipe \"b\": it is running; it must be killed first",
        ),
        (
            "mons a b\nat 0s start a\nat 1s start a\n",
            "line 3, column 13: cannot start \"a\": it is already running",
        ),
        (
            "mons a b\nat 0s start a\nat 1s kill b\n",
            "line 3, column 12: cannot kill \"b\": it is not running (it has not been started)",
        ),
        (
            "mons a b\nat 0s start a\nat 1s start all\n",
            "line 3, column 7: cannot start all: \"a\" is already running",
        ),
        ("mons a b\nat 1s kill a a\n", "line 2, column 14: monitor \"a\" is listed twice"),
    ];
    for (text, want) in cases {
        assert_eq!(&err(text), want, "for:\n{text}");
    }
    let ok = parse(
        "mons a b c\n\
         at 0s start a b\n\
         at 1s kill a\n\
         at 2s wipe a\n\
         at 3s revive a\n\
         at 4s start c\n\
         at 5s kill c\n\
         at 6s start c\n",
    )
    .unwrap();
    assert!(ok.has_start);
}

#[test]
fn membership_and_skew_actions_parse_and_print() {
    let cases: &[(&str, &str)] = &[
        (
            "mons a b\nat 1s skew b 300\n",
            "line 2, column 14: expected a duration with a unit (us, ms, s or m) like 250ms, 1.5s or 2m, found \"300\"",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(&err(text), want, "for:\n{text}");
    }
    assert_eq!(
        print_action(&Action::Skew("b".into(), -300 * MS as i64)),
        "skew b -300ms"
    );
    assert_eq!(print_action(&Action::Add("d".into())), "add d");
    assert_eq!(print_action(&Action::Remove("a".into())), "remove a");
}

#[test]
fn printer_quotes_only_when_needed() {
    let s = assert_round_trip(
        "mons a\nat 1s write \"plain\" \"two words\"\nat 2s write k \"\"\nat 3s write \"#x\" \"a\\\\b\"\nat 4s note \"\\\\\\\"\"\n",
    );
    let p = print(&s);
    assert!(p.contains("at 1s write plain \"two words\"\n"), "{p}");
    assert!(p.contains("at 2s write k \"\"\n"), "{p}");
    assert!(p.contains("at 3s write \"#x\" a\\b\n"), "{p}");
    assert!(p.contains("at 4s note \"\\\\\\\"\"\n"), "{p}");
}

/// The spec prints this link as `#s1=Y83P...`; that first `Y` is a typo for
/// `y`: `Y83P...` is valid DEFLATE too but inflates to "\u{5}ons a b c\n".
const SPEC_LINK: &str = "https://example.org/monscope/#s1=y83PK1ZIVEhSSOYCAA&t=12.5";

#[test]
fn share_link_spec_example_decodes() {
    let d = decode(SPEC_LINK).unwrap();
    assert_eq!(d.text, "mons a b c\n");
    assert_eq!(d.t, Some(12_500 * MS));
    assert_eq!(d.sel, None);
    assert_eq!(
        decode("#s1=y83PK1ZIVEhSSOYCAA").unwrap().text,
        "mons a b c\n"
    );
    assert_eq!(
        decode("s1=y83PK1ZIVEhSSOYCAA&sel=b")
            .unwrap()
            .sel
            .as_deref(),
        Some("b")
    );
    // monscope's own encoder produces the same payload.
    assert_eq!(encode_payload("mons a b c\n"), "s1=y83PK1ZIVEhSSOYCAA");
    assert_eq!(
        share_link(
            "https://example.org/monscope/",
            "mons a b c\n",
            Some(12_500 * MS),
            None
        ),
        SPEC_LINK
    );
}

#[test]
fn share_links_round_trip() {
    let link = share_link(
        "https://x.org/m/",
        SPEC_EXAMPLE,
        Some(61_250 * MS),
        Some("b"),
    );
    assert!(link.starts_with("https://x.org/m/#s1="), "{link}");
    assert!(link.ends_with("&t=61.25&sel=b"), "{link}");
    let d = decode(&link).unwrap();
    assert_eq!(d.text, SPEC_EXAMPLE);
    assert_eq!(d.t, Some(61_250 * MS));
    assert_eq!(d.sel.as_deref(), Some("b"));
    // Deterministic, and the same through every entry point.
    assert_eq!(encode_payload(SPEC_EXAMPLE), encode_payload(SPEC_EXAMPLE));
    let bare = encode_payload("mons a b c\n");
    assert_eq!(decode(&bare).unwrap().text, "mons a b c\n");
    assert_eq!(
        share_link("u", "", None, None),
        format!("u#{}", encode_payload(""))
    );
    assert_eq!(decode(&share_link("u", "", None, None)).unwrap().text, "");
}

#[test]
fn bad_share_links_say_what_is_wrong() {
    let cases: &[(&str, LinkError)] = &[
        ("https://x.org/#t=3", LinkError::NoPayload),
        ("", LinkError::NoPayload),
        ("#s2=abc", LinkError::UnknownVersion("s2".into())),
        ("#s1=Y83P=", LinkError::BadBase64 { pos: 5, c: '=' }),
        ("#s1=Y83PK", LinkError::TruncatedBase64),
        ("#s1=Y83P", LinkError::BadDeflate),
        ("#s1=__8", LinkError::BadDeflate),
        (
            "#s1=Y83PK1ZIVEhSSOYCAA&t=soon",
            LinkError::BadTime("soon".into()),
        ),
        (
            "#s1=Y83PK1ZIVEhSSOYCAA&t=-1",
            LinkError::BadTime("-1".into()),
        ),
        (
            "#s1=Y83PK1ZIVEhSSOYCAA&sel=B",
            LinkError::BadSel("B".into()),
        ),
        (
            "#s1=Y83PK1ZIVEhSSOYCAA&s1=Y83PK1ZIVEhSSOYCAA",
            LinkError::Repeated("s1".into()),
        ),
    ];
    for (link, want) in cases {
        assert_eq!(decode(link).as_ref().err(), Some(want), "{link}");
    }
    assert_eq!(
        LinkError::BadBase64 { pos: 5, c: '=' }.to_string(),
        "the link's scenario is damaged: bad base64 at position 5 ('=' is not a base64url character)"
    );
    // Stored (uncompressed) DEFLATE block holding invalid UTF-8.
    let stored = [0x01, 0x02, 0x00, 0xfd, 0xff, 0xc3, 0x28];
    let link = format!("s1={}", base64::encode(&stored));
    assert_eq!(decode(&link), Err(LinkError::NotUtf8));
}

#[test]
fn a_link_that_inflates_past_64_kib_is_refused() {
    let at_limit = "x".repeat(link::MAX_TEXT);
    assert_eq!(
        decode(&encode_payload(&at_limit)).unwrap().text.len(),
        link::MAX_TEXT
    );
    let over = "x".repeat(link::MAX_TEXT + 1);
    assert_eq!(decode(&encode_payload(&over)), Err(LinkError::TooLarge));
    // A zip bomb: 10 MB of zeros compresses to a few KiB.
    let bomb = miniz_oxide::deflate::compress_to_vec(&vec![0u8; 10_000_000], 9);
    let link = format!("s1={}", base64::encode(&bomb));
    assert_eq!(decode(&link), Err(LinkError::TooLarge));
}

#[test]
fn a_text_parsed_a_few_lines_at_a_time_is_the_text_parsed_whole() {
    let broken = "mons a b c\nat 1s kill a\nat 2s explode b\nat 3s revive a\n";
    let backwards = "mons a b\nat 5s kill a\nat 1s revive a\n";
    let texts = library::BUILTIN.iter().map(|(_, t)| *t).chain([
        broken,
        backwards,
        "",
        "\n",
        "mons a\r\nend 1s",
    ]);
    for text in texts {
        let whole = parse(text);
        for per_step in [1, 3, 7] {
            let mut p = Parser::default();
            let stepped = loop {
                if let Some(done) = p.step(text, per_step) {
                    break done;
                }
            };
            assert_eq!(stepped, whole, "{per_step} lines a step: {text}");
        }
    }
}
