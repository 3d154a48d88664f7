//! Exploration: random fault schedules checked against the properties, each
//! failure shrunk to a small scenario. Pure code, shared by `monscope
//! explore` and the page's worker: the schedules come from the simulator's
//! PCG, so a seed means the same schedules and results everywhere.
//!
//! A schedule ([`Schedule`]) is a cluster, faults and client operations for a
//! while, then a quiet period in which every fault is healed. Its
//! [`verdict`] is the first thing that went wrong: a runaway run (the
//! budget stopped it), a property violated ([`crate::trace::properties`]),
//! or, at the end of the quiet period, no full quorum of the monmap's
//! members, or a client request never answered.

pub mod gen;
pub mod schedule;
pub mod shrink;

pub use gen::{generate, Config};
pub use schedule::Schedule;
pub use shrink::shrink;

use crate::scenario::ast::{Action, Scenario};
use crate::sim::{Budget, Sim};
use crate::time::{format_secs, Time};
use crate::trace::properties::Property;
use crate::trace::EventKind;
use serde::Serialize;

/// What kind of failure a schedule found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Class {
    /// The run went past its budget (a message or timer storm).
    Runaway,
    /// A safety property was violated.
    Violation(Property),
    /// At the end of the quiet period there is no leader with every member
    /// of the monmap in its quorum.
    Quorum,
    /// A client request sent before the quiet period's middle was never answered.
    Unanswered,
    /// The generated scenario does not parse (a bug of the generator).
    BadSchedule,
}

impl Class {
    pub fn name(self) -> &'static str {
        match self {
            Class::Runaway => "runaway",
            Class::Violation(p) => p.name(),
            Class::Quorum => "no-full-quorum",
            Class::Unanswered => "unanswered",
            Class::BadSchedule => "bad-schedule",
        }
    }
}

/// The first thing that went wrong in a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub class: Class,
    /// When it went wrong (for a liveness failure: the end of the quiet period).
    pub at: Time,
    pub text: String,
}

/// A schedule's run: how many events it took, and what went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub events: u64,
    pub finding: Option<Finding>,
}

/// The budget of one schedule: a few minutes of a cluster make well under
/// half a million events. Its trace is not recorded, so its bytes are no
/// limit (its events bound its time).
pub const BUDGET: Budget = Budget {
    per_sim_second: Budget::DEFAULT.per_sim_second,
    total: 2_000_000,
    trace_bytes: u64::MAX,
};

/// Run `scenario` without recording its trace and judge it.
pub fn verdict(scenario: &Scenario) -> Verdict {
    let mut sim = Sim::with_budget(scenario, BUDGET);
    sim.set_recording(false);
    sim.run_until(scenario.end);
    let events = sim.events();
    let finding = judge(&sim, scenario);
    Verdict { events, finding }
}

fn judge(sim: &Sim, scenario: &Scenario) -> Option<Finding> {
    if let Some(o) = sim.overrun() {
        return Some(Finding {
            class: Class::Runaway,
            at: o.at,
            text: o.text.clone(),
        });
    }
    if let Some(v) = sim.state().violations().first() {
        return Some(Finding {
            class: Class::Violation(v.property),
            at: v.at,
            text: v.text.clone(),
        });
    }
    // The trace-less run keeps its verdict events: the failed expectations.
    for ev in sim.trace() {
        if let EventKind::Expect {
            text,
            pass: false,
            actual,
            ..
        } = &ev.kind
        {
            // `expect safe` cannot fail here: a violation was found above.
            return Some(Finding {
                class: Class::Quorum,
                at: ev.at,
                text: format!("at {}s {text}: {actual}", format_secs(ev.at)),
            });
        }
    }
    let end = scenario.end;
    let halfway = scenario
        .timed
        .iter()
        .filter_map(|t| match t.action {
            Action::Read { .. } | Action::Write { .. } => Some(t.at),
            _ => None,
        })
        .max()
        .unwrap_or(end);
    let history = sim.state().history();
    if let Some((tid, sent, op)) = history.unanswered().find(|(_, at, _)| *at <= halfway) {
        return Some(Finding {
            class: Class::Unanswered,
            at: end,
            text: format!(
                "request {tid} ({}, sent at {}s) was never answered (the run ends at {}s)",
                op_words(op),
                format_secs(sent),
                format_secs(end)
            ),
        });
    }
    None
}

fn op_words(op: &crate::mon::messages::ClientOp) -> String {
    use crate::mon::messages::ClientOp;
    match op {
        ClientOp::Write { key, value } => format!("write {key} {value}"),
        ClientOp::Read { key } => format!("read {key}"),
        ClientOp::MonAdd { name, .. } => format!("mon add {name}"),
        ClientOp::MonRemove { name } => format!("mon remove {name}"),
    }
}

/// One schedule explored: generated, run and judged.
#[derive(Clone, Debug)]
pub struct Explored {
    pub index: u64,
    pub schedule: Schedule,
    pub verdict: Verdict,
}

/// Generate and judge schedule `index` of a run seeded `seed`.
pub fn explore_one(cfg: &Config, seed: u64, index: u64) -> Explored {
    let schedule = generate(cfg, seed, index);
    let verdict = judge_schedule(&schedule);
    Explored {
        index,
        schedule,
        verdict,
    }
}

/// The verdict of a schedule; a schedule that does not parse is a finding.
pub fn judge_schedule(s: &Schedule) -> Verdict {
    match s.scenario() {
        Ok(sc) => verdict(&sc),
        Err(e) => Verdict {
            events: 0,
            finding: Some(Finding {
                class: Class::BadSchedule,
                at: 0,
                text: format!("the generated scenario does not parse: {e}"),
            }),
        },
    }
}

/// A failing schedule as it is shown and shared: titled with its class,
/// seed and index, described by what went wrong.
pub fn titled(schedule: &Schedule, finding: &Finding, seed: u64, index: u64) -> Schedule {
    let mut s = schedule.clone();
    s.title = Some(format!(
        "explore: {} (seed {seed}, schedule {index})",
        finding.class.name()
    ));
    s.describe = Some(finding.text.clone());
    s
}

#[cfg(test)]
mod tests;
