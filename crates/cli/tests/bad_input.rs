//! The command line on bad input: unknown flags, missing values, files that
//! are missing, directories, empty, binary or not UTF-8, arguments that are
//! not UTF-8, damaged share links and logs, and runaway scenarios. Each is
//! a clear message on standard error and a non-zero exit status, never a
//! panic.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("monscope-bad-input-{}", std::process::id()));
    std::fs::create_dir_all(d.join("a-directory.mon")).unwrap();
    d
}

fn file(d: &Path, name: &str, bytes: &[u8]) -> String {
    let p = d.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.display().to_string()
}

fn monscope(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_monscope"))
        .args(args)
        .output()
        .expect("monscope starts")
}

/// Runs `args`; asserts the exit status `code` and a message on standard
/// error matching `says`, and no panic. Returns standard error.
fn refused(args: &[&str], code: i32, says: &str) -> String {
    let os: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
    let out = monscope(&os);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{args:?}: {err}"
    );
    assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
    assert!(err.contains(says), "{args:?}: expected {says:?} in: {err}");
    err
}

#[test]
fn bad_flags_and_missing_values_are_usage_errors() {
    let d = dir();
    let ok = file(&d, "ok.mon", b"mons a b c\n");
    for (args, says) in [
        (vec!["frobnicate"], "unknown command \"frobnicate\""),
        (vec!["run"], "run needs a scenario FILE"),
        (
            vec!["run", &ok, "--bogus"],
            "unexpected argument \"--bogus\"",
        ),
        (vec!["run", &ok, "--until"], "--until needs a value"),
        (vec!["run", &ok, "--until", "soon"], "expected a duration"),
        (
            vec!["run", &ok, "--until", "99999999999999999999s"],
            "too large",
        ),
        (vec!["check"], "usage: monscope check"),
        (vec!["link", &ok, "--t", "-1"], "--t takes seconds"),
        (
            vec!["link", &ok, "--sel", "<b>x</b>"],
            "--sel takes a monitor's name",
        ),
        (vec!["decode"], "decode needs exactly one LINK"),
        (vec!["svg", &ok, "--from", "9s", "--to", "1s"], "is empty"),
        (vec!["svg", &ok, "--to", "10h"], "expected a duration"),
        (
            vec!["explore", "--runs", "many"],
            "--runs takes a whole number",
        ),
        (vec!["explore", "--jobs", "0"], "--jobs takes 1 or more"),
        (vec!["explore", "--mons", "4"], "--mons takes 3, 5 or 7"),
        (
            vec!["explore", "--minutes", "0"],
            "--minutes takes more than 0",
        ),
        (vec!["bench", "--hours", "-1"], "--hours takes a number"),
        (vec!["import"], "at least one LOG file is needed"),
        (vec!["import", "--bogus"], "unexpected argument \"--bogus\""),
    ] {
        refused(&args, 2, says);
    }
}

#[test]
fn missing_empty_binary_and_non_utf8_files_and_directories_are_named_errors() {
    let d = dir();
    let missing = d.join("missing.mon").display().to_string();
    let directory = d.join("a-directory.mon").display().to_string();
    let empty = file(&d, "empty.mon", b"");
    let latin1 = file(&d, "latin1.mon", b"mons a b c\ntitle \"caf\xe9\"\n");
    let binary = file(
        &d,
        "binary.mon",
        &[0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0xff],
    );
    for cmd in ["run", "check", "link", "svg"] {
        refused(&[cmd, &missing], 2, "No such file");
        refused(&[cmd, &directory], 2, "directory");
        refused(&[cmd, &empty], 2, "missing \"mons\"");
        refused(
            &[cmd, &latin1],
            2,
            "latin1.mon: not a scenario: line 2 (byte 22) is not UTF-8",
        );
        refused(&[cmd, &binary], 2, "is not UTF-8 text");
    }
    // `check` goes on to the next file and counts what it could not run.
    let ok = file(&d, "ok.mon", b"mons a b c\nat 30s expect leader a\n");
    let err = refused(&["check", &missing, &ok, &empty], 2, "No such file");
    assert!(err.contains("missing \"mons\""), "{err}");
    // `import` skips each file with its reason; nothing left is an error.
    let err = refused(
        &["import", &missing, &directory, &empty, &binary],
        2,
        "no ceph-mon log to import",
    );
    for why in [
        "No such file",
        "directory",
        "no line is a Ceph log line",
        "binary data",
    ] {
        assert!(err.contains(why), "{why}: {err}");
    }
}

#[test]
fn arguments_that_are_not_utf8_are_an_error_not_a_panic() {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let name = std::ffi::OsStr::from_bytes(b"caf\xe9.mon");
        for cmd in ["run", "import", "check"] {
            let out = monscope(&[std::ffi::OsStr::new(cmd), name]);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{cmd}: {err}");
            assert!(!err.contains("panicked"), "{cmd}: {err}");
            assert!(
                err.contains("argument 2 (caf\u{fffd}.mon) is not UTF-8"),
                "{err}"
            );
        }
    }
}

#[test]
fn damaged_share_links_say_what_is_wrong() {
    let d = dir();
    let ok = file(&d, "ok.mon", b"mons a b c\nat 5s kill a\n");
    let out = monscope(&[std::ffi::OsStr::new("link"), ok.as_ref()]);
    let link = String::from_utf8(out.stdout).unwrap().trim().to_string();
    for (bad, says) in [
        (link[..link.len() - 4].to_string(), "damaged"),
        (format!("{link}&t=forever"), "bad t=\"forever\""),
        (format!("{link}&sel=<i>"), "bad sel=\"<i>\""),
        (link.replace("s1=", "s2="), "unknown format \"s2\""),
        ("#s1=".into(), "not valid DEFLATE"),
        ("#s1=A".into(), "bad base64 length"),
        ("https://x.org/#top".into(), "no s1 parameter"),
        (format!("#s1={}", "A".repeat(100_000)), "damaged"),
    ] {
        refused(&["decode", &bad], 2, says);
    }
}

#[test]
fn damaged_logs_are_imported_with_their_problems_or_refused() {
    let fixture = |m: &str| {
        std::fs::read(format!(
            "{}/../../tests/fixtures/logs/failover/mon.{m}.log",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    };
    let d = dir();
    // Cut mid-line, with a stretch of bytes that are not UTF-8.
    let mut a = fixture("a");
    a.truncate(a.len() / 3);
    a.extend_from_slice(b"\n\xff\xfe\xfd not text\n2026-12-05T17:27:49");
    let a = file(&d, "mon.a.log", &a);
    let b = file(&d, "mon.b.log", &fixture("b")[..5_000]);
    let out = monscope(&["import".as_ref(), a.as_ref(), b.as_ref()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains("mon.a.log: the last line is cut short"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("mon.a"));
}

#[test]
fn runaway_scenarios_stop_with_the_budgets_message() {
    let d = dir();
    // A tick every microsecond: a timer storm, stopped in its first second.
    let storm = file(
        &d,
        "storm.mon",
        b"mons a b c\nset mon_tick_interval 0.000001\n",
    );
    for cmd in ["run", "svg"] {
        let err = refused(&[cmd, &storm], 3, "monscope: the run stopped at");
        assert!(
            err.contains("events in one second of simulated time"),
            "{err}"
        );
    }
    let out = monscope(&["check".as_ref(), storm.as_ref()]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{said}");
    assert!(
        said.contains("STOPPED") && said.contains("events in one second"),
        "{said}"
    );
    assert!(said.contains("1 run(s) stopped by their budget"), "{said}");
    // Past the limit of monitors: a scenario error, before anything runs.
    let names: Vec<String> = (0..16).map(|i| format!("m{i}")).collect();
    let many = file(
        &d,
        "many.mon",
        format!("mons {}\n", names.join(" ")).as_bytes(),
    );
    refused(&["run", &many], 2, "too many monitors: at most 15");
    // An `end` past what time can say.
    let far = file(&d, "far.mon", b"mons a b c\nend 99999999999999999999s\n");
    refused(&["run", &far], 2, "far.mon: line 2");
}
