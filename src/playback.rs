//! The run model: the scenario text is the source of truth. [`Model::build`]
//! parses it, runs the simulator to the end once, keeps the whole trace and a
//! trace-less `Sim` snapshot every [`SNAPSHOT_EVERY`] of simulated time, and
//! precomputes what the views draw (message flights, timeline marks). The
//! playhead then selects the view: the trace prefix up to `t`, and the `Sim`
//! at `t` (restore the nearest snapshot at or before `t`, replay forward).
//!
//! Pure Rust, no browser: the native unit tests measure seeking.

use monscope_core::mon::status::MonState;
use monscope_core::scenario::{self, Action, ParseError, Scenario};
use monscope_core::sim::Sim;
use monscope_core::time::MS;
use monscope_core::time::{Time, SEC};
use monscope_core::trace::{Event, EventKind, MsgId, NodeId};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

/// Simulated time between two snapshots.
pub const SNAPSHOT_EVERY: Time = 2 * SEC;

pub use monscope_core::trace::layout::Flight;
use monscope_core::trace::layout::Flights;

/// The protocols, in the order of the filter; each has a bit in a mask of
/// hidden protocols.
pub const PROTOCOLS: [&str; 7] = [
    "probe",
    "election",
    "paxos",
    "sync",
    "ping",
    "timecheck",
    "client",
];

/// The bit of `protocol` in a mask of hidden protocols.
pub fn protocol_bit(protocol: &str) -> u8 {
    1 << PROTOCOLS.iter().position(|p| *p == protocol).unwrap_or(6)
}

/// Hidden on the ring by default: the periodic traffic.
pub const HIDDEN_BY_DEFAULT: u8 = 1 << 4 | 1 << 5;

/// Periodic traffic a reader need not follow: connectivity pings, time
/// checks and lease renewals. Playing does not slow down for it.
pub fn is_quiet(f: &Flight) -> bool {
    matches!(f.protocol, "ping" | "timecheck") || matches!(f.op, "LEASE" | "LEASE_ACK")
}

/// What a timeline mark shows.
#[derive(Clone, Debug, PartialEq)]
pub enum MarkKind {
    /// The monitor entered this state.
    State(MonState),
    /// The monitor committed this paxos version.
    Commit(u64),
    /// An expectation passed (true) or failed.
    Expect(bool),
    /// A scenario action (kill, cut, write, ...).
    Action,
    Note,
    Violation,
    ClientReply,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    pub at: Time,
    /// The lane: a node (monitors, then the client), or None for the scenario lane.
    pub node: Option<NodeId>,
    pub kind: MarkKind,
    /// Index of its event in the trace.
    pub ev: usize,
}

/// A parsed scenario, run to its end.
pub struct Model {
    /// Unique per build, so a [`Cursor`] knows when its model changed.
    pub id: u64,
    pub text: String,
    pub scenario: Scenario,
    /// Monitors in rank order, then "client".
    pub names: Vec<String>,
    pub trace: Vec<Event>,
    pub flights: Vec<Flight>,
    /// Flight index by message id.
    pub flight_of: BTreeMap<MsgId, usize>,
    /// The longest flight (for finding the messages in the air at `t`).
    pub max_flight: Time,
    pub marks: Vec<Mark>,
    /// Trace indices of the `Expect` events, in order.
    pub expects: Vec<usize>,
    /// Per monitor, when it joined (true) or left (false) the cluster: the
    /// initial monitors join at 0, an `add` joins at its time, a `remove`
    /// leaves when the removed monitor exits.
    pub presence: Vec<Vec<(Time, bool)>>,
    snapshots: Vec<(Time, Sim)>,
    pub end: Time,
    /// When the scenario's story is told: its last note or action, or its
    /// first commit if later (a plain start-up). The timeline opens on it.
    pub story: Time,
    /// The send time and protocol bit of every message that is not quiet.
    loud: Vec<(Time, u8)>,
    /// The tour's stops: each note's time and text (notes at one time are one stop).
    pub stops: Vec<(Time, String)>,
}

impl PartialEq for Model {
    /// Two models are the same run when they come from the same build.
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Model {
    pub fn build(text: &str) -> Result<Model, ParseError> {
        let scenario = scenario::parse(text)?;
        Ok(Self::run(text, scenario))
    }

    fn run(text: &str, scenario: Scenario) -> Model {
        let end = scenario.end;
        let mut sim = Sim::new(&scenario);
        let names = sim.node_names();
        let mut trace = Vec::new();
        let mut snapshots = Vec::new();
        let mut t: Time = 0;
        loop {
            sim.run_until(t);
            trace.extend(sim.take_trace());
            snapshots.push((t, sim.clone()));
            // A run stopped by its budget has nothing more to snapshot.
            if t >= end || sim.overrun().is_some() {
                break;
            }
            t = (t + SNAPSHOT_EVERY).min(end);
        }
        let Flights {
            list: flights,
            of: flight_of,
            longest: max_flight,
        } = Flights::of(&trace);
        let marks = marks(&trace, names.len());
        let presence = presence(&scenario, &names, &trace);
        let expects = trace
            .iter()
            .enumerate()
            .filter(|(_, e)| matches!(e.kind, EventKind::Expect { .. }))
            .map(|(i, _)| i)
            .collect();
        let story = marks
            .iter()
            .filter(|m| matches!(m.kind, MarkKind::Note | MarkKind::Action))
            .map(|m| m.at)
            .chain(
                marks
                    .iter()
                    .find(|m| matches!(m.kind, MarkKind::Commit(_)))
                    .map(|m| m.at),
            )
            .max()
            .unwrap_or(end);
        let mut stops: Vec<(Time, String)> = Vec::new();
        for m in marks.iter().filter(|m| m.kind == MarkKind::Note) {
            let EventKind::Note { text } = &trace[m.ev].kind else {
                continue;
            };
            match stops.last_mut() {
                Some((at, all)) if *at == m.at => {
                    all.push(' ');
                    all.push_str(text);
                }
                _ => stops.push((m.at, text.clone())),
            }
        }
        let loud = flights
            .iter()
            .filter(|f| !is_quiet(f))
            .map(|f| (f.sent, protocol_bit(f.protocol)))
            .collect();
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        Model {
            id: NEXT_ID.fetch_add(1, AtomicOrdering::Relaxed),
            text: text.to_string(),
            scenario,
            names,
            trace,
            flights,
            flight_of,
            max_flight,
            marks,
            expects,
            presence,
            snapshots,
            end,
            story,
            loud,
            stops,
        }
    }

    /// The flights drawn in the timeline window `from..=to`.
    pub fn flights_in(&self, from: Time, to: Time) -> impl Iterator<Item = &Flight> + '_ {
        monscope_core::trace::layout::in_window(&self.flights, self.max_flight, from, to)
    }

    /// The timeline's first window, from 0: the story and a little after.
    pub fn story_span(&self) -> Time {
        (self.story + self.story / 10).clamp(20 * MS, self.end.max(20 * MS))
    }

    /// The shortest flight of a message a reader follows (not quiet, not
    /// hidden) in the air at `t`: playing slows down so that it is seen.
    pub fn shortest_loud(&self, t: Time, hidden: u8) -> Option<Time> {
        self.in_flight(t, 0)
            .filter(|f| !is_quiet(f) && protocol_bit(f.protocol) & hidden == 0)
            .map(|f| f.arrive.saturating_sub(f.sent))
            .min()
    }

    /// When the next message a reader follows is sent, after `t`.
    pub fn next_loud_send(&self, t: Time, hidden: u8) -> Option<Time> {
        let next = self.loud.partition_point(|&(sent, _)| sent <= t);
        self.loud[next..]
            .iter()
            .find(|&&(_, bit)| bit & hidden == 0)
            .map(|&(sent, _)| sent)
    }

    pub fn mon_count(&self) -> usize {
        self.names.len().saturating_sub(1)
    }

    /// How many trace events happened at or before `t`.
    pub fn events_upto(&self, t: Time) -> usize {
        self.trace.partition_point(|e| e.at <= t)
    }

    /// The simulator at `t`: the nearest snapshot at or before `t`, replayed.
    pub fn sim_at(&self, t: Time) -> Sim {
        let t = t.min(self.end);
        let i = self.snapshots.partition_point(|(at, _)| *at <= t);
        let mut sim = self.snapshots[i.saturating_sub(1)].1.clone();
        sim.run_until(t);
        sim.take_trace();
        sim
    }

    /// Messages in the air at `t`, and dropped ones for `linger` after their drop.
    pub fn in_flight(&self, t: Time, linger: Time) -> impl Iterator<Item = &Flight> + '_ {
        let first = self
            .flights
            .partition_point(|f| f.sent + self.max_flight + linger < t);
        let last = self.flights.partition_point(|f| f.sent <= t);
        self.flights[first..last.max(first)]
            .iter()
            .filter(move |f| {
                if f.dropped.is_some() {
                    t <= f.end + linger
                } else {
                    t < f.end
                }
            })
    }

    /// The time of the first event after `t`.
    pub fn next_event(&self, t: Time) -> Option<Time> {
        self.trace.get(self.events_upto(t)).map(|e| e.at)
    }

    /// The time of the last event before `t`.
    pub fn prev_event(&self, t: Time) -> Option<Time> {
        let i = self.trace.partition_point(|e| e.at < t);
        i.checked_sub(1).map(|i| self.trace[i].at)
    }

    /// Whether monitor `node` is in the cluster at `t`: added and not removed.
    pub fn member_at(&self, node: NodeId, t: Time) -> bool {
        self.presence.get(node as usize).is_some_and(|p| {
            p[..p.partition_point(|&(at, _)| at <= t)]
                .last()
                .is_some_and(|&(_, present)| present)
        })
    }

    /// When monitor `node` next joins or leaves the cluster after `t`.
    pub fn next_presence_change(&self, node: NodeId, t: Time) -> Option<(Time, bool)> {
        let p = self.presence.get(node as usize)?;
        p.get(p.partition_point(|&(at, _)| at <= t)).copied()
    }

    /// The clock offset of `name` at `t` (from the scenario's `skew` lines).
    pub fn skew_at(&self, name: &str, t: Time) -> i64 {
        self.scenario
            .timed
            .iter()
            .take_while(|s| s.at <= t)
            .filter_map(|s| match &s.action {
                Action::Skew(n, off) if n == name => Some(*off),
                _ => None,
            })
            .last()
            .unwrap_or(0)
    }
}

fn presence(scenario: &Scenario, names: &[String], trace: &[Event]) -> Vec<Vec<(Time, bool)>> {
    let mons = names.len().saturating_sub(1);
    let node = |name: &str| names.iter().take(mons).position(|n| n == name);
    let mut out: Vec<Vec<(Time, bool)>> = (0..mons)
        .map(|i| {
            if i < scenario.mons.len() {
                vec![(0, true)]
            } else {
                Vec::new()
            }
        })
        .collect();
    // Removals asked for, by node: they take effect when the monitor exits.
    let mut removing: Vec<Vec<Time>> = vec![Vec::new(); mons];
    for stmt in &scenario.timed {
        match &stmt.action {
            Action::Add(name) => {
                if let Some(i) = node(name) {
                    out[i].push((stmt.at, true));
                }
            }
            Action::Remove(name) => {
                if let Some(i) = node(name) {
                    removing[i].push(stmt.at);
                }
            }
            _ => {}
        }
    }
    // Each list is in time order already: timed statements are (the parser
    // checks), and the inserts below keep it.
    for ev in trace {
        let EventKind::Status { node, status } = &ev.kind else {
            continue;
        };
        let i = *node as usize;
        let (Some(p), Some(r)) = (out.get_mut(i), removing.get_mut(i)) else {
            continue;
        };
        let present = p
            .iter()
            .take_while(|&&(at, _)| at <= ev.at)
            .last()
            .is_some_and(|&(_, b)| b);
        if status.state == MonState::Down {
            if present && r.first().is_some_and(|&at| at <= ev.at) {
                r.remove(0);
                let k = p.partition_point(|&(at, _)| at <= ev.at);
                p.insert(k, (ev.at, false));
            }
        } else if !present {
            // Running again after its removal (revived or added back).
            let k = p.partition_point(|&(at, _)| at <= ev.at);
            p.insert(k, (ev.at, true));
        }
    }
    out
}

fn marks(trace: &[Event], nodes: usize) -> Vec<Mark> {
    let mut state = vec![MonState::Down; nodes];
    let mut out = Vec::new();
    for (i, ev) in trace.iter().enumerate() {
        let (node, kind) = match &ev.kind {
            EventKind::Status { node, status } => {
                let Some(prev) = state.get_mut(*node as usize) else {
                    continue;
                };
                if *prev == status.state {
                    continue;
                }
                *prev = status.state;
                (Some(*node), MarkKind::State(status.state))
            }
            EventKind::Commit { node, version, .. } => (Some(*node), MarkKind::Commit(*version)),
            EventKind::Expect { pass, .. } => (None, MarkKind::Expect(*pass)),
            EventKind::Action { .. } => (None, MarkKind::Action),
            EventKind::Note { .. } => (None, MarkKind::Note),
            EventKind::Violation { .. } => (None, MarkKind::Violation),
            EventKind::ClientReply { .. } => (
                Some(nodes.saturating_sub(1) as NodeId),
                MarkKind::ClientReply,
            ),
            _ => continue,
        };
        out.push(Mark {
            at: ev.at,
            node,
            kind,
            ev: i,
        });
    }
    out
}

/// The playhead's simulator: kept between frames so that playing forward
/// replays only the events since the last frame.
pub struct Cursor {
    /// The model's id and its simulator at some time.
    sim: Option<(u64, Sim)>,
}

impl Default for Cursor {
    fn default() -> Self {
        Self::new()
    }
}

impl Cursor {
    pub fn new() -> Cursor {
        Cursor { sim: None }
    }

    /// The simulator of `model` at `t`.
    pub fn at(&mut self, model: &Model, t: Time) -> &Sim {
        let t = t.min(model.end);
        match &mut self.sim {
            Some((id, sim))
                if *id == model.id && sim.now() <= t && t - sim.now() < SNAPSHOT_EVERY =>
            {
                sim.run_until(t);
                sim.take_trace();
            }
            slot => *slot = Some((model.id, model.sim_at(t))),
        }
        &self
            .sim
            .get_or_insert_with(|| (model.id, model.sim_at(t)))
            .1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use monscope_core::scenario::library;
    use monscope_core::time::MIN;

    fn five_mons_ten_minutes() -> String {
        let mut text = String::from("mons a b c d e\nseed 3\nend 10m\n");
        for i in 1..=9u64 {
            text += &format!("at {}s write k{i} v{i}\n", i * 60);
            if i % 3 == 0 {
                text += &format!("at {}s kill a\nat {}s revive a\n", i * 60 + 5, i * 60 + 40);
            }
        }
        text
    }

    #[test]
    fn the_sim_at_t_matches_a_straight_run() {
        let model = Model::build(library::get("leader-failover").unwrap()).unwrap();
        for t in [0, 1_234_567, 31 * SEC, 45 * SEC + 7, model.end] {
            let straight = monscope_core::sim::run::run_until(&model.scenario, t);
            let sim = model.sim_at(t);
            for n in 0..model.mon_count() as NodeId {
                assert_eq!(sim.state().status(n), straight.state.status(n), "at {t}");
            }
            assert_eq!(model.events_upto(t), straight.trace.len(), "at {t}");
        }
    }

    #[test]
    fn the_cursor_gives_the_same_state_forwards_and_backwards() {
        let model = Model::build(library::get("client-writes").unwrap()).unwrap();
        let mut cursor = Cursor::new();
        let mut forward = Vec::new();
        let times: Vec<Time> = (0..200).map(|i| i * 150_000).collect();
        for &t in &times {
            let sim = cursor.at(&model, t);
            forward.push(
                (0..5)
                    .map(|n| sim.state().status(n).clone())
                    .collect::<Vec<_>>(),
            );
        }
        for (i, &t) in times.iter().enumerate().rev() {
            let sim = cursor.at(&model, t);
            let back: Vec<_> = (0..5).map(|n| sim.state().status(n).clone()).collect();
            assert_eq!(back, forward[i], "at {t}");
        }
    }

    #[test]
    fn flights_end_at_their_outcome() {
        let model = Model::build(library::get("classic-broken-link").unwrap()).unwrap();
        assert!(!model.flights.is_empty());
        // The cut a-b link holds its messages until TCP retransmits them.
        assert!(model
            .flights
            .iter()
            .any(|f| f.held && f.end > f.sent + 200 * SEC));
        for f in &model.flights {
            assert!(f.sent <= f.end && f.end <= f.arrive.max(f.end));
            assert!(f.progress(f.sent) == 0.0);
        }
        let t = model.flights[0].sent;
        assert!(model.in_flight(t, 0).any(|f| f.id == model.flights[0].id));
    }

    #[test]
    fn seeking_a_ten_minute_run_replays_from_the_nearest_snapshot() {
        // Seek time is measured in the e2e report, not asserted; what makes it
        // fast is that a seek replays at most SNAPSHOT_EVERY of simulated time.
        let model = Model::build(&five_mons_ten_minutes()).unwrap();
        assert_eq!(model.end, 10 * MIN);
        assert!(model
            .snapshots
            .windows(2)
            .all(|w| w[1].0 - w[0].0 <= SNAPSHOT_EVERY));
        for i in 0..50 {
            let t = (i * 7_919_993) % model.end;
            let k = model.snapshots.partition_point(|(at, _)| *at <= t) - 1;
            let from = model.snapshots[k].0;
            assert!(
                from <= t && t - from < SNAPSHOT_EVERY,
                "seek to {t} replays from {from}"
            );
            let sim = model.sim_at(t);
            assert_eq!(sim.now(), t);
            let straight = monscope_core::sim::run::run_until(&model.scenario, t);
            for n in 0..5 {
                assert_eq!(
                    sim.state().status(n),
                    straight.state.status(n),
                    "mon {n} at {t}"
                );
            }
        }
    }

    #[test]
    fn an_added_monitor_joins_and_a_removed_one_leaves() {
        let model = Model::build(library::get("add-and-remove").unwrap()).unwrap();
        let node = |n: &str| model.names.iter().position(|m| m == n).unwrap() as NodeId;
        let (a, b, d) = (node("a"), node("b"), node("d"));
        assert!(model.member_at(a, 0) && model.member_at(a, model.end));
        assert!(!model.member_at(d, 14 * SEC), "d exists before its add");
        assert!(model.member_at(d, 15 * SEC) && model.member_at(d, model.end));
        assert!(model.member_at(b, 70 * SEC), "b left before its removal");
        assert!(
            !model.member_at(b, 71 * SEC),
            "b is still a member after exiting"
        );
        let (left, present) = model.next_presence_change(b, 70 * SEC).unwrap();
        assert!(!present && left > 70 * SEC && left < 71 * SEC, "{left}");
    }
}
