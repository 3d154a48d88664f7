//! `monscope svg FILE [--from T] [--to T] [-o OUT]`

use crate::load::load;
use crate::{flag_value, wants_help};
use monscope_core::scenario::units::parse_duration;
use monscope_core::sim::run::run_until;
use monscope_core::time::{format_secs, Time};
use monscope_core::trace::svg::render;

const HELP: &str = "\
usage: monscope svg FILE [--from T] [--to T] [-o OUT.svg]

Renders the space-time diagram of a time window of the run as a standalone
SVG: one lane per monitor, the client and the scenario; messages coloured by
protocol and labelled with their op, dropped ones ending in a cross; state
changes, commits, expectation results, actions and notes; a time axis and a
legend. Messages in flight at the window's edges are clipped to it.
  --from T      start of the window (a duration: 10s, 1.5m, 250ms); default 0s
  --to T        end of the window; default the scenario's end
  -o, --out F   write to F instead of standard output
A run that goes past its budget (a message or timer storm, or a trace too
long or too large) is drawn up to where it stopped, the reason goes to
standard error, and the exit status is 3.";

pub fn main(args: &[String]) -> u8 {
    if wants_help(args, HELP) {
        return 0;
    }
    let (mut file, mut out) = (None, None);
    let (mut from, mut to): (Option<Time>, Option<Time>) = (None, None);
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        match a {
            "--from" | "--to" => match flag_value(args, &mut i, a)
                .and_then(|v| parse_duration(v).map_err(|e| format!("{a}: {e}")))
            {
                Ok(t) if a == "--from" => from = Some(t),
                Ok(t) => to = Some(t),
                Err(e) => return usage(&e),
            },
            "-o" | "--out" => match flag_value(args, &mut i, a) {
                Ok(f) => out = Some(f.to_string()),
                Err(e) => return usage(&e),
            },
            f if !f.starts_with('-') && file.is_none() => file = Some(f.to_string()),
            other => return usage(&format!("unexpected argument \"{other}\"")),
        }
        i += 1;
    }
    let Some(file) = file else {
        return usage("svg needs a scenario FILE");
    };
    let scenario = match load(&file) {
        Ok((_, s)) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let from = from.unwrap_or(0);
    let to = to.unwrap_or(scenario.end);
    if to > scenario.end {
        return usage(&format!(
            "--to {}s is after the scenario's end ({}s)",
            format_secs(to),
            format_secs(scenario.end)
        ));
    }
    let run = run_until(&scenario, to);
    let title = scenario.title.clone().unwrap_or_else(|| file.clone());
    let svg = match render(&title, &run.nodes, &run.trace.to_vec(), from, to) {
        Ok(svg) => svg,
        Err(e) => return usage(&e.to_string()),
    };
    match out {
        Some(path) => {
            if let Err(e) = std::fs::write(&path, svg) {
                eprintln!("error: {path}: {e}");
                return 1;
            }
        }
        None => print!("{svg}"),
    }
    match &run.overrun {
        Some(o) => {
            eprintln!("monscope: the run {}", o.text);
            3
        }
        None => 0,
    }
}

fn usage(msg: &str) -> u8 {
    eprintln!("error: {msg}\n\n{HELP}");
    2
}
