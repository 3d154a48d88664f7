//! `monscope import LOG... [--json] [--scenario]`: real ceph-mon logs as a
//! monscope trace (monscope_core::import).

use crate::wants_help;
use monscope_core::import::report::{header, summary};
use monscope_core::import::{import, LogFile};
use monscope_core::trace::json::json_line;
use std::io::Write;

const HELP: &str = "\
usage: monscope import LOG... [--json] [--scenario]

Reads ceph-mon log files (one or more per monitor; Pacific to Squid; best at
debug_mon 10, debug_paxos 10 and debug_ms 1) and prints what the monitors
did: each log's monitor, lines read and not understood, its clock's
estimated offset, the messages matched into arrows, and every change of
leader, quorum and election epoch, commit and health check.
  --json      print the trace instead: a header line, then one JSON object
              per event, as `run --json` and `real --json`
  --scenario  print the scenario that best reproduces the history, each
              inferred statement with a comment saying how it was inferred
Exit status: 0 imported (problems with single files or lines are listed),
2 nothing could be imported (no file is a ceph-mon log).";

pub fn main(args: &[String]) -> u8 {
    if wants_help(args, HELP) {
        return 0;
    }
    let mut json = false;
    let mut scenario = false;
    let mut paths = Vec::new();
    for a in args {
        match a.as_str() {
            "--json" => json = true,
            "--scenario" => scenario = true,
            f if !f.starts_with("--") => paths.push(f.to_string()),
            other => {
                eprintln!("monscope import: unexpected argument \"{other}\"\n\n{HELP}");
                return 2;
            }
        }
    }
    if paths.is_empty() {
        eprintln!("monscope import: at least one LOG file is needed\n\n{HELP}");
        return 2;
    }
    let mut contents = Vec::new();
    for p in &paths {
        match std::fs::read(p) {
            Ok(b) => contents.push((p.clone(), b)),
            Err(e) => eprintln!("monscope import: {p}: {e}; skipped"),
        }
    }
    let files: Vec<LogFile> = contents
        .iter()
        .map(|(name, bytes)| LogFile { name, bytes })
        .collect();
    let imp = match import(&files) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("monscope import: {e}");
            return 2;
        }
    };
    let mut out = std::io::stdout().lock();
    for p in &imp.problems {
        eprintln!("monscope import: {p}");
    }
    if json {
        let _ = writeln!(out, "{}", header(&imp));
        for ev in &imp.trace {
            let _ = writeln!(out, "{}", json_line(ev));
        }
    } else if scenario {
        let _ = write!(out, "{}", monscope_core::import::scenario::infer(&imp));
    } else {
        let _ = write!(out, "{}", summary(&imp));
    }
    0
}
