//! A run's budget: what stops a runaway scenario (a message storm, a timer
//! that fires at the same instant forever, an `end` days away) with a clear
//! message instead of a hang or an exhausted memory.
//!
//! Every trace event counts, recorded or only folded into the state: the
//! events of one second of simulated time (fixed windows `[k s, (k+1) s)`),
//! the events of the whole run, and what they weigh as JSON
//! ([`super::weight`]). A healthy cluster makes a few hundred events per
//! simulated second (at most 735 in the built-in scenarios); the probe storm
//! of issue 13 made eleven million in under a second. A long run of 15
//! monitors made 9.4 GB of JSON within the five million events: what every
//! command that writes or hashes the trace pays for.

use super::weight::{self, Part, Weight};
use crate::mon::messages::Message;
use crate::mon::out::Timer;
use crate::time::{format_secs, Time, SEC};
use crate::trace::format::{node_label, timer_name};
use crate::trace::NodeId;
use serde::Serialize;

/// How much a run may do before it is stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Trace events in any one second of simulated time.
    pub per_sim_second: u64,
    /// Trace events in the whole run. A recorded trace costs about 300 bytes
    /// an event (messages, statuses and store transactions included), so the
    /// default bounds it near 1.5 GB.
    pub total: u64,
    /// The trace's bytes as JSON in the whole run, as [`super::weight`]
    /// estimates them: what `run --json` writes, the digest hashes and the
    /// page holds grow with them, not with the count of events.
    pub trace_bytes: u64,
}

impl Budget {
    /// What every run gets unless it asks otherwise: about 700 times the
    /// busiest second of the built-in scenarios, 5 million events and 2 GB
    /// of JSON (the one-hour benchmark, five monitors taking a write every
    /// 100 ms, makes 4.8 million events and 1.6 GB).
    pub const DEFAULT: Budget = Budget {
        per_sim_second: 500_000,
        total: 5_000_000,
        trace_bytes: 2_000_000_000,
    };
}

impl Default for Budget {
    fn default() -> Self {
        Budget::DEFAULT
    }
}

/// Which limit a run went past.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    PerSimSecond,
    Total,
    TraceBytes,
}

/// Why and when a run was stopped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Overrun {
    /// The simulated time of the last event run.
    pub at: Time,
    pub limit: Limit,
    /// What was counted against the limit: events (in the second, or in
    /// the run), or bytes of JSON for [`Limit::TraceBytes`].
    pub events: u64,
    /// The limit that was passed.
    pub budget: u64,
    /// The whole explanation, e.g. "4.2 M events in the second from 28s:
    /// a message storm, mostly between mon.b and mon.x1 (...)".
    pub text: String,
}

/// Events in one simulated second that no healthy cluster makes (the
/// built-in scenarios make at most 735).
const BUSY_SECOND: u64 = 20_000;

/// Something still due in the simulator's queue when a run stops.
pub(super) enum Pending<'a> {
    Message {
        from: NodeId,
        to: NodeId,
        msg: &'a Message,
    },
    Timer {
        node: NodeId,
        timer: Timer,
        at: Time,
    },
}

/// The running count, kept in the simulator (so a snapshot carries it).
#[derive(Clone, Debug)]
pub(super) struct Meter {
    budget: Budget,
    /// Where the simulated second being counted starts (`k s`).
    window_start: Time,
    window_events: u64,
    /// When the window's first event happened.
    window_from: Time,
    total: u64,
    /// The weighed events' bytes past [`weight::EVENT`] each: the run's
    /// estimated JSON is `total * EVENT + heavy`.
    heavy: u64,
    /// The weighed events' bytes by part, to say where they went.
    parts: [u64; Part::COUNT],
}

impl Meter {
    pub(super) fn new(budget: Budget) -> Meter {
        Meter {
            budget,
            window_start: 0,
            window_events: 0,
            window_from: 0,
            total: 0,
            heavy: 0,
            parts: [0; Part::COUNT],
        }
    }

    /// An event that weighs `w` as JSON (a message, a store transaction, a
    /// status); the others weigh [`weight::EVENT`].
    pub(super) fn weigh(&mut self, w: Weight) {
        self.heavy += w.bytes.saturating_sub(weight::EVENT);
        self.parts[w.part as usize] += w.bytes;
    }

    /// The run's trace as JSON so far, estimated.
    pub(super) fn bytes(&self) -> u64 {
        self.total
            .saturating_mul(weight::EVENT)
            .saturating_add(self.heavy)
    }

    /// Count one event at `at`.
    pub(super) fn count(&mut self, at: Time) {
        // Outside the window when before it or a second or more past its
        // start: no division per event (one was a few percent of a run).
        if at.wrapping_sub(self.window_start) >= SEC || self.window_events == 0 {
            self.window_start = at - at % SEC;
            self.window_events = 0;
            self.window_from = at;
        }
        self.window_events += 1;
        self.total += 1;
    }

    pub(super) fn total(&self) -> u64 {
        self.total
    }

    pub(super) fn tripped(&self) -> bool {
        self.window_events > self.budget.per_sim_second
            || self.total > self.budget.total
            || self.bytes() > self.budget.trace_bytes
    }

    /// What ran away, in words. `pending` is what the queue still holds;
    /// `names` the node names (monitors, then the client).
    pub(super) fn overrun<'a>(
        &self,
        at: Time,
        names: &[String],
        pending: impl Iterator<Item = Pending<'a>>,
    ) -> Overrun {
        let (limit, events, budget, what) = if self.window_events > self.budget.per_sim_second {
            let what = format!(
                "{} events in one second of simulated time (the budget is {} a second): {}",
                approx(self.window_events),
                approx(self.budget.per_sim_second),
                storm(at == self.window_from, at, names, pending)
            );
            (
                Limit::PerSimSecond,
                self.window_events,
                self.budget.per_sim_second,
                what,
            )
        } else {
            // A busy last second is a storm that grew slowly, not a long run.
            let why = if self.window_events > BUSY_SECOND {
                format!(
                    "{} events in its last second: {}",
                    approx(self.window_events),
                    storm(at == self.window_from, at, names, pending)
                )
            } else {
                "shorten it with an earlier `end`".to_string()
            };
            if self.total > self.budget.total {
                let what = format!(
                    "the run reached {} trace events (the budget of a run is {}, about {} MB of trace); {why}",
                    approx(self.total),
                    approx(self.budget.total),
                    self.budget.total * 300 / 1_000_000
                );
                (Limit::Total, self.total, self.budget.total, what)
            } else {
                let bytes = self.bytes();
                let what = format!(
                    "the run's trace reached {} MB of JSON in {} events (the budget of a run is {} MB): {}; {why}",
                    bytes / 1_000_000,
                    approx(self.total),
                    self.budget.trace_bytes / 1_000_000,
                    self.heaviest(bytes)
                );
                (Limit::TraceBytes, bytes, self.budget.trace_bytes, what)
            }
        };
        Overrun {
            at,
            limit,
            events,
            budget,
            text: format!("stopped at {}s: {what}", format_secs(at)),
        }
    }
}

impl Meter {
    /// Where the bytes went: the two heaviest parts and their shares
    /// ("mostly the elector's pings (89%) and store transactions (8%)").
    fn heaviest(&self, bytes: u64) -> String {
        let mut parts = self.parts.to_vec();
        let mut said = Vec::new();
        while let Some(i) = busiest(parts.iter().copied()) {
            let share = std::mem::take(&mut parts[i]) * 100 / bytes.max(1);
            // Below a tenth, a part names nothing: the plain events weigh most.
            if share < 10 || said.len() == 2 {
                break;
            }
            said.push(format!("{} ({share}%)", weight::WORDS[i]));
        }
        match said.is_empty() {
            true => "mostly events that carry no message".to_string(),
            false => format!("mostly {}", said.join(" and ")),
        }
    }
}

/// The storm, from what is still due: a timer due again at the very instant
/// (time stood still all second), or the messages in flight, by pair of
/// nodes and by op.
fn storm<'a>(
    still: bool,
    at: Time,
    names: &[String],
    pending: impl Iterator<Item = Pending<'a>>,
) -> String {
    let mut pairs: Vec<(u64, NodeId, NodeId)> = Vec::new();
    let mut ops: Vec<(u64, &'static str)> = Vec::new();
    let mut timer = None;
    let mut flying = 0;
    for p in pending {
        match p {
            Pending::Message { from, to, msg } => {
                flying += 1;
                let (a, b) = (from.min(to), from.max(to));
                match pairs.iter_mut().find(|e| (e.1, e.2) == (a, b)) {
                    Some(e) => e.0 += 1,
                    None => pairs.push((1, a, b)),
                }
                let op = msg.op_name();
                match ops.iter_mut().find(|e| e.1 == op) {
                    Some(e) => e.0 += 1,
                    None => ops.push((1, op)),
                }
            }
            Pending::Timer {
                node,
                timer: t,
                at: due,
            } if due == at => timer = Some((node, t)),
            Pending::Timer { .. } => {}
        }
    }
    if let (true, Some((node, t))) = (still, timer) {
        return format!(
            "simulated time stood still at {}s: {}'s {} is due again at the same instant, over and over",
            format_secs(at),
            node_label(names, node),
            timer_name(&t)
        );
    }
    let share = |n: u64| n * 100 / flying.max(1);
    let mut top = Vec::new();
    while let Some(i) = busiest(pairs.iter().map(|p| p.0)) {
        let (c, a, b) = pairs.swap_remove(i);
        top.push(format!(
            "{} and {} ({}%)",
            node_label(names, a),
            node_label(names, b),
            share(c)
        ));
        if top.len() == 3 {
            break;
        }
    }
    let mut kinds = Vec::new();
    while let Some(i) = busiest(ops.iter().map(|o| o.0)) {
        let (c, op) = ops.swap_remove(i);
        kinds.push(format!("{op} {}%", share(c)));
        if kinds.len() == 2 {
            break;
        }
    }
    format!(
        "a message storm: {} messages in flight, mostly between {} ({})",
        approx(flying),
        top.join(", "),
        kinds.join(", ")
    )
}

/// The index of the largest count (the first of equals), if any.
fn busiest(counts: impl Iterator<Item = u64>) -> Option<usize> {
    let mut best: Option<(usize, u64)> = None;
    for (i, c) in counts.enumerate() {
        if best.is_none_or(|(_, b)| c > b) {
            best = Some((i, c));
        }
    }
    best.map(|(i, _)| i)
}

/// A count for people: 735, 12 k, 4.2 M.
pub fn approx(n: u64) -> String {
    if n < 10_000 {
        n.to_string()
    } else if n < 1_000_000 {
        format!("{} k", n / 1000)
    } else {
        let tenths = n / 100_000;
        if tenths.is_multiple_of(10) || tenths >= 100 {
            format!("{} M", tenths / 10)
        } else {
            format!("{}.{} M", tenths / 10, tenths % 10)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timer_due_again_at_the_same_instant_all_second_is_named() {
        let names: Vec<String> = ["a", "b", "client"].map(String::from).to_vec();
        let mut m = Meter::new(Budget {
            per_sim_second: 100,
            total: 1_000,
            trace_bytes: 1_000_000,
        });
        for _ in 0..100 {
            m.count(7 * SEC);
        }
        assert!(!m.tripped());
        m.count(7 * SEC);
        assert!(m.tripped());
        let due = [Pending::Timer {
            node: 1,
            timer: Timer::ProbeTimeout,
            at: 7 * SEC,
        }];
        let o = m.overrun(7 * SEC, &names, due.into_iter());
        assert_eq!(o.limit, Limit::PerSimSecond);
        assert!(
            o.text
                .contains("simulated time stood still at 7s: mon.b's probe timeout is due again"),
            "{}",
            o.text
        );
        // A new second starts a new count.
        m.count(8 * SEC);
        assert!(!m.tripped());
    }

    #[test]
    fn counts_read_as_people_say_them() {
        assert_eq!(approx(735), "735");
        assert_eq!(approx(12_345), "12 k");
        assert_eq!(approx(4_210_000), "4.2 M");
        assert_eq!(approx(4_000_000), "4 M");
        assert_eq!(approx(11_000_000), "11 M");
    }
}
