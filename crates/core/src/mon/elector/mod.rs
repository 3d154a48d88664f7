//! The Elector (Elector.cc: transport, timers, message rules) and its
//! ElectionLogic (ElectionLogic.cc: epochs, proposals, acks, victory) for the
//! classic and disallow strategies.
//!
//! Ceph's ElectionLogic calls back into its owner (persist_epoch,
//! trigger_new_election, reset_election, notify_bump_epoch, message_victory).
//! Here those calls become [`ElectorEffect`]s returned in order; the Monitor
//! applies them in that order after the call returns, which keeps the logic
//! free of re-entrant borrows while preserving Ceph's sequence of actions.
//! Owner queries (rank, paxos_size, quorum, has_ever_joined) arrive in [`ElectorEnv`].

use super::monmap::MonMap;
use super::{Epoch, Rank};
use crate::time::Time;
use std::sync::Arc;

/// What the Elector needs to know about its monitor for one call.
pub struct ElectorEnv<'a> {
    /// This monitor's clock.
    pub now: Time,
    pub my_rank: Rank,
    /// The monmap (paxos_size = its size; addresses for sending).
    pub monmap: &'a Arc<MonMap>,
    /// The monitor's current quorum (empty if none).
    pub quorum: &'a [Rank],
    /// has_ever_joined (ElectionOwner::ever_participated).
    pub ever_participated: bool,
}

/// A call the logic makes into its owner, to be applied by the Monitor in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ElectorEffect {
    /// persist_epoch: write `monitor/election_epoch = e`.
    PersistEpoch(Epoch),
    /// notify_bump_epoch → Monitor::join_election (reset, state = electing).
    JoinElection,
    /// trigger_new_election → Monitor::start_election (which calls call_election).
    StartElection,
    /// reset_election → Monitor::bootstrap.
    Bootstrap,
    /// message_victory sent VICTORY; now Monitor::win_election(epoch, quorum).
    Win { epoch: Epoch, quorum: Vec<Rank> },
    /// handle_victory accepted the claim; now Monitor::lose_election(epoch, quorum, leader).
    Lose {
        epoch: Epoch,
        quorum: Vec<Rank>,
        leader: Rank,
    },
}
