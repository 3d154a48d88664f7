//! The run model: the scenario text is the source of truth. [`Model::start`]
//! parses it; [`Model::advance`] runs the simulator on in slices of wall
//! time, ahead of the playhead, keeping the trace, a trace-less `Sim`
//! snapshot every [`SNAPSHOT_EVERY`] of simulated time, and what the views
//! draw (message flights, timeline marks). The playhead then selects the
//! view: the trace prefix up to `t`, and the `Sim` at `t` (restore the
//! nearest snapshot at or before `t`, replay forward).
//!
//! Pure Rust, no browser: the native unit tests measure seeking.

use crate::packed::{EventRef, Packed, Source};
use monscope_core::mon::status::{MonState, MonStatus};
use monscope_core::scenario::{self, Action, ParseError, Scenario};
use monscope_core::sim::{Budget, Sim};
use monscope_core::time::MS;
use monscope_core::time::{Time, SEC};
use monscope_core::trace::{Event, EventKind, MsgId, NodeId};
use std::cell::{Ref, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::Arc;

/// Simulated time between two snapshots, at first.
pub const SNAPSHOT_EVERY: Time = 2 * SEC;

/// The most snapshots a run keeps: past it every other one is dropped and
/// the spacing doubles, so a long run's snapshots (each a copy of the
/// monitors' stores, about a megabyte in the one-hour bench) stay within
/// a few hundred megabytes, evenly spread.
const MAX_SNAPSHOTS: usize = 256;

/// Simulated time run between two looks at the wall clock: a few
/// milliseconds of work in a busy run (two seconds of the one-hour bench
/// took 30 ms in the page), so a slice ends close to its budget.
pub const STEP: Time = SNAPSHOT_EVERY / 16;

pub use monscope_core::trace::layout::Flight;
use monscope_core::trace::layout::{FlightList, Flights};

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

/// What a run has simulated so far, shared by every [`Model`] published
/// while it grows. Only appended to (a flight's outcome is filled in when
/// it happens), so a model that sees a prefix of it stays consistent.
struct Grown {
    /// Encoded, in blocks (src/packed.rs): decoded, the one-hour run's
    /// events took most of the page's memory.
    trace: Packed,
    flights: Flights<crate::flights::Packed>,
    marks: Vec<Mark>,
    /// Each node's state as the marks last saw it.
    mark_state: Vec<MonState>,
    expects: Vec<usize>,
    loud: Vec<(Time, u8)>,
    /// Each monitor's status before the run, and when it changed: the
    /// time and the index of its `Status` event (read from the trace when
    /// asked for: kept whole, the hour's 554,000 statuses took 95 MB).
    statuses: Vec<(MonStatus, Vec<(Time, usize)>)>,
    snapshots: Vec<(Time, Sim)>,
    /// Simulated time between two snapshots now: SNAPSHOT_EVERY, doubled
    /// at each thinning.
    snapshot_every: Time,
    /// Snapshots thinned out, freed one a step: freeing a hundred at once
    /// (each the stores' thousands of allocations) took 300 ms in the page.
    thinned: Vec<Sim>,
    /// Wall milliseconds simulated since the last snapshot, and what the
    /// last snapshot cost (see [`Model::advance`]).
    since_snapshot_ms: f64,
    snapshot_ms: f64,
    /// How far the page's own simulator has run.
    simulated: Option<Time>,
    /// The page's own simulator, until its run is over.
    sim: Option<Sim>,
    /// The trace holds every event at or before this time.
    traced: Time,
    /// The trace is the whole run.
    complete: bool,
    /// Events the page's simulator has produced, and events a worker has
    /// sent ([`Model::feed`]): both produce the same trace, and each event
    /// is kept from whichever gets to it first.
    local_events: usize,
    received: usize,
}

impl Grown {
    /// Keep event number `i` of a source in `fresh` (the events after the
    /// trace's, folded and then appended), unless the trace has it already
    /// (or is missing some before it: the other source fills those).
    fn keep(&self, i: usize, ev: Event, fresh: &mut Vec<Event>) {
        if i == self.trace.len() + fresh.len() {
            fresh.push(ev);
        }
    }

    /// A source has produced `count` events, all those up to `at`.
    fn reached(&mut self, count: usize, at: Time) {
        if count <= self.trace.len() {
            self.traced = self.traced.max(at);
        }
    }

    /// Run the page's simulator on, STEP at a time, until `until` or
    /// `budget_ms` of wall time since `started` is spent (at least one
    /// step), keeping its events the trace lacks (in `fresh`) and its
    /// snapshots.
    fn run_local(
        &mut self,
        end: Time,
        until: Time,
        started: f64,
        budget_ms: f64,
        fresh: &mut Vec<Event>,
    ) {
        while let Some(sim) = &mut self.sim {
            let t = match self.simulated {
                None => 0,
                Some(at) if at >= until => return,
                Some(at) => ((at / STEP + 1) * STEP).min(until).min(end),
            };
            let step = wall_ms();
            sim.run_until(t);
            let events = sim.take_trace();
            let over = t >= end || sim.overrun().is_some();
            for ev in events {
                self.keep(self.local_events, ev, fresh);
                self.local_events += 1;
            }
            if self.local_events <= self.trace.len() + fresh.len() {
                self.traced = self.traced.max(t);
            }
            self.simulated = Some(t);
            self.since_snapshot_ms += wall_ms() - step;
            self.snapshot(t, over);
            drop(self.thinned.pop());
            // A run stopped by its budget has nothing more to simulate.
            if over {
                self.sim = None;
                if self.local_events <= self.trace.len() + fresh.len() {
                    self.complete = true;
                }
            }
            if wall_ms() - started >= budget_ms {
                break;
            }
        }
    }

    /// A snapshot (at a multiple of SNAPSHOT_EVERY) costs more as the
    /// monitors' stores grow (the properties' history is shared, see
    /// monscope_core::trace::chunked): one is taken when the time simulated
    /// since the last is nine times what that one cost, so snapshots take at
    /// most a tenth of the time.
    fn snapshot(&mut self, t: Time, over: bool) {
        let Some(sim) = &self.sim else { return };
        let due = t.is_multiple_of(self.snapshot_every)
            && self.since_snapshot_ms >= 9.0 * self.snapshot_ms;
        if !(self.snapshots.is_empty() || over || due) {
            return;
        }
        let clone = wall_ms();
        self.snapshots.push((t, sim.clone()));
        self.snapshot_ms = wall_ms() - clone;
        self.since_snapshot_ms = 0.0;
        if self.snapshots.len() > MAX_SNAPSHOTS {
            self.snapshot_every *= 2;
            let every = self.snapshot_every;
            let all = std::mem::take(&mut self.snapshots);
            for (at, sim) in all {
                if at % every == 0 || at == t {
                    self.snapshots.push((at, sim));
                } else {
                    self.thinned.push(sim);
                }
            }
        }
    }
}

/// A parsed scenario and as much of its run as has been simulated: the
/// page shows the first seconds at once and the simulation goes on ahead
/// of the playhead in slices ([`Model::advance`]), each published as a new
/// `Model` that shares the run's data.
#[derive(Clone)]
pub struct Model {
    /// Unique per run, so a [`Cursor`] knows when its run changed.
    pub id: u64,
    /// The text and its scenario, shared by every model of the run.
    pub text: Rc<String>,
    pub scenario: Arc<Scenario>,
    /// Monitors in rank order, then "client".
    pub names: Vec<String>,
    grown: Rc<RefCell<Grown>>,
    /// How much of `grown` this model sees.
    events: usize,
    flight_count: usize,
    mark_count: usize,
    expect_count: usize,
    loud_count: usize,
    /// The longest flight (for finding the messages in the air at `t`).
    pub max_flight: Time,
    /// Per monitor, when it joined (true) or left (false) the cluster: the
    /// initial monitors join at 0, an `add` joins at its time, a `remove`
    /// leaves when the removed monitor exits.
    pub presence: Vec<Presence>,
    /// The scenario's end.
    pub end: Time,
    /// How far it has been simulated: `end` once the run is over.
    pub ready: Time,
    /// The last note or action so far.
    told: Option<Time>,
    /// The last note or action the scenario plans (a timed statement other
    /// than an expectation, at or before its end; 0 if none): the story's
    /// end before the run gets there.
    planned: Time,
    /// The first commit, once there is one.
    first_commit: Option<Time>,
    /// Removals asked for and not yet taken effect, by monitor.
    removing: Vec<Vec<Time>>,
    /// The tour's stops: each note's time and text (notes at one time are one stop).
    pub stops: Vec<(Time, String)>,
    /// Why the run was stopped short of its end, if its budget stopped it
    /// (a runaway scenario: "stopped at 0.5s: 1.2 M events in one second
    /// ..."); the page says so above the ring.
    pub overrun: Option<Rc<str>>,
    /// An imported history ([`Model::imported`]): its label, "imported
    /// from logs: FILES, FROM – TO". No simulator runs it.
    pub imported: Option<Rc<String>>,
    /// The scenario cuts a link somewhere (see [`Model::cuts_links`]):
    /// looked up once, not through the hour's 36,000 statements a render.
    cuts: bool,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Model {} ready {}", self.id, self.ready)
    }
}

impl PartialEq for Model {
    /// Two models are the same when they show the same part of one run.
    fn eq(&self, other: &Self) -> bool {
        (self.id, self.events, self.ready) == (other.id, other.events, other.ready)
    }
}

/// The wall clock, in milliseconds, that bounds a slice of simulation.
#[cfg(target_arch = "wasm32")]
pub fn wall_ms() -> f64 {
    js_sys::Date::now()
}
#[cfg(not(target_arch = "wasm32"))]
pub fn wall_ms() -> f64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

impl Model {
    /// Parse `text` and run it to its end (the whole run the native
    /// tests use).
    #[cfg(test)]
    pub fn build(text: &str) -> Result<Model, ParseError> {
        let mut m = Self::start(text)?;
        while !m.done() {
            m = m.advance(f64::INFINITY);
        }
        Ok(m)
    }

    /// Parse `text` and set its run up, nothing simulated yet.
    pub fn start(text: &str) -> Result<Model, ParseError> {
        Ok(Self::of(text, Arc::new(scenario::parse(text)?)))
    }

    /// The run of `scenario`, parsed from `text`, nothing simulated yet.
    pub fn of(text: &str, scenario: Arc<Scenario>) -> Model {
        let sim = Sim::shared(scenario.clone(), Budget::DEFAULT);
        let names = sim.node_names();
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let grown = Grown {
            trace: Packed::default(),
            flights: Flights::default(),
            marks: Vec::new(),
            mark_state: vec![MonState::Down; names.len()],
            expects: Vec::new(),
            loud: Vec::new(),
            statuses: (0..names.len().saturating_sub(1) as NodeId)
                .map(|n| (sim.state().status(n).clone(), Vec::new()))
                .collect(),
            snapshots: Vec::new(),
            snapshot_every: SNAPSHOT_EVERY,
            thinned: Vec::new(),
            since_snapshot_ms: 0.0,
            snapshot_ms: 0.0,
            simulated: None,
            sim: Some(sim),
            traced: 0,
            complete: false,
            local_events: 0,
            received: 0,
        };
        let (presence, removing) = presence_planned(&scenario, &names);
        // In time order: the last is found at once, even in the hour's 36,000.
        let planned = scenario
            .timed
            .iter()
            .rev()
            .find(|s| s.at <= scenario.end && !matches!(s.action, Action::Expect(_)))
            .map_or(0, |s| s.at);
        let cuts = scenario.timed.iter().any(|s| {
            matches!(
                s.action,
                Action::Cut { .. } | Action::Isolate(_) | Action::Partition(_)
            )
        });
        Model {
            id: NEXT_ID.fetch_add(1, AtomicOrdering::Relaxed),
            text: Rc::new(text.to_string()),
            end: scenario.end,
            scenario,
            names,
            grown: Rc::new(RefCell::new(grown)),
            events: 0,
            flight_count: 0,
            mark_count: 0,
            expect_count: 0,
            loud_count: 0,
            max_flight: 0,
            presence,
            removing,
            ready: 0,
            told: None,
            planned,
            first_commit: None,
            stops: Vec::new(),
            overrun: None,
            imported: None,
            cuts,
        }
    }

    /// The model of an imported history (`monscope import --json`, read by
    /// [`crate::imported::read`] in the Import page's module): the views draw its trace as they draw a
    /// simulated run's. `scenario` is the inferred one, the editor's text:
    /// editing it (or acting on the cluster) replays it in the simulator.
    pub fn imported(imp: crate::imported::Imported, scenario: &str) -> Result<Model, String> {
        let mons = &imp.nodes[..imp.nodes.len() - 1];
        // The inferred scenario when it is one of these monitors, else theirs.
        let text = match Self::start(scenario) {
            Ok(m) if m.names == imp.nodes => scenario.to_string(),
            _ => format!("mons {}\n", mons.join(" ")),
        };
        let mut m = Self::start(&text).map_err(|e| e.to_string())?;
        m.end = imp.end;
        m.imported = Some(Rc::new(imp.label));
        m.presence = vec![vec![(0, true)]; mons.len()];
        m.removing = vec![Vec::new(); mons.len()];
        let grown = m.grown.clone();
        let mut g = grown.borrow_mut();
        g.sim = None;
        g.complete = true;
        g.trace = Packed::default();
        // Before its first line a monitor is not running yet.
        g.statuses = (0..mons.len())
            .map(|n| (MonStatus::down(n as _), Vec::new()))
            .collect();
        m.fold(&mut g, imp.trace, &imp.sends);
        m.catch_up(&g);
        drop(g);
        Ok(m)
    }

    /// Whether the whole run has been simulated.
    pub fn done(&self) -> bool {
        self.ready >= self.end
    }

    /// Simulate on, STEP at a time, until `budget_ms` of wall
    /// time is spent (at least one step) or the run is over; the model
    /// that shows the run so far. The page calls it between frames, so a
    /// long run never blocks it. Where a worker simulates the run
    /// ([`Model::feed`]), this runs the page's own simulator for the views
    /// that read one, and the trace grows from whichever is ahead.
    pub fn advance(&self, budget_ms: f64) -> Model {
        let started = wall_ms();
        let mut g = self.grown.borrow_mut();
        let g = &mut *g;
        let mut next = self.clone();
        if !g.complete {
            let mut fresh = Vec::new();
            g.run_local(self.end, self.end, started, budget_ms, &mut fresh);
            next.fold(g, fresh, &[]);
        }
        next.catch_up(g);
        next
    }

    /// Events a worker simulated, the next ones it sent (in order, from the
    /// run's first), decoded from `source` (kept as they were encoded when
    /// the trace has none of them yet); `upto`: it has sent every event up
    /// to then; `done`: the whole run. The model that shows the run so far.
    pub fn feed(
        &self,
        events: Vec<Event>,
        source: Option<Source>,
        upto: Option<Time>,
        done: bool,
    ) -> Model {
        let mut g = self.grown.borrow_mut();
        let g = &mut *g;
        let mut next = self.clone();
        match source {
            Some(source) if g.received == g.trace.len() && !events.is_empty() => {
                g.received += events.len();
                let first = g.trace.len();
                next.fold_events(g, first, &events, &[]);
                g.trace.push_block(events, source);
            }
            _ => {
                let mut fresh = Vec::new();
                for ev in events {
                    g.keep(g.received, ev, &mut fresh);
                    g.received += 1;
                }
                next.fold(g, fresh, &[]);
            }
        }
        if let Some(at) = upto {
            g.reached(g.received, at);
        }
        if done && g.received <= g.trace.len() {
            g.complete = true;
        }
        next.catch_up(g);
        next
    }

    /// Whether the page's own simulator has more to run.
    pub fn simulating(&self) -> bool {
        self.grown.borrow().sim.is_some()
    }

    /// Derive what the views draw from `fresh`, the events after the
    /// trace's, then append them to it.
    /// `sends`: the flights an imported history's arrows start, in order.
    fn fold(&mut self, g: &mut Grown, fresh: Vec<Event>, sends: &[Flight]) {
        let first = g.trace.len();
        self.fold_events(g, first, &fresh, sends);
        for ev in fresh {
            g.trace.push(ev);
        }
    }

    /// Derive what the views draw from `events`, numbered from `first`
    /// (the trace's length): the run's shared part, and this model's own
    /// when it has seen every event before them.
    fn fold_events(&mut self, g: &mut Grown, first: usize, events: &[Event], sends: &[Flight]) {
        if self.events == first {
            self.fold_model(events.iter());
            self.events = first + events.len();
        }
        fold_shared(g, self.names.len(), first, events, sends);
    }
}

/// Fold `events`, numbered from `first`, into the run's shared part.
fn fold_shared(g: &mut Grown, nodes: usize, first: usize, events: &[Event], mut sends: &[Flight]) {
    let Grown {
        flights,
        marks,
        mark_state,
        expects,
        loud,
        statuses,
        ..
    } = g;
    for (i, ev) in (first..).zip(events) {
        let started = match sends.first().filter(|f| f.ev == i) {
            Some(f) => {
                sends = &sends[1..];
                Some(flights.start(f.clone()))
            }
            None => flights.push(i, ev),
        };
        if let Some(f) = started.filter(|f| !is_quiet(f)) {
            loud.push((f.sent, protocol_bit(f.protocol)));
        }
        match &ev.kind {
            EventKind::Expect { .. } => expects.push(i),
            EventKind::Status { node, .. } => {
                if let Some((_, s)) = statuses.get_mut(*node as usize) {
                    s.push((ev.at, i));
                }
            }
            _ => {}
        }
        if let Some(m) = mark(ev, i, nodes, mark_state) {
            marks.push(m);
        }
    }
}

impl Model {
    /// Derive this model's own part (its stops, who is in the cluster, when
    /// the story is told) from `events`, the next it has not seen.
    fn fold_model<'e>(&mut self, events: impl Iterator<Item = &'e Event>) {
        for ev in events {
            match &ev.kind {
                EventKind::Note { text } => {
                    match self.stops.last_mut() {
                        Some((at, all)) if *at == ev.at => {
                            all.push(' ');
                            all.push_str(text);
                        }
                        _ => self.stops.push((ev.at, text.to_string())),
                    }
                    self.told = Some(self.told.map_or(ev.at, |t| t.max(ev.at)));
                }
                EventKind::Action { .. } => {
                    self.told = Some(self.told.map_or(ev.at, |t| t.max(ev.at)));
                }
                EventKind::Commit { .. } if self.first_commit.is_none() => {
                    self.first_commit = Some(ev.at);
                }
                // A run its budget stopped ends where it stopped: the
                // scrubber and the clock show what was simulated, not the
                // scenario's `end` (Sim::run_until emits Overrun last).
                EventKind::Overrun { text } => {
                    self.overrun = Some((**text).into());
                    self.end = self.end.min(ev.at);
                }
                EventKind::Status { node, status } => presence_change(
                    &mut self.presence,
                    &mut self.removing,
                    ev.at,
                    *node,
                    status.state,
                ),
                _ => {}
            }
        }
    }

    /// See everything simulated so far.
    fn catch_up(&mut self, g: &Grown) {
        // Events another model folded (decoded again: rare).
        for i in self.events..g.trace.len() {
            if let Some(ev) = g.trace.get(i) {
                self.fold_model(std::iter::once(&*ev));
            }
        }
        self.events = g.trace.len();
        self.flight_count = g.flights.list.count();
        self.max_flight = g.flights.longest;
        self.mark_count = g.marks.len();
        self.expect_count = g.expects.len();
        self.loud_count = g.loud.len();
        self.ready = if g.complete {
            self.end
        } else {
            g.traced.min(self.end)
        };
    }

    /// Monitor `node`'s status at `t` (at most `ready`), from the trace:
    /// the view of the ring needs no simulator.
    pub fn status_at(&self, node: NodeId, t: Time) -> Option<MonStatus> {
        let t = t.min(self.ready);
        let g = self.grown.borrow();
        let (before, changes) = g.statuses.get(node as usize)?;
        let i = changes.partition_point(|(at, _)| *at <= t);
        let Some(&(_, ev)) = i.checked_sub(1).and_then(|i| changes.get(i)) else {
            return Some(before.clone());
        };
        match &g.trace.get(ev)?.kind {
            EventKind::Status { status, .. } => Some((**status).clone()),
            _ => None,
        }
    }

    /// Whether the scenario ever cuts a link: if not, no view needs the
    /// simulator to know there are none.
    pub fn cuts_links(&self) -> bool {
        self.imported.is_none() && self.cuts
    }

    /// The trace simulated so far.
    pub fn trace(&self) -> Trace<'_> {
        Trace {
            events: Ref::map(self.grown.borrow(), |g| &g.trace),
            len: self.events,
        }
    }

    /// Every message's flight so far, in send order (src/flights.rs).
    pub fn flights(&self) -> crate::flights::View<'_> {
        crate::flights::View {
            list: Ref::map(self.grown.borrow(), |g| &g.flights.list),
            len: self.flight_count,
        }
    }

    /// The flight of message `id`.
    pub fn flight(&self, id: MsgId) -> Option<Flight> {
        let g = self.grown.borrow();
        let i = *g.flights.of.get(&id)?;
        (i < self.flight_count)
            .then(|| g.flights.list.get(i))
            .flatten()
    }

    /// The timeline's marks so far, in time order.
    pub fn marks(&self) -> Ref<'_, [Mark]> {
        Ref::map(self.grown.borrow(), |g| &g.marks[..self.mark_count])
    }

    /// Trace indices of the `Expect` events, in order.
    pub fn expects(&self) -> Ref<'_, [usize]> {
        Ref::map(self.grown.borrow(), |g| &g.expects[..self.expect_count])
    }

    /// When the scenario's story is told: its last note or action, or its
    /// first commit if later (a plain start-up). The timeline opens on it.
    pub fn story(&self) -> Time {
        // An imported history's story is all of it.
        if self.imported.is_some() {
            return self.end;
        }
        // Until the run is past it, the last note or action the scenario
        // plans counts as told: the page's first render has simulated only
        // the start, and its window then opened on 20 ms (the start's
        // story), to widen at the worker's first batch.
        // (What the run has told so far is before it.)
        let told = match self.ready < self.planned {
            true => Some(self.planned),
            false => self.told,
        };
        match (told, self.first_commit) {
            (None, None) => self.end,
            (a, b) => a.max(b).unwrap_or(self.end),
        }
    }

    /// The timeline's first window, from 0: the story and a little after.
    pub fn story_span(&self) -> Time {
        let story = self.story();
        (story + story / 10).clamp(20 * MS, self.end.max(20 * MS))
    }

    /// The shortest flight of a message a reader follows (not quiet, not
    /// hidden) in the air at `t`: playing slows down so that it is seen.
    pub fn shortest_loud(&self, t: Time, hidden: u8) -> Option<Time> {
        self.air(&self.flights(), t, 0)
            .filter(|f| !is_quiet(f) && protocol_bit(f.protocol) & hidden == 0)
            .map(|f| f.arrive.saturating_sub(f.sent))
            .min()
    }

    /// When the next message a reader follows is sent, after `t`.
    pub fn next_loud_send(&self, t: Time, hidden: u8) -> Option<Time> {
        let g = self.grown.borrow();
        let loud = &g.loud[..self.loud_count];
        let next = loud.partition_point(|&(sent, _)| sent <= t);
        loud[next..]
            .iter()
            .find(|&&(_, bit)| bit & hidden == 0)
            .map(|&(sent, _)| sent)
    }

    pub fn mon_count(&self) -> usize {
        self.names.len().saturating_sub(1)
    }

    /// How many trace events happened at or before `t`.
    pub fn events_upto(&self, t: Time) -> usize {
        self.trace().partition_point_at(|at| at <= t)
    }

    /// Whether [`Model::sim_at`] has a snapshot near `t` (at most `ready`):
    /// the page's own simulator has run there, or its run is over.
    pub fn simulated_to(&self, t: Time) -> bool {
        let g = self.grown.borrow();
        g.sim.is_none() || g.simulated.is_some_and(|at| at >= t.min(self.ready))
    }

    /// The simulator at `t` (at most `ready`): the nearest snapshot at or
    /// before `t`, replayed.
    pub fn sim_at(&self, t: Time) -> Sim {
        let t = t.min(self.ready);
        // The trace came from a worker: the page's simulator runs on to `t`
        // (its events are in the trace already), leaving snapshots on its
        // way. Only a shortcut: a replay from an earlier snapshot is the same.
        let behind = {
            let g = self.grown.borrow();
            g.sim.is_some() && g.simulated.is_none_or(|at| at < t)
        };
        if let (true, Ok(mut g)) = (behind, self.grown.try_borrow_mut()) {
            let mut fresh = Vec::new();
            g.run_local(self.end, t, wall_ms(), f64::INFINITY, &mut fresh);
            let first = g.trace.len();
            fold_shared(&mut g, self.names.len(), first, &fresh, &[]);
            for ev in fresh {
                g.trace.push(ev);
            }
        }
        let mut sim = {
            let g = self.grown.borrow();
            // Any snapshot at or before `t` (at most `ready`) is this
            // run's state then, whichever model took it.
            let snaps = &g.snapshots;
            let i = snaps.partition_point(|(at, _)| *at <= t);
            match snaps.get(i.saturating_sub(1)) {
                Some((_, sim)) => sim.clone(),
                // An imported history has no simulator: its scenario's
                // start, not run (no view of it reads one).
                None => return Sim::shared(self.scenario.clone(), Budget::DEFAULT),
            }
        };
        sim.run_until(t);
        sim.take_trace();
        sim
    }

    /// Messages in the air at `t`, and dropped ones for `linger` after their drop.
    pub fn in_flight(&self, t: Time, linger: Time) -> Vec<Flight> {
        self.air(&self.flights(), t, linger).collect()
    }

    /// [`Model::in_flight`] in `flights` (the model's [`Model::flights`]),
    /// not collected: what a frame reads.
    pub fn air<'a>(
        &self,
        flights: &'a crate::flights::View<'_>,
        t: Time,
        linger: Time,
    ) -> impl Iterator<Item = Flight> + 'a {
        let first = flights.partition_point_sent(|sent| sent + self.max_flight + linger < t);
        let last = flights.partition_point_sent(|sent| sent <= t);
        flights.range(first, last.max(first)).filter(move |f| {
            if f.dropped.is_some() {
                t <= f.end + linger
            } else {
                t < f.end
            }
        })
    }

    /// The time of the first event after `t`.
    pub fn next_event(&self, t: Time) -> Option<Time> {
        let trace = self.trace();
        trace
            .get(trace.partition_point_at(|at| at <= t))
            .map(|e| e.at)
    }

    /// The time of the last event before `t`.
    pub fn prev_event(&self, t: Time) -> Option<Time> {
        let trace = self.trace();
        let i = trace.partition_point_at(|at| at < t);
        i.checked_sub(1).and_then(|i| trace.get(i)).map(|e| e.at)
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

/// The first `len` events of a run's trace: what one [`Model`] sees,
/// decoded a block at a time as they are read (src/packed.rs).
pub struct Trace<'a> {
    events: Ref<'a, Packed>,
    len: usize,
}

impl Trace<'_> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn get(&self, i: usize) -> Option<EventRef> {
        self.events.get(i).filter(|_| i < self.len)
    }

    /// Events `from..to` (`to` at most the length).
    pub fn range(
        &self,
        from: usize,
        to: usize,
    ) -> impl DoubleEndedIterator<Item = EventRef> + ExactSizeIterator + '_ {
        let to = to.min(self.len);
        let events: &Packed = &self.events;
        // A block decodes as it did when it was kept.
        (from.min(to)..to).map(move |i| events.get(i).expect("an event the model sees"))
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = EventRef> + ExactSizeIterator + '_ {
        self.range(0, self.len)
    }

    /// The first index whose event's time does not satisfy `pred`, for
    /// events partitioned by it (as [`slice::partition_point`]).
    pub fn partition_point_at(&self, pred: impl Fn(Time) -> bool) -> usize {
        self.events.partition_point_at(pred).min(self.len)
    }

    /// Events `from..to` to `f` with their index, for a reader that goes
    /// through the whole trace (the IndexedDB journal's catch-up): each block
    /// decoded once, the views' cached blocks left as they are (src/packed.rs).
    pub fn each(&self, from: usize, to: usize, f: impl FnMut(usize, &Event)) {
        self.events.each(from, to.min(self.len), f)
    }

    /// The time of event `i`, read as [`Trace::each`] reads.
    pub fn time_of(&self, i: usize) -> Option<Time> {
        self.events.time_of(i).filter(|_| i < self.len)
    }

    /// Event `i`, copied out of its block.
    pub fn event(&self, i: usize) -> Option<Event> {
        self.get(i).map(|e| (*e).clone())
    }

    #[cfg(test)]
    pub fn to_vec(&self) -> Vec<Event> {
        self.iter().map(|e| (*e).clone()).collect()
    }
}

/// A monitor's joins (true) and leaves (false), in time order.
pub type Presence = Vec<(Time, bool)>;

/// Who is in the cluster before anything ran: the initial monitors from 0,
/// an added one from its `add`; and each monitor's removals asked for.
fn presence_planned(scenario: &Scenario, names: &[String]) -> (Vec<Presence>, Vec<Vec<Time>>) {
    let mons = names.len().saturating_sub(1);
    let node = |name: &str| names.iter().take(mons).position(|n| n == name);
    let mut out: Vec<Presence> = (0..mons)
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
    (out, removing)
}

/// A monitor's status changed at `at`: a removed one leaves when it exits,
/// one running again after its removal (revived or added back) rejoins.
/// Each list stays in time order: timed statements are (the parser checks),
/// and the inserts keep it.
fn presence_change(
    out: &mut [Presence],
    removing: &mut [Vec<Time>],
    at: Time,
    node: NodeId,
    state: MonState,
) {
    let i = node as usize;
    let (Some(p), Some(r)) = (out.get_mut(i), removing.get_mut(i)) else {
        return;
    };
    let present = p
        .iter()
        .take_while(|&&(t, _)| t <= at)
        .last()
        .is_some_and(|&(_, b)| b);
    if state == MonState::Down {
        if present && r.first().is_some_and(|&t| t <= at) {
            r.remove(0);
            let k = p.partition_point(|&(t, _)| t <= at);
            p.insert(k, (at, false));
        }
    } else if !present {
        let k = p.partition_point(|&(t, _)| t <= at);
        p.insert(k, (at, true));
    }
}

/// The timeline mark of event `i`, if it makes one; `state` is each node's
/// state as the marks before it left it.
fn mark(ev: &Event, i: usize, nodes: usize, state: &mut [MonState]) -> Option<Mark> {
    let (node, kind) = match &ev.kind {
        EventKind::Status { node, status } => {
            let prev = state.get_mut(*node as usize)?;
            if *prev == status.state {
                return None;
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
        _ => return None,
    };
    Some(Mark {
        at: ev.at,
        node,
        kind,
        ev: i,
    })
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
        let t = t.min(model.ready);
        match &mut self.sim {
            Some((id, sim))
                if *id == model.id
                    && (model.imported.is_some()
                        || sim.now() <= t && t - sim.now() < SNAPSHOT_EVERY) =>
            {
                if model.imported.is_none() {
                    sim.run_until(t);
                    sim.take_trace();
                }
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

    #[test]
    fn a_runaway_run_says_what_its_budget_stopped_simulated_here_or_fed() {
        // A tick every microsecond: a timer storm in the first second.
        let text = "mons a b c\nset mon_tick_interval 0.000001\nend 1m\n";
        let here = Model::build(text).unwrap();
        let why = here.overrun.clone().expect("the budget stopped it");
        assert!(why.starts_with("stopped at 0.") && why.contains("events in one second"));
        assert!(here.done());
        // The run ends where it stopped, not at the scenario's minute.
        let scenario = monscope_core::scenario::parse(text).unwrap();
        let trace = monscope_core::sim::run::run_until(&scenario, u64::MAX)
            .trace
            .to_vec();
        let stopped_at = trace
            .iter()
            .find(|ev| matches!(ev.kind, EventKind::Overrun { .. }))
            .map(|ev| ev.at)
            .expect("an Overrun event");
        assert!(stopped_at < SEC);
        assert_eq!((here.end, here.ready), (stopped_at, stopped_at));
        // As the worker's run is fed to the page.
        let fed = Model::start(text).unwrap().feed(trace, None, None, true);
        assert_eq!(fed.overrun, Some(why));
        assert_eq!((fed.end, fed.ready), (stopped_at, stopped_at));
        // A run that ends well says nothing.
        assert_eq!(Model::build("mons a b c\nend 5s\n").unwrap().overrun, None);
    }

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
                // The ring's status, read from the trace, is the simulator's.
                assert_eq!(
                    model.status_at(n, t).as_ref(),
                    Some(straight.state.status(n)),
                    "at {t}"
                );
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

    /// The page's first render simulates only the start (state.rs:
    /// FIRST_SLICE_MS): its ring at 0 is the whole run's, for every built-in.
    #[test]
    fn the_start_alone_shows_the_whole_runs_ring_at_0() {
        for (stem, text) in library::BUILTIN {
            let whole = Model::build(text).unwrap();
            let start = Model::start(text).unwrap().advance(0.0);
            assert_eq!(start.ready, 0, "{stem}");
            for i in 0..whole.mon_count() as NodeId {
                assert_eq!(
                    start.status_at(i, 0),
                    whole.status_at(i, 0),
                    "{stem} mon {i}"
                );
                assert_eq!(
                    start.member_at(i, 0),
                    whole.member_at(i, 0),
                    "{stem} mon {i}"
                );
            }
        }
    }

    /// The timeline's first window (the page's first render: the start
    /// alone) is the whole run's story window, for every built-in: it does
    /// not open on the start's 20 ms and widen at the worker's first batch.
    #[test]
    fn the_start_alone_opens_on_the_whole_runs_story() {
        for (stem, text) in library::BUILTIN {
            let whole = Model::build(text).unwrap();
            let start = Model::start(text).unwrap().advance(0.0);
            assert_eq!(start.story_span(), whole.story_span(), "{stem}");
        }
        // A plain start-up plans nothing after its start: its story is its
        // first commit, which only the run tells.
        let plain = Model::start("mons a b c\n").unwrap().advance(0.0);
        assert_eq!(plain.story(), 0);
    }

    #[test]
    fn a_run_simulated_in_slices_is_the_run_simulated_whole() {
        let text = library::get("leader-failover").unwrap();
        let whole = Model::build(text).unwrap();
        let mut m = Model::start(text).unwrap();
        let mut readies = Vec::new();
        while !m.done() {
            // The slowest machine: one snapshot interval per slice.
            m = m.advance(0.0);
            readies.push(m.ready);
        }
        assert!(readies.len() > 10 && readies.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(m.trace().to_vec(), whole.trace().to_vec());
        assert_eq!(m.flights().to_vec(), whole.flights().to_vec());
        assert_eq!(*m.marks(), *whole.marks());
        assert_eq!(*m.expects(), *whole.expects());
        assert_eq!(
            (&m.presence, &m.stops, m.story(), m.max_flight),
            (
                &whole.presence,
                &whole.stops,
                whole.story(),
                whole.max_flight
            )
        );
        // A model published earlier still sees only its part of the run,
        // and the simulator at any time within it.
        let early = Model::start(text).unwrap().advance(0.0).advance(0.0);
        let _later = early.advance(0.0).advance(0.0);
        assert_eq!(early.ready, STEP, "the first slice is the start, at 0");
        assert!(early.trace().iter().all(|e| e.at <= early.ready));
        assert_eq!(early.sim_at(Time::MAX).now(), early.ready);
    }

    #[test]
    fn flights_end_at_their_outcome() {
        let model = Model::build(library::get("classic-broken-link").unwrap()).unwrap();
        let flights = model.flights().to_vec();
        assert!(!flights.is_empty());
        // The cut a-b link holds its messages until TCP retransmits them.
        assert!(flights.iter().any(|f| f.held && f.end > f.sent + 200 * SEC));
        for f in flights.iter() {
            assert!(f.sent <= f.end && f.end <= f.arrive.max(f.end));
            assert!(f.progress(f.sent) == 0.0);
        }
        let t = flights[0].sent;
        assert!(model.in_flight(t, 0).iter().any(|f| f.id == flights[0].id));
    }

    #[test]
    fn seeking_a_ten_minute_run_replays_from_the_nearest_snapshot() {
        // Seek time is measured in the e2e report, not asserted. Snapshots
        // are taken as often as their cost allows (Model::advance): at most
        // SNAPSHOT_EVERY apart while they are cheap, sparser as the state
        // grows, and thinned to MAX_SNAPSHOTS (ten minutes are 300 at 2 s).
        let model = Model::build(&five_mons_ten_minutes()).unwrap();
        assert_eq!(model.end, 10 * MIN);
        let snapshots: Vec<Time> = model
            .grown
            .borrow()
            .snapshots
            .iter()
            .map(|(at, _)| *at)
            .collect();
        assert!(snapshots.len() > 1 && snapshots[0] == 0);
        assert!(snapshots.len() <= MAX_SNAPSHOTS, "{}", snapshots.len());
        assert!(snapshots
            .windows(2)
            .all(|w| w[1] > w[0] && w[1] % SNAPSHOT_EVERY == 0));
        for i in 0..50 {
            let t = (i * 7_919_993) % model.end;
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

#[cfg(test)]
mod imported_tests {
    use super::*;
    use monscope_core::import::scenario::infer;

    /// The failover fixture (real ceph-mon 16.2.15 logs) as the Import page
    /// hands it to the playground: `monscope import --json` and the scenario.
    fn failover() -> (monscope_core::import::Import, Model) {
        let (imp, text) = crate::imported::tests::failover_fixture();
        // As the page gets it: read by the Import page's module, handed over encoded.
        let read = crate::imported::read(&text).unwrap();
        let read = crate::imported::decode(&crate::imported::encode(&read)).unwrap();
        let model = Model::imported(read, &infer(&imp)).unwrap();
        (imp, model)
    }

    #[test]
    fn an_imported_history_shows_who_led_as_the_logs_say() {
        let (imp, model) = failover();
        assert!(model.done() && model.imported.as_ref().unwrap().contains("mon.a.log"));
        assert_eq!(model.names[..3], imp.nodes[..]);
        let leader = |t| model.status_at(1, t).and_then(|s| s.leader.clone());
        // The real run: a leads from 5.7s, is killed at 6s; b leads by 27s;
        // a again by 38s.
        assert_eq!(leader(6 * SEC).as_deref(), Some("a"));
        assert_eq!(leader(27 * SEC).as_deref(), Some("b"));
        assert_eq!(leader(38 * SEC).as_deref(), Some("a"));
        assert_eq!(
            model.status_at(0, 20 * SEC).map(|s| s.state),
            Some(MonState::Down)
        );
        // Every arrow is the import's, with the simulator's protocol and op names.
        let theirs = Flights::of(&imp.trace).list;
        let ours = model.flights().to_vec();
        assert_eq!(ours.len(), theirs.len());
        for (a, b) in ours.iter().zip(&theirs) {
            assert_eq!(
                (a.id, a.from, a.to, a.sent, a.end, a.protocol, a.op),
                (b.id, b.from, b.to, b.sent, b.end, b.protocol, b.op)
            );
        }
        assert!(!model.cuts_links());
        // Seeking into it never needs a simulator run: the model of its scenario's start.
        assert_eq!(model.sim_at(30 * SEC).now(), 0);
    }

    #[test]
    fn a_trace_that_is_not_imported_logs_is_refused() {
        let run = Model::build("mons a b\nend 2s\n").unwrap();
        let text = monscope_core::trace::json::json_lines(&run.trace().to_vec());
        assert!(crate::imported::read(&text).is_err());
    }
}
