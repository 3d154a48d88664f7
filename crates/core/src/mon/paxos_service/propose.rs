//! Proposing a service's pending state (§3.9): should_propose's delay, the
//! proposal_timer, and propose_pending into paxos' one transaction.

use super::{PaxosService, Service, ServiceBase, ServiceClass, ServiceWaiter};
use crate::mon::consensus::{Fx, PaxosCtx};
use crate::mon::paxos::Paxos;
use crate::mon::Version;
use crate::time::Duration;

/// PaxosService::should_propose, the default for a service that does not
/// override it: propose at once while the service is new (lc <= 1), else
/// damp by paxos_propose_interval after the last commit, waiting at least
/// paxos_min_wait. In Ceph LogMonitor and HealthMonitor batch this way;
/// neither is modelled, and the two services monscope has never ask:
/// KvService forces an immediate propose (KVMonitor::prepare_command) and
/// MonmapService answers 0 (MonmapMonitor::should_propose).
pub fn default_should_propose(ctx: &PaxosCtx, paxos: &Paxos, last_committed: Version) -> Duration {
    if last_committed <= 1 {
        0
    } else if ctx.now.saturating_sub(paxos.last_commit_time) > ctx.cfg.paxos_propose_interval {
        ctx.cfg.paxos_min_wait
    } else {
        (paxos.last_commit_time + ctx.cfg.paxos_propose_interval).saturating_sub(ctx.now)
    }
}

impl ServiceBase {
    /// dispatch's tail: propose now, or arm the proposal_timer for should_propose's delay.
    pub(super) fn propose_after_delay(
        &mut self,
        svc: &mut dyn Service,
        ctx: &mut PaxosCtx,
        fx: &mut Fx,
        paxos: &mut Paxos,
    ) {
        let delay = svc.should_propose(ctx, paxos, self.last_committed);
        if delay == 0 {
            self.propose_pending(svc, ctx, fx, paxos);
        } else if !self.proposal_timer {
            ctx.out.log(format!(
                "{}: proposal timer in {}",
                self.meta.name,
                crate::time::format_duration(delay)
            ));
            self.proposal_timer = true;
            ctx.out.set_timer(self.meta.propose_timer, delay);
        }
    }

    /// The proposal timer fired.
    fn proposal_timer_fired(
        &mut self,
        svc: &mut dyn Service,
        ctx: &mut PaxosCtx,
        fx: &mut Fx,
        paxos: &mut Paxos,
    ) {
        if !self.proposal_timer {
            ctx.out
                .log(format!("stale {} proposal timer ignored", self.meta.name));
            return;
        }
        self.proposal_timer = false;
        self.propose_pending(svc, ctx, fx, paxos);
    }

    /// PaxosService::propose_pending: append to paxos' one pending transaction.
    pub(super) fn propose_pending(
        &mut self,
        svc: &mut dyn Service,
        ctx: &mut PaxosCtx,
        fx: &mut Fx,
        paxos: &mut Paxos,
    ) {
        if !self.have_pending || self.proposing || !ctx.is_leader || !self.is_active(paxos) {
            ctx.out.log(format!(
                "{} propose_pending: not ready, dropped",
                self.meta.name
            ));
            return;
        }
        if self.proposal_timer {
            self.proposal_timer = false;
            ctx.out.cancel_timer(self.meta.propose_timer);
        }
        let t = paxos.get_pending_transaction();
        svc.encode_pending(ctx, t, self.first_committed, self.last_committed);
        self.have_pending = false;
        self.proposing = true;
        self.need_immediate_propose = false;
        paxos.queue_pending_finisher(self.waiter(ServiceWaiter::Committed));
        paxos.trigger_propose(ctx, fx);
    }
}

impl<S: ServiceClass> PaxosService<S> {
    /// The proposal timer fired.
    pub fn proposal_timer_fired(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx, paxos: &mut Paxos) {
        let (base, svc) = self.parts();
        base.proposal_timer_fired(svc, ctx, fx, paxos)
    }
}
