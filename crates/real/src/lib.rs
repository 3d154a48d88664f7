//! monscope-real: a scenario on a real ceph-mon cluster (Linux, root).
//!
//! [`run`] creates a private network namespace, gives each monitor its own
//! 127.0.0.N, makes the cluster's files (ceph.conf, the epoch-0 monmap from
//! `monmaptool --create`, a keyring, `ceph-mon --mkfs`), plays the scenario's
//! statements in real time and records what the monitors do as a monscope
//! trace, read from each monitor's own log every 100 ms (state, rank,
//! election epoch, quorum, leader, monmap, paxos range and commits, and the
//! leader's health checks: nothing is asked of a monitor, since each
//! question is an audit line the cluster commits), client requests and
//! replies, and each monitor's committed config-key data, read from the
//! store writes it dumps. The expectations are then
//! checked by the simulator's own checker on that trace.
//!
//! Never part of the web app: only the CLI depends on it.

pub mod asok;
pub mod client;
pub mod cluster;
pub mod conf;
pub mod eval;
pub mod mon_log;
pub mod mon_status;
pub mod netns;
pub mod plan;
pub mod preflight;
pub mod procs;
pub mod record;
pub mod store_dump;

use cluster::Cluster;
use monscope_core::mon::messages::ClientOp;
use monscope_core::mon::monmap::Strategy;
use monscope_core::scenario::ast::{Action, Scenario, StmtKind, Targets};
use monscope_core::scenario::print_action;
use monscope_core::time::{format_secs, Time};
use monscope_core::trace::{Event, EventKind};
use plan::Op;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often every running monitor's process and log are read.
pub const POLL: Duration = Duration::from_millis(100);

#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Keep the run's folder (stores, logs, ceph.conf) here instead of a
    /// temporary one that is deleted at the end.
    pub keep: Option<PathBuf>,
    /// Run without the statements a real cluster cannot do (they are listed).
    pub skip_unreproducible: bool,
}

/// A finished real run.
#[derive(Clone, Debug)]
pub struct RealRun {
    /// Monitors (initial in rank order, then each `add`), then "client".
    pub nodes: Vec<String>,
    pub trace: Vec<Event>,
    pub end: Time,
    /// "real ceph-mon 16.2.15".
    pub source: String,
    /// Statements left out (with --skip-unreproducible), as "line N: TEXT".
    pub skipped: Vec<String>,
    /// How noisy the machine was: scheduling lateness, poll gaps, load.
    pub noise: Vec<String>,
    /// Errors of single operations during the run (the run went on).
    pub problems: Vec<String>,
}

#[derive(Debug)]
pub enum Error {
    /// The machine lacks something (root, a package): one sentence; exit 2.
    Setup(String),
    /// Statements a real cluster cannot do; exit 2 unless skipped.
    Unreproducible(Vec<String>),
    /// SIGINT or SIGTERM; everything was ended.
    Interrupted,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Setup(s) => write!(f, "{s}"),
            Error::Unreproducible(lines) => {
                for l in lines {
                    writeln!(f, "not reproducible on a real cluster: {l}")?;
                }
                write!(
                    f,
                    "(tc netem does not exist in this kernel; --skip-unreproducible runs without these lines)"
                )
            }
            Error::Interrupted => write!(f, "interrupted; every process was ended"),
        }
    }
}

/// The run's folder: removed at the end unless kept.
struct RunDir {
    path: PathBuf,
    keep: bool,
}

impl Drop for RunDir {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

fn run_dir(keep: &Option<PathBuf>) -> Result<RunDir, Error> {
    let (path, kept) = match keep {
        Some(p) => (p.clone(), true),
        None => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            (
                std::env::temp_dir().join(format!("monscope-real-{}-{nanos}", std::process::id())),
                false,
            )
        }
    };
    if kept && path.read_dir().is_ok_and(|mut d| d.next().is_some()) {
        return Err(Error::Setup(format!(
            "--keep {}: the folder is not empty; give a new or empty folder",
            path.display()
        )));
    }
    std::fs::create_dir_all(&path)
        .map_err(|e| Error::Setup(format!("cannot create {}: {e}", path.display())))?;
    // Absolute, as ceph.conf needs.
    let path = path.canonicalize().unwrap_or(path);
    Ok(RunDir { path, keep: kept })
}

/// Every monitor the scenario ever has: `mons`, then each `add` in order.
pub fn all_names(s: &Scenario) -> Vec<String> {
    let mut names = s.mons.clone();
    for t in &s.timed {
        if let Action::Add(n) = &t.action {
            if !names.contains(n) {
                names.push(n.clone());
            }
        }
    }
    names
}

fn skewed(s: &Scenario) -> BTreeSet<String> {
    s.timed
        .iter()
        .filter_map(|t| match &t.action {
            Action::Skew(n, _) => Some(n.clone()),
            _ => None,
        })
        .collect()
}

fn sh(program: &str, args: &[&str]) -> Result<(), Error> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::Setup(format!("cannot run {program}: {e}")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(Error::Setup(format!(
            "`{program} {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

fn fsid() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/uuid")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "9d7e4c1a-0000-4000-8000-6d6f6e73636f".into())
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

/// Progress lines go to stderr, prefixed, so stdout stays the result.
fn say(msg: &str) {
    eprintln!("monscope real: {msg}");
}

/// Run `scenario` on a real cluster. Must be called from the process's
/// main thread, before it starts other threads (signal handling; see
/// [`procs::install`]); the process is in its own network namespace after.
pub fn run(scenario: &Scenario, opts: &Options) -> Result<RealRun, Error> {
    let unrepro = plan::unreproducible(scenario);
    if !unrepro.is_empty() && !opts.skip_unreproducible {
        return Err(Error::Unreproducible(unrepro));
    }
    let skew = skewed(scenario);
    preflight::check(!skew.is_empty()).map_err(Error::Setup)?;
    procs::install();
    let _guard = procs::Guard;
    netns::enter().map_err(Error::Setup)?;
    let dir = run_dir(&opts.keep)?;
    let source = preflight::version();
    let names = all_names(scenario);
    // In a fresh namespace every address is free; a bind test keeps the rule.
    let mons = conf::addresses(&names, |ip| {
        std::net::TcpListener::bind((ip, conf::PORT)).is_err()
    });
    let fsid = fsid();
    let d = &dir.path;
    let conf_path = d.join("ceph.conf");
    let monmap = d.join("monmap");
    let keyring = d.join("keyring");
    let options: Vec<(String, String)> = scenario
        .stmts
        .iter()
        .filter_map(|st| match &st.kind {
            StmtKind::Set { name, value } => Some((name.clone(), conf::option_value(value))),
            _ => None,
        })
        .collect();
    let initial = &mons[..scenario.mons.len()];
    std::fs::write(&conf_path, conf::ceph_conf(&fsid, initial, d, &options))
        .map_err(|e| Error::Setup(format!("{}: {e}", conf_path.display())))?;
    let margs = conf::monmaptool_args(&fsid, initial, &monmap);
    let margs: Vec<&str> = margs.iter().map(String::as_str).collect();
    sh("monmaptool", &margs)?;
    let kr = keyring.display().to_string();
    sh(
        "ceph-authtool",
        &[
            "--create-keyring",
            &kr,
            "--gen-key",
            "-n",
            "mon.",
            "--cap",
            "mon",
            "allow *",
        ],
    )?;
    let addrs: BTreeMap<String, String> =
        mons.iter().map(|m| (m.name.clone(), m.addrvec())).collect();
    let client = client::Client::start(d, &conf_path, &addrs).map_err(Error::Setup)?;
    let cluster = Arc::new(Cluster::new(
        d.clone(),
        conf_path,
        keyring,
        monmap,
        &mons,
        scenario.mons.len(),
        &skew,
        client,
    ));
    cluster.mkfs_initial().map_err(Error::Setup)?;
    let load_before = load();
    if scenario.strategy != Strategy::Classic || !scenario.disallow.is_empty() {
        prepare_strategy(&cluster, scenario)?;
    }
    cluster.rec.reset();
    say(&format!(
        "{} monitors in {} ({source}); the scenario runs for {}s",
        scenario.mons.len(),
        d.display(),
        format_secs(scenario.end)
    ));
    let mut problems = Vec::new();
    if !scenario.has_start {
        cluster.rec.record(EventKind::Action {
            line: 0,
            text: "start all".into(),
        });
        if let Err(e) = cluster.start_many(&cluster.present()) {
            problems.push(e);
        }
    }
    let done = Arc::new(AtomicBool::new(false));
    let poller = {
        let c = cluster.clone();
        let done = done.clone();
        std::thread::spawn(move || {
            let mut last = Instant::now();
            while !done.load(Ordering::SeqCst) {
                let start = Instant::now();
                c.poll();
                c.poll_gaps
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(start.duration_since(last).as_micros() as u64);
                last = start;
                std::thread::sleep(POLL.saturating_sub(start.elapsed()));
            }
        })
    };
    let t0 = cluster.rec.t0();
    // Each added monitor's store is made before its `add` statement, so
    // that it starts at the statement's time (Cluster::add).
    for (name, handle) in scenario
        .timed
        .iter()
        .filter_map(|t| match &t.action {
            Action::Add(name) => Some((t.at, name.clone())),
            _ => None,
        })
        .map(|(at, name)| {
            let c = cluster.clone();
            let early = cluster::ADD_PREPARE.as_micros() as Time;
            let n = name.clone();
            let handle = std::thread::spawn(move || {
                if wait_until(t0, at.saturating_sub(early)) {
                    if let Err(e) = c.prepare_add(&n) {
                        say(&format!("{n}'s store before its add: {e}"));
                    }
                }
            });
            (name, handle)
        })
    {
        cluster.preparing(name, handle);
    }
    let mut late: Vec<u64> = Vec::new();
    let mut interrupted = false;
    for t in &scenario.timed {
        if !wait_until(t0, t.at) {
            interrupted = true;
            break;
        }
        late.push(cluster.rec.now().saturating_sub(t.at));
        statement(&cluster, scenario, t, &mut problems);
    }
    if !interrupted && !wait_until(t0, scenario.end) {
        interrupted = true;
    }
    done.store(true, Ordering::SeqCst);
    let _ = poller.join();
    cluster.join_preparing();
    cluster.stop_all();
    if interrupted {
        return Err(Error::Interrupted);
    }
    let events = cluster.rec.take();
    let trace = eval::evaluate(scenario, names.clone(), events);
    let mut nodes = names;
    nodes.push("client".into());
    let noise = noise(
        &late,
        &cluster.poll_gaps.lock().unwrap_or_else(|e| e.into_inner()),
        &load_before,
    );
    let skipped = if opts.skip_unreproducible {
        plan::unreproducible(scenario)
    } else {
        Vec::new()
    };
    if dir.keep {
        say(&format!("kept the run's folder: {}", dir.path.display()));
    }
    Ok(RealRun {
        nodes,
        trace,
        end: scenario.end,
        source,
        skipped,
        noise,
        problems,
    })
}

/// Sleep until run time `at`; false if a signal asked to stop.
fn wait_until(t0: Instant, at: Time) -> bool {
    let target = t0 + Duration::from_micros(at);
    loop {
        if procs::stopping() {
            return false;
        }
        let now = Instant::now();
        if now >= target {
            return true;
        }
        std::thread::sleep((target - now).min(Duration::from_millis(50)));
    }
}

fn statement(
    c: &Arc<Cluster>,
    s: &Scenario,
    t: &monscope_core::scenario::ast::Timed,
    problems: &mut Vec<String>,
) {
    let line = t.pos.line;
    let text = print_action(&t.action);
    match &t.action {
        Action::Note(n) => {
            c.rec.record(EventKind::Note {
                text: n.as_str().into(),
            });
            return;
        }
        Action::Expect(e) => {
            use monscope_core::scenario::ast::Expectation as E;
            if matches!(e, E::Committed(..) | E::Missing(_)) {
                c.observe_kv();
            }
            c.rec.record(EventKind::Expect {
                line,
                text: text.into(),
                pass: false,
                actual: "".into(),
            });
            return;
        }
        _ => {}
    }
    c.rec.record(EventKind::Action {
        line,
        text: text.into(),
    });
    let present = c.present();
    let all = all_names(s);
    let (starts, others): (Vec<Op>, Vec<Op>) = plan::ops(&t.action, &present, &all)
        .into_iter()
        .partition(|op| matches!(op, Op::Start(_)));
    // The monitors one statement starts are started together.
    let names: Vec<String> = starts
        .into_iter()
        .filter_map(|op| match op {
            Op::Start(n) => Some(n),
            _ => None,
        })
        .collect();
    if !names.is_empty() {
        if let Err(e) = c.start_many(&names) {
            problems.push(format!("line {line}: {e}"));
        }
    }
    for op in others {
        if let Err(e) = apply(c, op) {
            problems.push(format!("line {line}: {e}"));
        }
    }
}

fn apply(c: &Arc<Cluster>, op: Op) -> Result<(), String> {
    match op {
        Op::Start(n) => c.start(&n),
        Op::Kill(n) => {
            c.kill(&n);
            Ok(())
        }
        Op::Wipe(n) => c.wipe(&n),
        Op::CallElection(n) => c.call_election(&n),
        Op::Skew(n, us) => c.skew(&n, us),
        Op::Add(n) => c.add(&n),
        Op::Remove(n) => {
            c.remove(&n);
            Ok(())
        }
        Op::Cut(p) => c.cut(&p),
        Op::Restore(p) => c.restore(&p),
        Op::Heal => c.heal(),
        Op::Write { key, value, via } => {
            c.client_command(
                ClientOp::Write {
                    key: key.clone(),
                    value: value.clone(),
                },
                via.as_deref(),
                json!({"prefix": "config-key set", "key": key, "val": value}),
            );
            Ok(())
        }
        Op::Read { key, via } => {
            c.client_command(
                ClientOp::Read { key: key.clone() },
                via.as_deref(),
                json!({"prefix": "config-key get", "key": key}),
            );
            Ok(())
        }
    }
}

/// A strategy other than classic, and disallowed leaders, are set the way an
/// operator sets them: `ceph mon set election_strategy` and `ceph mon add
/// disallowed_leader` once a quorum exists (a monmap from monmaptool is
/// classic). So such a scenario's time 0 is a cluster that has formed its
/// first quorum and committed the new monmap; the monitors the scenario does
/// not run at 0s are stopped before it.
fn prepare_strategy(c: &Arc<Cluster>, s: &Scenario) -> Result<(), Error> {
    say(&format!(
        "preparing: election strategy {} and disallowed leaders [{}] before time 0",
        s.strategy.name(),
        s.disallow.join(" ")
    ));
    let initial = c.present();
    for n in &initial {
        c.start(n).map_err(Error::Setup)?;
    }
    let all_in = |c: &Cluster| {
        initial.iter().any(|n| {
            c.mon_status(n).is_some_and(|j| {
                j.state == monscope_core::mon::status::MonState::Leader
                    && j.quorum.len() == initial.len()
            })
        })
    };
    wait_for(
        c,
        "a quorum of every monitor",
        Duration::from_secs(120),
        all_in,
    )?;
    let ask = |cmd: serde_json::Value| -> Result<(), Error> {
        let r = c
            .client
            .call(client::Via::Any, cmd.clone(), Duration::from_secs(30), None);
        if r.rc != 0 {
            return Err(Error::Setup(format!(
                "preparing the cluster: `{cmd}` failed: rc {} {}",
                r.rc, r.status
            )));
        }
        Ok(())
    };
    if s.strategy != Strategy::Classic {
        ask(json!({"prefix": "mon set election_strategy", "strategy": s.strategy.name()}))?;
    }
    for d in &s.disallow {
        ask(json!({"prefix": "mon add disallowed_leader", "name": d}))?;
    }
    let want = s.strategy as u64;
    let settled = |c: &Cluster| {
        initial.iter().all(|n| {
            c.mon_status(n).is_some_and(|j| {
                j.election_strategy == want
                    && s.disallow.iter().all(|d| j.disallowed_leaders.contains(d))
                    && matches!(
                        j.state,
                        monscope_core::mon::status::MonState::Leader
                            | monscope_core::mon::status::MonState::Peon
                    )
            })
        })
    };
    wait_for(
        c,
        "the new election strategy on every monitor",
        Duration::from_secs(120),
        settled,
    )?;
    if s.has_start {
        let at_zero: BTreeSet<String> = s
            .timed
            .iter()
            .filter(|t| t.at == 0)
            .flat_map(|t| match &t.action {
                Action::Start(Targets::All) => initial.clone(),
                Action::Start(Targets::Names(n)) => n.clone(),
                _ => Vec::new(),
            })
            .collect();
        for n in initial.iter().filter(|n| !at_zero.contains(*n)) {
            c.kill(n);
        }
    }
    Ok(())
}

fn wait_for(
    c: &Arc<Cluster>,
    what: &str,
    limit: Duration,
    ok: impl Fn(&Cluster) -> bool,
) -> Result<(), Error> {
    let start = Instant::now();
    while !ok(c) {
        if procs::stopping() {
            return Err(Error::Interrupted);
        }
        if start.elapsed() > limit {
            return Err(Error::Setup(format!(
                "preparing the cluster: no {what} after {}s (see the logs with --keep DIR)",
                limit.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(())
}

/// How noisy the run was, in words.
fn noise(late: &[u64], gaps: &[u64], load_before: &str) -> Vec<String> {
    let ms = |us: u64| format!("{:.1} ms", us as f64 / 1000.0);
    let mut out = Vec::new();
    if !late.is_empty() {
        let mut l = late.to_vec();
        l.sort_unstable();
        out.push(format!(
            "statements ran late by median {}, at most {}",
            ms(l[l.len() / 2]),
            ms(l[l.len() - 1])
        ));
    }
    if gaps.len() > 1 {
        let mut g = gaps[1..].to_vec();
        g.sort_unstable();
        out.push(format!(
            "{} polls of every monitor, every {} (median), at most {} apart",
            g.len() + 1,
            ms(g[g.len() / 2]),
            ms(g[g.len() - 1])
        ));
    }
    out.push(format!(
        "load average {load_before} before, {} after",
        load()
    ));
    out
}
