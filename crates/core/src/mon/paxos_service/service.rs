//! What each service supplies to [`PaxosService`]: the [`Service`] trait
//! (Ceph's PaxosService virtuals) and the helpers its hooks call.

use super::ServiceId;
use crate::mon::consensus::{Fx, Origin, PaxosCtx};
use crate::mon::messages::{ClientResult, MClientRequest};
use crate::mon::out::Timer;
use crate::mon::paxos::Paxos;
use crate::mon::store::Transaction;
use crate::mon::Version;
use crate::time::Duration;
use std::fmt::Debug;

/// What a service supplies to [`PaxosService`](super::PaxosService): its names and Ceph's virtuals.
pub trait Service: Clone + Debug + Default {
    const ID: ServiceId;
    /// get_service_name(): the store prefix, and the service's name in the logs.
    const NAME: &'static str;
    /// The timer behind this service's proposal_timer.
    const PROPOSE_TIMER: Timer;
    /// How the logs name a request this service dispatches again.
    const RETRY_WAITER: &'static str;
    /// What update_from_paxos hands the Monitor (need_bootstrap, with its cause).
    type Update;
    /// prepare_update ends with force_immediate_propose(): every update is
    /// proposed at once, and should_propose is never asked (PaxosService::dispatch).
    const FORCE_IMMEDIATE_PROPOSE: bool = false;
    /// prepare_update answers the requester itself, before the update
    /// commits (MonmapMonitor::prepare_command: "we are returning to the
    /// user"); otherwise the answer waits for the commit (wait_for_commit).
    const REPLY_AT_ONCE: bool = false;

    /// create_initial: the first state, proposed when the service has none (lc 0).
    fn create_initial(&mut self, ctx: &mut PaxosCtx);
    /// create_pending: a fresh pending state (leader only).
    fn create_pending(&mut self, ctx: &PaxosCtx);
    /// discard_pending: forget the pending state (restart).
    fn discard_pending(&mut self);
    /// encode_pending: the pending state into the paxos transaction; call
    /// [`put_last_committed`] for the new version.
    fn encode_pending(
        &mut self,
        ctx: &mut PaxosCtx,
        t: &mut Transaction,
        first_committed: Version,
        last_committed: Version,
    );
    /// preprocess_query: answer a read from the committed state; true if handled.
    fn preprocess_query(
        &self,
        _ctx: &mut PaxosCtx,
        _fx: &mut Fx,
        _paxos: &Paxos,
        _origin: &Origin,
        _req: &MClientRequest,
    ) -> bool {
        false
    }
    /// prepare_update: change the pending state. True if it changed and
    /// wants proposing (the requester is answered once it commits, by
    /// [`Service::committed`], unless [`Service::REPLY_AT_ONCE`]); false if
    /// it answered at once or did nothing.
    /// The default is a service no client request reaches (LogMonitor
    /// takes MLog, HealthMonitor its own checks).
    fn prepare_update(
        &mut self,
        _ctx: &mut PaxosCtx,
        _fx: &mut Fx,
        _origin: &Origin,
        _req: &MClientRequest,
    ) -> bool {
        false
    }
    /// should_propose: how long to wait before proposing an update (0: now);
    /// `last_committed` is the service's. The default is PaxosService's rule
    /// ([`default_should_propose`](super::default_should_propose)).
    fn should_propose(&self, ctx: &PaxosCtx, paxos: &Paxos, last_committed: Version) -> Duration {
        super::default_should_propose(ctx, paxos, last_committed)
    }
    /// The answer to an update whose increment committed: the service is at
    /// `last_committed`, paxos at `paxos_v` (unused with REPLY_AT_ONCE).
    /// The default is for services that never answer a request.
    fn committed(last_committed: Version, _paxos_v: Version) -> ClientResult {
        ClientResult::Written {
            version: last_committed,
        }
    }
    /// update_from_paxos: catch up with the committed versions (now `last_committed`).
    fn update_from_paxos(&mut self, ctx: &mut PaxosCtx, last_committed: Version) -> Self::Update;
    /// get_trim_to: the first version to keep; 0 keeps everything.
    fn get_trim_to(&self, _ctx: &PaxosCtx, _last_committed: Version) -> Version {
        0
    }
    /// On the leader, once the service is writeable: the updates it makes
    /// on its own (AuthMonitor::on_active's increase_max_global_id) and the
    /// monitors' messages that waited for it (a monitor's MLog to itself,
    /// an MMonGlobalID: C_RetryMessage, then prepare_update); true if the
    /// pending state changed.
    fn prepare_when_writeable(&mut self, _ctx: &mut PaxosCtx) -> bool {
        false
    }
    /// on_active: the service went active (leader and peons).
    fn on_active(&mut self, _ctx: &mut PaxosCtx, _fx: &mut Fx) {}
}

/// PaxosService::put_last_committed: a service's first proposal also sets
/// first_committed.
pub fn put_last_committed(t: &mut Transaction, name: &str, first_committed: Version, v: Version) {
    t.put_u64(name, "last_committed", v);
    if first_committed == 0 {
        t.put_u64(name, "first_committed", v);
    }
}

/// [`Service`] as PaxosService calls it: through a vtable, so that the
/// shared machinery ([`ServiceBase`](super::ServiceBase)) is compiled once
/// rather than once per service (seven copies in the page's wasm). One
/// implementation, for every [`Service`], forwards to it.
pub trait Virtuals {
    fn id(&self) -> ServiceId;
    fn name(&self) -> &'static str;
    fn propose_timer(&self) -> Timer;
    fn retry_waiter(&self) -> &'static str;
    fn force_immediate_propose(&self) -> bool;
    fn reply_at_once(&self) -> bool;
    fn create_initial(&mut self, ctx: &mut PaxosCtx);
    fn create_pending(&mut self, ctx: &PaxosCtx);
    fn discard_pending(&mut self);
    fn encode_pending(
        &mut self,
        ctx: &mut PaxosCtx,
        t: &mut Transaction,
        first_committed: Version,
        last_committed: Version,
    );
    fn preprocess_query(
        &self,
        ctx: &mut PaxosCtx,
        fx: &mut Fx,
        paxos: &Paxos,
        origin: &Origin,
        req: &MClientRequest,
    ) -> bool;
    fn prepare_update(
        &mut self,
        ctx: &mut PaxosCtx,
        fx: &mut Fx,
        origin: &Origin,
        req: &MClientRequest,
    ) -> bool;
    fn should_propose(&self, ctx: &PaxosCtx, paxos: &Paxos, last_committed: Version) -> Duration;
    fn committed(&self, last_committed: Version, paxos_v: Version) -> ClientResult;
    fn get_trim_to(&self, ctx: &PaxosCtx, last_committed: Version) -> Version;
    fn prepare_when_writeable(&mut self, ctx: &mut PaxosCtx) -> bool;
    fn on_active(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx);
}

impl<S: Service> Virtuals for S {
    fn id(&self) -> ServiceId {
        S::ID
    }
    fn name(&self) -> &'static str {
        S::NAME
    }
    fn propose_timer(&self) -> Timer {
        S::PROPOSE_TIMER
    }
    fn retry_waiter(&self) -> &'static str {
        S::RETRY_WAITER
    }
    fn force_immediate_propose(&self) -> bool {
        S::FORCE_IMMEDIATE_PROPOSE
    }
    fn reply_at_once(&self) -> bool {
        S::REPLY_AT_ONCE
    }
    fn create_initial(&mut self, ctx: &mut PaxosCtx) {
        Service::create_initial(self, ctx)
    }
    fn create_pending(&mut self, ctx: &PaxosCtx) {
        Service::create_pending(self, ctx)
    }
    fn discard_pending(&mut self) {
        Service::discard_pending(self)
    }
    fn encode_pending(
        &mut self,
        ctx: &mut PaxosCtx,
        t: &mut Transaction,
        first_committed: Version,
        last_committed: Version,
    ) {
        Service::encode_pending(self, ctx, t, first_committed, last_committed)
    }
    fn preprocess_query(
        &self,
        ctx: &mut PaxosCtx,
        fx: &mut Fx,
        paxos: &Paxos,
        origin: &Origin,
        req: &MClientRequest,
    ) -> bool {
        Service::preprocess_query(self, ctx, fx, paxos, origin, req)
    }
    fn prepare_update(
        &mut self,
        ctx: &mut PaxosCtx,
        fx: &mut Fx,
        origin: &Origin,
        req: &MClientRequest,
    ) -> bool {
        Service::prepare_update(self, ctx, fx, origin, req)
    }
    fn should_propose(&self, ctx: &PaxosCtx, paxos: &Paxos, last_committed: Version) -> Duration {
        Service::should_propose(self, ctx, paxos, last_committed)
    }
    fn committed(&self, last_committed: Version, paxos_v: Version) -> ClientResult {
        S::committed(last_committed, paxos_v)
    }
    fn get_trim_to(&self, ctx: &PaxosCtx, last_committed: Version) -> Version {
        Service::get_trim_to(self, ctx, last_committed)
    }
    fn prepare_when_writeable(&mut self, ctx: &mut PaxosCtx) -> bool {
        Service::prepare_when_writeable(self, ctx)
    }
    fn on_active(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx) {
        Service::on_active(self, ctx, fx)
    }
}
