//! Ceph's `ElectionOwner` for the length of one call, plus the Elector's
//! transport actions (Elector.cc, reference §2.2). Owner queries read the
//! [`ElectorEnv`]; owner callbacks become [`ElectorEffect`]s in call order;
//! messages and timers go to the [`Out`].

use super::tracker::ConnectionTracker;
use super::{ElectorEffect, ElectorEnv};
use crate::mon::messages::{ElectionOp, MMonElection, Message};
use crate::mon::monmap::Strategy;
use crate::mon::out::{Out, Timer};
use crate::mon::{Epoch, Rank};
use crate::time::{Duration, SEC};
use std::sync::Arc;

/// The Elector's own (non-logic) state: the expiry timer.
#[derive(Clone, Debug)]
pub(super) struct Transport {
    /// mon_election_timeout.
    pub election_timeout: Duration,
    /// Ceph's `expire_event != 0`.
    pub expire_armed: bool,
}

pub(super) struct Owner<'a, 'e> {
    pub env: &'a ElectorEnv<'e>,
    pub out: &'a mut Out,
    pub transport: &'a mut Transport,
    pub effects: Vec<ElectorEffect>,
}

impl Owner<'_, '_> {
    // ---- ElectionOwner queries ----

    pub fn my_rank(&self) -> Rank {
        self.env.my_rank
    }
    /// paxos_size() is the monmap size, down monitors included (§2.4).
    pub fn paxos_size(&self) -> usize {
        self.env.monmap.size()
    }
    pub fn ever_participated(&self) -> bool {
        self.env.ever_participated
    }
    pub fn is_current_member(&self, rank: Rank) -> bool {
        self.env.quorum.contains(&rank)
    }
    /// logic.strategy follows monmap.strategy.
    pub fn strategy(&self) -> Strategy {
        self.env.monmap.strategy
    }
    /// get_disallowed_leaders(): only consulted outside CLASSIC (§2.5, §2.8).
    pub fn is_disallowed(&self, rank: Rank) -> bool {
        self.strategy() != Strategy::Classic && self.env.monmap.disallowed_ranks().contains(&rank)
    }

    // ---- ElectionOwner callbacks (effects, applied by the Monitor in order) ----

    pub fn effect(&mut self, e: ElectorEffect) {
        self.effects.push(e);
    }

    // ---- Elector transport (§2.2) ----

    /// Send an MMonElection; `scoring` (scoring_bl) is my live tracker, sent
    /// on every op; `sharing` is the stable tracker on a CONNECTIVITY PROPOSE.
    fn send(
        &mut self,
        to: Rank,
        op: ElectionOp,
        epoch: Epoch,
        quorum: Vec<Rank>,
        scoring: &Arc<ConnectionTracker>,
        sharing: Option<&Arc<ConnectionTracker>>,
    ) {
        let Some(addr) = self.env.monmap.addr_of(to) else {
            return;
        };
        let msg = MMonElection {
            op,
            epoch,
            monmap: self.env.monmap.clone(),
            quorum,
            strategy: self.env.monmap.strategy,
            scoring: Some(scoring.clone()),
            sharing: sharing.cloned(),
        };
        self.out.send(addr, Message::Election(Box::new(msg)));
    }

    /// propose_to_peers: PROPOSE(e) to every monmap rank but me, down or not.
    pub fn propose_to_peers(
        &mut self,
        epoch: Epoch,
        scoring: &ConnectionTracker,
        sharing: Option<&ConnectionTracker>,
    ) {
        let scoring = Arc::new(scoring.clone());
        let sharing = sharing.map(|t| Arc::new(t.clone()));
        for r in self.env.monmap.ranks() {
            if r != self.my_rank() {
                self.send(
                    r,
                    ElectionOp::Propose,
                    epoch,
                    Vec::new(),
                    &scoring,
                    sharing.as_ref(),
                );
            }
        }
    }

    /// reset_timer(plus): cancel, then arm mon_election_timeout + plus.
    fn reset_timer(&mut self, plus: Duration) {
        let after = self.transport.election_timeout + plus;
        self.out.set_timer(Timer::ElectionExpire, after);
        self.transport.expire_armed = true;
    }

    /// _start(): peer_info is reset to just me (no features modelled); arm the timer.
    pub fn start_timer(&mut self) {
        self.reset_timer(0);
    }

    /// _defer_to(who): ACK(epoch) to who, then give the leader 1 s extra.
    pub fn defer_to(&mut self, epoch: Epoch, who: Rank, scoring: &ConnectionTracker) {
        let scoring = Arc::new(scoring.clone());
        self.send(who, ElectionOp::Ack, epoch, Vec::new(), &scoring, None);
        self.reset_timer(SEC);
    }

    pub fn cancel_timer(&mut self) {
        cancel_expire(self.transport, self.out);
    }

    /// message_victory: cancel the timer, VICTORY to every other quorum
    /// member, then Monitor::win_election.
    pub fn message_victory(
        &mut self,
        epoch: Epoch,
        quorum: Vec<Rank>,
        scoring: &ConnectionTracker,
    ) {
        self.cancel_timer();
        let scoring = Arc::new(scoring.clone());
        for &r in &quorum {
            if r != self.my_rank() {
                self.send(
                    r,
                    ElectionOp::Victory,
                    epoch,
                    quorum.clone(),
                    &scoring,
                    None,
                );
            }
        }
        self.effect(ElectorEffect::Win { epoch, quorum });
    }
}

/// Elector::cancel_timer: only if an expiry event is armed.
pub(super) fn cancel_expire(transport: &mut Transport, out: &mut Out) {
    if transport.expire_armed {
        out.cancel_timer(Timer::ElectionExpire);
        transport.expire_armed = false;
    }
}
