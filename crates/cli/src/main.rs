//! `monscope`: run and check Ceph monitor scenarios headless.

mod bench;
mod check;
#[cfg(target_os = "linux")]
mod compare;
mod explore;
mod heap;
mod import;
mod link;
mod load;
#[cfg(target_os = "linux")]
mod real;
mod run;
mod svg;

use std::process::ExitCode;

#[global_allocator]
static HEAP: heap::Counting = heap::Counting;

const HELP: &str = "\
monscope: a Ceph monitor cluster, simulated deterministically.

usage: monscope <command> [options]

commands:
  check FILE...                 check every expectation; exit 1 if any fails, 2 on a scenario error,
                                3 if a run is stopped by its budget (a runaway scenario)
  run FILE [--until T] [--json] [--all] [--digest]
                                print the run's timeline, its trace as JSON, or its digest
  link FILE [--base URL] [--t SECONDS] [--sel NAME]
                                print a share link for the scenario
  decode LINK                   print the scenario text a share link carries
  svg FILE [--from T] [--to T] [-o OUT]
                                draw a time window's space-time diagram as a standalone SVG
  explore [--runs N] [--seed S] [--mons 3|5|7] [--strategy S] [--minutes M] [--jobs J] ...
                                run random fault schedules, check the properties, shrink
                                each failure to a scenario and a share link; exit 1 if any
  import LOG... [--json] [--scenario]
                                read real ceph-mon logs: each monitor's states, elections,
                                commits, health and (debug_ms 1) messages as a trace; or
                                the scenario that best reproduces them
  bench [--hours H]             replay five monitors with a write every 100ms and report speed
  real FILE [--json] [--keep DIR] [--skip-unreproducible]
                                run it on a real ceph-mon cluster (Linux, root) and check it
  compare FILE [--keep DIR] [--skip-unreproducible] [--report-row OUT]
                                run it simulated and real; print the milestones side by side

Run `monscope <command> --help` for more.";

fn main() -> ExitCode {
    let args = match utf8_args(std::env::args_os().skip(1)) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("monscope: {e}");
            return ExitCode::from(2);
        }
    };
    let Some((cmd, rest)) = args.split_first() else {
        println!("{HELP}");
        return ExitCode::from(2);
    };
    if !matches!(cmd.as_str(), "real" | "compare") {
        die_quietly_on_closed_stdout();
    }
    let code = match cmd.as_str() {
        "check" => check::main(rest),
        "run" => run::main(rest),
        "link" => link::main_link(rest),
        "decode" => link::main_decode(rest),
        "bench" => bench::main(rest),
        "explore" => explore::main(rest),
        "import" => import::main(rest),
        "svg" => svg::main(rest),
        #[cfg(target_os = "linux")]
        "real" => real::main(rest),
        #[cfg(target_os = "linux")]
        "compare" => compare::main(rest),
        "-h" | "--help" | "help" => {
            println!("{HELP}");
            0
        }
        other => {
            eprintln!("monscope: unknown command \"{other}\"\n\n{HELP}");
            2
        }
    };
    ExitCode::from(code)
}

/// The arguments as text, or which one is not: `std::env::args` panics on
/// an argument that is not UTF-8 (a file name in another encoding).
fn utf8_args(args: impl Iterator<Item = std::ffi::OsString>) -> Result<Vec<String>, String> {
    args.enumerate()
        .map(|(i, a)| {
            a.into_string().map_err(|a| {
                format!(
                    "argument {} ({}) is not UTF-8 text; give file names in UTF-8",
                    i + 1,
                    a.to_string_lossy()
                )
            })
        })
        .collect()
}

/// `monscope run FILE | head` ends when `head` does, as other Unix tools do, instead of
/// panicking in `println!` on the closed pipe. Not for `real` and `compare`: they write to
/// their children's pipes and must live to end those children by PID.
fn die_quietly_on_closed_stdout() {
    #[cfg(unix)]
    // SAFETY: called once, at the start of main, before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// True when the arguments ask for help; prints `text` then.
pub fn wants_help(args: &[String], text: &str) -> bool {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{text}");
        return true;
    }
    false
}

/// The value after `--flag`, or an error if it is missing.
pub fn flag_value<'a>(args: &'a [String], i: &mut usize, flag: &str) -> Result<&'a str, String> {
    *i += 1;
    args.get(*i)
        .map(|s| s.as_str())
        .ok_or_else(|| format!("{flag} needs a value"))
}
