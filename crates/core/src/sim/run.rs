//! A finished run: the trace, the final state, and what the CLI and the page
//! report about it.

// `#[inline]` below: compiled only where a whole run is (not in the page;
// crate::trace::compact says why).

use super::{fnv1a, Budget, Overrun, Sim};
use crate::scenario::ast::Scenario;
use crate::time::{format_secs, Time};
use crate::trace::compact::Trace;
use crate::trace::state::ClusterState;
use crate::trace::EventKind;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct Run {
    /// Monitors in rank order, then "client".
    pub nodes: Vec<String>,
    /// Kept compactly ([`Trace`]): read with `iter()`, or `to_vec()`.
    pub trace: Trace,
    pub end: Time,
    pub state: ClusterState,
    /// Set when the run went past its budget and stopped at `end`.
    pub overrun: Option<Overrun>,
}

/// Run a scenario from start to its `end`.
#[inline]
pub fn run(scenario: &Scenario) -> Run {
    run_until(scenario, scenario.end)
}

/// Run a scenario up to time `t` (at most its `end`).
#[inline]
pub fn run_until(scenario: &Scenario, t: Time) -> Run {
    run_with_budget(scenario, t, Budget::DEFAULT)
}

/// Run a scenario up to time `t` (at most its `end`) within `budget`.
#[inline]
pub fn run_with_budget(scenario: &Scenario, t: Time, budget: Budget) -> Run {
    run_shared(Arc::new(scenario.clone()), t, budget)
}

/// [`run_with_budget`] of a scenario the caller hands over: not copied (the
/// benchmark's hour is 36,000 statements, a copy of each was 0.5% of its
/// instructions).
#[inline]
pub fn run_shared(scenario: Arc<Scenario>, t: Time, budget: Budget) -> Run {
    let mut sim = Sim::shared(scenario, budget);
    // The events moved into the compact trace after every step: the
    // simulator's own vector stays a step's events long, its pages used
    // again and again.
    let mut trace = Trace::default();
    sim.run_until_stepwise(t, |events| trace.extend(events.drain(..)));
    trace.shrink_to_fit();
    Run {
        nodes: sim.node_names(),
        end: sim.now(),
        state: std::mem::replace(&mut sim.state, ClusterState::new(Vec::new())),
        overrun: sim.overrun().cloned(),
        trace,
    }
}

impl Run {
    /// A hex digest of the whole trace: equal digests mean equal runs.
    #[inline]
    pub fn digest(&self) -> String {
        let mut h: u64 = fnv1a(b"monscope-trace-v1");
        for ev in &self.trace {
            h ^= fnv1a(crate::trace::json::json_line(&ev).as_bytes());
            h = h.rotate_left(5).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
        format!("{h:016x}")
    }

    /// (passed, failed) expectations.
    #[inline]
    pub fn expect_counts(&self) -> (usize, usize) {
        let mut pass = 0;
        let mut fail = 0;
        for ev in self.trace.rare() {
            if let EventKind::Expect { pass: p, .. } = ev.kind {
                if p {
                    pass += 1
                } else {
                    fail += 1
                }
            }
        }
        (pass, fail)
    }

    /// The final state in words: one line per monitor, then the expectations.
    #[inline]
    pub fn summary(&self) -> String {
        let mut s = format!("at {}s:\n", format_secs(self.end));
        for (i, name) in self.nodes.iter().enumerate().take(self.nodes.len() - 1) {
            let st = self.state.status(i as u32);
            let quorum = if st.quorum.is_empty() {
                String::new()
            } else {
                format!("  quorum {}", st.quorum.join(" "))
            };
            s += &format!(
                "mon.{name:<6} {:<13} epoch {:<4} last_committed {:<5}{quorum}\n",
                st.state.name(),
                st.election_epoch,
                st.paxos.last_committed,
            );
        }
        let (p, f) = self.expect_counts();
        if p + f > 0 {
            s += &format!("expectations: {p} passed, {f} failed\n");
        }
        if let Some(o) = &self.overrun {
            s += &format!("STOPPED {}\n", o.text);
        }
        s
    }
}
