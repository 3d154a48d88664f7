//! `monscope check FILE...`

use crate::load::load;
use crate::wants_help;
use monscope_core::scenario::Action;
use monscope_core::sim::run;
use monscope_core::time::{format_secs, Time};
use monscope_core::trace::{Event, EventKind};

const HELP: &str = "\
usage: monscope check FILE...

Runs each scenario and prints one line per expectation:
  PASS file.mon:12 at 60s expect leader b  (leader is b)
then a closing line `N passed, M failed`. A run that goes past its budget
(a message or timer storm, or a trace too long or too large) stops with a
STOPPED line saying what ran away; its later expectations are not checked.
Exit status: 0 all passed, 1 an expectation failed, 2 a file could not be
read or parsed, 3 a run was stopped by its budget.";

pub fn main(args: &[String]) -> u8 {
    if wants_help(args, HELP) {
        return 0;
    }
    if args.is_empty() {
        eprintln!("{HELP}");
        return 2;
    }
    let (mut passed, mut failed, mut broken, mut stopped) = (0, 0, 0, 0);
    for path in args {
        let scenario = match load(path) {
            Ok((_, s)) => s,
            Err(e) => {
                eprintln!("error: {e}");
                broken += 1;
                continue;
            }
        };
        let r = run(&scenario);
        let (p, f) = print_verdicts(&mut std::io::stdout(), path, &r.trace.to_vec(), |ev| ev.at);
        passed += p;
        failed += f;
        if r.overrun.is_some() {
            stopped += 1;
            let (p, f) = r.expect_counts();
            let unchecked = scenario
                .timed
                .iter()
                .filter(|t| matches!(t.action, Action::Expect(_)))
                .count()
                .saturating_sub(p + f);
            if unchecked > 0 {
                println!("{unchecked} expectation(s) of {path} not checked: the run stopped");
            }
        }
    }
    if broken > 0 {
        println!("{broken} scenario file(s) could not be run (see the errors above)");
    }
    if stopped > 0 {
        println!("{stopped} run(s) stopped by their budget (see STOPPED above)");
    }
    println!("{passed} passed, {failed} failed");
    exit_code(failed, broken, stopped)
}

/// `check`'s exit status: 2 if a file could not be run, 3 if a run was
/// stopped by its budget, 1 if an expectation failed, else 0.
pub fn exit_code(failed: usize, broken: usize, stopped: usize) -> u8 {
    if broken > 0 {
        2
    } else if stopped > 0 {
        3
    } else if failed > 0 {
        1
    } else {
        0
    }
}

/// One `PASS`/`FAIL` line per Expect event of `trace` (and a `SAFETY` line
/// per violation); returns (passed, failed). `at` gives the time printed for
/// an event: the simulator's own, or the scheduled time of a real run's
/// statement (which the real clock reaches a little late).
pub fn print_verdicts(
    out: &mut dyn std::io::Write,
    path: &str,
    trace: &[Event],
    at: impl Fn(&Event) -> Time,
) -> (usize, usize) {
    let (mut passed, mut failed) = (0, 0);
    for ev in trace {
        match &ev.kind {
            EventKind::Expect {
                line,
                text,
                pass,
                actual,
            } => {
                let verdict = if *pass { "PASS" } else { "FAIL" };
                let _ = writeln!(
                    out,
                    "{verdict} {path}:{line} at {}s {text}  ({actual})",
                    format_secs(at(ev))
                );
                if *pass {
                    passed += 1
                } else {
                    failed += 1
                }
            }
            EventKind::Violation { text, property } => {
                let _ = writeln!(
                    out,
                    "SAFETY {path} at {}s: {text} ({})",
                    format_secs(at(ev)),
                    property.name()
                );
            }
            EventKind::Overrun { text } => {
                let _ = writeln!(out, "STOPPED {path}: {text}");
            }
            _ => {}
        }
    }
    (passed, failed)
}
