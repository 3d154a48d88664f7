//! `monscope check scenarios/*.mon | head -1`: the reader goes away early, and monscope
//! ends as Unix tools do (SIGPIPE), without a panic message.

#![cfg(unix)]

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

#[test]
fn a_reader_that_closes_early_ends_the_run_without_a_panic() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "mon"))
        .collect();
    files.sort();
    let mut child = Command::new(env!("CARGO_BIN_EXE_monscope"))
        .arg("check")
        .args(&files)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("monscope starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("PASS"), "first line: {first}");
    // The reader is dropped here, as `head -1` exits.
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!err.contains("panicked"), "stderr: {err}");
    assert!(
        status.success() || status.signal() == Some(SIGPIPE),
        "status {status:?}"
    );
}

const SIGPIPE: i32 = 13;
