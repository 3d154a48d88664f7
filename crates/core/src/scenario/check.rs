//! Validation and resolution of parsed lines into a [`Scenario`]: the checks
//! that need the whole file (the monmap, time order, monitor lifecycles).

use super::ast::*;
use super::parser::{Line, NameRef, ParseError};
use crate::mon::config::Config;
use crate::mon::monmap::Strategy;
use crate::time::{format_duration, Time, MS, SEC};

const MAX_MONS: usize = 15;
/// Words that mean something where a monitor name may stand.
const RESERVED: &[&str] = &["all", "none"];

/// Header values given at most once.
#[derive(Default)]
struct Seen {
    title: Option<u32>,
    mons: Option<u32>,
    strategy: Option<u32>,
    seed: Option<u32>,
    latency: Option<u32>,
    loss: Option<u32>,
    end: Option<u32>,
}

fn once(slot: &mut Option<u32>, what: &str, pos: Pos) -> Result<(), ParseError> {
    if let Some(first) = *slot {
        return Err(ParseError::at(
            pos,
            format!("{what} is given twice (first on line {first})"),
        ));
    }
    *slot = Some(pos.line);
    Ok(())
}

pub(super) fn resolve(lines: Vec<Line>) -> Result<Scenario, ParseError> {
    let mut s = Scenario {
        stmts: Vec::new(),
        title: None,
        describe: Vec::new(),
        mons: Vec::new(),
        strategy: Strategy::Classic,
        disallow: Vec::new(),
        seed: 1,
        latency: Latency::Uniform(2 * MS, 10 * MS),
        loss: 0,
        links: Vec::new(),
        config: Config::default(),
        end: 0,
        timed: Vec::new(),
        has_start: false,
    };
    let mut seen = Seen::default();
    let mut end: Option<(Time, Pos)> = None;
    let mut disallow_at: Option<Pos> = None;
    // Headers first: names anywhere in the file are checked against `mons`.
    for line in &lines {
        let pos = line.stmt.pos;
        match &line.stmt.kind {
            StmtKind::Title(t) => {
                once(&mut seen.title, "title", pos)?;
                s.title = Some(t.clone());
            }
            StmtKind::Describe(d) => s.describe.push(d.clone()),
            StmtKind::Mons(names) => {
                once(&mut seen.mons, "mons", pos)?;
                check_mons(names, &line.names, pos)?;
                s.mons = names.clone();
            }
            StmtKind::Strategy(st) => {
                once(&mut seen.strategy, "strategy", pos)?;
                s.strategy = *st;
            }
            StmtKind::Disallow(names) => {
                disallow_at = disallow_at.or(Some(pos));
                s.disallow.extend(names.iter().cloned());
            }
            StmtKind::Seed(n) => {
                once(&mut seen.seed, "seed", pos)?;
                s.seed = *n;
            }
            StmtKind::Latency(l) => {
                once(&mut seen.latency, "latency", pos)?;
                s.latency = *l;
            }
            StmtKind::Loss(p) => {
                once(&mut seen.loss, "loss", pos)?;
                s.loss = *p;
            }
            StmtKind::Link(rule) => s.links.push(rule.clone()),
            StmtKind::Set { name, value } => s
                .config
                .set(name, *value)
                .map_err(|m| ParseError::at(line.key, m))?,
            StmtKind::End(t) => {
                once(&mut seen.end, "end", pos)?;
                end = Some((*t, line.arg));
            }
            StmtKind::At { .. } => {}
        }
    }
    if seen.mons.is_none() {
        return Err(ParseError::at(
            Pos { line: 1, col: 1 },
            "missing \"mons\": a scenario needs its monitors, e.g. mons a b c",
        ));
    }
    if let (Strategy::Classic, Some(p)) = (s.strategy, disallow_at) {
        return Err(ParseError::at(
            p,
            "disallow needs \"strategy disallow\" or \"strategy connectivity\" (the strategy is classic)",
        ));
    }

    // Monitors `add` creates: new names, each added once, within the limit.
    let mut all_names = s.mons.clone();
    let mut added_on: Vec<(String, u32)> = Vec::new();
    for line in &lines {
        if let StmtKind::At {
            action: Action::Add(name),
            ..
        } = &line.stmt.kind
        {
            let at = line.arg;
            if RESERVED.contains(&name.as_str()) {
                return Err(ParseError::at(
                    at,
                    format!("\"{name}\" is a keyword and cannot name a monitor"),
                ));
            }
            if s.mons.contains(name) {
                return Err(ParseError::at(
                    at,
                    format!(
                        "cannot add \"{name}\": it is already a monitor (mons {})",
                        s.mons.join(" ")
                    ),
                ));
            }
            if let Some((_, first)) = added_on.iter().find(|(n, _)| n == name) {
                return Err(ParseError::at(
                    at,
                    format!("cannot add \"{name}\": it is already added on line {first}"),
                ));
            }
            if all_names.len() >= MAX_MONS {
                return Err(ParseError::at(
                    at,
                    format!("too many monitors: at most {MAX_MONS}, counting the added ones"),
                ));
            }
            added_on.push((name.clone(), line.stmt.pos.line));
            all_names.push(name.clone());
        }
    }
    let mut life = Lifecycle::new(&s.mons, &all_names, &lines);
    s.has_start = life.has_start;
    let mut last: Option<(Time, u32)> = None;
    let mut disallowed: Vec<&str> = Vec::new();
    for line in &lines {
        for r in &line.names {
            if !all_names.contains(&r.name) {
                return Err(ParseError::at(
                    r.pos,
                    format!(
                        "unknown monitor \"{}\" (monitors are: {})",
                        r.name,
                        all_names.join(" ")
                    ),
                ));
            }
        }
        match &line.stmt.kind {
            StmtKind::Disallow(_) => {
                for r in &line.names {
                    if disallowed.contains(&r.name.as_str()) {
                        return Err(twice(r));
                    }
                    disallowed.push(&r.name);
                }
            }
            StmtKind::Link(_) => distinct_ends(&line.names)?,
            StmtKind::At { at, action } => {
                if let Some((prev, prev_line)) = last {
                    if *at < prev {
                        return Err(ParseError::at(
                            line.time,
                            format!(
                                "time goes backwards: {} is before {} (line {prev_line}); timed statements must be in time order",
                                format_duration(*at),
                                format_duration(prev)
                            ),
                        ));
                    }
                }
                last = Some((*at, line.stmt.pos.line));
                check_action(action, line)?;
                life.apply(action, line)?;
                s.timed.push(Timed {
                    at: *at,
                    pos: line.stmt.pos,
                    action: action.clone(),
                });
            }
            _ => {}
        }
    }
    let last_at = last.map(|(t, _)| t);
    s.end = match (end, last) {
        (Some((e, p)), Some((t, l))) if e < t => {
            return Err(ParseError::at(
                p,
                format!(
                    "end {} is before the last timed statement (at {} on line {l})",
                    format_duration(e),
                    format_duration(t)
                ),
            ))
        }
        (Some((e, _)), _) => e,
        (None, _) => last_at.unwrap_or(0).saturating_add(30 * SEC),
    };
    s.stmts = lines.into_iter().map(|l| l.stmt).collect();
    Ok(s)
}

fn twice(r: &NameRef) -> ParseError {
    ParseError::at(r.pos, format!("monitor \"{}\" is listed twice", r.name))
}

fn check_mons(names: &[String], refs: &[NameRef], pos: Pos) -> Result<(), ParseError> {
    if names.is_empty() {
        return Err(ParseError::at(
            pos,
            "mons needs 1 to 15 monitor names, e.g. mons a b c",
        ));
    }
    for (i, r) in refs.iter().enumerate() {
        if RESERVED.contains(&r.name.as_str()) {
            return Err(ParseError::at(
                r.pos,
                format!("\"{}\" is a keyword and cannot name a monitor", r.name),
            ));
        }
        if refs
            .get(..i)
            .is_some_and(|prev| prev.iter().any(|p| p.name == r.name))
        {
            return Err(twice(r));
        }
        if i >= MAX_MONS {
            return Err(ParseError::at(
                r.pos,
                format!("too many monitors: at most {MAX_MONS}"),
            ));
        }
    }
    Ok(())
}

/// `cut a a` and friends: a link joins two different monitors.
fn distinct_ends(refs: &[NameRef]) -> Result<(), ParseError> {
    if let [a, b] = refs {
        if a.name == b.name {
            return Err(ParseError::at(
                b.pos,
                format!(
                    "a link joins two different monitors, found \"{}\" twice",
                    b.name
                ),
            ));
        }
    }
    Ok(())
}

/// Checks of one action that need no state.
fn check_action(action: &Action, line: &Line) -> Result<(), ParseError> {
    match action {
        Action::Cut { .. } | Action::Restore { .. } => distinct_ends(&line.names),
        Action::Partition(_) => {
            for (i, r) in line.names.iter().enumerate() {
                if line
                    .names
                    .get(..i)
                    .is_some_and(|prev| prev.iter().any(|p| p.name == r.name))
                {
                    return Err(ParseError::at(
                        r.pos,
                        format!(
                            "monitor \"{}\" is named twice; partition groups must be disjoint",
                            r.name
                        ),
                    ));
                }
            }
            Ok(())
        }
        Action::Start(_)
        | Action::Kill(_)
        | Action::Revive(_)
        | Action::Wipe(_)
        | Action::Expect(Expectation::Quorum(_))
        | Action::Expect(Expectation::Monmap(_)) => {
            for (i, r) in line.names.iter().enumerate() {
                if line
                    .names
                    .get(..i)
                    .is_some_and(|prev| prev.iter().any(|p| p.name == r.name))
                {
                    return Err(twice(r));
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Life {
    NotStarted,
    Running,
    /// Killed on this line.
    Killed(u32),
    /// A name `add` creates on this line, not added yet.
    NotAdded(u32),
    /// `remove`d on this line: out of the monmap, it stops.
    Removed(u32),
}

/// Why a monitor that is not in the cluster cannot be acted on, if so.
fn absent(st: Life, m: &str) -> Option<String> {
    match st {
        Life::NotAdded(l) => Some(format!(
            "\"{m}\" is not a monitor yet: it is added on line {l}"
        )),
        Life::Removed(l) => Some(format!("\"{m}\" was removed from the monmap on line {l}")),
        _ => None,
    }
}

/// Each monitor's lifecycle in file order, so `kill`, `revive`, `wipe` and
/// `start` are only written where they make sense.
struct Lifecycle {
    mons: Vec<String>,
    state: Vec<Life>,
    has_start: bool,
}

impl Lifecycle {
    fn new(mons: &[String], all_names: &[String], lines: &[Line]) -> Lifecycle {
        let has_start = lines.iter().any(|l| {
            matches!(
                l.stmt.kind,
                StmtKind::At {
                    action: Action::Start(_),
                    ..
                }
            )
        });
        // Without any `start`, every monitor starts at 0s.
        let initial = if has_start {
            Life::NotStarted
        } else {
            Life::Running
        };
        let state = all_names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                if i < mons.len() {
                    return initial;
                }
                let line = lines.iter().find_map(|l| match &l.stmt.kind {
                    StmtKind::At {
                        action: Action::Add(n),
                        ..
                    } if n == name => Some(l.stmt.pos.line),
                    _ => None,
                });
                Life::NotAdded(line.unwrap_or(0))
            })
            .collect();
        Lifecycle {
            mons: all_names.to_vec(),
            state,
            has_start,
        }
    }

    fn slot(&mut self, name: &str) -> Option<&mut Life> {
        let i = self.mons.iter().position(|m| m == name)?;
        self.state.get_mut(i)
    }

    fn apply(&mut self, action: &Action, line: &Line) -> Result<(), ParseError> {
        let line_no = line.stmt.pos.line;
        match action {
            Action::Start(Targets::All) => {
                for (m, st) in self.mons.iter().zip(self.state.iter_mut()) {
                    if matches!(st, Life::NotAdded(_) | Life::Removed(_)) {
                        continue;
                    }
                    if *st == Life::Running {
                        return Err(ParseError::at(
                            line.key,
                            format!("cannot start all: \"{m}\" is already running"),
                        ));
                    }
                    *st = Life::Running;
                }
            }
            Action::Add(name) => {
                if let Some(st) = self.slot(name) {
                    *st = Life::Running;
                }
            }
            Action::Remove(_) => self.each(line, &|st, m| match st {
                Life::NotAdded(l) => Err(format!(
                    "cannot remove \"{m}\": it is not a monitor yet (it is added on line {l})"
                )),
                Life::Removed(l) => Err(format!(
                    "cannot remove \"{m}\": it was already removed on line {l}"
                )),
                _ => Ok(Life::Removed(line_no)),
            })?,
            Action::Skew(..) | Action::CallElection(_) => {
                self.each(line, &|st, m| match absent(st, m) {
                    Some(why) => Err(format!("cannot act on {why}")),
                    None => Ok(st),
                })?
            }
            Action::Write { via: Some(_), .. } | Action::Read { via: Some(_), .. } => {
                self.each(line, &|st, m| match absent(st, m) {
                    Some(why) => Err(format!("cannot send a request via {why}")),
                    None => Ok(st),
                })?
            }
            Action::Start(Targets::Names(_)) => self.each(line, &|st, m| match st {
                Life::Running => Err(format!("cannot start \"{m}\": it is already running")),
                Life::NotAdded(_) | Life::Removed(_) => Err(format!(
                    "cannot start {}",
                    absent(st, m).unwrap_or_default()
                )),
                _ => Ok(Life::Running),
            })?,
            Action::Kill(_) => self.each(line, &|st, m| match st {
                Life::Running => Ok(Life::Killed(line_no)),
                Life::NotStarted => Err(format!(
                    "cannot kill \"{m}\": it is not running (it has not been started)"
                )),
                Life::Killed(l) => Err(format!(
                    "cannot kill \"{m}\": it is not running (it was killed on line {l})"
                )),
                Life::NotAdded(_) | Life::Removed(_) => {
                    Err(format!("cannot kill {}", absent(st, m).unwrap_or_default()))
                }
            })?,
            Action::Revive(_) => self.each(line, &|st, m| match st {
                Life::Killed(_) => Ok(Life::Running),
                // Its daemon started again: Pacific answers `mon remove` before
                // it commits, so it may still be a member and rejoin; if the
                // removal committed, it learns so and stops (Monitor::preinit,
                // or "removed from monmap, suicide" once it probes).
                Life::Removed(_) => Ok(st),
                Life::Running => Err(format!(
                    "cannot revive \"{m}\": it is running (only a killed monitor can be revived)"
                )),
                Life::NotStarted => Err(format!(
                    "cannot revive \"{m}\": it has not been started (use start)"
                )),
                Life::NotAdded(_) => Err(format!(
                    "cannot revive {}",
                    absent(st, m).unwrap_or_default()
                )),
            })?,
            Action::Wipe(_) => self.each(line, &|st, m| match st {
                Life::Killed(_) => Ok(st),
                Life::Running => Err(format!(
                    "cannot wipe \"{m}\": it is running; it must be killed first"
                )),
                Life::NotStarted => Err(format!(
                    "cannot wipe \"{m}\": it has not been started; it must be killed first"
                )),
                Life::NotAdded(_) | Life::Removed(_) => {
                    Err(format!("cannot wipe {}", absent(st, m).unwrap_or_default()))
                }
            })?,
            _ => {}
        }
        Ok(())
    }

    /// Apply `f` to the state of every monitor the line names.
    fn each(
        &mut self,
        line: &Line,
        f: &dyn Fn(Life, &str) -> Result<Life, String>,
    ) -> Result<(), ParseError> {
        for r in &line.names {
            if let Some(st) = self.slot(&r.name) {
                *st = f(*st, &r.name).map_err(|m| ParseError::at(r.pos, m))?;
            }
        }
        Ok(())
    }
}
