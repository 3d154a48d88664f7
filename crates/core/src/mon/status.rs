//! A monitor's externally visible state: what `ceph mon stat` and the admin
//! socket would show. The simulator records a [`MonStatus`] in the trace each
//! time it changes; expectations, the CLI and the UI read it from there.

use super::{Epoch, Rank, Version};
use crate::time::Time;
use serde::Serialize;
use std::sync::Arc;

/// Monitor states (§1.1), plus `Down` for a monitor that is not running.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum MonState {
    Down,
    Probing,
    Synchronizing,
    Electing,
    Leader,
    Peon,
}

impl MonState {
    pub fn name(self) -> &'static str {
        match self {
            MonState::Down => "down",
            MonState::Probing => "probing",
            MonState::Synchronizing => "synchronizing",
            MonState::Electing => "electing",
            MonState::Leader => "leader",
            MonState::Peon => "peon",
        }
    }
    pub fn from_name(s: &str) -> Option<MonState> {
        Some(match s {
            "down" => MonState::Down,
            "probing" => MonState::Probing,
            "synchronizing" => MonState::Synchronizing,
            "electing" => MonState::Electing,
            "leader" => MonState::Leader,
            "peon" => MonState::Peon,
            _ => return None,
        })
    }
}

/// Paxos states (§3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum PaxosState {
    Recovering,
    Active,
    Updating,
    UpdatingPrevious,
    Writing,
    WritingPrevious,
    Refresh,
    Shutdown,
}

impl PaxosState {
    /// Every state, in declaration order (for readers that map names back).
    pub const ALL: [PaxosState; 8] = [
        PaxosState::Recovering,
        PaxosState::Active,
        PaxosState::Updating,
        PaxosState::UpdatingPrevious,
        PaxosState::Writing,
        PaxosState::WritingPrevious,
        PaxosState::Refresh,
        PaxosState::Shutdown,
    ];

    pub fn name(self) -> &'static str {
        match self {
            PaxosState::Recovering => "recovering",
            PaxosState::Active => "active",
            PaxosState::Updating => "updating",
            PaxosState::UpdatingPrevious => "updating-previous",
            PaxosState::Writing => "writing",
            PaxosState::WritingPrevious => "writing-previous",
            PaxosState::Refresh => "refresh",
            PaxosState::Shutdown => "shutdown",
        }
    }
}

/// The paxos fields that move with the rounds; the proposal numbers,
/// which move only with an election's collect, are with the names
/// ([`StatusNames::accepted_pn`], `last_pn`), and the JSON has them here.
#[derive(Clone, Debug, PartialEq)]
pub struct PaxosStatus {
    pub state: PaxosState,
    pub first_committed: Version,
    pub last_committed: Version,
    /// Lease expiry on this monitor's own clock; 0 = no lease.
    pub lease_expire: Time,
}

/// A monitor's status: the fields that change with every paxos round, and
/// beside them the ones that change only with an election or a monmap (its
/// state, rank and epochs, its names and lists) in one shared allocation.
/// The trace records a new status for every change (about one event in
/// nine of an hour's run), and the statuses that repeat the names share
/// them: a recorded status is 56 bytes with its counts, not 152. The names
/// read (and, copied on write, are written) as the status's own fields:
/// `status.quorum` is `status.names.quorum`, `status.state` its state.
#[derive(Clone, Debug)]
pub struct MonStatus {
    pub paxos: PaxosStatus,
    pub names: Arc<StatusNames>,
}

// A recorded status is an `Arc` of it: 56 bytes, glibc's 64 class (with
// the state, rank and epochs among the fields it was 72, the 80 class).
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<MonStatus>() == 40);

/// The parts of a [`MonStatus`] that rarely change, shared by the statuses
/// that repeat them.
#[derive(Clone, Debug)]
pub struct StatusNames {
    pub state: MonState,
    pub rank: Rank,
    pub election_epoch: Epoch,
    pub monmap_epoch: u32,
    /// The leader's name while in quorum.
    pub leader: Option<Arc<str>>,
    /// Quorum members by name, in rank order (empty outside a quorum).
    pub quorum: Arc<[String]>,
    /// Health checks raised by this monitor as leader (`MON_DOWN`, ...), sorted.
    pub health: Vec<String>,
    /// Total connection scores by monitor name, as this monitor's tracker has
    /// them (rounded to 3 decimals); only under the connectivity strategy.
    pub scores: Box<[(String, f64)]>,
    /// The paxos proposal numbers (the JSON has them in `paxos`): they
    /// change only when a leader collects, as the names do.
    pub accepted_pn: u64,
    pub last_pn: u64,
}

impl std::ops::Deref for MonStatus {
    type Target = StatusNames;
    fn deref(&self) -> &StatusNames {
        &self.names
    }
}

/// Writing a name copies the names first when another status shares them.
impl std::ops::DerefMut for MonStatus {
    fn deref_mut(&mut self) -> &mut StatusNames {
        Arc::make_mut(&mut self.names)
    }
}

/// The JSON is what it was when the names were the status's own fields, in
/// the same order.
impl Serialize for MonStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("MonStatus", 9)?;
        st.serialize_field("state", &self.state)?;
        st.serialize_field("rank", &self.rank)?;
        st.serialize_field("election_epoch", &self.election_epoch)?;
        st.serialize_field("leader", &self.leader)?;
        st.serialize_field("quorum", &self.quorum)?;
        st.serialize_field("paxos", &PaxosJson(self))?;
        st.serialize_field("health", &self.health)?;
        st.serialize_field("monmap_epoch", &self.monmap_epoch)?;
        if self.scores.is_empty() {
            st.skip_field("scores")?;
        } else {
            st.serialize_field("scores", &self.scores)?;
        }
        st.end()
    }
}

/// A status's `paxos` as JSON: its fields and the proposal numbers, in
/// the order they were fields.
struct PaxosJson<'a>(&'a MonStatus);

impl Serialize for PaxosJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let (p, n) = (&self.0.paxos, &*self.0.names);
        let mut st = s.serialize_struct("PaxosStatus", 6)?;
        st.serialize_field("state", &p.state)?;
        st.serialize_field("first_committed", &p.first_committed)?;
        st.serialize_field("last_committed", &p.last_committed)?;
        st.serialize_field("accepted_pn", &n.accepted_pn)?;
        st.serialize_field("last_pn", &n.last_pn)?;
        st.serialize_field("lease_expire", &p.lease_expire)?;
        st.end()
    }
}

/// The simulator compares a monitor's status after every input it handles
/// and records it when it changed: the fields that change most (the paxos
/// state and versions) are compared first, the names last (by address
/// first: statuses share them). Every field is compared (the patterns name
/// them all, so a new one must be added).
impl PartialEq for MonStatus {
    fn eq(&self, o: &Self) -> bool {
        let MonStatus { paxos, names } = self;
        *paxos == o.paxos && (Arc::ptr_eq(names, &o.names) || **names == *o.names)
    }
}

impl PartialEq for StatusNames {
    fn eq(&self, o: &Self) -> bool {
        let StatusNames {
            state,
            rank,
            election_epoch,
            monmap_epoch,
            leader,
            quorum,
            health,
            scores,
            accepted_pn,
            last_pn,
        } = self;
        *state == o.state
            && *election_epoch == o.election_epoch
            && *rank == o.rank
            && *monmap_epoch == o.monmap_epoch
            && *accepted_pn == o.accepted_pn
            && *last_pn == o.last_pn
            && same_leader(leader, &o.leader)
            && same_names(quorum, &o.quorum)
            && *health == o.health
            && *scores == o.scores
    }
}

/// Equal names: the same allocation (statuses share them) or the same text.
/// `==` on an `Arc<str>` or `Arc<[String]>` compares the text every time
/// (std shares the pointer shortcut only for sized types).
pub fn same_names<T: ?Sized + PartialEq>(a: &Arc<T>, b: &Arc<T>) -> bool {
    Arc::ptr_eq(a, b) || a == b
}

/// [`same_names`] for a leader, who may be none.
pub fn same_leader(a: &Option<Arc<str>>, b: &Option<Arc<str>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => same_names(a, b),
        (a, b) => a.is_none() && b.is_none(),
    }
}

impl MonStatus {
    /// The status of a monitor that is not running.
    pub fn down(rank: Rank) -> MonStatus {
        MonStatus {
            paxos: PaxosStatus {
                state: PaxosState::Shutdown,
                first_committed: 0,
                last_committed: 0,
                lease_expire: 0,
            },
            names: Arc::new(StatusNames::down(rank)),
        }
    }
}

impl StatusNames {
    /// A monitor that is not running: no names, no epochs.
    pub fn down(rank: Rank) -> StatusNames {
        StatusNames {
            state: MonState::Down,
            rank,
            election_epoch: 0,
            monmap_epoch: 0,
            leader: None,
            quorum: Arc::new([]),
            health: Vec::new(),
            scores: Box::default(),
            accepted_pn: 0,
            last_pn: 0,
        }
    }
}
