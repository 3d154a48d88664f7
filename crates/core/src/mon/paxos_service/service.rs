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

/// A service's names and the choices its class hard-codes.
#[derive(Clone, Copy, Debug)]
pub struct ServiceMeta {
    pub id: ServiceId,
    /// get_service_name(): the store prefix, and the service's name in the logs.
    pub name: &'static str,
    /// The timer behind this service's proposal_timer.
    pub propose_timer: Timer,
    /// How the logs name a request this service dispatches again.
    pub retry_waiter: &'static str,
    /// prepare_update ends with force_immediate_propose(): every update is
    /// proposed at once, and should_propose is never asked (PaxosService::dispatch).
    pub force_immediate_propose: bool,
    /// prepare_update answers the requester itself, before the update
    /// commits (MonmapMonitor::prepare_command: "we are returning to the
    /// user"); otherwise the answer waits for the commit (wait_for_commit).
    pub reply_at_once: bool,
}

/// A service as a type (Ceph's subclass of PaxosService): its
/// [`ServiceMeta`], a state that starts from `Default`, and
/// update_from_paxos, whose result is typed per service.
pub trait ServiceClass: Service + Clone + Debug + Default {
    const META: ServiceMeta;
    /// What update_from_paxos hands the Monitor (need_bootstrap, with its cause).
    type Update;
    /// update_from_paxos: catch up with the committed versions (now `last_committed`).
    fn update_from_paxos(&mut self, ctx: &mut PaxosCtx, last_committed: Version) -> Self::Update;
}

/// Ceph's PaxosService virtuals. Object-safe: the shared machinery
/// ([`ServiceBase`](super::ServiceBase)) calls the service through a vtable,
/// as Ceph does, so it is compiled once rather than once per service (seven
/// copies in the page's wasm). Not `Debug`: a vtable would carry every
/// service's Debug code into the page (1.4 kB gzipped).
pub trait Service {
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
    /// [`Service::committed`], unless [`ServiceMeta::reply_at_once`]); false if
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
    /// `last_committed`, paxos at `paxos_v` (unused with reply_at_once).
    /// The default is for services that never answer a request.
    fn committed(&self, last_committed: Version, _paxos_v: Version) -> ClientResult {
        ClientResult::Written {
            version: last_committed,
        }
    }
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
