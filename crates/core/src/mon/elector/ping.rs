//! The Elector's pinging (Elector.cc, reference §2.7): every peer that has
//! spoken to me is pinged every ping_timeout / divisor; answers raise its
//! connection score, silence for ping_timeout marks it dead, and a dead peer
//! is not pinged again until some message from it arrives.

use super::{Elector, ElectorEffect, ElectorEnv};
use crate::fixed::Fixed;
use crate::mon::messages::{MMonPing, Message, PingOp};
use crate::mon::out::{Out, Timer};
use crate::mon::vecmap::VecMap;
use crate::mon::vecset::VecSet;
use crate::mon::Rank;
use crate::time::{Duration, Time};
use std::sync::Arc;

/// The Elector's pinging state.
#[derive(Clone, Debug)]
pub(super) struct Pinging {
    /// mon_elector_ping_timeout.
    pub ping_timeout: Duration,
    /// mon_elector_ping_divisor.
    pub divisor: u64,
    /// The monitor has been in a quorum since it started (Ceph: the quorum's
    /// mon features are known, and every monitor here has FEATURE_PINGING).
    pub quorum_features: bool,
    pub live_pinging: VecSet<Rank>,
    pub dead_pinging: VecSet<Rank>,
    /// Peers heard from before any quorum existed; pinged once one forms.
    pub pending_pings: VecSet<Rank>,
    /// peer_acked_ping: the stamp of the newest answered ping (or when the
    /// peer was last declared dead).
    pub acked: VecMap<Rank, Time>,
    /// peer_sent_ping: the stamp of the newest ping sent.
    pub sent: VecMap<Rank, Time>,
}

impl Pinging {
    pub fn new(ping_timeout: Duration, divisor: u64) -> Self {
        Pinging {
            ping_timeout,
            divisor: divisor.max(1),
            quorum_features: false,
            live_pinging: VecSet::new(),
            dead_pinging: VecSet::new(),
            pending_pings: VecSet::new(),
            acked: VecMap::new(),
            sent: VecMap::new(),
        }
    }
    /// ping_timeout / PING_DIVISOR.
    fn check_interval(&self) -> Duration {
        self.ping_timeout / self.divisor
    }
}

/// A time difference in seconds (the units of report_live/dead_connection).
fn secs(d: Time) -> f64 {
    d as f64 / 1_000_000.0
}

impl Elector {
    fn persist_if(&self, persist: bool, fx: &mut Vec<ElectorEffect>) {
        if persist {
            fx.push(ElectorEffect::PersistScores);
        }
    }

    /// notify_rank_removed(removed, new_rank) (Elector.cc): renumber the
    /// tracker, then move the pinging state of every rank above `removed`
    /// down by one, pinging (live or dead) whoever now holds each rank. The
    /// removed rank's pinging state goes; its acked/sent stamps are left, as
    /// in Ceph: begin_peer_ping resets them before they are read again.
    pub fn notify_rank_removed(
        &mut self,
        env: &ElectorEnv,
        removed: Rank,
        new_rank: Rank,
        out: &mut Out,
    ) -> Vec<ElectorEffect> {
        let mut fx = Vec::new();
        let p = self
            .logic
            .peer_tracker
            .notify_rank_removed(removed, new_rank);
        self.persist_if(p, &mut fx);
        // I am already new_rank for pinging purposes (the Monitor learns it
        // at its next bootstrap).
        let env = ElectorEnv {
            my_rank: new_rank,
            ..*env
        };
        let size = env.monmap.size() as Rank;
        if removed >= size {
            self.ping.live_pinging.remove(&removed);
            self.ping.dead_pinging.remove(&removed);
            self.ping.pending_pings.remove(&removed);
            return fx;
        }
        for i in removed + 1..=size {
            if self.ping.live_pinging.contains(&i) {
                self.ping.dead_pinging.remove(&(i - 1));
                if !self.ping.live_pinging.contains(&(i - 1)) {
                    fx.extend(self.begin_peer_ping(&env, i - 1, out));
                }
                if !self.ping.live_pinging.contains(&(i + 1)) {
                    self.ping.live_pinging.remove(&i);
                }
            } else if self.ping.dead_pinging.contains(&i) {
                self.ping.live_pinging.remove(&(i - 1));
                if !self.ping.dead_pinging.contains(&(i - 1)) {
                    self.begin_dead_ping(i - 1, out);
                }
                if !self.ping.dead_pinging.contains(&(i + 1)) {
                    self.ping.dead_pinging.remove(&i);
                }
            } else if i - 1 == removed {
                self.ping.live_pinging.remove(&removed);
                self.ping.dead_pinging.remove(&removed);
            }
        }
        // Pings held for a quorum are by rank too; keep them for the same monitors.
        self.ping.pending_pings = std::mem::take(&mut self.ping.pending_pings)
            .into_iter()
            .filter(|&r| r != removed)
            .map(|r| if r > removed { r - 1 } else { r })
            .collect();
        fx
    }

    /// begin_peer_ping(peer).
    pub fn begin_peer_ping(
        &mut self,
        env: &ElectorEnv,
        peer: Rank,
        out: &mut Out,
    ) -> Vec<ElectorEffect> {
        let mut fx = Vec::new();
        if peer < 0 || peer == env.my_rank || self.ping.live_pinging.contains(&peer) {
            return fx;
        }
        if !self.ping.quorum_features {
            // No quorum yet (we cannot know the quorum supports pinging).
            self.ping.pending_pings.insert(peer);
            return fx;
        }
        self.ping.pending_pings.remove(&peer);
        let p = self.logic.peer_tracker.report_live_connection(peer, 0.0);
        self.persist_if(p, &mut fx);
        self.ping.live_pinging.insert(peer);
        self.ping.dead_pinging.remove(&peer);
        // Ceph reads the clock here and again in send_peer_ping, so the
        // first ping's stamp is later than this "acked" and its reply counts
        // as live. One virtual clock gives both reads the same value; take
        // this one a microsecond earlier to keep that order.
        self.ping.acked.insert(peer, env.now.saturating_sub(1));
        if !self.send_peer_ping(env, peer, out) {
            return fx;
        }
        out.set_timer(Timer::PingCheck(peer), self.ping.check_interval());
        fx
    }

    /// The live tracker as a message payload, shared until it changes.
    fn tracker_payload(&mut self) -> Arc<crate::mon::elector::ConnectionTracker> {
        let changes = self.logic.peer_tracker.changes;
        if let Some((c, a)) = &self.tracker_cache {
            if *c == changes {
                return a.clone();
            }
        }
        let a = Arc::new(self.logic.peer_tracker.clone());
        self.tracker_cache = Some((changes, a.clone()));
        a
    }

    /// send_peer_ping: PING(now, my tracker); false if the peer left the monmap.
    fn send_peer_ping(&mut self, env: &ElectorEnv, peer: Rank, out: &mut Out) -> bool {
        let Some(addr) = env.monmap.addr_of(peer) else {
            // tracker 50089: never ping a rank that is no longer in the monmap.
            self.ping.live_pinging.remove(&peer);
            return false;
        };
        let tracker = self.tracker_payload();
        out.send(
            addr,
            Message::Ping(MMonPing {
                op: PingOp::Ping,
                stamp: env.now,
                tracker,
            }),
        );
        self.ping.sent.insert(peer, env.now);
        true
    }

    /// process_pending_pings: a quorum formed; ping everyone heard from before.
    pub fn notify_quorum_formed(&mut self, env: &ElectorEnv, out: &mut Out) -> Vec<ElectorEffect> {
        self.ping.quorum_features = true;
        let pending: Vec<Rank> = self.ping.pending_pings.iter().copied().collect();
        let mut fx = Vec::new();
        for peer in pending {
            fx.extend(self.begin_peer_ping(env, peer, out));
        }
        fx
    }

    /// ping_check(peer), every ping_timeout / divisor while the peer is live.
    pub fn on_ping_check(
        &mut self,
        env: &ElectorEnv,
        peer: Rank,
        out: &mut Out,
    ) -> Vec<ElectorEffect> {
        let mut fx = Vec::new();
        if !self.ping.live_pinging.contains(&peer) && !self.ping.dead_pinging.contains(&peer) {
            return fx;
        }
        let now = env.now;
        let acked = self.ping.acked.get(&peer).copied().unwrap_or(0);
        let sent = self.ping.sent.get(&peer).copied().unwrap_or(0);
        if acked != 0 && acked < now.saturating_sub(self.ping.ping_timeout) {
            out.log(format!(
                "elector({}) mon.{peer} did not ack a ping for {}s: connection dead",
                self.logic.epoch,
                Fixed(secs(now - acked), 1)
            ));
            let p = self
                .logic
                .peer_tracker
                .report_dead_connection(peer, secs(now - acked));
            self.persist_if(p, &mut fx);
            self.ping.acked.insert(peer, now);
            self.begin_dead_ping(peer, out);
            return fx;
        }
        if acked == sent && !self.send_peer_ping(env, peer, out) {
            return fx;
        }
        out.set_timer(Timer::PingCheck(peer), self.ping.check_interval());
        fx
    }

    /// begin_dead_ping: stop pinging; keep lowering the score every ping_timeout.
    fn begin_dead_ping(&mut self, peer: Rank, out: &mut Out) {
        if self.ping.dead_pinging.contains(&peer) {
            return;
        }
        self.ping.live_pinging.remove(&peer);
        self.ping.dead_pinging.insert(peer);
        out.set_timer(Timer::DeadPing(peer), self.ping.ping_timeout);
    }

    /// dead_ping(peer): report the silence since the last report; no ping is sent.
    pub fn on_dead_ping(
        &mut self,
        env: &ElectorEnv,
        peer: Rank,
        out: &mut Out,
    ) -> Vec<ElectorEffect> {
        let mut fx = Vec::new();
        if !self.ping.dead_pinging.contains(&peer) {
            return fx;
        }
        let acked = self.ping.acked.get(&peer).copied().unwrap_or(env.now);
        let p = self
            .logic
            .peer_tracker
            .report_dead_connection(peer, secs(env.now.saturating_sub(acked)));
        self.persist_if(p, &mut fx);
        self.ping.acked.insert(peer, env.now);
        out.set_timer(Timer::DeadPing(peer), self.ping.ping_timeout);
        fx
    }

    /// handle_ping(m) from the monitor at rank `from`.
    pub fn handle_ping(
        &mut self,
        env: &ElectorEnv,
        from: Rank,
        m: &MMonPing,
        out: &mut Out,
    ) -> Vec<ElectorEffect> {
        if from < 0 {
            return Vec::new();
        }
        let mut fx = self.begin_peer_ping(env, from, out);
        self.logic.peer_tracker.receive_peer_report(&m.tracker);
        self.logic.peer_tracker.forget_ranks_from(env.monmap.size());
        // Elector.cc, not reference §2.7: a PING leaves acked alone, an old PING_REPLY too.
        match m.op {
            PingOp::Ping => {
                if let Some(addr) = env.monmap.addr_of(from) {
                    let tracker = self.tracker_payload();
                    out.send(
                        addr,
                        Message::Ping(MMonPing {
                            op: PingOp::PingReply,
                            stamp: m.stamp,
                            tracker,
                        }),
                    );
                }
            }
            PingOp::PingReply => {
                let previous = self.ping.acked.get(&from).copied().unwrap_or(0);
                let newest = self.ping.sent.get(&from).copied().unwrap_or(0);
                if m.stamp > newest && newest != 0 {
                    out.log(format!(
                        "elector({}) dropping PING_REPLY stamp {} newer than the newest sent {newest}",
                        self.logic.epoch, m.stamp
                    ));
                    return fx;
                }
                if m.stamp > previous {
                    let p = self
                        .logic
                        .peer_tracker
                        .report_live_connection(from, secs(m.stamp - previous));
                    self.persist_if(p, &mut fx);
                    self.ping.acked.insert(from, m.stamp);
                }
                if env.now.saturating_sub(m.stamp) > self.ping.check_interval() {
                    self.send_peer_ping(env, from, out);
                }
            }
        }
        fx
    }
}
