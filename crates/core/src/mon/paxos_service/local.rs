//! Updates a leader makes to one of its own services without a client
//! request: LogMonitor preparing the MLog its own LogClient sent it, and
//! HealthMonitor::tick proposing changed checks.

use super::{PaxosService, ServiceClass};
use crate::mon::consensus::{Fx, PaxosCtx};
use crate::mon::paxos::Paxos;

impl<S: ServiceClass> PaxosService<S> {
    /// If this leader's service is writeable, let `update` change its
    /// pending state; when it did, propose at once (`immediate`, as
    /// HealthMonitor::tick's propose_pending) or after should_propose's
    /// delay (as PaxosService::dispatch after prepare_update). False if the
    /// service was not writeable: the caller keeps its update for later, as
    /// a message waits in wait_for_writeable / wait_for_finished_proposal.
    pub fn update_local(
        &mut self,
        ctx: &mut PaxosCtx,
        fx: &mut Fx,
        paxos: &mut Paxos,
        immediate: bool,
        update: impl FnOnce(&mut S, &mut PaxosCtx) -> bool,
    ) -> bool {
        // HealthMonitor::tick needs only is_active (propose_pending then
        // waits in paxos' pending transaction); an MLog needs is_writeable
        // (PaxosService::dispatch).
        let ready = if immediate {
            self.is_active(paxos) && self.have_pending
        } else {
            self.is_writeable(paxos)
        };
        if !ctx.is_leader || !ready {
            return false;
        }
        if update(&mut self.service, ctx) {
            let (base, svc) = self.parts();
            if immediate {
                base.propose_pending(svc, ctx, fx, paxos);
            } else {
                base.propose_after_delay(svc, ctx, fx, paxos);
            }
        }
        true
    }
}
