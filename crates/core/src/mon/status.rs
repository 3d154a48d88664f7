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

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PaxosStatus {
    pub state: PaxosState,
    pub first_committed: Version,
    pub last_committed: Version,
    pub accepted_pn: u64,
    pub last_pn: u64,
    /// Lease expiry on this monitor's own clock; 0 = no lease.
    pub lease_expire: Time,
}

#[derive(Clone, Debug, Serialize)]
pub struct MonStatus {
    pub state: MonState,
    pub rank: Rank,
    pub election_epoch: Epoch,
    /// The leader's name while in quorum. Names are shared, not copied, by
    /// the statuses that repeat them (a monitor's status is recorded in the
    /// trace each time it changes, and its names rarely do).
    pub leader: Option<Arc<str>>,
    /// Quorum members by name, in rank order (empty outside a quorum).
    pub quorum: Arc<[String]>,
    pub paxos: PaxosStatus,
    /// Health checks raised by this monitor as leader (`MON_DOWN`, ...), sorted.
    pub health: Vec<String>,
    pub monmap_epoch: u32,
    /// Total connection scores by monitor name, as this monitor's tracker has
    /// them (rounded to 3 decimals); only under the connectivity strategy.
    /// A boxed slice, not a vector: 8 bytes less put the recorded
    /// status (an `Arc` of it per change) in glibc's next smaller class.
    #[serde(skip_serializing_if = "<[_]>::is_empty", default)]
    pub scores: Box<[(String, f64)]>,
}

/// The simulator compares a monitor's status after every input it handles
/// and records it when it changed: the fields that change most (the paxos
/// state and versions) are compared first, the names and lists last. Every
/// field is compared (the pattern names them all, so a new one must be added).
impl PartialEq for MonStatus {
    fn eq(&self, o: &Self) -> bool {
        let MonStatus {
            state,
            rank,
            election_epoch,
            leader,
            quorum,
            paxos,
            health,
            monmap_epoch,
            scores,
        } = self;
        *paxos == o.paxos
            && *state == o.state
            && *election_epoch == o.election_epoch
            && *rank == o.rank
            && *monmap_epoch == o.monmap_epoch
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
            state: MonState::Down,
            rank,
            election_epoch: 0,
            leader: None,
            quorum: Arc::new([]),
            paxos: PaxosStatus {
                state: PaxosState::Shutdown,
                first_committed: 0,
                last_committed: 0,
                accepted_pn: 0,
                last_pn: 0,
                lease_expire: 0,
            },
            health: Vec::new(),
            monmap_epoch: 0,
            scores: Box::default(),
        }
    }
}
