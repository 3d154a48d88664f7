//! What a service does when Paxos or the Monitor calls: its waiters
//! finishing, _active, election_finished, restart, refresh and post_refresh.

use super::{PaxosService, Service, ServiceWaiter};
use crate::mon::consensus::{Fx, PaxosCtx, PaxosEffect};
use crate::mon::messages::MClientReply;
use crate::mon::paxos::Paxos;
use crate::mon::Version;

impl<S: Service> PaxosService<S> {
    /// finish_contexts reached one of this service's waiters: `ok` is success,
    /// else -EAGAIN.
    pub fn finish(
        &mut self,
        ctx: &mut PaxosCtx,
        fx: &mut Fx,
        paxos: &mut Paxos,
        w: ServiceWaiter,
        ok: bool,
    ) {
        match w {
            ServiceWaiter::Active => {
                if ok {
                    self.active(ctx, fx, paxos);
                }
            }
            ServiceWaiter::Committed => {
                self.proposing = false;
                if ok {
                    self.active(ctx, fx, paxos);
                }
            }
            ServiceWaiter::Retry { origin, req } => {
                if ok {
                    self.dispatch(ctx, fx, paxos, origin, req);
                } else {
                    // Ceph re-dispatches on -EAGAIN; here the client retries.
                    ctx.out.log(format!(
                        "dropping {} tid {} (EAGAIN)",
                        S::RETRY_WAITER,
                        req.tid
                    ));
                }
            }
        }
    }

    /// A waiter that will not run (a bootstrap came first) still clears
    /// proposing, as restart() failing it would.
    pub fn abandon(&mut self, w: &ServiceWaiter) {
        if *w == ServiceWaiter::Committed {
            self.proposing = false;
        }
    }

    /// PaxosService::_active, then the service's on_active.
    pub fn active(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx, paxos: &mut Paxos) {
        if self.proposing {
            return;
        }
        if !self.is_active(paxos) {
            self.wait_for_active(paxos, Self::waiter(ServiceWaiter::Active));
            return;
        }
        if ctx.is_leader {
            if !self.have_pending {
                self.service.create_pending(ctx);
                self.have_pending = true;
            }
            if self.last_committed == 0 {
                self.service.create_initial(ctx);
                self.propose_pending(ctx, fx, paxos);
                return;
            }
        }
        fx.finish(
            std::mem::take(&mut self.waiting_for_finished_proposal),
            true,
        );
        self.service.on_active(ctx, fx);
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
        for (_, tid, _) in std::mem::take(&mut self.waiting_for_commit) {
            ctx.out
                .log(format!("dropping {} tid {tid} (EAGAIN)", S::COMMIT_WAITER));
        }
    }

    /// PaxosService::restart (from Monitor::_reset).
    pub fn restart(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx) {
        if self.proposal_timer {
            self.proposal_timer = false;
            ctx.out.cancel_timer(S::PROPOSE_TIMER);
        }
        self.fail_waiters(ctx, fx);
        if self.have_pending {
            self.service.discard_pending();
            self.have_pending = false;
        }
        self.proposing = false;
        self.need_immediate_propose = false;
    }

    /// PaxosService::refresh: re-read the versions; commit waiters are answered
    /// when the service's lc advanced (the update is in the committed
    /// increment, paxos version `paxos_v`); then update_from_paxos.
    pub fn refresh(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx, paxos_v: Version) -> S::Update {
        let fc = ctx.store.get_u64(S::NAME, "first_committed");
        let lc = ctx.store.get_u64(S::NAME, "last_committed");
        if lc > self.last_committed {
            for (origin, tid, reply) in std::mem::take(&mut self.waiting_for_commit) {
                fx.effects.push(PaxosEffect::Reply {
                    origin,
                    reply: MClientReply {
                        tid,
                        result: S::committed(reply, lc, paxos_v),
                    },
                });
            }
        }
        self.first_committed = fc;
        self.last_committed = lc;
        self.service.update_from_paxos(ctx, lc)
    }

    /// PaxosService::post_refresh: a peon fails its proposal and commit waiters.
    pub fn post_refresh(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx) {
        if ctx.is_peon {
            self.fail_waiters(ctx, fx);
        }
    }
}
