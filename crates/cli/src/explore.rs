//! `monscope explore`: random fault schedules checked against the
//! properties; every failure shrunk to a small scenario, printed as text and
//! as a share link, and written to a folder. The generation, the checks and
//! the shrinking are the core's (`monscope_core::explore`); this file runs
//! them on threads and reports.

use crate::link::DEFAULT_BASE;
use crate::{flag_value, wants_help};
use monscope_core::explore::shrink::Shrunk;
use monscope_core::explore::{explore_one, shrink, titled, Class, Config, Finding, Schedule};
use monscope_core::mon::monmap::Strategy;
use monscope_core::scenario::link::share_link;
use monscope_core::scenario::units::{parse_duration, parse_percent};
use monscope_core::sim::budget::approx;
use monscope_core::time::{format_duration, format_secs, MIN};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const HELP: &str = "\
usage: monscope explore [--runs N] [--seed S] [--mons 3|5|7]
                        [--strategy classic|disallow|connectivity] [--minutes M]
                        [--quiet D] [--jobs J] [--loss P%] [--fixed-latency]
                        [--out DIR] [--shrink K] [--from I] [--base URL]

Generates N random fault schedules (kill, revive and wipe of monitors, one-way
and two-way cuts, partitions, isolate and heal, clock skew, add and remove,
call-election, client writes and reads), each followed by a quiet period in
which every fault is healed, and checks every run: no runaway (the run's
budget), the safety properties (one value per paxos version, last_committed
kept, acknowledged writes kept, reads latest within their quorum, one leader
per epoch per monitor, epochs kept), and at the end of the quiet period one
leader with every monitor of the monmap in its quorum, the monmap the adds and
removes made, and every client request answered.

The first K failures of each class are shrunk (faults dropped, then times
rounded) to a small scenario, printed with a share link that opens it at the
moment it goes wrong, and written to DIR. Every failure is listed in
DIR/summary.txt; `--from I --runs 1` replays schedule I alone.

  --runs N         schedules to run (default 1000)
  --seed S         the run's seed (default 1); the same seed gives the same
                   schedules and results whatever --jobs is
  --mons N         monitors in the initial monmap: 3, 5 or 7 (default 5)
  --strategy S     election strategy (default classic)
  --minutes M      how long faults go on, in minutes (default 1; 0.5 is 30s)
  --quiet D        how long the quiet period lasts (default 60s)
  --jobs J         threads (default: the machine's cores)
  --loss P%        message loss (default 0%: monitor links are TCP; a lost
                   connection is a cut)
  --fixed-latency  one fixed latency per schedule (default: uniform ranges,
                   since symmetric timings are what real networks never have)
  --out DIR        where shrunk failures go (default explore-failures)
  --shrink K       failures shrunk per class (default 3)
  --from I         index of the first schedule (default 0)
  --base URL       base of the share links (default http://127.0.0.1:8080/)

Exit status: 0 no failure, 1 a failure was found, 2 bad arguments or DIR
could not be written.";

struct Args {
    runs: u64,
    seed: u64,
    cfg: Config,
    jobs: usize,
    out: String,
    shrink: usize,
    from: u64,
    base: String,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut a = Args {
        runs: 1000,
        seed: 1,
        cfg: Config::default(),
        jobs,
        out: "explore-failures".into(),
        shrink: 3,
        from: 0,
        base: DEFAULT_BASE.into(),
    };
    let mut i = 0;
    while i < args.len() {
        let flag = args[i].as_str();
        let mut value = || flag_value(args, &mut i, flag);
        let number = |v: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("{flag} takes a whole number, not \"{v}\""))
        };
        match flag {
            "--runs" => a.runs = number(value()?)?,
            "--seed" => a.seed = number(value()?)?,
            "--from" => a.from = number(value()?)?,
            "--shrink" => a.shrink = number(value()?)? as usize,
            "--jobs" => {
                a.jobs = number(value()?)? as usize;
                if a.jobs == 0 {
                    return Err("--jobs takes 1 or more".into());
                }
            }
            "--mons" => {
                a.cfg.mons = match value()? {
                    "3" => 3,
                    "5" => 5,
                    "7" => 7,
                    v => return Err(format!("--mons takes 3, 5 or 7, not \"{v}\"")),
                }
            }
            "--strategy" => {
                a.cfg.strategy = match value()? {
                    "classic" => Strategy::Classic,
                    "disallow" => Strategy::Disallow,
                    "connectivity" => Strategy::Connectivity,
                    v => {
                        return Err(format!(
                            "--strategy takes classic, disallow or connectivity, not \"{v}\""
                        ))
                    }
                }
            }
            "--minutes" => {
                let v = value()?;
                let d = parse_duration(&format!("{v}m")).map_err(|_| {
                    format!("--minutes takes a number of minutes like 1 or 0.5, not \"{v}\"")
                })?;
                if d == 0 || d > 60 * MIN {
                    return Err("--minutes takes more than 0 and at most 60".into());
                }
                a.cfg.faults_for = d;
            }
            "--quiet" => {
                let d = parse_duration(value()?)?;
                if d > 60 * MIN {
                    return Err("--quiet takes at most 60m".into());
                }
                a.cfg.quiet = d;
            }
            "--loss" => a.cfg.loss = parse_percent(value()?)?,
            "--fixed-latency" => a.cfg.fixed_latency = true,
            "--out" => a.out = value()?.to_string(),
            "--base" => a.base = value()?.to_string(),
            other => return Err(format!("unexpected argument \"{other}\"")),
        }
        i += 1;
    }
    Ok(a)
}

/// A schedule that failed, before shrinking.
struct Failed {
    index: u64,
    schedule: Schedule,
    finding: Finding,
}

pub fn main(args: &[String]) -> u8 {
    if wants_help(args, HELP) {
        return 0;
    }
    let a = match parse_args(args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}\n\n{HELP}");
            return 2;
        }
    };
    println!(
        "monscope explore: {} schedules from #{} (seed {}), {} monitors, {}, {} of faults then {} quiet, loss {}, {} latency, {} job{}",
        a.runs,
        a.from,
        a.seed,
        a.cfg.mons,
        a.cfg.strategy.name(),
        format_duration(a.cfg.faults_for),
        format_duration(a.cfg.quiet),
        monscope_core::scenario::units::format_percent(a.cfg.loss),
        if a.cfg.fixed_latency { "fixed" } else { "uniform" },
        a.jobs,
        if a.jobs == 1 { "" } else { "s" }
    );
    let started = Instant::now();
    let (failed, events) = run_all(&a);
    let took = started.elapsed().as_secs_f64();
    let shrunk = shrink_some(&a, &failed);
    let code = report(&a, &failed, &shrunk);
    println!(
        "explored {} schedules in {took:.1}s: {:.0} schedules/s, {} events ({}/s), {} job{}",
        a.runs,
        a.runs as f64 / took.max(1e-9),
        approx(events),
        approx((events as f64 / took.max(1e-9)) as u64),
        a.jobs,
        if a.jobs == 1 { "" } else { "s" }
    );
    let mut by_class: BTreeMap<Class, usize> = BTreeMap::new();
    for f in &failed {
        *by_class.entry(f.finding.class).or_default() += 1;
    }
    if failed.is_empty() {
        println!("no failure");
    } else {
        let list: Vec<String> = by_class
            .iter()
            .map(|(c, n)| format!("{} {n}", c.name()))
            .collect();
        println!(
            "{} failure{}: {} (every one is listed in {}/summary.txt)",
            failed.len(),
            if failed.len() == 1 { "" } else { "s" },
            list.join(", "),
            a.out
        );
    }
    code.max(u8::from(!failed.is_empty()))
}

/// Run every schedule on `a.jobs` threads; the failures in index order and
/// the events of all runs.
fn run_all(a: &Args) -> (Vec<Failed>, u64) {
    let next = AtomicU64::new(0);
    let (tx, rx) = mpsc::channel::<(u64, Option<Failed>)>();
    let mut failed = Vec::new();
    let mut events = 0u64;
    std::thread::scope(|scope| {
        for _ in 0..a.jobs {
            let tx = tx.clone();
            let next = &next;
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= a.runs {
                    break;
                }
                let e = explore_one(&a.cfg, a.seed, a.from + i);
                let f = e.verdict.finding.map(|finding| Failed {
                    index: e.index,
                    schedule: e.schedule,
                    finding,
                });
                if tx.send((e.verdict.events, f)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let start = Instant::now();
        let mut last = Instant::now();
        let mut done = 0u64;
        for (ev, f) in rx {
            done += 1;
            events += ev;
            failed.extend(f);
            if last.elapsed() >= Duration::from_secs(2) {
                last = Instant::now();
                let rate = done as f64 / start.elapsed().as_secs_f64().max(1e-9);
                eprintln!(
                    "  {done}/{} schedules, {rate:.0}/s, {} failure{}",
                    a.runs,
                    failed.len(),
                    if failed.len() == 1 { "" } else { "s" }
                );
            }
        }
    });
    failed.sort_by_key(|f| f.index);
    (failed, events)
}

/// Shrink the first `a.shrink` failures of each class, on `a.jobs` threads.
fn shrink_some(a: &Args, failed: &[Failed]) -> BTreeMap<u64, Shrunk> {
    let mut per_class: BTreeMap<Class, usize> = BTreeMap::new();
    let chosen: Vec<&Failed> = failed
        .iter()
        .filter(|f| {
            let n = per_class.entry(f.finding.class).or_default();
            *n += 1;
            *n <= a.shrink
        })
        .collect();
    let next = AtomicU64::new(0);
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..a.jobs.min(chosen.len()) {
            let tx = tx.clone();
            let (next, chosen) = (&next, &chosen);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                let Some(f) = chosen.get(i) else {
                    break;
                };
                let s = shrink(&f.schedule, &f.finding, 300);
                if tx.send((f.index, s)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        rx.into_iter().collect()
    })
}

/// Print every shrunk failure and write the files; 2 if DIR cannot be written.
fn report(a: &Args, failed: &[Failed], shrunk: &BTreeMap<u64, Shrunk>) -> u8 {
    if failed.is_empty() {
        return 0;
    }
    if let Err(e) = std::fs::create_dir_all(&a.out) {
        eprintln!("error: {}: {e}", a.out);
        return 2;
    }
    let mut summary = String::from("# index class at text\n");
    for f in failed {
        summary += &format!(
            "{} {} {}s {}\n",
            f.index,
            f.finding.class.name(),
            format_secs(f.finding.at),
            f.finding.text
        );
        let Some(s) = shrunk.get(&f.index) else {
            continue;
        };
        let text = titled(&s.schedule, &s.finding, a.seed, f.index).text();
        let link = share_link(&a.base, &text, Some(s.finding.at), None);
        let file = format!(
            "{}/{}-seed{}-{}.mon",
            a.out,
            s.finding.class.name(),
            a.seed,
            f.index
        );
        let header = format!(
            "# monscope explore --seed {} --from {} --runs 1{}: {}\n# {}\n",
            a.seed,
            f.index,
            config_flags(&a.cfg),
            f.finding.class.name(),
            link
        );
        if let Err(e) = std::fs::write(&file, format!("{header}{text}")) {
            eprintln!("error: {file}: {e}");
            return 2;
        }
        println!(
            "\nFAIL schedule {} ({}) at {}s: {}",
            f.index,
            s.finding.class.name(),
            format_secs(s.finding.at),
            s.finding.text
        );
        println!(
            "  shrunk from {} to {} faults in {} runs: {file}",
            f.schedule.faults.len(),
            s.schedule.faults.len(),
            s.runs
        );
        println!("  {link}");
        for line in text.lines() {
            println!("  | {line}");
        }
    }
    let path = format!("{}/summary.txt", a.out);
    if let Err(e) = std::fs::write(&path, summary) {
        eprintln!("error: {path}: {e}");
        return 2;
    }
    println!();
    0
}

/// The flags that reproduce `cfg` (those that differ from the defaults).
fn config_flags(cfg: &Config) -> String {
    let d = Config::default();
    let mut s = String::new();
    if cfg.mons != d.mons {
        s += &format!(" --mons {}", cfg.mons);
    }
    if cfg.strategy != d.strategy {
        s += &format!(" --strategy {}", cfg.strategy.name());
    }
    if cfg.faults_for != d.faults_for {
        s += &format!(" --minutes {}", cfg.faults_for as f64 / MIN as f64);
    }
    if cfg.quiet != d.quiet {
        s += &format!(" --quiet {}", format_duration(cfg.quiet));
    }
    if cfg.loss != d.loss {
        s += &format!(
            " --loss {}",
            monscope_core::scenario::units::format_percent(cfg.loss)
        );
    }
    if cfg.fixed_latency {
        s += " --fixed-latency";
    }
    s
}
