//! A run's budget: what stops a runaway scenario (a message storm, a timer
//! that fires at the same instant forever, an `end` days away) with a clear
//! message instead of a hang or an exhausted memory.
//!
//! Every trace event counts, recorded or only folded into the state: the
//! events of one second of simulated time (fixed windows `[k s, (k+1) s)`)
//! and the events of the whole run. A healthy cluster makes a few hundred
//! events per simulated second (at most 735 in the built-in scenarios); the
//! probe storm of issue 13 made eleven million in under a second.

use crate::mon::messages::Message;
use crate::mon::out::Timer;
use crate::time::{format_secs, Time, SEC};
use crate::trace::format::{node_label, timer_name};
use crate::trace::{EventKind, NodeId};
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
}

impl Budget {
    /// What every run gets unless it asks otherwise: about 700 times the
    /// busiest second of the built-in scenarios, and 5 million events (about
    /// four hours of five monitors taking a write every 100 ms).
    pub const DEFAULT: Budget = Budget {
        per_sim_second: 500_000,
        total: 5_000_000,
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
}

/// Why and when a run was stopped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Overrun {
    /// The simulated time of the last event run.
    pub at: Time,
    pub limit: Limit,
    /// Events counted against the limit (in the second, or in the run).
    pub events: u64,
    /// The limit that was passed.
    pub budget: u64,
    /// The whole explanation, e.g. "4.2 M events in the second from 28s:
    /// a message storm, mostly between mon.b and mon.x1 (...)".
    pub text: String,
}

/// The running count, kept in the simulator (so a snapshot carries it).
#[derive(Clone, Debug)]
pub(super) struct Meter {
    budget: Budget,
    /// The simulated second being counted.
    window: u64,
    window_events: u64,
    total: u64,
    /// Node count (monitors and the client), the side of `sends`.
    nodes: usize,
    /// Messages sent in this window, by `from * nodes + to`.
    sends: Vec<u32>,
    /// Timers fired in this window, by node, and the last one that fired.
    fired: Vec<(u32, Option<Timer>)>,
}

impl Meter {
    pub(super) fn new(budget: Budget, nodes: usize) -> Meter {
        Meter {
            budget,
            window: 0,
            window_events: 0,
            total: 0,
            nodes,
            sends: vec![0; nodes * nodes],
            fired: vec![(0, None); nodes],
        }
    }

    /// Count one event at `at`.
    pub(super) fn count(&mut self, at: Time, kind: &EventKind) {
        let w = at / SEC;
        if w != self.window {
            self.window = w;
            self.window_events = 0;
            self.sends.fill(0);
            self.fired.fill((0, None));
        }
        self.window_events += 1;
        self.total += 1;
        match kind {
            EventKind::Send { from, to, .. } => {
                let i = *from as usize * self.nodes + *to as usize;
                if let Some(c) = self.sends.get_mut(i) {
                    *c = c.saturating_add(1);
                }
            }
            EventKind::TimerFire { node, timer } => {
                if let Some(f) = self.fired.get_mut(*node as usize) {
                    f.0 = f.0.saturating_add(1);
                    f.1 = Some(*timer);
                }
            }
            _ => {}
        }
    }

    pub(super) fn total(&self) -> u64 {
        self.total
    }

    pub(super) fn tripped(&self) -> bool {
        self.window_events > self.budget.per_sim_second || self.total > self.budget.total
    }

    /// What ran away, in words. `in_flight` are the messages still in the
    /// air; `names` the node names (monitors, then the client).
    pub(super) fn overrun<'a>(
        &self,
        at: Time,
        names: &[String],
        in_flight: impl Iterator<Item = &'a Message>,
    ) -> Overrun {
        if self.window_events > self.budget.per_sim_second {
            let text = format!(
                "stopped at {}s: {} events in one second of simulated time (from {}s; the budget is {} a second): {}",
                format_secs(at),
                approx(self.window_events),
                self.window,
                approx(self.budget.per_sim_second),
                self.storm(names, in_flight)
            );
            Overrun {
                at,
                limit: Limit::PerSimSecond,
                events: self.window_events,
                budget: self.budget.per_sim_second,
                text,
            }
        } else {
            let text = format!(
                "stopped at {}s: the run reached {} trace events (the budget of a run is {}, about {} MB of trace); shorten it with an earlier `end`",
                format_secs(at),
                approx(self.total),
                approx(self.budget.total),
                self.budget.total * 300 / 1_000_000
            );
            Overrun {
                at,
                limit: Limit::Total,
                events: self.total,
                budget: self.budget.total,
                text,
            }
        }
    }

    /// The storm of this window: messages between which monitors, or a timer.
    fn storm<'a>(&self, names: &[String], in_flight: impl Iterator<Item = &'a Message>) -> String {
        let sent: u64 = self.sends.iter().map(|&c| c as u64).sum();
        let fired: u64 = self.fired.iter().map(|f| f.0 as u64).sum();
        if fired > sent {
            let (node, (count, timer)) = self
                .fired
                .iter()
                .enumerate()
                .max_by_key(|(_, f)| f.0)
                .unwrap_or((0, &(0, None)));
            let what = timer.as_ref().map_or("timers".to_string(), timer_name);
            return format!(
                "a timer storm: {}'s {what} fired {} times (a timer that keeps firing at the same instant stops simulated time)",
                node_label(names, node as NodeId),
                approx(*count as u64)
            );
        }
        // Messages both ways between two nodes count for the pair; the three
        // busiest pairs, and the two commonest ops in flight.
        let n = self.nodes;
        let mut pairs: Vec<(u64, usize, usize)> = Vec::new();
        for a in 0..n {
            for b in a + 1..n {
                let c = self.sends[a * n + b] as u64 + self.sends[b * n + a] as u64;
                if c > 0 {
                    pairs.push((c, a, b));
                }
            }
        }
        let mut between = Vec::new();
        while let Some(i) = busiest(pairs.iter().map(|p| p.0)) {
            let (c, a, b) = pairs.swap_remove(i);
            between.push(format!(
                "{} and {} ({}%)",
                node_label(names, a as NodeId),
                node_label(names, b as NodeId),
                c * 100 / sent.max(1)
            ));
            if between.len() == 3 {
                break;
            }
        }
        let mut ops: Vec<(&'static str, u64)> = Vec::new();
        let mut flying = 0u64;
        for m in in_flight {
            flying += 1;
            let op = m.op_name();
            match ops.iter_mut().find(|(o, _)| *o == op) {
                Some(e) => e.1 += 1,
                None => ops.push((op, 1)),
            }
        }
        let mut kinds = Vec::new();
        while let Some(i) = busiest(ops.iter().map(|o| o.1)) {
            let (op, c) = ops.swap_remove(i);
            kinds.push(format!("{op} {}%", c * 100 / flying.max(1)));
            if kinds.len() == 2 {
                break;
            }
        }
        let mut s = format!(
            "a message storm: {} messages sent in that second, mostly between {}",
            approx(sent),
            between.join(", ")
        );
        if flying > 0 {
            s += &format!("; {} in flight ({})", approx(flying), kinds.join(", "));
        }
        s
    }
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
    fn a_timer_that_fires_at_one_instant_forever_is_named_as_a_timer_storm() {
        let names: Vec<String> = ["a", "b", "client"].map(String::from).to_vec();
        let mut m = Meter::new(
            Budget {
                per_sim_second: 100,
                total: 1_000,
            },
            names.len(),
        );
        let fire = EventKind::TimerFire {
            node: 1,
            timer: Timer::ProbeTimeout,
        };
        for _ in 0..100 {
            m.count(7 * SEC, &fire);
        }
        assert!(!m.tripped());
        m.count(7 * SEC, &fire);
        assert!(m.tripped());
        let o = m.overrun(7 * SEC, &names, std::iter::empty());
        assert_eq!(o.limit, Limit::PerSimSecond);
        assert!(
            o.text
                .contains("a timer storm: mon.b's probe timeout fired 101 times"),
            "{}",
            o.text
        );
        // A new second starts a new count.
        m.count(8 * SEC, &fire);
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
