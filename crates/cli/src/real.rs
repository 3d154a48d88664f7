//! `monscope real FILE [--json] [--keep DIR] [--skip-unreproducible]`

use crate::check::{exit_code, print_verdicts};
use crate::load::load;
use crate::{flag_value, wants_help};
use monscope_core::scenario::ast::Scenario;
use monscope_core::time::Time;
use monscope_core::trace::json::json_line;
use monscope_core::trace::Event;
use monscope_real::{Error, Options, RealRun};
use std::collections::BTreeMap;
use std::io::Write;

const HELP: &str = "\
usage: monscope real FILE [--json] [--keep DIR] [--skip-unreproducible]

Runs the scenario on a real ceph-mon cluster (Linux, as root): one ceph-mon
process per monitor, each on its own 127.0.0.N in a private network
namespace, in real time. Prints one PASS/FAIL line per expectation, checked
by the same checker as `check`, and `N passed, M failed`.
  --json                 print the observed trace instead (a header line, then
                         one JSON object per event, as `run --json`); the
                         verdicts then go to stderr
  --keep DIR             keep the run's folder (ceph.conf, stores, logs) in DIR
  --skip-unreproducible  run without the statements a real cluster cannot do
                         (latency, loss, link); they are listed first
Exit status as `check`: 0 all passed, 1 an expectation failed, 2 the file or
the machine is not fit (not root, a missing package, an unreproducible line).";

pub struct Args {
    pub file: String,
    pub json: bool,
    pub opts: Options,
}

/// The flags `real` and `compare` share.
pub fn parse_args(args: &[String], allow_json: bool) -> Result<Args, String> {
    let mut file = None;
    let mut json = false;
    let mut opts = Options::default();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--json" if allow_json => json = true,
            "--keep" => opts.keep = Some(flag_value(args, &mut i, "--keep")?.into()),
            "--skip-unreproducible" => opts.skip_unreproducible = true,
            f if !f.starts_with("--") && file.is_none() => file = Some(f.to_string()),
            other => return Err(format!("unexpected argument \"{other}\"")),
        }
        i += 1;
    }
    let file = file.ok_or("a scenario FILE is needed")?;
    Ok(Args { file, json, opts })
}

pub fn main(args: &[String]) -> u8 {
    if wants_help(args, HELP) {
        return 0;
    }
    let (a, scenario) = match args_and_scenario(args, true, HELP) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let r = match run_real(&scenario, &a.opts) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if a.json {
        let _ = writeln!(out, "{}", header(&a.file, &r));
        for ev in &r.trace {
            let _ = writeln!(out, "{}", json_line(ev));
        }
        let _ = out.flush();
        let (p, f) = print_verdicts(
            &mut std::io::stderr(),
            &a.file,
            &r.trace,
            scheduled(&scenario),
        );
        eprintln!("{p} passed, {f} failed");
        return exit_code(f, 0, 0);
    }
    let (p, f) = print_verdicts(&mut out, &a.file, &r.trace, scheduled(&scenario));
    let _ = writeln!(out, "{p} passed, {f} failed");
    exit_code(f, 0, 0)
}

/// The flags and the loaded scenario; Err is the exit status (errors printed).
pub fn args_and_scenario(
    args: &[String],
    allow_json: bool,
    help: &str,
) -> Result<(Args, Scenario), u8> {
    let a = parse_args(args, allow_json).map_err(|e| {
        eprintln!("error: {e}\n\n{help}");
        2
    })?;
    let (_, scenario) = load(&a.file).map_err(|e| {
        eprintln!("error: {e}");
        2
    })?;
    Ok((a, scenario))
}

/// Run on the real cluster, reporting what was skipped, what went wrong and
/// how noisy it was on stderr; Err is the exit status.
pub fn run_real(scenario: &Scenario, opts: &Options) -> Result<RealRun, u8> {
    for l in monscope_real::plan::unreproducible(scenario) {
        if opts.skip_unreproducible {
            eprintln!("not reproducible on a real cluster (skipped): {l}");
        }
    }
    match monscope_real::run(scenario, opts) {
        Ok(r) => {
            for p in &r.problems {
                eprintln!("monscope real: problem: {p}");
            }
            for n in &r.noise {
                eprintln!("monscope real: noise: {n}");
            }
            Ok(r)
        }
        Err(e @ Error::Interrupted) => {
            eprintln!("monscope real: {e}");
            Err(130)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Err(2)
        }
    }
}

/// The printed time of a verdict: the time its statement was scheduled for
/// (the real clock reaches it a few milliseconds late).
pub fn scheduled(s: &Scenario) -> impl Fn(&Event) -> Time + '_ {
    let by_line: BTreeMap<u32, Time> = s.timed.iter().map(|t| (t.pos.line, t.at)).collect();
    move |ev: &Event| match &ev.kind {
        monscope_core::trace::EventKind::Expect { line, .. } => {
            by_line.get(line).copied().unwrap_or(ev.at)
        }
        _ => ev.at,
    }
}

/// The first line of `real --json`: what produced the trace (see README,
/// "Real ceph-mon as the oracle", "The trace file").
pub fn header(file: &str, r: &RealRun) -> String {
    serde_json::json!({
        "type": "header",
        "format": "monscope-trace-v1",
        "source": r.source,
        "scenario": file,
        "nodes": r.nodes,
        "end": r.end,
        "skipped": r.skipped,
        "noise": r.noise,
    })
    .to_string()
}
