//! `monscope check FILE...`

use crate::load::load;
use crate::wants_help;
use monscope_core::scenario::Action;
use monscope_core::sim::run;
use monscope_core::time::format_secs;
use monscope_core::trace::EventKind;

const HELP: &str = "\
usage: monscope check FILE...

Runs each scenario and prints one line per expectation:
  PASS file.mon:12 at 60s expect leader b  (leader is b)
then a closing line `N passed, M failed`. A run that goes past its budget
(a message or timer storm, or a trace too long) stops with a STOPPED line
saying what ran away; its later expectations are not checked. Exit status:
0 all passed, 1 an expectation failed, 2 a file could not be read or parsed,
3 a run was stopped by its budget.";

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
        for ev in &r.trace {
            match &ev.kind {
                EventKind::Expect {
                    line,
                    text,
                    pass,
                    actual,
                } => {
                    let verdict = if *pass { "PASS" } else { "FAIL" };
                    println!(
                        "{verdict} {path}:{line} at {}s {text}  ({actual})",
                        format_secs(ev.at)
                    );
                    if *pass {
                        passed += 1
                    } else {
                        failed += 1
                    }
                }
                EventKind::Violation { text, property } => {
                    println!(
                        "SAFETY {path} at {}s: {text} ({})",
                        format_secs(ev.at),
                        property.name()
                    );
                }
                EventKind::Overrun { text } => println!("STOPPED {path}: {text}"),
                _ => {}
            }
        }
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
