//! `monscope import LOG... [--json] [--scenario]`: real ceph-mon logs as a
//! monscope trace (monscope_core::import).

use crate::wants_help;
use monscope_core::import::{format_wall, import, Import, LogFile};
use monscope_core::time::MS;
use monscope_core::trace::json::json_line;
use monscope_core::trace::milestones::{milestones, secs};
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

/// The first line of `import --json`, in the form of `real --json`'s.
pub fn header(imp: &Import) -> String {
    serde_json::json!({
        "type": "header",
        "format": "monscope-trace-v1",
        "source": "ceph-mon logs",
        "files": imp.mons.iter().flat_map(|m| m.files.clone()).collect::<Vec<_>>(),
        "nodes": imp.nodes,
        "end": imp.end,
        "start": format_wall(imp.start_wall_us),
        "offsets_us": imp.mons.iter().map(|m| (m.name.clone(), m.offset_us)).collect::<Vec<_>>(),
        "inferred": imp.inferred,
        "problems": imp.problems,
        "unknown": imp.unknown,
        "unknown_samples": imp.unknown_samples,
    })
    .to_string()
}

/// The text report.
pub fn summary(imp: &Import) -> String {
    let mut s = String::new();
    let end_wall = imp.start_wall_us + imp.end as i64;
    s += &format!(
        "imported from logs: {} monitors, {} to {} ({})\n",
        imp.nodes.len(),
        format_wall(imp.start_wall_us),
        format_wall(end_wall),
        secs(imp.end)
    );
    for m in &imp.mons {
        let bounds = match m.offset_bounds {
            Some((lo, hi)) => format!(" (messages allow {} to {})", signed_ms(lo), signed_ms(hi)),
            None => String::new(),
        };
        s += &format!(
            "  mon.{}: {} — {} lines, {} understood; clock offset {}{bounds}; {} to {}\n",
            m.name,
            m.files.join(", "),
            m.lines,
            m.understood,
            signed_ms(m.offset_us),
            secs(m.first),
            secs(m.last),
        );
    }
    let c = &imp.messages;
    s += &format!(
        "messages between monitors: {} matched (arrows), {} sent and never received, {} received without a send in the logs, {} of other types\n",
        c.matched, c.unreceived, c.unsent, c.other
    );
    if c.matched + c.unreceived + c.unsent == 0 {
        s += "  (none: the logs are at debug_ms 0; `ceph config set mon debug_ms 1` logs them)\n";
    }
    s += &format!("lines not understood: {}\n", imp.unknown);
    for u in imp.unknown_samples.iter().take(12) {
        s += &format!("  {u}\n");
    }
    if imp.unknown_samples.len() > 12 {
        s += &format!(
            "  ... (one line of each kind; {} more kinds in --json's header)\n",
            imp.unknown_samples.len() - 12
        );
    }
    for i in &imp.inferred {
        s += &format!("inferred: {i}\n");
    }
    s += "history:\n";
    for m in milestones(&imp.nodes, &imp.trace, imp.end, 0) {
        s += &format!("  {:>9}  {}\n", secs(m.at), m.what.describe());
    }
    s
}

fn signed_ms(us: i64) -> String {
    let ms = us as f64 / MS as f64;
    if us == 0 {
        "0 ms".into()
    } else {
        format!("{ms:+.0} ms")
    }
}
