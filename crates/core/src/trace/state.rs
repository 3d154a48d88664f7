//! The cluster as the trace tells it, folded event by event.
//!
//! [`ClusterState::apply`] takes each event in time order and keeps what the
//! expectations need: every monitor's latest status, its committed config-key
//! data, the history behind `was`, `max-leaders` and the `stable` family, and
//! the safety invariants (checked as the events arrive, each violation once;
//! the paxos ones here, the others in [`super::properties`]).

use super::chunked::Chunked;
use super::event::{Event, EventKind, NodeId};
use super::properties::{Found, History, Property, Standing};
use crate::mon::messages::Message;
use crate::mon::status::{same_leader, same_names, MonState, MonStatus};
use crate::mon::store::Transaction;
use crate::mon::{Rank, Version};
use crate::time::{format_secs, Time};
use crate::trace::store_tx::{OpKind, StoreTx};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The store prefix of the config-key (kv) service's committed data.
pub const KV_PREFIX: &str = crate::mon::kv::KV_PREFIX;
/// The store prefix of paxos; erasing it (wipe, sync) resets the
/// last_committed baseline of the "never goes back" invariant.
pub const PAXOS_PREFIX: &str = "paxos";

/// The parts of a monitor's role whose changes break `stable`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RolePart {
    State,
    Leader,
    Quorum,
    Epoch,
}

impl RolePart {
    pub const ALL: [RolePart; 4] = [
        RolePart::State,
        RolePart::Leader,
        RolePart::Quorum,
        RolePart::Epoch,
    ];
    pub fn name(self) -> &'static str {
        match self {
            RolePart::State => "state",
            RolePart::Leader => "leader",
            RolePart::Quorum => "quorum",
            RolePart::Epoch => "epoch",
        }
    }
}

/// A safety violation and when it was revealed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub at: Time,
    pub property: Property,
    pub text: String,
}

/// A commit's value hash and the node that committed it.
type Committer = (u64, NodeId);

/// What the fold keeps per monitor.
#[derive(Clone, Debug)]
struct Mon {
    name: String,
    /// Shared with the trace's Status event.
    status: Arc<MonStatus>,
    /// The node named by `status.leader` (found when the name changes, not
    /// at every status and commit that asks).
    leader_node: Option<NodeId>,
    kv: BTreeMap<String, String>,
    /// Bit `1 << state as u8` for every state ever held (Down from the start).
    was: u8,
    /// Last change time of each [`RolePart`], indexed like `RolePart::ALL`.
    changed: [Option<Time>; 4],
    /// last_committed seen while running (kept while down; 0 after a wipe).
    last_committed: Version,
    /// The highest last_committed since the last paxos wipe (invariant b).
    lc_floor: Version,
}

/// The cluster state folded from a trace. Cheap to clone for snapshots.
#[derive(Clone, Debug)]
pub struct ClusterState {
    mons: Vec<Mon>,
    leaders_now: u32,
    max_leaders: u32,
    /// When `max_leaders` was first reached.
    max_leaders_at: Time,
    /// Per paxos version, each distinct value hash seen and the first node that committed it:
    /// the first in place, the others (rare) apart, so that a version
    /// allocates nothing. In version order; shared with clones (see [`Chunked`]).
    commits: Chunked<(Version, Committer, Vec<Committer>)>,
    violations: Vec<Violation>,
    /// The committed and the client's history, for the other properties.
    history: History,
    /// The client's node: the one after the monitors.
    client: NodeId,
    /// Scratch for the violations one event reveals.
    found: Vec<Found>,
}

fn bit(s: MonState) -> u8 {
    1 << (s as u8)
}

impl Mon {
    fn new(name: String, rank: Rank) -> Mon {
        Mon {
            name,
            status: Arc::new(MonStatus::down(rank)),
            leader_node: None,
            kv: BTreeMap::new(),
            was: bit(MonState::Down),
            changed: [None; 4],
            last_committed: 0,
            lc_floor: 0,
        }
    }
}

impl ClusterState {
    /// `mon_names` are the monitors in node order (node `i` is `mon_names[i]`).
    pub fn new(mon_names: Vec<String>) -> Self {
        let client = mon_names.len() as NodeId;
        let history = History::new(mon_names.clone());
        let mons = mon_names
            .into_iter()
            .enumerate()
            .map(|(i, n)| Mon::new(n, i as Rank))
            .collect();
        ClusterState {
            mons,
            leaders_now: 0,
            max_leaders: 0,
            max_leaders_at: 0,
            commits: Chunked::default(),
            violations: Vec::new(),
            history,
            client,
            found: Vec::new(),
        }
    }

    /// Fold one event. Returns the safety violations this event reveals
    /// (also kept in [`ClusterState::violations`]). `Violation` events are
    /// ignored: the fold derives its own.
    pub fn apply(&mut self, ev: &Event) -> &[Violation] {
        self.apply_valued(ev, None, None)
    }

    /// [`ClusterState::apply`] of a `Commit` with its value (an encoded
    /// store transaction, which the event does not keep; the monitors'
    /// allocation, kept by the properties for a later commit to compare
    /// with), for the properties to read what it commits, and the value decoded if the
    /// caller has it already (`decoded`, asked for when
    /// [`ClusterState::wants_value`]).
    pub fn apply_valued(
        &mut self,
        ev: &Event,
        value: Option<&Arc<[u8]>>,
        decoded: Option<&Transaction>,
    ) -> &[Violation] {
        let before = self.violations.len();
        if !self.reads(&ev.kind) {
            return &[];
        }
        // The violations found go to `self.found` (a field apart from the
        // ones the handlers change, not taken and put back per event).
        match &ev.kind {
            EventKind::Status { node, status } => {
                if let Some(text) = self.on_status(ev.at, *node, status) {
                    self.found.push((Property::LastCommittedKept, text));
                }
                let standing = self.standing(*node);
                let running = status.state != MonState::Down;
                self.history
                    .on_status(ev.at, *node, standing, running, &mut self.found);
            }
            EventKind::Store { node, tx } => self.on_store(*node, tx),
            EventKind::Commit {
                node,
                version,
                value_hash,
            } => {
                let bytes = value.map(|v| &**v);
                if let Some(text) = self.on_commit(*node, *version, *value_hash, bytes) {
                    self.found.push((Property::OneValuePerVersion, text));
                }
                let by = (*node, self.standing(*node));
                self.history
                    .on_commit(ev.at, *version, by, value, decoded, &mut self.found);
            }
            EventKind::Send { from, to, msg, .. } if NodeId::from(*to) == self.client => {
                if let Message::ClientReply(r) = &**msg {
                    let from = NodeId::from(*from);
                    let standing = self.standing(from);
                    self.history.on_read_served(r.tid, from, standing);
                }
            }
            EventKind::ClientRequest { tid, op, .. } => self.history.on_request(ev.at, *tid, op),
            EventKind::ClientReply { tid, from, answer } => {
                self.history
                    .on_reply(ev.at, *tid, *from, &answer.result, &mut self.found)
            }
            _ => {}
        }
        if !self.found.is_empty() {
            for (property, text) in self.found.drain(..) {
                self.violations.push(Violation {
                    at: ev.at,
                    property,
                    text,
                });
            }
        }
        &self.violations[before..]
    }

    /// Whether a commit of `version` would read its value (the first
    /// that carries one): the simulator then hands it over decoded.
    pub fn wants_value(&self, version: Version) -> bool {
        self.history.wants_value(version)
    }

    /// Whether [`ClusterState::apply`] reads an event of this kind (the
    /// arms of its `match`): most of a run's events are deliveries, timers
    /// and log lines, which pass by without the fold's bookkeeping (the
    /// simulator asks first, and does not call it for them).
    #[inline]
    pub fn reads(&self, kind: &EventKind) -> bool {
        match kind {
            EventKind::Status { .. }
            | EventKind::Store { .. }
            | EventKind::Commit { .. }
            | EventKind::ClientRequest { .. }
            | EventKind::ClientReply { .. } => true,
            EventKind::Send { to, .. } => NodeId::from(*to) == self.client,
            _ => false,
        }
    }

    /// Where `node` stands now: its election epoch and, in a quorum, its leader.
    fn standing(&self, node: NodeId) -> Standing {
        let Some(m) = self.mons.get(node as usize) else {
            return Standing {
                epoch: 0,
                leader: None,
            };
        };
        let s = &m.status;
        let leader = match s.state {
            MonState::Leader => Some(node),
            MonState::Peon => m.leader_node,
            _ => None,
        };
        Standing {
            epoch: s.election_epoch,
            leader,
        }
    }

    /// The monitor entry for `node`, growing the table for a node we were not
    /// told about (a monitor never sends Status before it exists, the client never does).
    /// Inlined (28 k calls in the bench's slice): the growth is kept apart.
    #[inline]
    fn mon_mut(&mut self, node: NodeId) -> &mut Mon {
        let i = node as usize;
        if i >= self.mons.len() {
            self.grow_mons(i);
        }
        &mut self.mons[i]
    }

    #[cold]
    #[inline(never)]
    fn grow_mons(&mut self, i: usize) {
        while self.mons.len() <= i {
            let n = self.mons.len();
            self.mons.push(Mon::new(format!("node{n}"), n as Rank));
        }
    }

    fn on_status(&mut self, at: Time, node: NodeId, new: &Arc<MonStatus>) -> Option<String> {
        self.mon_mut(node);
        // The same name (statuses share it while the leader stays) names the
        // same node once found: names are never renamed, only added.
        let old = &self.mons[node as usize];
        let leader_node = match (&old.status.leader, &new.leader, old.leader_node) {
            (Some(a), Some(b), Some(n)) if Arc::ptr_eq(a, b) => Some(n),
            (_, l, _) => l.as_deref().and_then(|l| self.node(l)),
        };
        let m = &mut self.mons[node as usize];
        m.leader_node = leader_node;
        let old = &m.status;
        // Statuses that repeat the names share them (`MonStatus::names`).
        let same = Arc::ptr_eq(&old.names, &new.names);
        let diffs = [
            old.state != new.state,
            !same && !same_leader(&old.leader, &new.leader),
            !same && !same_names(&old.quorum, &new.quorum),
            old.election_epoch != new.election_epoch,
        ];
        let was_leader = old.state == MonState::Leader;
        for (slot, d) in m.changed.iter_mut().zip(diffs) {
            if d {
                *slot = Some(at);
            }
        }
        m.was |= bit(new.state);
        let mut violation = None;
        if new.state != MonState::Down {
            let lc = new.paxos.last_committed;
            if lc < m.lc_floor {
                violation = Some(format!(
                    "mon.{}'s last_committed went back from {} to {} at {}s",
                    m.name,
                    m.lc_floor,
                    lc,
                    format_secs(at)
                ));
            }
            // Reported once: the lower value is the new floor.
            m.lc_floor = lc;
            m.last_committed = lc;
        }
        m.status = new.clone();
        let is_leader = new.state == MonState::Leader;
        if is_leader && !was_leader {
            self.leaders_now += 1;
            if self.leaders_now > self.max_leaders {
                self.max_leaders = self.leaders_now;
                self.max_leaders_at = at;
            }
        } else if was_leader && !is_leader {
            self.leaders_now -= 1;
        }
        violation
    }

    /// The config-key data kept per monitor, the "never goes back" floor
    /// reset by a paxos wipe, and the history's epoch by a "monitor" one:
    /// one pass over the ops.
    fn on_store(&mut self, node: NodeId, tx: &StoreTx) {
        if !tx.touches(KV_PREFIX, true) {
            return;
        }
        let m = self.mon_mut(node);
        let mut monitor_erased = false;
        // Borrowed from the packed form: only the config-keys' are read
        // (and the erasures of whole prefixes).
        let mut ops = tx.op_refs();
        while let Some(op) = ops.next_on(KV_PREFIX) {
            let (prefix, key) = (op.prefix, op.key);
            match op.kind {
                OpKind::Put if prefix == KV_PREFIX => {
                    let text = String::from_utf8_lossy(op.value().unwrap_or_default());
                    match m.kv.get_mut(key) {
                        Some(v) => {
                            v.clear();
                            v.push_str(&text);
                        }
                        None => {
                            m.kv.insert(key.to_string(), text.into_owned());
                        }
                    }
                }
                OpKind::Erase if prefix == KV_PREFIX => {
                    m.kv.remove(key);
                }
                OpKind::ErasePrefix if prefix == KV_PREFIX => m.kv.clear(),
                OpKind::ErasePrefix if prefix == PAXOS_PREFIX => {
                    m.lc_floor = 0;
                    m.last_committed = 0;
                }
                OpKind::ErasePrefix if prefix == "monitor" => monitor_erased = true,
                _ => {}
            }
        }
        if monitor_erased {
            self.history.on_monitor_erased(node);
        }
    }

    /// Two commits of one version agree when their values are the same
    /// bytes or, failing that, do the same to a store ([`History::same_effect`]).
    fn on_commit(
        &mut self,
        node: NodeId,
        version: Version,
        hash: u64,
        value: Option<&[u8]>,
    ) -> Option<String> {
        self.mon_mut(node);
        let i = self.commit_index(version);
        let (first_hash, first_node) = match self.commits.get(i) {
            Some((v, first, others)) if *v == version => {
                if first.0 == hash || others.iter().any(|&(h, _)| h == hash) {
                    return None;
                }
                *first
            }
            _ => {
                self.commits.insert(i, (version, (hash, node), Vec::new()));
                return None;
            }
        };
        // Written only when it changes: a write copies a shared chunk.
        self.commits.get_mut(i)?.2.push((hash, node));
        if self.history.same_effect(version, value) {
            return None;
        }
        Some(format!(
            "mon.{} committed v{} = {:#018x} but mon.{} committed v{} = {:#018x}",
            self.mons[node as usize].name,
            version,
            hash,
            self.mons[first_node as usize].name,
            version,
            first_hash
        ))
    }

    /// Where `version` is or would go in `commits` (their `partition_point`):
    /// at the end, without a search, for the newest version or a newer one
    /// (a version's commits come one after another; a search of the
    /// hour's tens of thousands missed the cache at most of its steps).
    fn commit_index(&self, version: Version) -> usize {
        let n = self.commits.len();
        match n.checked_sub(1).and_then(|i| self.commits.get(i)) {
            Some((v, ..)) if *v < version => n,
            Some((v, ..)) if *v == version => n - 1,
            _ => self.commits.partition_point(|(v, ..)| *v < version),
        }
    }

    // ---- accessors ----

    /// Number of monitors known (node ids `0..mon_count()`).
    pub fn mon_count(&self) -> usize {
        self.mons.len()
    }
    pub fn name(&self, node: NodeId) -> &str {
        &self.mons[node as usize].name
    }
    /// The node of the monitor called `name`.
    pub fn node(&self, name: &str) -> Option<NodeId> {
        self.mons
            .iter()
            .position(|m| m.name == name)
            .map(|i| i as NodeId)
    }
    /// The monitor's latest status (`Down` if it never started).
    pub fn status(&self, node: NodeId) -> &MonStatus {
        &self.mons[node as usize].status
    }
    pub fn running(&self, node: NodeId) -> bool {
        self.status(node).state != MonState::Down
    }
    /// Committed config-key contents of the monitor's store.
    pub fn kv(&self, node: NodeId) -> &BTreeMap<String, String> {
        &self.mons[node as usize].kv
    }
    /// paxos.last_committed: the current value if running, else the last
    /// known one (0 once the store was wiped).
    pub fn last_committed(&self, node: NodeId) -> Version {
        let m = &self.mons[node as usize];
        if m.status.state == MonState::Down {
            m.last_committed
        } else {
            m.status.paxos.last_committed
        }
    }
    /// Whether the monitor was ever in `state` (`Down` includes before its start).
    pub fn was(&self, node: NodeId, state: MonState) -> bool {
        self.mons[node as usize].was & bit(state) != 0
    }
    /// Every state the monitor has held, in [`MonState`] order.
    pub fn states_held(&self, node: NodeId) -> Vec<MonState> {
        [
            MonState::Down,
            MonState::Probing,
            MonState::Synchronizing,
            MonState::Electing,
            MonState::Leader,
            MonState::Peon,
        ]
        .into_iter()
        .filter(|&s| self.was(node, s))
        .collect()
    }
    /// When `part` of the monitor's role last changed (None: never).
    pub fn changed_at(&self, node: NodeId, part: RolePart) -> Option<Time> {
        let i = RolePart::ALL.iter().position(|&p| p == part).unwrap_or(0);
        self.mons[node as usize].changed[i]
    }
    /// The one running monitor in state Leader, if there is exactly one.
    pub fn leader(&self) -> Option<NodeId> {
        let mut it = self.leaders();
        match (it.next(), it.next()) {
            (Some(l), None) => Some(l),
            _ => None,
        }
    }
    /// Every monitor now in state Leader, in node order.
    pub fn leaders(&self) -> impl Iterator<Item = NodeId> + '_ {
        (0..self.mons.len() as NodeId).filter(|&n| self.status(n).state == MonState::Leader)
    }
    pub fn leaders_now(&self) -> u32 {
        self.leaders_now
    }
    /// The most monitors simultaneously in state Leader so far.
    pub fn max_leaders(&self) -> u32 {
        self.max_leaders
    }
    /// When [`ClusterState::max_leaders`] was first reached.
    pub fn max_leaders_at(&self) -> Time {
        self.max_leaders_at
    }
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }
    /// The committed history and the client's, as the properties see them.
    pub fn history(&self) -> &History {
        &self.history
    }
}
