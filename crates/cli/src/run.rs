//! `monscope run FILE [--until T] [--json] [--all] [--digest]`

use crate::load::load;
use crate::{flag_value, wants_help};
use monscope_core::scenario::units::parse_duration;
use monscope_core::sim::run::run_until;
use monscope_core::trace::format::describe;
use monscope_core::trace::EventKind;
use std::io::Write;

const HELP: &str = "\
usage: monscope run FILE [--until T] [--json] [--all] [--digest]

Prints the run as a timeline: time, node, event and its key fields,
followed by the final state. Timer bookkeeping, deliveries and store
writes are left out unless --all is given.
  --until T   stop at simulated time T (a duration: 30s, 1.5m, 250ms)
  --json      one JSON object per trace event (every event)
  --digest    only the hex digest of the trace (equal digests, equal runs)
A run that goes past its budget (a message or timer storm, or a trace too
long or too large) stops where it went past; what ran away is printed on
standard error and the exit status is 3. Exit status 2: the file could not be read or parsed.";

pub fn main(args: &[String]) -> u8 {
    if wants_help(args, HELP) {
        return 0;
    }
    let mut file = None;
    let (mut until, mut json, mut all, mut digest) = (None, false, false, false);
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--until" => match flag_value(args, &mut i, "--until").and_then(parse_duration) {
                Ok(t) => until = Some(t),
                Err(e) => return usage(&e),
            },
            "--json" => json = true,
            "--all" => all = true,
            "--digest" => digest = true,
            f if !f.starts_with("--") && file.is_none() => file = Some(f.to_string()),
            other => return usage(&format!("unexpected argument \"{other}\"")),
        }
        i += 1;
    }
    let Some(file) = file else {
        return usage("run needs a scenario FILE");
    };
    let scenario = match load(&file) {
        Ok((_, s)) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let r = run_until(&scenario, until.unwrap_or(scenario.end));
    let stdout = std::io::stdout();
    let mut o = std::io::BufWriter::new(stdout.lock());
    let status = match &r.overrun {
        Some(ov) => {
            eprintln!("monscope: the run {}", ov.text);
            3
        }
        None => 0,
    };
    if digest {
        let _ = writeln!(o, "{}", r.digest());
        return status;
    }
    for ev in &r.trace {
        if json {
            let _ = writeln!(o, "{}", monscope_core::trace::json::json_line(&ev));
        } else if all || !is_bookkeeping(&ev.kind) {
            let _ = writeln!(o, "{}", describe(&ev, &r.nodes));
        }
    }
    if !json {
        let _ = write!(o, "\n{}", r.summary());
    }
    status
}

fn is_bookkeeping(k: &EventKind) -> bool {
    matches!(
        k,
        EventKind::TimerSet { .. }
            | EventKind::TimerCancel { .. }
            | EventKind::Deliver { .. }
            | EventKind::Store { .. }
    )
}

fn usage(msg: &str) -> u8 {
    eprintln!("error: {msg}\n\n{HELP}");
    2
}
