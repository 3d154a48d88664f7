//! The deterministic simulator. It alone owns time (integer microseconds) and
//! chance (one seeded PCG32). Events are totally ordered by (time, sequence);
//! at any instant, simulation events come before the scenario statements of
//! that instant, and statements run in file order. Same scenario, same trace,
//! natively and in wasm.

pub mod budget;
pub mod network;
mod outbox;
mod queue;
pub mod rng;
pub mod run;
mod status_pool;
pub mod tcp;
mod timers;
pub mod weight;

pub use budget::{Budget, Overrun};
pub use run::{run, Run};

use crate::mon::client::{Client, ClientTimers, Conn};
use crate::mon::config::Config;
use crate::mon::hunt::{HuntOptions, Reach};
use crate::mon::messages::{ClientOp, Message};
use crate::mon::monitor::{Input, Monitor, NamesKey};
use crate::mon::monmap::{MonInfo, MonMap};
use crate::mon::out::{Note, Timer, TimerOp};
use crate::mon::status::{MonState, MonStatus, StatusNames};
use crate::mon::store::{MonitorDBStore, Transaction};
use crate::mon::{Addr, Rank};
use crate::scenario::ast::{Action, Scenario, Targets};
use crate::scenario::printer::print_action;
use crate::time::{Duration, Time};
use crate::trace::event::{ClientAnswer, SmallNode};
use crate::trace::expect::check;
use crate::trace::state::ClusterState;
use crate::trace::store_tx::Packer;
use crate::trace::{DropReason, Event, EventKind, MsgId, NodeId};
use budget::{Meter, Pending};
use network::Network;
use outbox::Outbox;
use queue::{Lane, Queue};
use rng::Pcg32;
use status_pool::StatusPool;
use std::sync::Arc;
use timers::{Due, Place, Timers};
use weight::Weight;

#[derive(Clone, Debug)]
enum SimEvent {
    /// A message reaches its receiver (unless the link is cut or it is down).
    Arrive {
        id: MsgId,
        from: NodeId,
        to: NodeId,
        msg: Arc<Message>,
    },
    /// A message the network lost, failing at this point of its flight.
    Lost { id: MsgId, reason: DropReason },
    /// A timer's entry comes up: it fires, waits for its later arming,
    /// or passes ([`Timers::due`]); `tag` names the entry (its sequence
    /// is the queue's).
    Timer {
        node: NodeId,
        timer: Timer,
        tag: u64,
    },
}

#[derive(Clone, Debug)]
struct Node {
    name: String,
    /// Running process, if any. While it runs it owns the store.
    mon: Option<Monitor>,
    /// The store while the monitor is not running.
    store: MonitorDBStore,
    /// Clock offset of this monitor, in microseconds.
    skew: i64,
    /// Whether the monitor exists yet: false for a name only `add` creates,
    /// until that `add` runs.
    added: bool,
    /// The status last recorded in the trace (the same allocation).
    status: Arc<MonStatus>,
    /// Where the running monitor's status is written before comparing.
    scratch: MonStatus,
    /// What the names in `scratch` were written from.
    scratch_names: NamesKey,
    /// Messages to this node with a smaller id are lost on arrival: it reset
    /// every connection (Messenger::mark_down_all) before they came. What it
    /// sent before the reset had left its socket and is delivered.
    reset_before: MsgId,
    /// When the running monitor last started: a client session opened
    /// before then was reset with its connection.
    up_since: Time,
}

/// A whole simulated cluster at one instant. Cloning it is a snapshot.
#[derive(Clone, Debug)]
pub struct Sim {
    scenario: Arc<Scenario>,
    cfg: Arc<Config>,
    monmap: Arc<MonMap>,
    now: Time,
    seq: u64,
    queue: Queue<SimEvent>,
    rng: Pcg32,
    /// The clients' own chance (MonClient::_add_conns' shuffle): a stream
    /// apart, so that a hunt leaves the network's draws as they were.
    client_rng: Pcg32,
    net: Network,
    nodes: Vec<Node>,
    client: Client,
    /// Client requests one of whose messages (the request, its forward, the
    /// route back or the reply) was lost: the client hunts for them at its
    /// next session check (see [`Sim::session_alive`]).
    client_lost: Vec<u64>,
    /// Armed timers per node (monitors, then the client), each with its
    /// one queue entry.
    timers: Vec<Timers>,
    next_timer_gen: u64,
    /// The value last committed and its hash: every monitor commits the
    /// same shared value of a version, hashed once.
    last_commit: Option<(Arc<[u8]>, u64)>,
    next_msg: MsgId,
    next_stmt: usize,
    /// When the statement `next_stmt` is due, if there is one (read before
    /// every item: kept here, not looked up through the scenario).
    next_stmt_at: Option<Time>,
    trace: Vec<Event>,
    /// Whether events are kept in `trace` (they are always folded into `state`).
    record: bool,
    /// Packs the store transactions the trace records.
    packer: Packer,
    /// Recorded statuses' allocations, used again in a finished run.
    statuses: StatusPool,
    state: ClusterState,
    out: Outbox,
    meter: Meter,
    /// Set when the run went past its budget; nothing runs after it.
    overrun: Option<Arc<Overrun>>,
}

impl Sim {
    /// A simulator for `scenario`, with the default [`Budget`].
    pub fn new(scenario: &Scenario) -> Sim {
        Sim::with_budget(scenario, Budget::DEFAULT)
    }

    /// A simulator that stops once it goes past `budget`.
    pub fn with_budget(scenario: &Scenario, budget: Budget) -> Sim {
        Sim::shared(Arc::new(scenario.clone()), budget)
    }

    /// A simulator of a scenario the caller keeps too (the page: a long
    /// scenario is not copied).
    pub fn shared(scenario: Arc<Scenario>, budget: Budget) -> Sim {
        let n = scenario.mons.len();
        // Every monitor that will ever exist gets its node (and address) up
        // front: the initial ones in rank order, then each `add` in file
        // order. The client comes after all of them.
        let mut all_names: Vec<String> = scenario.mons.clone();
        for t in &scenario.timed {
            if let Action::Add(name) = &t.action {
                if !all_names.contains(name) {
                    all_names.push(name.clone());
                }
            }
        }
        let total = all_names.len();
        // A send keeps its ends in a byte (`SmallNode`); the scenario's
        // check allows 15 monitors and the client.
        assert!(total < 256, "at most 255 monitors and the client");
        // The client's list of monitors to hunt over: every node, rank = node id.
        let client_map = Arc::new(MonMap {
            epoch: 0,
            mons: all_names
                .iter()
                .enumerate()
                .map(|(i, name)| MonInfo {
                    name: name.clone(),
                    addr: Addr(i as u32),
                })
                .collect(),
            strategy: scenario.strategy,
            disallowed_leaders: Vec::new(),
        });
        // monmaptool --create writes a seed monmap of epoch 0; the first
        // quorum commits it as epoch 1 (MonmapMonitor::create_initial), and
        // that commit makes every monitor bootstrap again
        // (MonmapMonitor::update_from_paxos: version 1 > my epoch 0).
        let monmap = Arc::new(MonMap {
            epoch: 0,
            mons: scenario
                .mons
                .iter()
                .enumerate()
                .map(|(i, name)| MonInfo {
                    name: name.clone(),
                    addr: Addr(i as u32),
                })
                .collect(),
            strategy: scenario.strategy,
            disallowed_leaders: scenario.disallow.clone(),
        });
        let names: Vec<String> = all_names.clone();
        let mut net = Network::new(scenario.latency, scenario.loss, &scenario.links, |name| {
            names.iter().position(|m| m == name).map(|i| i as NodeId)
        });
        net.set_client(total as NodeId);
        let cfg = Arc::new(scenario.config.clone());
        let nodes = (0..total)
            .map(|i| Node {
                name: all_names[i].clone(),
                mon: None,
                store: MonitorDBStore::new(),
                skew: 0,
                added: i < n,
                status: Arc::new(MonStatus::down(i as Rank)),
                scratch: MonStatus::down(i as Rank),
                scratch_names: NamesKey::default(),
                reset_before: 0,
                up_since: 0,
            })
            .collect();
        let mut sim = Sim {
            client: Client::new(
                client_map,
                ClientTimers {
                    hunt: cfg.mon_client_hunt_interval,
                    ping: cfg.mon_client_ping_interval,
                    ping_timeout: cfg.mon_client_ping_timeout,
                    hunting: HuntOptions::from_config(&cfg),
                },
            ),
            client_lost: Vec::new(),
            scenario: scenario.clone(),
            cfg,
            monmap,
            now: 0,
            seq: 0,
            queue: Queue::new(),
            rng: Pcg32::new(scenario.seed),
            client_rng: Pcg32::new(scenario.seed ^ CLIENT_STREAM),
            net,
            nodes,
            timers: vec![Timers::default(); total + 1],
            next_timer_gen: 0,
            last_commit: None,
            next_msg: 0,
            next_stmt: 0,
            next_stmt_at: scenario.timed.first().map(|s| s.at),
            trace: Vec::new(),
            record: true,
            packer: Packer::default(),
            statuses: StatusPool::default(),
            state: ClusterState::new(all_names),
            out: Outbox::default(),
            meter: Meter::new(budget),
            overrun: None,
        };
        if !scenario.has_start {
            sim.emit(EventKind::Action {
                line: 0,
                text: "start all".into(),
            });
            for i in 0..n {
                sim.boot(i as NodeId);
            }
        }
        sim
    }

    pub fn now(&self) -> Time {
        self.now
    }
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }
    pub fn trace(&self) -> &[Event] {
        &self.trace
    }
    /// Takes the events recorded so far, leaving the trace empty; later events
    /// are recorded from there. A player keeps the trace itself and clones the
    /// trace-less `Sim` as a cheap snapshot.
    pub fn take_trace(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.trace)
    }
    /// Stop (or resume) keeping events in the trace; the state still folds
    /// every one of them, so expectations and invariants hold as before, and
    /// the verdicts (expectation results, violations, an overrun) are still
    /// kept. What a caller that reads only those (explore) wants: no trace memory.
    pub fn set_recording(&mut self, record: bool) {
        self.record = record;
    }
    /// Trace events so far, recorded or not.
    pub fn events(&self) -> u64 {
        self.meter.total()
    }
    /// The trace so far as JSON, in bytes, as the budget estimates it
    /// ([`weight`]), recorded or not.
    pub fn trace_bytes(&self) -> u64 {
        self.meter.bytes()
    }
    /// Why the run stopped early, if it went past its budget.
    pub fn overrun(&self) -> Option<&Overrun> {
        self.overrun.as_deref()
    }
    pub fn state(&self) -> &ClusterState {
        &self.state
    }
    /// Names of every node: the monitors in rank order, then "client".
    pub fn node_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.nodes.iter().map(|n| n.name.clone()).collect();
        v.push("client".into());
        v
    }
    /// The running monitor process of `node`, for inspectors.
    pub fn monitor(&self, node: NodeId) -> Option<&Monitor> {
        self.nodes.get(node as usize)?.mon.as_ref()
    }
    /// The store of `node`, running or not.
    pub fn store(&self, node: NodeId) -> Option<&MonitorDBStore> {
        let n = self.nodes.get(node as usize)?;
        Some(n.mon.as_ref().map_or(&n.store, |m| m.store()))
    }
    pub fn is_done(&self) -> bool {
        self.now >= self.scenario.end || self.overrun.is_some()
    }
    /// Cut links (from, to) as node ids.
    pub fn cuts(&self) -> Vec<(NodeId, NodeId)> {
        self.net.cuts().collect()
    }

    /// Process everything up to and including time `t` (capped at the scenario's end).
    pub fn run_until(&mut self, t: Time) {
        self.run_until_stepwise(t, |_| {});
    }

    /// [`Sim::run_until`], calling `after_step` with the simulator's own
    /// trace after every [`RUN_STEP`] items (a finished run moves the
    /// events out as they come: `sim::run::run_shared`).
    #[inline]
    pub fn run_until_stepwise(&mut self, t: Time, mut after_step: impl FnMut(&mut Vec<Event>)) {
        let t = t.min(self.scenario.end);
        self.statuses.enable();
        loop {
            let more = self.run_some(t, RUN_STEP);
            after_step(&mut self.trace);
            self.statuses.collect();
            if !more {
                break;
            }
        }
        if self.overrun.is_none() {
            self.now = self.now.max(t);
        }
    }

    /// [`Sim::run_until`]'s loop for at most `n` items (events or
    /// statements); true if it stopped only because it did `n`. Not inlined,
    /// and called again and again, because a wasm engine swaps its faster
    /// code for a function in at the next call, never into a call that is
    /// running (V8 has no on-stack replacement for wasm): a run of the whole
    /// loop in one call stayed in V8's baseline code, about twice as slow,
    /// for the whole of a long run.
    #[inline(never)]
    fn run_some(&mut self, t: Time, n: u32) -> bool {
        for _ in 0..n {
            if self.overrun.is_some() {
                return false;
            }
            // The queue is looked at once: its first event is taken
            // from the lane it found.
            let first = self.queue.first();
            let stmt_at = self.next_stmt_at;
            let (lane, at) = match (first, stmt_at) {
                (Some((lane, e)), Some(s)) if e <= s => (Some(lane), e),
                (Some((lane, e)), None) => (Some(lane), e),
                (_, Some(s)) => (None, s),
                (None, None) => return false,
            };
            if at > t {
                return false;
            }
            self.now = at;
            if let Some(lane) = lane {
                if let Some((seq, ev)) = self.queue.pop_from(lane) {
                    self.process(ev, seq);
                }
            } else {
                let i = self.take_statement();
                self.statement(i);
            }
            self.check_budget();
        }
        true
    }

    /// Process exactly one event or statement; returns false when nothing is left before the end.
    pub fn step(&mut self) -> bool {
        if self.overrun.is_some() {
            return false;
        }
        let ev_at = self.queue.peek_at();
        let stmt_at = self.next_stmt_at;
        let next = match (ev_at, stmt_at) {
            (Some(e), Some(s)) => e.min(s),
            (Some(e), None) => e,
            (None, Some(s)) => s,
            (None, None) => return false,
        };
        if next > self.scenario.end {
            return false;
        }
        let before = self.trace.len();
        // Run everything at `next`, one item at a time until the trace grows.
        while self.trace.len() == before {
            let ev_at = self.queue.peek_at();
            let stmt_at = self.next_stmt_at;
            match (ev_at, stmt_at) {
                (Some(e), s) if s.is_none_or(|s| e <= s) && e <= self.scenario.end => {
                    self.now = e;
                    if let Some((seq, ev)) = self.queue.pop() {
                        self.process(ev, seq);
                    }
                }
                (_, Some(s)) if s <= self.scenario.end => {
                    self.now = s;
                    let i = self.take_statement();
                    self.statement(i);
                }
                _ => return false,
            }
            self.check_budget();
        }
        true
    }

    /// The next statement's index; the one after it is next.
    fn take_statement(&mut self) -> usize {
        let i = self.next_stmt;
        self.next_stmt += 1;
        self.next_stmt_at = self.scenario.timed.get(self.next_stmt).map(|s| s.at);
        i
    }

    /// Past the budget: stop, and say what ran away.
    fn check_budget(&mut self) {
        if self.overrun.is_some() || !self.meter.tripped() {
            return;
        }
        let names = self.node_names();
        // A timer's entry can stand for a later arming (`timers.rs`), as a
        // re-armed timer's old entry did before it was passed over.
        let pending = self.queue.iter().filter_map(|(at, ev)| match ev {
            SimEvent::Arrive { from, to, msg, .. } => Some(Pending::Message {
                from: *from,
                to: *to,
                msg,
            }),
            SimEvent::Timer { node, timer, .. } => Some(Pending::Timer {
                node: *node,
                timer: *timer,
                at,
            }),
            SimEvent::Lost { .. } => None,
        });
        let overrun = self.meter.overrun(self.now, &names, pending);
        self.emit(EventKind::Overrun {
            text: overrun.text.as_str().into(),
        });
        self.overrun = Some(Arc::new(overrun));
    }

    /// A message's fate, due at `at`.
    fn push(&mut self, at: Time, ev: SimEvent) {
        self.seq += 1;
        self.queue.push(at, self.seq, Lane::Flight, ev);
    }

    /// A timer's queue entry at `place`.
    fn push_timer(&mut self, node: NodeId, timer: Timer, place: Place) {
        let ev = SimEvent::Timer {
            node,
            timer,
            tag: place.tag,
        };
        self.queue.push(place.at, place.seq, Lane::Timer, ev);
    }

    /// A `Commit`, its value handed to the fold beside it (the trace does
    /// not keep it), and decoded if the monitors have it so
    /// (see [`ClusterState::apply_valued`]).
    fn emit_commit(&mut self, kind: EventKind, value: &Arc<[u8]>, decoded: Option<&Transaction>) {
        self.meter.count(self.now);
        self.fold_event(Event { at: self.now, kind }, Some(value), decoded);
    }

    /// Record and fold an event. Not inlined: it is
    /// called from many places, and a copy in each would cost the page's
    /// transfer more than the call costs the simulator. Most events
    /// (deliveries, sends between monitors, timers, log lines) are only
    /// counted and recorded: that path is kept apart from the fold's, so
    /// that it saves and restores few registers.
    #[inline(never)]
    fn emit(&mut self, kind: EventKind) {
        self.meter.count(self.now);
        if self.record && !self.state.reads(&kind) && !is_verdict(&kind) {
            self.record_event(Event { at: self.now, kind });
        } else {
            self.fold_event(Event { at: self.now, kind }, None, None);
        }
    }

    /// An event the fold reads, or a verdict, or any event while not recording.
    #[inline(never)]
    fn fold_event(&mut self, ev: Event, value: Option<&Arc<[u8]>>, decoded: Option<&Transaction>) {
        // Most events reveal nothing: the violations are copied out only
        // when there are some.
        let found = if self.state.reads(&ev.kind) {
            self.state.apply_valued(&ev, value, decoded).len()
        } else {
            0
        };
        if self.record || is_verdict(&ev.kind) {
            self.record_event(ev);
        }
        if found > 0 {
            let all = self.state.violations();
            // Copied: emitting them folds again.
            let new = all[all.len() - found..].to_vec();
            for v in new {
                self.emit(EventKind::Violation {
                    text: v.text.into(),
                    property: v.property,
                });
            }
        }
    }

    #[inline]
    fn record_event(&mut self, ev: Event) {
        if self.trace.len() == self.trace.capacity() {
            return self.record_grown(ev);
        }
        self.trace.push(ev);
    }

    /// [`Sim::record_event`] into a full trace: grown by half, not doubled
    /// (the hour's trace, 4.5 M events, had room for 8.4 M when it ended,
    /// and a long run's peak memory is mostly that room). Apart and cold,
    /// and the event pushed here, so that nothing in [`Sim::emit`]'s common
    /// path lives across a call (it saved and restored registers for it).
    #[cold]
    #[inline(never)]
    fn record_grown(&mut self, ev: Event) {
        let more = (self.trace.capacity() / 2).max(1024);
        self.trace.reserve_exact(more);
        self.trace.push(ev);
    }

    fn client_node(&self) -> NodeId {
        self.nodes.len() as NodeId
    }

    fn node_of_addr(&self, addr: Addr) -> NodeId {
        addr.0
    }

    /// `ev`, the queue's entry of sequence `seq`.
    fn process(&mut self, ev: SimEvent, seq: u64) {
        match ev {
            SimEvent::Lost { id, reason } => self.emit(EventKind::Drop { id, reason }),
            SimEvent::Arrive { id, from, to, msg } => {
                if self.net.is_cut(from, to) {
                    // Dropped on the wire: TCP retransmits it, so it waits.
                    self.emit(EventKind::Hold { id });
                    self.net.hold_again(self.now, from, to, id, msg);
                } else if self
                    .nodes
                    .get(to as usize)
                    .is_some_and(|n| n.mon.is_some() && id < n.reset_before)
                {
                    self.note_client_loss(&msg);
                    self.emit(EventKind::Drop {
                        id,
                        reason: DropReason::Reset,
                    });
                } else if to == self.client_node() {
                    self.net.acked(from, to);
                    self.emit(EventKind::Deliver { id });
                    if let Message::ClientReply(reply) = &*msg {
                        let addr = Addr(from);
                        if let Some(ans) = self.client.on_reply(addr, reply, &mut self.out) {
                            self.emit(EventKind::ClientReply {
                                tid: ans.tid,
                                from,
                                answer: Arc::new(ClientAnswer {
                                    text: ans.text.into(),
                                    result: reply.result.clone(),
                                }),
                            });
                        }
                        self.flush_out(to);
                    }
                } else if self.nodes[to as usize].mon.is_none() {
                    self.emit(EventKind::Drop {
                        id,
                        reason: DropReason::Down,
                    });
                } else {
                    self.net.acked(from, to);
                    self.emit(EventKind::Deliver { id });
                    self.feed(
                        to,
                        Input::Message {
                            from: Addr(from),
                            msg,
                        },
                    );
                }
            }
            SimEvent::Timer { node, timer, tag } => {
                match self.timers[node as usize].due(timer, self.now, seq, tag) {
                    Due::Fire => {}
                    Due::Later(place) => return self.push_timer(node, timer, place),
                    Due::Pass => return,
                }
                self.emit(EventKind::TimerFire { node, timer });
                if node == self.client_node() {
                    self.client_timer(timer);
                } else {
                    self.feed(node, Input::Timer(timer));
                }
            }
        }
    }

    /// A client timer: the session check (every mon_client_hunt_interval)
    /// or a keepalive (MonClient::tick).
    fn client_timer(&mut self, timer: Timer) {
        let (tid, keepalive) = match timer {
            Timer::ClientRetry(tid) => (tid, false),
            Timer::ClientKeepalive(tid) => (tid, true),
            _ => return,
        };
        let Some((rank, session, opened)) = self.client.target_of(tid) else {
            return;
        };
        let lost = match self.client_lost.iter().position(|t| *t == tid) {
            Some(i) if !keepalive => {
                self.client_lost.swap_remove(i);
                true
            }
            Some(_) => true,
            None => false,
        };
        let node = rank as NodeId;
        let client = self.client_node();
        // A connection that carries nothing shows the client no failure
        // either: not a reset, nor a monitor that died or dropped the
        // session behind the cut (its reset cannot come through).
        let conn = match self.net.flowing(self.now, client, node) {
            _ if lost => Conn::Failed,
            None => Conn::Stalled,
            Some(_) if !self.session_alive(node, session, opened) => Conn::Failed,
            Some(since) => Conn::Flowing { since },
        };
        let (nodes, net) = (&self.nodes, &self.net);
        let (now, out, rng) = (self.now, &mut self.out, &mut self.client_rng);
        let mut draw = |n: u32| rng.range_inclusive(0, n.saturating_sub(1) as u64) as u32;
        self.client.on_timer(
            timer,
            conn,
            now,
            &|r| reach(nodes, net, r as NodeId),
            &mut draw,
            out,
        );
        if self
            .client
            .target_of(tid)
            .is_some_and(|(_, s, _)| s != session)
        {
            // It hunted, or a connection attempt found another monitor: the
            // old session's connection is marked down, and what its socket
            // held goes with it (MonClient::_reopen_session).
            let lost = self.net.close_link(client, node);
            self.drop_held(lost, DropReason::Reset);
        }
        self.flush_out(client);
    }

    /// Whether a client's new session could open with node `n` now.
    fn reaches(&self, n: NodeId) -> bool {
        reach(&self.nodes, &self.net, n) == Reach::Answers
    }

    /// Give one input to a running monitor and record what followed.
    fn feed(&mut self, node: NodeId, input: Input) {
        let n = &mut self.nodes[node as usize];
        let Some(mon) = n.mon.as_mut() else {
            return;
        };
        let local_now = (self.now as i64).saturating_add(n.skew).max(0) as Time;
        mon.handle(local_now, input, &mut self.out);
        let exited = mon.exited();
        if mon.monmap().epoch > self.monmap.epoch {
            // The newest monmap any monitor has: what a (re)started one is given.
            self.monmap = mon.monmap().clone();
        }
        self.flush_out(node);
        if exited {
            // "removed from monmap, suicide": the process is gone, its store stays.
            self.kill(node);
        }
        self.refresh_status(node);
    }

    fn refresh_status(&mut self, node: NodeId) {
        let n = &mut self.nodes[node as usize];
        match &n.mon {
            Some(m) => {
                // Written over the last one, so an unchanged status allocates
                // nothing; and not written at all when nothing it reads
                // changed (the scratch is then the recorded status).
                if !m.status_into_keyed(&mut n.scratch, &mut n.scratch_names)
                    || n.scratch == *n.status
                {
                    return;
                }
                let new = self.statuses.make(&n.scratch);
                self.statuses.retire(std::mem::replace(&mut n.status, new));
            }
            None => {
                // The scratch no longer holds the recorded status.
                n.scratch_names = NamesKey::default();
                let status = down_status(node as Rank, &n.store);
                if status == *n.status {
                    return;
                }
                n.status = Arc::new(status);
            }
        }
        let status = n.status.clone();
        self.emit(EventKind::Status { node, status });
        self.meter.weigh(weight::STATUS);
    }

    /// Turn what a node asked for into trace events, messages and timers.
    /// Each of `out`'s lists is taken while it is drained and put back
    /// with its buffer: `out` itself stays (a move of the whole `Out` and
    /// a drop of the empty one left in its place cost every input about
    /// 70 instructions).
    fn flush_out(&mut self, node: NodeId) {
        if let Some(i) = self.out.mark_down_all.take() {
            // The sends are numbered in order below: the i-th gets next_msg + i.
            if let Some(n) = self.nodes.get_mut(node as usize) {
                n.reset_before = self.next_msg + i as MsgId;
            }
            // Its own connections close too, with what a cut held in them.
            let lost = self.net.discard_from(node);
            self.drop_held(lost, DropReason::Reset);
        }
        let mut notes = std::mem::take(&mut self.out.notes);
        for note in notes.drain(..) {
            match note {
                Note::Log(text) => self.emit(EventKind::Log { node, text }),
                Note::Store(tx) => {
                    // Kept for the whole run: packed (`trace::store_tx`);
                    // its buffer is used again for a later one.
                    let packed = self.packer.pack(&tx);
                    self.out.recycle(tx);
                    self.meter.weigh(weight::store(&packed));
                    self.emit(EventKind::Store { node, tx: packed })
                }
                Note::SharedStore(tx) => {
                    let tx = self.packer.pack_shared(&tx);
                    self.meter.weigh(weight::store(&tx));
                    self.emit(EventKind::Store { node, tx })
                }
                Note::Commit { version, value } => {
                    let value_hash = match &self.last_commit {
                        Some((v, h)) if Arc::ptr_eq(v, &value) => *h,
                        _ => {
                            let h = fnv1a(&value);
                            self.last_commit = Some((value.clone(), h));
                            h
                        }
                    };
                    // The fold reads a version's value once; the monitors
                    // decoded it already (Out::decode_value's memo).
                    let kind = EventKind::Commit {
                        node,
                        version,
                        value_hash,
                    };
                    if self.state.wants_value(version) {
                        let mut out = std::mem::take(&mut self.out);
                        let decoded = out.decode_value(&value).as_ref().ok();
                        self.emit_commit(kind, &value, decoded);
                        self.out = out;
                    } else {
                        self.emit_commit(kind, &value, None);
                    }
                }
                Note::Reply { .. } => {}
            }
        }
        self.out.notes = notes;
        // A broadcast (BEGIN, COMMIT, LEASE to every peon, probes) sends equal
        // messages one after another: they share one allocation, in the trace
        // and in flight (receivers only read them), and are weighed once.
        let mut last: Option<(Arc<Message>, Weight)> = None;
        let mut sends = std::mem::take(&mut self.out.sends);
        for (to, msg) in sends.drain(..) {
            let to = self.node_of_addr(to);
            let (msg, w) = match last.take() {
                Some((prev, w)) if *prev == msg => (prev, w),
                _ => {
                    let w = weight::send(&msg);
                    (Arc::new(msg), w)
                }
            };
            last = Some((msg.clone(), w));
            self.send(node, to, msg, w);
        }
        self.out.sends = sends;
        // Half the inputs set or cancel no timer: their list is not taken.
        if !self.out.timers.is_empty() {
            let mut timers = std::mem::take(&mut self.out.timers);
            for op in timers.drain(..) {
                match op {
                    TimerOp::Set { timer, after } => self.set_timer(node, timer, after),
                    TimerOp::Cancel { timer } => {
                        if self.timers[node as usize].disarm(timer) {
                            self.emit(EventKind::TimerCancel { node, timer });
                        }
                    }
                }
            }
            self.out.timers = timers;
        }
        if !self.out.marked_down.is_empty() {
            let client = Addr(self.client_node());
            let marked = std::mem::take(&mut self.out.marked_down);
            for (who, session) in marked {
                if who == client {
                    self.client_reset(node, Some(session));
                }
            }
        }
    }

    fn set_timer(&mut self, node: NodeId, timer: Timer, after: Duration) {
        self.next_timer_gen += 1;
        let fires_at = self.now.saturating_add(after);
        // Its place in the order is taken now, queued or not.
        self.seq += 1;
        let place = Place {
            at: fires_at,
            seq: self.seq,
            tag: self.next_timer_gen,
        };
        self.emit(EventKind::TimerSet {
            node,
            timer: timer.into(),
            fires_at,
        });
        if let Some(p) = self.timers[node as usize].arm(timer, place) {
            self.push_timer(node, timer, p);
        }
    }

    /// Send `msg`, which weighs `w` in the trace ([`weight::send`]).
    fn send(&mut self, from: NodeId, to: NodeId, msg: Arc<Message>, w: Weight) {
        if to as usize > self.nodes.len() {
            return;
        }
        let id = self.next_msg;
        self.next_msg += 1;
        let flight = self.net.send(&mut self.rng, self.now, from, to);
        let arrive_at = flight.arrive_at;
        self.meter.weigh(w);
        // Both under 256 (`Sim::shared`).
        self.emit(EventKind::Send {
            id,
            from: from as SmallNode,
            to: to as SmallNode,
            arrive_at,
            msg: msg.clone(),
        });
        if self.net.hold_if_stalled(self.now, from, to, id, &msg) {
            self.emit(EventKind::Hold { id });
        } else if flight.lost {
            self.note_client_loss(&msg);
            // It fails half-way, where the UI shows it falling.
            let at = self.now + (arrive_at - self.now) / 2;
            let reason = DropReason::Loss;
            self.push(at, SimEvent::Lost { id, reason });
        } else {
            self.push(arrive_at, SimEvent::Arrive { id, from, to, msg });
        }
    }

    /// A heal or restore: the held messages of each direction that is whole
    /// again arrive at its next TCP retransmission, in order.
    fn release_held(&mut self) {
        for r in self.net.release(&mut self.rng, self.now) {
            match r.arrive_at {
                Some(at) => {
                    for (id, msg) in r.held {
                        let (from, to) = (r.from, r.to);
                        self.push(at, SimEvent::Arrive { id, from, to, msg });
                    }
                }
                None => self.drop_held(
                    r.held.into_iter().map(|(id, _)| id).collect(),
                    DropReason::Reset,
                ),
            }
        }
    }

    fn drop_held(&mut self, ids: Vec<MsgId>, reason: DropReason) {
        for id in ids {
            self.emit(EventKind::Drop { id, reason });
        }
    }

    /// Whether the client's session with `node`, opened at `opened`, still
    /// stands at its check: the monitor runs and keeps the session and has
    /// not restarted since (a reset the client did not see when it came:
    /// a cut held it back). A cut is no failure: TCP holds what it stops,
    /// and the MonClient notices only when its keepalives go unanswered.
    fn session_alive(&self, node: NodeId, session: u64, opened: Time) -> bool {
        if self.now < opened.saturating_add(self.cfg.mon_client_hunt_interval) {
            // Not judged before a hunt interval: the monitor opens the
            // session when the request comes (a reopen between two ticks
            // may be microseconds old at the next one).
            return true;
        }
        let client = self.client_node();
        self.nodes.get(node as usize).is_some_and(|n| {
            n.mon
                .as_ref()
                .is_some_and(|m| m.has_session((Addr(client), session)))
                && n.up_since <= opened
        })
    }

    /// The client's connection to `node` was reset: the monitor died, or
    /// marked the connection of `session` (None: of every session) down.
    /// MonClient::ms_handle_reset reopens each such request's session at
    /// once ([`Client::on_reset`]). A reset cannot come through a cut: the
    /// client then learns nothing until its keepalives or its next check.
    fn client_reset(&mut self, node: NodeId, session: Option<u64>) {
        let client = self.client_node();
        if self.net.flowing(self.now, client, node).is_none() {
            return;
        }
        let mut moved = self.client.open_sessions_with(node as Rank);
        moved.retain(|(_, s)| session.is_none_or(|x| x == *s));
        if moved.is_empty() {
            return;
        }
        for (tid, _) in moved {
            let (nodes, net) = (&self.nodes, &self.net);
            let (now, out, rng) = (self.now, &mut self.out, &mut self.client_rng);
            let mut draw = |n: u32| rng.range_inclusive(0, n.saturating_sub(1) as u64) as u32;
            self.client.on_reset(
                tid,
                now,
                &|r| reach(nodes, net, r as NodeId),
                &mut draw,
                out,
            );
            // What the old session lost went with it.
            self.client_lost.retain(|t| *t != tid);
        }
        // What the old connection's socket held goes with it.
        let lost = self.net.close_link(client, node);
        self.drop_held(lost, DropReason::Reset);
        self.flush_out(client);
    }

    /// A message of a client request was lost: to a monitor that reset, or
    /// to `loss`. The client hunts for it at its next session
    /// check, so that no request waits forever on a message that is gone.
    fn note_client_loss(&mut self, msg: &Message) {
        let tid = match msg {
            Message::Client(r) => r.tid,
            Message::Forward(f) => f.req.tid,
            Message::Route(r) => r.reply.tid,
            Message::ClientReply(r) => r.tid,
            _ => return,
        };
        if !self.client_lost.contains(&tid) {
            self.client_lost.push(tid);
        }
    }

    fn boot(&mut self, node: NodeId) {
        let n = &mut self.nodes[node as usize];
        if n.mon.is_some() {
            return;
        }
        let store = std::mem::take(&mut n.store);
        n.up_since = self.now;
        n.mon = Some(Monitor::new(
            &n.name,
            Addr(node),
            self.monmap.clone(),
            self.cfg.clone(),
            store,
        ));
        // What the old process's sockets still held goes with them.
        let lost = self.net.discard_from(node);
        self.drop_held(lost, DropReason::Reset);
        self.feed(node, Input::Boot);
    }

    fn kill(&mut self, node: NodeId) {
        let n = &mut self.nodes[node as usize];
        let ran = n.mon.is_some();
        if let Some(mon) = n.mon.take() {
            n.store = mon.into_store();
            // What peers sent to this process and a cut still holds is lost
            // when it comes: a restarted monitor answers the retransmission
            // with a reset (ProtocolV2::handle_session_reset → reset_session).
            n.reset_before = n.reset_before.max(self.next_msg);
            self.net.orphan(node);
        }
        for timer in self.timers[node as usize].disarm_all() {
            self.emit(EventKind::TimerCancel { node, timer });
        }
        self.refresh_status(node);
        if ran {
            // Its sockets close with it: the kernel resets the client's.
            self.client_reset(node, None);
        }
    }

    fn wipe(&mut self, node: NodeId) {
        let n = &mut self.nodes[node as usize];
        if n.mon.is_some() {
            return;
        }
        let mut tx = Transaction::new();
        for p in n.store.prefixes() {
            tx.erase_prefix(p);
        }
        n.store = MonitorDBStore::new();
        if !tx.is_empty() {
            let tx = self.packer.pack(&tx);
            self.meter.weigh(weight::store(&tx));
            self.emit(EventKind::Store { node, tx });
        }
        self.refresh_status(node);
    }

    fn node_named(&self, name: &str) -> Option<NodeId> {
        self.nodes
            .iter()
            .position(|n| n.name == name)
            .map(|i| i as NodeId)
    }

    fn nodes_named(&self, names: &[String]) -> Vec<NodeId> {
        names.iter().filter_map(|n| self.node_named(n)).collect()
    }

    /// Which monitor a client request goes to: `via`, else the leader, else
    /// the lowest-ranked running monitor, else rank 0; without `via`, one
    /// the client can reach (cut-off monitors never answer its handshake).
    fn client_target(&self, via: &Option<String>) -> Rank {
        if let Some(n) = via.as_deref().and_then(|v| self.node_named(v)) {
            return n as Rank;
        }
        if let Some(l) = self.state.leader().filter(|l| self.reaches(*l)) {
            return l as Rank;
        }
        if let Some(r) = (0..self.nodes.len() as NodeId).find(|n| self.reaches(*n)) {
            return r as Rank;
        }
        self.nodes
            .iter()
            .position(|n| n.mon.is_some())
            .map_or(0, |r| r as Rank)
    }

    fn statement(&mut self, i: usize) {
        // Shared, not copied: a statement is read, and what it names is
        // copied only where it is kept (a client request's key and value).
        let scenario = Arc::clone(&self.scenario);
        let stmt = &scenario.timed[i];
        let line = stmt.pos.line;
        match &stmt.action {
            Action::Expect(e) => {
                let outcome = check(&self.state, e, self.now);
                self.emit(EventKind::Expect {
                    line,
                    text: print_action(&stmt.action).into(),
                    pass: outcome.pass,
                    actual: outcome.actual.into(),
                });
                return;
            }
            Action::Note(text) => {
                self.emit(EventKind::Note {
                    text: text.as_str().into(),
                });
                return;
            }
            _ => {}
        }
        self.emit(EventKind::Action {
            line,
            text: print_action(&stmt.action).into(),
        });
        match &stmt.action {
            Action::Start(Targets::All) => {
                for n in 0..self.nodes.len() {
                    if self.nodes[n].added {
                        self.boot(n as NodeId);
                    }
                }
            }
            Action::Start(Targets::Names(names)) | Action::Revive(names) => {
                for n in self.nodes_named(names) {
                    self.boot(n);
                }
            }
            Action::Kill(names) => {
                for n in self.nodes_named(names) {
                    self.kill(n);
                }
            }
            Action::Wipe(names) => {
                for n in self.nodes_named(names) {
                    self.wipe(n);
                }
            }
            Action::CallElection(name) => {
                if let Some(n) = self.node_named(name) {
                    self.feed(n, Input::CallElection);
                }
            }
            Action::Skew(name, offset) => {
                if let Some(n) = self.node_named(name) {
                    self.nodes[n as usize].skew = *offset;
                }
            }
            Action::Add(name) => {
                // `ceph mon add NAME ADDR` goes to the leader; the new monitor
                // starts at once with an empty store and the newest monmap
                // known, which does not list it yet: it probes, learns the
                // committed monmap from a probe reply, and joins.
                if let Some(n) = self.node_named(name) {
                    let target = self.client_target(&None);
                    self.client_request(
                        ClientOp::MonAdd {
                            name: name.clone(),
                            addr: Addr(n),
                        },
                        target,
                        false,
                    );
                    self.nodes[n as usize].added = true;
                    self.boot(n);
                }
            }
            Action::Remove(name) => {
                let target = self.client_target(&None);
                self.client_request(ClientOp::MonRemove { name: name.clone() }, target, false);
            }
            Action::Cut { a, b, one_way } => self.for_link(a, b, *one_way, Network::cut),
            Action::Restore { a, b, one_way } => {
                self.for_link(a, b, *one_way, Network::restore);
                self.release_held();
            }
            Action::Partition(groups) => {
                let groups: Vec<Vec<NodeId>> = groups.iter().map(|g| self.nodes_named(g)).collect();
                for (gi, g) in groups.iter().enumerate() {
                    for h in groups.iter().skip(gi + 1) {
                        for &x in g {
                            for &y in h {
                                self.net.cut(x, y);
                                self.net.cut(y, x);
                            }
                        }
                    }
                }
            }
            Action::Isolate(name) => {
                if let Some(x) = self.node_named(name) {
                    for y in 0..=self.nodes.len() as NodeId {
                        if y != x {
                            self.net.cut(x, y);
                            self.net.cut(y, x);
                        }
                    }
                }
            }
            Action::Heal => {
                self.net.heal();
                self.release_held();
            }
            Action::Write { key, value, via } => {
                let target = self.client_target(via);
                let (key, value) = (key.clone(), value.clone());
                self.client_request(ClientOp::Write { key, value }, target, via.is_some());
            }
            Action::Read { key, via } => {
                let target = self.client_target(via);
                self.client_request(ClientOp::Read { key: key.clone() }, target, via.is_some());
            }
            Action::Note(_) | Action::Expect(_) => {}
        }
    }

    fn for_link(&mut self, a: &str, b: &str, one_way: bool, f: fn(&mut Network, NodeId, NodeId)) {
        let (Some(x), Some(y)) = (self.node_named(a), self.node_named(b)) else {
            return;
        };
        f(&mut self.net, x, y);
        if !one_way {
            f(&mut self.net, y, x);
        }
    }

    fn client_request(&mut self, op: ClientOp, target: Rank, via: bool) {
        let node = self.client_node();
        let shared = Arc::new(op);
        let (nodes, net) = (&self.nodes, &self.net);
        let (now, out, rng) = (self.now, &mut self.out, &mut self.client_rng);
        let mut draw = |n: u32| rng.range_inclusive(0, n.saturating_sub(1) as u64) as u32;
        let tid = self.client.submit(
            Arc::clone(&shared),
            target,
            via,
            now,
            &|r| reach(nodes, net, r as NodeId),
            &mut draw,
            out,
        );
        self.emit(EventKind::ClientRequest {
            tid,
            target: Some(target as SmallNode),
            op: shared,
        });
        self.flush_out(node);
    }
}

/// What a connection from the client (the node after the monitors) to node
/// `n` meets: a cut drops its SYNs; a monitor that does not run refuses it
/// (its address is on the loopback: the kernel answers with a reset), and
/// so does, in effect, one whose AuthMonitor has committed nothing yet
/// (Monitor::handle_auth_request: "haven't formed initial quorum, EBUSY").
/// One that is not in a quorum is [`Reach::Inactive`]: Monitor::_reset sets
/// AuthMonitor's monitor count to 0 and only the end of an election sets it
/// again (`_set_mon_num_rank`), so a probing, electing or synchronizing
/// monitor cannot give a new client its global_id ("handle_auth_request
/// failed to assign global_id", AuthMonitor::_assign_global_id:
/// "inactive"); a client that has one is let in. A refused
/// connection is reset and the client's messenger tries again, 0.2 s,
/// 0.4 s later, as measured on ceph-mon 16.2.15. A client's new session
/// opens only with one that answers (MonClient::_add_conns tries
/// mon_client_hunt_parallel monitors at once and keeps the first that
/// answers; ceph-mon 16.2.15: a `ceph` command whose leader was cut off was
/// answered through another monitor in 0.44 s).
fn reach(nodes: &[Node], net: &Network, n: NodeId) -> Reach {
    let client = nodes.len() as NodeId;
    let mon = nodes.get(n as usize).and_then(|node| node.mon.as_ref());
    if net.is_cut(client, n) || net.is_cut(n, client) {
        Reach::Silent
    } else {
        match mon {
            Some(m) if m.consensus().auth.last_committed > 0 => {
                if matches!(m.state(), MonState::Leader | MonState::Peon) {
                    Reach::Answers
                } else {
                    Reach::Inactive
                }
            }
            _ => Reach::Refused,
        }
    }
}

/// Whether an event is a verdict (an expectation's result, a violation, an
/// overrun): kept in the trace even when the events are not recorded.
fn is_verdict(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Expect { .. } | EventKind::Violation { .. } | EventKind::Overrun { .. }
    )
}

/// Mixed into the seed for the clients' stream of chance ("monclien").
const CLIENT_STREAM: u64 = 0x6d6f_6e63_6c69_656e;

/// What a stopped monitor shows: down, with the paxos range its store holds.
fn down_status(rank: Rank, store: &MonitorDBStore) -> MonStatus {
    let mut s = MonStatus::down(rank);
    s.paxos.first_committed = store.get_u64("paxos", "first_committed");
    s.paxos.last_committed = store.get_u64("paxos", "last_committed");
    // New names, not written through the shared ones (`make_mut`'s copy
    // would be code in the page for nothing).
    s.names = Arc::new(StatusNames {
        election_epoch: store.get_u64("monitor", "election_epoch") as u32,
        accepted_pn: store.get_u64("paxos", "accepted_pn"),
        last_pn: store.get_u64("paxos", "last_pn"),
        ..StatusNames::down(rank)
    });
    s
}

/// FNV-1a, 64 bits: a stable hash for values and digests (no platform-dependent hashing).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Items (events or statements) [`Sim::run_until`] runs in one call of
/// [`Sim::run_some`]: a millisecond or so of the benchmark's work, so the
/// extra call is nothing and an engine's faster code is in use soon.
const RUN_STEP: u32 = 4096;
