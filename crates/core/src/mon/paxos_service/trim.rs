//! PaxosService::maybe_trim (§3.10): drop the versions below the service's
//! get_trim_to, in bounded steps, through a normal paxos proposal.

use super::{PaxosService, Service, ServiceBase, ServiceClass};
use crate::mon::consensus::{Fx, PaxosCtx};
use crate::mon::paxos::Paxos;
use crate::mon::store::{full_version_key, version_key};

impl ServiceBase {
    fn maybe_trim(
        &mut self,
        svc: &dyn Service,
        ctx: &mut PaxosCtx,
        fx: &mut Fx,
        paxos: &mut Paxos,
    ) {
        if !ctx.is_leader || !self.is_writeable(paxos) {
            return;
        }
        let fc = self.first_committed;
        let trim_to = svc.get_trim_to(ctx, self.last_committed);
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
        ctx.out.log(format!("{} trim to {trim_to}", self.meta.name));
        let t = paxos.get_pending_transaction();
        for v in fc..trim_to {
            t.erase(self.meta.name, &version_key(v));
            let full = full_version_key(v);
            if ctx.store.exists(self.meta.name, &full) {
                t.erase(self.meta.name, &full);
            }
        }
        t.put_u64(self.meta.name, "first_committed", trim_to);
        self.first_committed = trim_to;
        paxos.trigger_propose(ctx, fx);
    }
}

impl<S: ServiceClass> PaxosService<S> {
    /// PaxosService::maybe_trim, each tick on a writeable leader.
    pub fn maybe_trim(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx, paxos: &mut Paxos) {
        self.base.maybe_trim(&self.service, ctx, fx, paxos)
    }
}
