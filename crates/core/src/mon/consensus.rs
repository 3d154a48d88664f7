//! The Monitor's door to Paxos and its services (Monitor.cc's calls into
//! Paxos and PaxosService). Ceph's Paxos and services call each other
//! re-entrantly through `Context` callbacks; here those callbacks are plain
//! data ([`Waiter`]s) queued as [`Step`]s in an [`Fx`] and run by
//! [`Consensus`] right after the call that woke them, depth first, which is
//! the order Ceph's `finish_contexts` runs them in.

use super::auth_service::AuthService;
use super::clog::Prio;
use super::config::Config;
use super::health_service::HealthService;
use super::kv::KvService;
use super::log_service::LogService;
use super::mds_service::{MdsService, OsdService};
use super::messages::{ClientOp, MClientReply, MClientRequest, MMonPaxos};
use super::monmap::MonMap;
use super::monmap_service::MonmapService;
use super::out::{Out, Timer};
use super::paxos::{Paxos, PaxosStep};
use super::paxos_service::{PaxosService, ServiceClass, ServiceId, ServiceWaiter};
use super::session::Sessions;
use super::status::PaxosStatus;
use super::store::MonitorDBStore;
use super::{Addr, Epoch, Rank, Version};
use crate::time::Time;
use std::sync::Arc;

#[cfg(test)]
mod harness;
mod services;
#[cfg(test)]
mod tests;

/// Everything Paxos and the services need from their Monitor for one call.
pub struct PaxosCtx<'a> {
    /// This monitor's own clock (may be skewed): leases compare against it.
    pub now: Time,
    pub cfg: &'a Config,
    pub store: &'a mut MonitorDBStore,
    pub out: &'a mut Out,
    pub my_rank: Rank,
    /// Monitor state LEADER.
    pub is_leader: bool,
    /// Monitor state PEON.
    pub is_peon: bool,
    /// -1 outside a quorum.
    pub leader: Rank,
    /// Sorted; empty outside a quorum.
    pub quorum: &'a [Rank],
    pub election_epoch: Epoch,
    pub monmap: &'a MonMap,
    /// The monitor's open client sessions (a request from a closed one is
    /// discarded, PaxosService::dispatch).
    pub sessions: &'a Sessions,
}

/// Where a client request came from, so the reply can find its way back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Client(Addr),
    Forwarded { peon: Addr, client: Addr },
}

/// What the Monitor must do after a call, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum PaxosEffect {
    /// Monitor::bootstrap().
    Bootstrap { reason: String },
    /// Answer a client (directly, or as MRoute via the peon).
    Reply { origin: Origin, reply: MClientReply },
    /// I am not the leader: forward to the leader.
    Forward { origin: Origin, req: MClientRequest },
    /// MonmapMonitor::on_active: the Monitor sets has_ever_joined if paxos lc >= 1.
    Active,
    /// MonmapMonitor::update_from_paxos decoded a newer committed monmap: the
    /// Monitor adopts it (a Bootstrap follows).
    NewMonmap(Arc<MonMap>),
    /// A service's own cluster log line (`mon.clog`), such as
    /// MDSMonitor::on_active's "fsmap ".
    Clog { prio: Prio, msg: String },
}

/// A Ceph `Context` waiting on Paxos or a service, as data.
#[derive(Clone, Debug, PartialEq)]
pub enum Waiter {
    /// Paxos::C_Trimmed (a paxos finisher): trimming = false.
    Trimmed,
    /// One of a PaxosService's contexts, for that service.
    Service(ServiceId, ServiceWaiter),
}

/// One deferred piece of work.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Paxos::do_refresh → Monitor::refresh_from_paxos, after paxos reached
    /// `version`; unless it bootstraps, `then` follows.
    Refresh { version: Version, then: PaxosStep },
    /// Paxos work that waited for the steps before it (see [`PaxosStep`]).
    Paxos(PaxosStep),
    /// finish_contexts: run a waiter with success (true) or -EAGAIN (false).
    Finish(Waiter, bool),
}

/// Effects and deferred steps collected during one call.
#[derive(Debug, Default)]
pub struct Fx {
    pub effects: Vec<PaxosEffect>,
    pub steps: Vec<Step>,
}

impl Fx {
    pub fn bootstrap(&mut self, out: &mut Out, reason: impl Into<String>) {
        let reason = reason.into();
        out.log(format!("{reason}, bootstrap"));
        self.effects.push(PaxosEffect::Bootstrap { reason });
    }
    pub fn bootstrapped(&self) -> bool {
        self.effects
            .iter()
            .any(|e| matches!(e, PaxosEffect::Bootstrap { .. }))
    }
    /// finish_contexts(list, ok ? 0 : -EAGAIN). The list is drained in
    /// place: it keeps its buffer for the next waiters (the finishers of
    /// every proposal went through a new one).
    /// An empty list (the common case) returns where it is called.
    #[inline]
    pub fn finish(&mut self, list: &mut Vec<Waiter>, ok: bool) {
        if !list.is_empty() {
            self.finish_all(list, ok);
        }
    }
    #[inline(never)]
    fn finish_all(&mut self, list: &mut Vec<Waiter>, ok: bool) {
        self.steps
            .extend(list.drain(..).map(|w| Step::Finish(w, ok)));
    }
}

#[derive(Clone, Debug)]
pub struct Consensus {
    pub paxos: Paxos,
    pub kv: PaxosService<KvService>,
    pub monmap: PaxosService<MonmapService>,
    /// MDSMonitor: the (empty) FSMap's first version.
    pub mds: PaxosService<MdsService>,
    /// OSDMonitor: the (empty) OSDMap's first version.
    pub osd: PaxosService<OsdService>,
    /// LogMonitor: the cluster log.
    pub logm: PaxosService<LogService>,
    /// AuthMonitor: the range of global ids.
    pub auth: PaxosService<AuthService>,
    /// HealthMonitor: the leader's health checks.
    pub health: PaxosService<HealthService>,
    /// The deferred steps' buffer, empty between inputs and kept for the
    /// next (see [`Consensus::drain`]): a fresh one allocated each input.
    steps: Vec<Step>,
}

impl Consensus {
    /// Paxos::init and the services' init, from the store at boot (or after a sync).
    pub fn new(store: &MonitorDBStore) -> Consensus {
        let mut c = Consensus {
            paxos: Paxos::init(store),
            kv: PaxosService::init(store),
            monmap: PaxosService::init(store),
            mds: PaxosService::init(store),
            osd: PaxosService::init(store),
            logm: PaxosService::init(store),
            auth: PaxosService::init(store),
            health: PaxosService::init(store),
            steps: Vec::new(),
        };
        c.auth.service.load(store);
        c.health.service.load(store);
        c
    }

    /// The effects of one input, gathered with the kept steps' buffer.
    fn fx(&mut self) -> Fx {
        Fx {
            effects: Vec::new(),
            steps: std::mem::take(&mut self.steps),
        }
    }

    /// Monitor::init_paxos after a sync (sync_finish): Paxos and every
    /// service reload from the store, keeping the requests that wait on them
    /// (a client's read waiting for a readable Paxos is answered once the
    /// synced monitor is in quorum, not dropped with its session kept).
    pub fn reinit(&mut self, store: &MonitorDBStore) {
        self.paxos.reinit(store);
        self.kv.reinit(store);
        self.monmap.reinit(store);
        self.mds.reinit(store);
        self.osd.reinit(store);
        self.logm.reinit(store);
        self.auth.reinit(store);
        self.auth.service.load(store);
        self.health.reinit(store);
        self.health.service.load(store);
    }

    /// From Monitor::_reset: paxos.restart() then every service's restart().
    pub fn restart(&mut self, ctx: &mut PaxosCtx) -> Vec<PaxosEffect> {
        let mut fx = self.fx();
        self.paxos.restart(ctx, &mut fx);
        self.monmap.restart(ctx, &mut fx);
        self.mds.restart(ctx, &mut fx);
        self.osd.restart(ctx, &mut fx);
        self.logm.restart(ctx, &mut fx);
        self.auth.restart(ctx, &mut fx);
        self.health.restart(ctx, &mut fx);
        self.kv.restart(ctx, &mut fx);
        self.drain(ctx, fx)
    }

    /// win_election: paxos.leader_init() then the services' election_finished().
    pub fn leader_init(&mut self, ctx: &mut PaxosCtx) -> Vec<PaxosEffect> {
        let mut fx = self.fx();
        self.paxos.leader_init(ctx, &mut fx);
        if !fx.bootstrapped() {
            // MonmapMonitor first, then every other service in Ceph's
            // order (§1.7; mds, osd, logm, auth, health and kv are
            // PAXOS_MDSMAP, PAXOS_OSDMAP, PAXOS_LOG, PAXOS_AUTH,
            // PAXOS_HEALTH and PAXOS_KV).
            self.monmap.election_finished(ctx, &mut fx, &mut self.paxos);
            self.mds.election_finished(ctx, &mut fx, &mut self.paxos);
            self.osd.election_finished(ctx, &mut fx, &mut self.paxos);
            self.logm.election_finished(ctx, &mut fx, &mut self.paxos);
            self.auth.election_finished(ctx, &mut fx, &mut self.paxos);
            self.health.election_finished(ctx, &mut fx, &mut self.paxos);
            self.kv.election_finished(ctx, &mut fx, &mut self.paxos);
        }
        self.drain(ctx, fx)
    }

    /// lose_election: paxos.peon_init() then the services' election_finished().
    pub fn peon_init(&mut self, ctx: &mut PaxosCtx) -> Vec<PaxosEffect> {
        let mut fx = self.fx();
        self.paxos.peon_init(ctx, &mut fx);
        self.monmap.election_finished(ctx, &mut fx, &mut self.paxos);
        self.mds.election_finished(ctx, &mut fx, &mut self.paxos);
        self.osd.election_finished(ctx, &mut fx, &mut self.paxos);
        self.logm.election_finished(ctx, &mut fx, &mut self.paxos);
        self.auth.election_finished(ctx, &mut fx, &mut self.paxos);
        self.health.election_finished(ctx, &mut fx, &mut self.paxos);
        self.kv.election_finished(ctx, &mut fx, &mut self.paxos);
        self.drain(ctx, fx)
    }

    /// An MMonPaxos that passed the Monitor's epoch gates (§1.8).
    pub fn handle_paxos(
        &mut self,
        ctx: &mut PaxosCtx,
        from: Rank,
        m: &MMonPaxos,
    ) -> Vec<PaxosEffect> {
        let mut fx = self.fx();
        self.paxos.dispatch(ctx, &mut fx, from, m);
        self.drain(ctx, fx)
    }

    /// A paxos timer or a service's proposal timer fired.
    pub fn handle_timer(&mut self, ctx: &mut PaxosCtx, t: Timer) -> Vec<PaxosEffect> {
        let mut fx = self.fx();
        if t == KvService::META.propose_timer {
            self.kv.proposal_timer_fired(ctx, &mut fx, &mut self.paxos);
        } else if t == MonmapService::META.propose_timer {
            self.monmap
                .proposal_timer_fired(ctx, &mut fx, &mut self.paxos);
        } else if t == MdsService::META.propose_timer {
            self.mds.proposal_timer_fired(ctx, &mut fx, &mut self.paxos);
        } else if t == OsdService::META.propose_timer {
            self.osd.proposal_timer_fired(ctx, &mut fx, &mut self.paxos);
        } else if t == LogService::META.propose_timer {
            self.logm
                .proposal_timer_fired(ctx, &mut fx, &mut self.paxos);
        } else if t == AuthService::META.propose_timer {
            self.auth
                .proposal_timer_fired(ctx, &mut fx, &mut self.paxos);
        } else if t == HealthService::META.propose_timer {
            self.health
                .proposal_timer_fired(ctx, &mut fx, &mut self.paxos);
        } else {
            self.paxos.handle_timer(ctx, &mut fx, t);
        }
        self.drain(ctx, fx)
    }

    /// Monitor::tick: every service's tick() and maybe_trim() (the leader's
    /// AuthMonitor::tick is the only tick modelled here; HealthMonitor's
    /// runs from the Monitor with the checks it computes, and a peon's
    /// AuthMonitor::tick is [`Consensus::auth_wants_global_ids`]).
    pub fn tick(&mut self, ctx: &mut PaxosCtx) -> Vec<PaxosEffect> {
        let mut fx = self.fx();
        self.monmap.maybe_trim(ctx, &mut fx, &mut self.paxos);
        self.mds.maybe_trim(ctx, &mut fx, &mut self.paxos);
        self.osd.maybe_trim(ctx, &mut fx, &mut self.paxos);
        self.logm.maybe_trim(ctx, &mut fx, &mut self.paxos);
        // AuthMonitor::tick on the leader: increase_max_global_id and
        // propose_pending when _should_increase_max_global_id.
        self.auth
            .update_local(ctx, &mut fx, &mut self.paxos, true, |s, ctx| {
                crate::mon::paxos_service::Service::prepare_when_writeable(s, ctx)
            });
        self.auth.maybe_trim(ctx, &mut fx, &mut self.paxos);
        self.health.maybe_trim(ctx, &mut fx, &mut self.paxos);
        self.kv.maybe_trim(ctx, &mut fx, &mut self.paxos);
        self.drain(ctx, fx)
    }

    /// PaxosService::dispatch for a client (or forwarded) request: `mon add` /
    /// `mon remove` to the monmap service, the rest to kv.
    pub fn handle_client(
        &mut self,
        ctx: &mut PaxosCtx,
        origin: Origin,
        req: MClientRequest,
    ) -> Vec<PaxosEffect> {
        let mut fx = self.fx();
        if matches!(
            *req.op,
            ClientOp::MonAdd { .. } | ClientOp::MonRemove { .. }
        ) {
            self.monmap
                .dispatch(ctx, &mut fx, &mut self.paxos, origin, req);
        } else {
            self.kv.dispatch(ctx, &mut fx, &mut self.paxos, origin, req);
        }
        self.drain(ctx, fx)
    }

    pub fn status(&self) -> PaxosStatus {
        self.paxos.status()
    }
    /// `[accepted_pn, last_pn]`.
    pub fn pns(&self) -> [u64; 2] {
        self.paxos.pns()
    }
    pub fn last_committed(&self) -> Version {
        self.paxos.last_committed
    }
    pub fn first_committed(&self) -> Version {
        self.paxos.first_committed
    }
    /// The accepted but uncommitted value's (version, pn), for the inspector.
    pub fn uncommitted(&self) -> Option<(Version, u64)> {
        self.paxos.uncommitted()
    }
    /// Paxos::is_readable(0) (§3.8) on this monitor's clock.
    pub fn is_readable(&self, ctx_now: Time, quorum_len: usize, is_leader_or_peon: bool) -> bool {
        self.paxos
            .is_readable(0, ctx_now, quorum_len, is_leader_or_peon)
    }

    /// Run the deferred steps depth first (a step's own steps run before the
    /// ones queued after it). After a bootstrap nothing more runs; the
    /// finishers that would have been failed by restart() still clear their flags.
    /// (No steps, as after most paxos messages: returned where it is called,
    /// without the loop's entry and exit.)
    #[inline]
    fn drain(&mut self, ctx: &mut PaxosCtx, fx: Fx) -> Vec<PaxosEffect> {
        if fx.steps.is_empty() {
            self.steps = fx.steps;
            return fx.effects;
        }
        self.run_steps(ctx, fx)
    }

    #[inline(never)]
    fn run_steps(&mut self, ctx: &mut PaxosCtx, mut fx: Fx) -> Vec<PaxosEffect> {
        // A stack, the next step on top, in the steps' own buffer: a step
        // pushes its own steps onto it in order, and they are turned over
        // in place, so they run first and in their order (no queue, and no
        // second buffer allocated per input).
        fx.steps.reverse();
        while let Some(step) = fx.steps.pop() {
            if fx.bootstrapped() {
                self.abandon(step);
                continue;
            }
            let base = fx.steps.len();
            self.run_step(ctx, &mut fx, step);
            fx.steps[base..].reverse();
        }
        self.steps = std::mem::take(&mut fx.steps);
        fx.effects
    }

    fn abandon(&mut self, step: Step) {
        match step {
            Step::Finish(Waiter::Service(ServiceId::Monmap, w), _) => self.monmap.abandon(&w),
            Step::Finish(Waiter::Service(ServiceId::Mds, w), _) => self.mds.abandon(&w),
            Step::Finish(Waiter::Service(ServiceId::Osd, w), _) => self.osd.abandon(&w),
            Step::Finish(Waiter::Service(ServiceId::Kv, w), _) => self.kv.abandon(&w),
            Step::Finish(Waiter::Service(ServiceId::Log, w), _) => self.logm.abandon(&w),
            Step::Finish(Waiter::Service(ServiceId::Auth, w), _) => self.auth.abandon(&w),
            Step::Finish(Waiter::Service(ServiceId::Health, w), _) => self.health.abandon(&w),
            Step::Finish(Waiter::Trimmed, _) => self.paxos.trimming = false,
            Step::Refresh { .. } | Step::Paxos(_) => {}
        }
    }

    fn run_step(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx, step: Step) {
        match step {
            Step::Refresh { version, then } => {
                // Monitor::refresh_from_paxos: refresh() then post_refresh() on every service.
                let new_monmap = self.monmap.refresh(ctx, fx, version);
                self.mds.refresh(ctx, fx, version);
                self.osd.refresh(ctx, fx, version);
                self.logm.refresh(ctx, fx, version);
                self.auth.refresh(ctx, fx, version);
                self.health.refresh(ctx, fx, version);
                self.kv.refresh(ctx, fx, version);
                if let Some(m) = new_monmap {
                    let epoch = m.epoch;
                    fx.effects.push(PaxosEffect::NewMonmap(m));
                    fx.bootstrap(ctx.out, format!("monmap e{epoch} committed"));
                    return;
                }
                self.monmap.post_refresh(ctx, fx);
                self.mds.post_refresh(ctx, fx);
                self.osd.post_refresh(ctx, fx);
                self.logm.post_refresh(ctx, fx);
                self.auth.post_refresh(ctx, fx);
                self.health.post_refresh(ctx, fx);
                self.kv.post_refresh(ctx, fx);
                fx.steps.push(Step::Paxos(then));
            }
            Step::Paxos(s) => self.paxos.run_step(ctx, fx, s),
            Step::Finish(Waiter::Trimmed, _) => self.paxos.trimming = false,
            Step::Finish(Waiter::Service(ServiceId::Monmap, w), ok) => {
                self.monmap.finish(ctx, fx, &mut self.paxos, w, ok)
            }
            Step::Finish(Waiter::Service(ServiceId::Mds, w), ok) => {
                self.mds.finish(ctx, fx, &mut self.paxos, w, ok)
            }
            Step::Finish(Waiter::Service(ServiceId::Osd, w), ok) => {
                self.osd.finish(ctx, fx, &mut self.paxos, w, ok)
            }
            Step::Finish(Waiter::Service(ServiceId::Kv, w), ok) => {
                self.kv.finish(ctx, fx, &mut self.paxos, w, ok)
            }
            Step::Finish(Waiter::Service(ServiceId::Log, w), ok) => {
                self.logm.finish(ctx, fx, &mut self.paxos, w, ok)
            }
            Step::Finish(Waiter::Service(ServiceId::Auth, w), ok) => {
                self.auth.finish(ctx, fx, &mut self.paxos, w, ok)
            }
            Step::Finish(Waiter::Service(ServiceId::Health, w), ok) => {
                self.health.finish(ctx, fx, &mut self.paxos, w, ok)
            }
        }
    }
}
