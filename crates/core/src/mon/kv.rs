//! The config-key service: KVMonitor.cc on top of PaxosService.cc (§4).
//! Versions live under prefix "kv" ("<v>" increments, first/last_committed);
//! the data itself under "config-key" (key → UTF-8 value).

use super::consensus::{Fx, Origin, PaxosCtx, PaxosEffect, Waiter};
use super::messages::{ClientOp, ClientResult, MClientReply, MClientRequest};
use super::out::Timer;
use super::paxos::Paxos;
use super::status::PaxosState;
use super::store::{MonitorDBStore, Transaction};
use super::Version;
use crate::time::Duration;
use std::collections::BTreeMap;

/// The service's store prefix.
pub const KV: &str = "kv";
/// Where the committed user data lives (KV_PREFIX in KVMonitor.cc).
pub const KV_PREFIX: &str = "config-key";
/// How many increments KVMonitor keeps ("we don't need that many old states, but keep a few").
pub const MAX_HISTORY: Version = 50;

#[derive(Clone, Debug)]
pub struct KvService {
    /// cached_first_committed / cached_last_committed.
    pub first_committed: Version,
    pub last_committed: Version,
    have_pending: bool,
    pending: BTreeMap<String, String>,
    pub proposing: bool,
    /// proposal_timer is armed.
    proposal_timer: bool,
    /// Real KVMonitor calls force_immediate_propose() for every set; monscope
    /// keeps should_propose's batching by default (set true for Ceph's behaviour).
    pub force_immediate_propose: bool,
    need_immediate_propose: bool,
    waiting_for_finished_proposal: Vec<Waiter>,
    /// wait_for_commit: (origin, tid) of writes in the pending/proposed increment.
    waiting_for_commit: Vec<(Origin, u64)>,
}

impl KvService {
    /// PaxosService::init + the first refresh, from the store.
    pub fn init(store: &MonitorDBStore) -> KvService {
        KvService {
            first_committed: store.get_u64(KV, "first_committed"),
            last_committed: store.get_u64(KV, "last_committed"),
            have_pending: false,
            pending: BTreeMap::new(),
            proposing: false,
            proposal_timer: false,
            force_immediate_propose: false,
            need_immediate_propose: false,
            waiting_for_finished_proposal: Vec::new(),
            waiting_for_commit: Vec::new(),
        }
    }

    // ---- §3.8 at service level ----
    fn paxos_auw(paxos: &Paxos) -> bool {
        matches!(
            paxos.state,
            PaxosState::Active | PaxosState::Updating | PaxosState::Writing
        )
    }
    pub fn is_active(&self, paxos: &Paxos) -> bool {
        !self.proposing && Self::paxos_auw(paxos)
    }
    pub fn is_readable(&self, ctx: &PaxosCtx, paxos: &Paxos, ver: Version) -> bool {
        ver <= self.last_committed
            && paxos.is_readable(0, ctx.now, ctx.quorum.len(), ctx.is_leader || ctx.is_peon)
            && self.last_committed > 0
    }
    fn is_write_ready(&self, paxos: &Paxos) -> bool {
        self.is_active(paxos) && self.have_pending
    }
    pub fn is_writeable(&self, paxos: &Paxos) -> bool {
        !self.proposing && self.is_write_ready(paxos) && Self::paxos_auw(paxos)
    }
    fn wait_for_active(&mut self, paxos: &mut Paxos, w: Waiter) {
        if self.proposing {
            self.waiting_for_finished_proposal.push(w);
        } else {
            paxos.wait_for_active(w);
        }
    }
    fn wait_for_readable(&mut self, paxos: &mut Paxos, w: Waiter, ver: Version) {
        if self.proposing || ver > self.last_committed || self.last_committed == 0 {
            self.waiting_for_finished_proposal.push(w);
        } else {
            paxos.wait_for_readable(w);
        }
    }
    fn wait_for_writeable(&mut self, paxos: &mut Paxos, w: Waiter) {
        if self.proposing {
            self.waiting_for_finished_proposal.push(w);
        } else if !self.is_write_ready(paxos) {
            self.wait_for_active(paxos, w);
        } else {
            paxos.wait_for_writeable(w);
        }
    }

    /// PaxosService::dispatch.
    pub fn dispatch(
        &mut self,
        ctx: &mut PaxosCtx,
        fx: &mut Fx,
        paxos: &mut Paxos,
        origin: Origin,
        req: MClientRequest,
    ) {
        if !self.is_readable(ctx, paxos, 0) {
            ctx.out
                .log(format!("kv tid {}: waiting for paxos -> readable", req.tid));
            self.wait_for_readable(paxos, Waiter::Retry { origin, req }, 0);
            return;
        }
        if self.preprocess_query(ctx, fx, paxos, &origin, &req) {
            return;
        }
        if !ctx.is_leader {
            fx.effects.push(PaxosEffect::Forward { origin, req });
            return;
        }
        if !self.is_writeable(paxos) {
            ctx.out.log(format!(
                "kv tid {}: waiting for paxos -> writeable",
                req.tid
            ));
            self.wait_for_writeable(paxos, Waiter::Retry { origin, req });
            return;
        }
        if !self.prepare_update(ctx, origin, &req) {
            return;
        }
        if self.need_immediate_propose {
            ctx.out.log("kv: forced immediate propose");
            self.propose_pending(ctx, fx, paxos);
            return;
        }
        let delay = self.should_propose(ctx, paxos);
        if delay == 0 {
            self.propose_pending(ctx, fx, paxos);
        } else if !self.proposal_timer {
            ctx.out.log(format!(
                "kv: proposal timer in {}",
                crate::time::format_duration(delay)
            ));
            self.proposal_timer = true;
            ctx.out.set_timer(Timer::ProposeTimer, delay);
        }
    }

    /// KVMonitor::preprocess_query: reads answer from the committed data.
    fn preprocess_query(
        &mut self,
        ctx: &mut PaxosCtx,
        fx: &mut Fx,
        paxos: &Paxos,
        origin: &Origin,
        req: &MClientRequest,
    ) -> bool {
        let ClientOp::Read { key } = &req.op else {
            return false;
        };
        let value = ctx.store.get_str(KV_PREFIX, key);
        let version = paxos.last_committed;
        ctx.out.log(format!("config-key get {key} at v{version}"));
        fx.effects.push(PaxosEffect::Reply {
            origin: origin.clone(),
            reply: MClientReply {
                tid: req.tid,
                result: ClientResult::Value { value, version },
            },
        });
        true
    }

    /// KVMonitor::prepare_update ("config-key set"): put into pending, wait for commit.
    fn prepare_update(&mut self, ctx: &mut PaxosCtx, origin: Origin, req: &MClientRequest) -> bool {
        let ClientOp::Write { key, value } = &req.op else {
            return false;
        };
        ctx.out.log(format!("config-key set {key}"));
        self.pending.insert(key.clone(), value.clone());
        if self.force_immediate_propose {
            self.need_immediate_propose = true;
        }
        self.waiting_for_commit.push((origin, req.tid));
        true
    }

    /// should_propose: quick startup, then damping by paxos_propose_interval.
    fn should_propose(&self, ctx: &PaxosCtx, paxos: &Paxos) -> Duration {
        if self.last_committed <= 1 {
            0
        } else if ctx.now.saturating_sub(paxos.last_commit_time) > ctx.cfg.paxos_propose_interval {
            ctx.cfg.paxos_min_wait
        } else {
            (paxos.last_commit_time + ctx.cfg.paxos_propose_interval).saturating_sub(ctx.now)
        }
    }

    /// The proposal timer fired.
    pub fn proposal_timer_fired(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx, paxos: &mut Paxos) {
        if !self.proposal_timer {
            ctx.out.log("stale kv proposal timer ignored");
            return;
        }
        self.proposal_timer = false;
        self.propose_pending(ctx, fx, paxos);
    }

    /// PaxosService::propose_pending: append to paxos' one pending transaction.
    fn propose_pending(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx, paxos: &mut Paxos) {
        if !self.have_pending || self.proposing || !ctx.is_leader || !self.is_active(paxos) {
            ctx.out.log("kv propose_pending: not ready, dropped");
            return;
        }
        if self.proposal_timer {
            self.proposal_timer = false;
            ctx.out.cancel_timer(Timer::ProposeTimer);
        }
        self.encode_pending(paxos.get_pending_transaction());
        self.have_pending = false;
        self.proposing = true;
        self.need_immediate_propose = false;
        paxos.queue_pending_finisher(Waiter::Committed);
        paxos.trigger_propose(ctx, fx);
    }

    /// KVMonitor::encode_pending: the increment at lc+1, then the data itself.
    fn encode_pending(&mut self, t: &mut Transaction) {
        let v = self.last_committed + 1;
        let mut inc = Transaction::new();
        for (k, val) in &self.pending {
            inc.put(KV_PREFIX, k, val.as_bytes().to_vec());
        }
        t.put(KV, &v.to_string(), inc.encode());
        t.put_u64(KV, "last_committed", v);
        if self.first_committed == 0 {
            t.put_u64(KV, "first_committed", v);
        }
        t.append(inc);
        self.pending.clear();
    }

    /// PaxosService::_active.
    pub fn active(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx, paxos: &mut Paxos) {
        if self.proposing {
            return;
        }
        if !self.is_active(paxos) {
            self.wait_for_active(paxos, Waiter::Active);
            return;
        }
        if ctx.is_leader {
            if !self.have_pending {
                // create_pending
                self.pending.clear();
                self.have_pending = true;
            }
            if self.last_committed == 0 {
                ctx.out.log("kv create_initial");
                self.propose_pending(ctx, fx, paxos);
                return;
            }
        }
        fx.finish(
            std::mem::take(&mut self.waiting_for_finished_proposal),
            true,
        );
    }

    /// PaxosService::election_finished.
    pub fn election_finished(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx, paxos: &mut Paxos) {
        self.fail_waiters(ctx, fx);
        self.active(ctx, fx, paxos);
    }

    /// finish_contexts(-EAGAIN) on the proposal and commit waiters: dropped,
    /// the clients retry.
    fn fail_waiters(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx) {
        fx.finish(
            std::mem::take(&mut self.waiting_for_finished_proposal),
            false,
        );
        for (_, tid) in std::mem::take(&mut self.waiting_for_commit) {
            ctx.out.log(format!("dropping kv write tid {tid} (EAGAIN)"));
        }
    }

    /// PaxosService::restart (from Monitor::_reset).
    pub fn restart(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx) {
        if self.proposal_timer {
            self.proposal_timer = false;
            ctx.out.cancel_timer(Timer::ProposeTimer);
        }
        self.fail_waiters(ctx, fx);
        self.have_pending = false;
        self.pending.clear();
        self.proposing = false;
        self.need_immediate_propose = false;
    }

    /// PaxosService::refresh: re-read the versions; commit waiters are answered
    /// when the service's lc advanced (the write is in the committed increment,
    /// paxos version `paxos_v`). Returns need_bootstrap (never, for kv).
    pub fn refresh(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx, paxos_v: Version) -> bool {
        let fc = ctx.store.get_u64(KV, "first_committed");
        let lc = ctx.store.get_u64(KV, "last_committed");
        if lc > self.last_committed {
            for (origin, tid) in std::mem::take(&mut self.waiting_for_commit) {
                fx.effects.push(PaxosEffect::Reply {
                    origin,
                    reply: MClientReply {
                        tid,
                        result: ClientResult::Written { version: paxos_v },
                    },
                });
            }
        }
        self.first_committed = fc;
        self.last_committed = lc;
        false
    }

    /// PaxosService::post_refresh: a peon fails its proposal and commit waiters.
    pub fn post_refresh(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx) {
        if ctx.is_peon {
            self.fail_waiters(ctx, fx);
        }
    }

    /// KVMonitor::tick: nothing periodic.
    pub fn tick(&mut self, _ctx: &mut PaxosCtx, _fx: &mut Fx, _paxos: &mut Paxos) {}

    /// KVMonitor::get_trim_to: keep the last MAX_HISTORY (50) increments.
    fn get_trim_to(&self) -> Version {
        self.last_committed.saturating_sub(MAX_HISTORY)
    }

    /// PaxosService::maybe_trim (§3.10), each tick on a writeable leader.
    pub fn maybe_trim(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx, paxos: &mut Paxos) {
        if !ctx.is_leader || !self.is_writeable(paxos) {
            return;
        }
        let fc = self.first_committed;
        let trim_to = self.get_trim_to();
        if trim_to < fc {
            return;
        }
        let span = trim_to - fc;
        let (min, max) = (
            ctx.cfg.paxos_service_trim_min,
            ctx.cfg.paxos_service_trim_max,
        );
        if min > 0 && span < min {
            return;
        }
        let to_remove = if max == 0 || span < max {
            span
        } else if span.saturating_mul(2) < max.saturating_mul(3) {
            max
        } else {
            let n = (max + span) / 2;
            match ctx.cfg.paxos_service_trim_max_multiplier {
                0 => n,
                m => n.min(max.saturating_mul(m)),
            }
        };
        if to_remove == 0 {
            return;
        }
        let trim_to = fc + to_remove;
        ctx.out.log(format!("kv trim to {trim_to}"));
        let t = paxos.get_pending_transaction();
        for v in fc..trim_to {
            t.erase(KV, &v.to_string());
            let full = format!("full_{v}");
            if ctx.store.exists(KV, &full) {
                t.erase(KV, &full);
            }
        }
        t.put_u64(KV, "first_committed", trim_to);
        self.first_committed = trim_to;
        paxos.trigger_propose(ctx, fx);
    }
}
