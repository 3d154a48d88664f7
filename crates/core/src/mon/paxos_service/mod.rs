//! PaxosService (PaxosService.cc / PaxosService.h, reference §3.8–§4): the
//! machinery every service shares on top of the one [`Paxos`].
//!
//! Ceph writes each service as a subclass (KVMonitor, MonmapMonitor, ...)
//! that fills in PaxosService's pure virtuals. Here the base class is
//! [`ServiceBase`]: it holds PaxosService's members (cached
//! first/last_committed, proposing, have_pending, proposal_timer, the
//! waiter lists) and runs its algorithm (dispatch, propose_pending,
//! _active, refresh, maybe_trim, ...), calling into the service only
//! through the [`Service`] trait: Ceph's virtuals (create_initial,
//! create_pending, encode_pending, preprocess_query, prepare_update,
//! should_propose, get_trim_to, on_active). A service type holds only its own state, such as its
//! pending increment. [`PaxosService<S>`] pairs the two; the base calls the
//! service through a vtable (`dyn Service`), as Ceph does, so its code is
//! compiled once for every service (the page's wasm carried seven copies);
//! the service's names ([`ServiceMeta`]) and its typed update_from_paxos
//! are [`ServiceClass`]'s.
//!
//! The trait is in [`service`]; proposals and their timer in [`propose`];
//! what Paxos and the Monitor call (waiters, _active, restart, refresh) in
//! [`lifecycle`]; trimming in [`trim`].

mod lifecycle;
mod local;
mod propose;
mod service;
mod trim;

pub use propose::default_should_propose;
pub use service::{put_last_committed, Service, ServiceClass, ServiceMeta};

use super::consensus::{Fx, Origin, PaxosCtx, PaxosEffect, Waiter};
use super::logline::LogLine;
use super::messages::MClientRequest;
use super::paxos::Paxos;
use super::status::PaxosState;
use super::store::{MonitorDBStore, PrefixRef};
use super::Version;

/// Which service (mon_types.h's PAXOS_MONMAP, PAXOS_KV, ...): what a
/// [`Waiter`] names to find its way back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceId {
    Monmap,
    Mds,
    Osd,
    Kv,
    Auth,
    Log,
    Health,
}

/// One of PaxosService's `Context`s, as data.
#[derive(Clone, Debug, PartialEq)]
pub enum ServiceWaiter {
    /// C_Active: call the service's _active().
    Active,
    /// propose_pending's C_Committed (a paxos finisher): proposing = false, then _active().
    Committed,
    /// C_RetryMessage: dispatch the request again.
    Retry { origin: Origin, req: MClientRequest },
}

/// A service: its own part and PaxosService's (the subclass and its base
/// class); the base's members and checks are reached through it.
#[derive(Clone, Debug)]
pub struct PaxosService<S: ServiceClass> {
    /// The service's own part (the subclass).
    pub service: S,
    /// PaxosService's members and algorithm.
    pub base: ServiceBase,
}

impl<S: ServiceClass> std::ops::Deref for PaxosService<S> {
    type Target = ServiceBase;
    fn deref(&self) -> &ServiceBase {
        &self.base
    }
}

/// PaxosService's members, the same for every service.
#[derive(Clone, Debug)]
pub struct ServiceBase {
    /// The service's names and fixed choices.
    meta: &'static ServiceMeta,
    /// cached_first_committed / cached_last_committed.
    pub first_committed: Version,
    pub last_committed: Version,
    pub proposing: bool,
    /// need_immediate_propose: set by force_immediate_propose() (a service
    /// whose prepare_update forces, [`ServiceMeta::force_immediate_propose`]).
    need_immediate_propose: bool,
    have_pending: bool,
    /// proposal_timer is armed.
    proposal_timer: bool,
    waiting_for_finished_proposal: Vec<Waiter>,
    /// wait_for_commit: (origin, request) of the updates in the
    /// pending/proposed increment (the request, to dispatch it again if an
    /// election cancels the proposal: C_Command on -EAGAIN).
    waiting_for_commit: Vec<(Origin, MClientRequest)>,
    /// What the last refresh read from the store (first and last
    /// committed) and the prefix's stamp then ([`MonitorDBStore::prefix_stamp`]).
    refreshed: Option<(u64, Version, Version)>,
    /// The service's prefix, for its stamp.
    prefix: PrefixRef,
}

impl<S: ServiceClass> PaxosService<S> {
    /// PaxosService::init + the first refresh, from the store.
    pub fn init(store: &MonitorDBStore) -> PaxosService<S> {
        PaxosService {
            service: S::default(),
            base: ServiceBase::init(store, &S::META),
        }
    }

    /// PaxosService::init again (after a sync): the state comes from the
    /// store, and the contexts waiting on the service stay queued.
    pub fn reinit(&mut self, store: &MonitorDBStore) {
        self.service = S::default();
        self.base.reinit(store, &S::META);
    }

    /// The base and the service apart, to call the one with the other.
    pub fn parts(&mut self) -> (&mut ServiceBase, &mut dyn Service) {
        (&mut self.base, &mut self.service)
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
        let (base, svc) = self.parts();
        base.dispatch(svc, ctx, fx, paxos, origin, req)
    }
}

impl ServiceBase {
    fn init(store: &MonitorDBStore, meta: &'static ServiceMeta) -> ServiceBase {
        let name = meta.name;
        ServiceBase {
            meta,
            first_committed: store.get_u64(name, "first_committed"),
            last_committed: store.get_u64(name, "last_committed"),
            proposing: false,
            need_immediate_propose: false,
            have_pending: false,
            proposal_timer: false,
            waiting_for_finished_proposal: Vec::new(),
            waiting_for_commit: Vec::new(),
            refreshed: None,
            prefix: PrefixRef::new(name),
        }
    }

    fn reinit(&mut self, store: &MonitorDBStore, meta: &'static ServiceMeta) {
        let mut fresh = ServiceBase::init(store, meta);
        fresh.waiting_for_finished_proposal =
            std::mem::take(&mut self.waiting_for_finished_proposal);
        fresh.waiting_for_commit = std::mem::take(&mut self.waiting_for_commit);
        *self = fresh;
    }

    fn waiter(&self, w: ServiceWaiter) -> Waiter {
        Waiter::Service(self.meta.id, w)
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
        svc: &mut dyn Service,
        ctx: &mut PaxosCtx,
        fx: &mut Fx,
        paxos: &mut Paxos,
        origin: Origin,
        req: MClientRequest,
    ) {
        // "make sure the client is still connected": a request that waited
        // (or was retried) after its session closed is dropped, so no peon
        // routes it to a leader later.
        if let Origin::Client(client) = origin {
            if !ctx.sessions.is_open((client, req.session)) {
                ctx.out.log(format!(
                    "{} tid {}: discarding message from disconnected client",
                    self.meta.name, req.tid
                ));
                return;
            }
        }
        if !self.is_readable(ctx, paxos, 0) {
            ctx.out.log(format!(
                "{} tid {}: waiting for paxos -> readable",
                self.meta.name, req.tid
            ));
            let w = self.waiter(ServiceWaiter::Retry { origin, req });
            self.wait_for_readable(paxos, w, 0);
            return;
        }
        if svc.preprocess_query(ctx, fx, paxos, &origin, &req) {
            return;
        }
        if !ctx.is_leader {
            fx.effects.push(PaxosEffect::Forward { origin, req });
            return;
        }
        if !self.is_writeable(paxos) {
            ctx.out.log(format!(
                "{} tid {}: waiting for paxos -> writeable",
                self.meta.name, req.tid
            ));
            let w = self.waiter(ServiceWaiter::Retry { origin, req });
            self.wait_for_writeable(paxos, w);
            return;
        }
        if !svc.prepare_update(ctx, fx, &origin, &req) {
            return;
        }
        if !self.meta.reply_at_once {
            self.waiting_for_commit.push((origin, req));
        }
        if self.meta.force_immediate_propose {
            self.need_immediate_propose = true;
        }
        if self.need_immediate_propose {
            ctx.out.log(LogLine::ForcedPropose(&self.meta.name));
            self.propose_pending(svc, ctx, fx, paxos);
            return;
        }
        self.propose_after_delay(svc, ctx, fx, paxos);
    }
}
