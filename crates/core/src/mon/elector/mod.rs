//! The Elector (Elector.cc: transport, timers, message rules, pinging) and its
//! ElectionLogic (ElectionLogic.cc: epochs, proposals, acks, victory) for the
//! classic, disallow and connectivity strategies, with the ConnectionTracker.
//!
//! Ceph's ElectionLogic calls back into its owner (persist_epoch,
//! trigger_new_election, reset_election, notify_bump_epoch, message_victory).
//! Here those calls become [`ElectorEffect`]s returned in order; the Monitor
//! applies them in that order after the call returns, which keeps the logic
//! free of re-entrant borrows while preserving Ceph's sequence of actions.
//! Owner queries (rank, paxos_size, quorum, has_ever_joined) arrive in [`ElectorEnv`].

mod connectivity;
mod logic;
mod owner;
mod ping;
#[cfg(test)]
mod tests;
mod tracker;

pub use logic::ElectionLogic;
pub use tracker::{ConnectionReport, ConnectionTracker};

use super::config::Config;
use super::messages::{ElectionOp, MMonElection, MMonPing};
use super::monmap::MonMap;
use super::out::Out;
use super::{Addr, Epoch, Rank};
use crate::time::Time;
use owner::{cancel_expire, Owner, Transport};
use ping::Pinging;
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
    /// persist_epoch: write `monitor/election_epoch = e` and
    /// `monitor/connectivity_scores` (the tracker) in one transaction.
    PersistEpoch(Epoch),
    /// persist_connectivity_scores: write `monitor/connectivity_scores`.
    PersistScores,
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

/// Ceph's Elector: the ElectionLogic plus its transport state (the timer).
#[derive(Clone, Debug)]
pub struct Elector {
    logic: ElectionLogic,
    transport: Transport,
    ping: Pinging,
    /// The live tracker as last sent in a ping, with its change count.
    tracker_cache: Option<(u64, Arc<ConnectionTracker>)>,
}

impl Elector {
    /// Constructed when a monitor boots; `persisted_epoch` is the store's
    /// monitor/election_epoch (0 if absent). The in-memory epoch is 0 until
    /// the first init() (§2.3), as in Ceph.
    pub fn new(persisted_epoch: Epoch, cfg: &Config) -> Elector {
        let mut logic = ElectionLogic::new(persisted_epoch);
        logic.ignore_propose_margin = cfg.mon_elector_ignore_propose_margin;
        logic.peer_tracker = ConnectionTracker::new(
            -1,
            cfg.mon_con_tracker_score_halflife as f64 / 1_000_000.0,
            cfg.mon_con_tracker_persist_interval,
        );
        Elector {
            logic,
            transport: Transport {
                election_timeout: cfg.mon_election_timeout,
                expire_armed: false,
            },
            ping: Pinging::new(cfg.mon_elector_ping_timeout, cfg.mon_elector_ping_divisor),
            tracker_cache: None,
        }
    }

    /// The tracker at construction (Ceph's Elector constructor): my rank, and
    /// `monitor/connectivity_scores` from the store if present. A tracker that
    /// does not decode, or that is not clean for this rank and monmap size,
    /// starts over (Monitor::init's notify_clear_peer_state).
    pub fn load_tracker(&mut self, rank: Rank, stored: Option<&[u8]>, monmap_size: usize) {
        let t = &mut self.logic.peer_tracker;
        if let Some(bytes) = stored {
            if let Some(d) = ConnectionTracker::decode(bytes, t.persist_interval) {
                *t = d;
            }
        }
        if !t.is_clean(rank, monmap_size) {
            t.notify_reset(rank);
        }
        self.tracker_cache = None;
    }

    /// notify_clear_peer_state: forget every connection report (a monitor
    /// that left the monmap without ever joining, or adopted a monmap more
    /// than one epoch ahead).
    pub fn notify_clear_peer_state(&mut self, rank: Rank) {
        self.logic.peer_tracker.notify_reset(rank);
    }

    /// notify_rank_changed: bootstrap found me at `new_rank`. Nobody pings
    /// themselves, so any pinging of that rank stops.
    pub fn notify_rank_changed(&mut self, new_rank: Rank) -> Vec<ElectorEffect> {
        let persist = self.logic.peer_tracker.notify_rank_changed(new_rank);
        self.ping.live_pinging.remove(&new_rank);
        self.ping.dead_pinging.remove(&new_rank);
        self.ping.pending_pings.remove(&new_rank);
        if persist {
            vec![ElectorEffect::PersistScores]
        } else {
            Vec::new()
        }
    }

    /// The encoded live tracker (`monitor/connectivity_scores`).
    pub fn encoded_tracker(&self) -> Vec<u8> {
        self.logic.peer_tracker.encode()
    }

    /// The live tracker (read-only).
    pub fn tracker(&self) -> &ConnectionTracker {
        &self.logic.peer_tracker
    }

    /// Peers being pinged (live) and declared dead, in rank order.
    pub fn pinging(&self) -> (Vec<Rank>, Vec<Rank>) {
        (
            self.ping.live_pinging.iter().copied().collect(),
            self.ping.dead_pinging.iter().copied().collect(),
        )
    }

    /// Pick up changed options (mon_election_timeout), as Ceph reads g_conf
    /// each time it arms the timer.
    pub fn set_config(&mut self, cfg: &Config) {
        self.transport.election_timeout = cfg.mon_election_timeout;
    }

    pub fn epoch(&self) -> Epoch {
        self.logic.epoch
    }
    pub fn electing_me(&self) -> bool {
        self.logic.electing_me
    }
    pub fn acked_me(&self) -> Vec<Rank> {
        self.logic.acked_me.iter().copied().collect()
    }
    /// The rank I deferred to; -1 if none.
    pub fn leader_acked(&self) -> Rank {
        self.logic.leader_acked
    }
    /// Whether the election expiry timer is armed.
    pub fn timer_armed(&self) -> bool {
        self.transport.expire_armed
    }
    /// The logic, read-only (for status output and tests).
    pub fn logic(&self) -> &ElectionLogic {
        &self.logic
    }

    /// Run one logic call with an owner, returning the owner callbacks in order.
    fn run(
        &mut self,
        env: &ElectorEnv,
        out: &mut Out,
        f: impl FnOnce(&mut ElectionLogic, &mut Owner),
    ) -> Vec<ElectorEffect> {
        let mut o = Owner {
            env,
            out,
            transport: &mut self.transport,
            effects: Vec::new(),
        };
        f(&mut self.logic, &mut o);
        o.effects
    }

    fn log(&self, out: &mut Out, text: impl AsRef<str>) {
        out.log(format!("elector({}) {}", self.logic.epoch, text.as_ref()));
    }

    /// Monitor::start_election → Elector::call_election → logic.start().
    pub fn call_election(&mut self, env: &ElectorEnv, out: &mut Out) -> Vec<ElectorEffect> {
        self.run(env, out, |l, o| l.start(o))
    }

    /// Elector::dispatch for an MMonElection from address `from` (§2.2).
    pub fn dispatch(
        &mut self,
        env: &ElectorEnv,
        from: Addr,
        msg: &MMonElection,
        out: &mut Out,
    ) -> Vec<ElectorEffect> {
        if !self.logic.participating {
            return Vec::new();
        }
        // Ceph drops a source rank ≥ monmap size, then a source address not in
        // my monmap; we name the sender by its address, so one check does both.
        let from_rank = env.monmap.rank_of_addr(from);
        if from_rank < 0 {
            self.log(
                out,
                format!(
                    "discarding election message from {}: not in my monmap",
                    from.0
                ),
            );
            return Vec::new();
        }
        if msg.monmap.epoch > env.monmap.epoch {
            // Ceph adopts and persists the newer monmap, cancels the timer,
            // notify_new_monmap, bootstraps and returns. Not modelled yet: the
            // adoption goes here (cancel_expire + a Bootstrap-like effect).
            self.log(
                out,
                format!(
                    "mon.{from_rank} has newer monmap epoch {}",
                    msg.monmap.epoch
                ),
            );
        }
        if msg.strategy != env.monmap.strategy {
            self.log(
                out,
                format!("election message from {from_rank} with different strategy, dropping"),
            );
            return Vec::new();
        }
        if let Some(t) = &msg.scoring {
            self.logic.peer_tracker.receive_peer_report(t);
            self.logic.peer_tracker.forget_ranks_from(env.monmap.size());
        }
        let mut fx = self.begin_peer_ping(env, from_rank, out);
        if msg.op == ElectionOp::Propose {
            fx.extend(self.handle_propose(env, from_rank, msg, out));
            return fx;
        }
        fx.extend(self.dispatch_op(env, from_rank, msg, out));
        fx
    }

    /// The rest of Elector::dispatch: old epochs dropped, then by op.
    fn dispatch_op(
        &mut self,
        env: &ElectorEnv,
        from_rank: Rank,
        msg: &MMonElection,
        out: &mut Out,
    ) -> Vec<ElectorEffect> {
        if msg.epoch < self.logic.epoch {
            self.log(
                out,
                format!("old epoch {} from {from_rank}, dropping", msg.epoch),
            );
            return Vec::new();
        }
        match msg.op {
            ElectionOp::Ack => self.handle_ack(env, from_rank, msg, out),
            ElectionOp::Victory => self.handle_victory(env, from_rank, msg, out),
            ElectionOp::Nak => {
                // Ceph exits: I lack required features. No features are
                // modelled, so no NAK is ever sent; ignore.
                self.log(out, format!("handle_nak from {from_rank}, ignoring"));
                Vec::new()
            }
            ElectionOp::Propose => Vec::new(),
        }
    }

    fn handle_propose(
        &mut self,
        env: &ElectorEnv,
        from: Rank,
        m: &MMonElection,
        out: &mut Out,
    ) -> Vec<ElectorEffect> {
        if m.epoch.is_multiple_of(2) {
            // Ceph asserts a PROPOSE carries an odd epoch.
            self.log(
                out,
                format!("propose from {from} at even epoch {}, dropping", m.epoch),
            );
            return Vec::new();
        }
        // (Feature and release checks, nak_old_peer: not modelled.)
        let ct = m.sharing.as_deref();
        self.run(env, out, |l, o| l.receive_propose(o, from, m.epoch, ct))
    }

    fn handle_ack(
        &mut self,
        env: &ElectorEnv,
        from: Rank,
        m: &MMonElection,
        out: &mut Out,
    ) -> Vec<ElectorEffect> {
        if m.epoch != self.logic.epoch {
            // Ceph asserts m.epoch == epoch; the logic has a path for a newer
            // ack (bump and restart), so take it instead of crashing.
            self.log(out, format!("ack from {from} at epoch {} != mine", m.epoch));
        }
        self.run(env, out, |l, o| l.receive_ack(o, from, m.epoch))
    }

    fn handle_victory(
        &mut self,
        env: &ElectorEnv,
        from: Rank,
        m: &MMonElection,
        out: &mut Out,
    ) -> Vec<ElectorEffect> {
        let quorum = m.quorum.clone();
        self.run(env, out, |l, o| {
            if l.receive_victory_claim(o, from, m.epoch) {
                o.effect(ElectorEffect::Lose {
                    epoch: l.epoch,
                    quorum,
                    leader: from,
                });
                o.cancel_timer();
            }
        })
    }

    /// Timer::ElectionExpire fired → end_election_period().
    pub fn on_expire(&mut self, env: &ElectorEnv, out: &mut Out) -> Vec<ElectorEffect> {
        if !self.transport.expire_armed {
            self.log(out, "election timer fired but was not armed, ignoring");
            return Vec::new();
        }
        self.transport.expire_armed = false;
        self.run(env, out, |l, o| l.end_election_period(o))
    }

    /// Monitor::win_standalone_election → declare_standalone_victory(); the
    /// Monitor then wins with quorum {0} at `epoch()`.
    pub fn declare_standalone_victory(
        &mut self,
        env: &ElectorEnv,
        out: &mut Out,
    ) -> Vec<ElectorEffect> {
        self.run(env, out, |l, o| l.declare_standalone_victory(o))
    }

    /// An MMonPing from address `from` (Elector::handle_ping).
    pub fn dispatch_ping(
        &mut self,
        env: &ElectorEnv,
        from: Addr,
        msg: &MMonPing,
        out: &mut Out,
    ) -> Vec<ElectorEffect> {
        let from_rank = env.monmap.rank_of_addr(from);
        if from_rank < 0 {
            self.log(out, "ping from an address not in my monmap, dropping");
            return Vec::new();
        }
        self.handle_ping(env, from_rank, msg, out)
    }

    /// Total connection scores by rank, as this monitor's live tracker has
    /// them, rounded to 3 decimals for display.
    pub fn scores(&self, monmap: &MonMap) -> Vec<(Rank, f64)> {
        monmap
            .ranks()
            .map(|r| {
                let s = self.logic.peer_tracker.total_score(r).0;
                (r, (s * 1000.0).round() / 1000.0)
            })
            .collect()
    }

    /// Elector::cancel_timer (Ceph calls it from Elector::shutdown and when
    /// adopting a newer monmap; bootstrap and _reset do not).
    pub fn cancel_timer(&mut self, out: &mut Out) {
        cancel_expire(&mut self.transport, out);
    }
}
