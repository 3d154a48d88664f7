//! What a service does when Paxos or the Monitor calls: its waiters
//! finishing, _active, election_finished, restart, refresh and post_refresh.

use super::{PaxosService, Service, ServiceBase, ServiceClass, ServiceWaiter};
use crate::mon::consensus::{Fx, Origin, PaxosCtx, PaxosEffect};
use crate::mon::messages::MClientReply;
use crate::mon::paxos::Paxos;
use crate::mon::Version;

impl ServiceBase {
    /// finish_contexts reached one of this service's waiters: `ok` is success,
    /// else -EAGAIN.
    fn finish(
        &mut self,
        svc: &mut dyn Service,
        ctx: &mut PaxosCtx,
        fx: &mut Fx,
        paxos: &mut Paxos,
        w: ServiceWaiter,
        ok: bool,
    ) {
        match w {
            ServiceWaiter::Active => {
                if ok {
                    self.active(svc, ctx, fx, paxos);
                }
            }
            ServiceWaiter::Committed => {
                self.proposing = false;
                if ok {
                    self.active(svc, ctx, fx, paxos);
                }
            }
            ServiceWaiter::Retry { origin, req } => {
                // C_RetryMessage / C_Command: success or -EAGAIN, the request
                // is dispatched again (and waits again, or is forwarded, or
                // is prepared anew). A forwarded one is discarded instead, as
                // PaxosService::dispatch discards a message forwarded in a
                // previous election epoch: its peon resends it to the new
                // leader (resend_routed_requests).
                let forwarded = matches!(origin, Origin::Forwarded { .. });
                if !ok {
                    log_eagain(ctx, self.meta.retry_waiter, req.tid, forwarded);
                }
                if ok || !forwarded {
                    self.dispatch(svc, ctx, fx, paxos, origin, req)
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
    fn active(
        &mut self,
        svc: &mut dyn Service,
        ctx: &mut PaxosCtx,
        fx: &mut Fx,
        paxos: &mut Paxos,
    ) {
        if self.proposing {
            return;
        }
        if !self.is_active(paxos) {
            self.wait_for_active(paxos, self.waiter(ServiceWaiter::Active));
            return;
        }
        if ctx.is_leader {
            if !self.have_pending {
                svc.create_pending(ctx);
                self.have_pending = true;
            }
            if self.last_committed == 0 {
                svc.create_initial(ctx);
                self.propose_pending(svc, ctx, fx, paxos);
                return;
            }
        }
        fx.finish(&mut self.waiting_for_finished_proposal, true);
        svc.on_active(ctx, fx);
        // The service's waiting MLogs are retried with the other waiters,
        // before finish_round proposes what is pending in paxos (ceph-mon
        // 16.2.15: a new leader's log lines are prepared before its
        // metadata's version and commit 50 ms after the last commit).
        if ctx.is_leader && self.is_writeable(paxos) && svc.prepare_when_writeable(ctx) {
            self.propose_after_delay(svc, ctx, fx, paxos);
        }
    }

    /// PaxosService::election_finished.
    fn election_finished(
        &mut self,
        svc: &mut dyn Service,
        ctx: &mut PaxosCtx,
        fx: &mut Fx,
        paxos: &mut Paxos,
    ) {
        self.fail_waiters(fx);
        self.active(svc, ctx, fx, paxos);
    }

    /// finish_contexts(-EAGAIN) on the proposal and commit waiters: each
    /// request is dispatched again (see [`Self::finish`]).
    fn fail_waiters(&mut self, fx: &mut Fx) {
        // A peon's post_refresh asks every service at every commit; most
        // have nothing waiting.
        if self.waiting_for_finished_proposal.is_empty() && self.waiting_for_commit.is_empty() {
            return;
        }
        fx.finish(&mut self.waiting_for_finished_proposal, false);
        let mut failed: Vec<_> = std::mem::take(&mut self.waiting_for_commit)
            .into_iter()
            .map(|(origin, req)| self.waiter(ServiceWaiter::Retry { origin, req }))
            .collect();
        fx.finish(&mut failed, false);
    }

    /// PaxosService::restart (from Monitor::_reset).
    fn restart(&mut self, svc: &mut dyn Service, ctx: &mut PaxosCtx, fx: &mut Fx) {
        if self.proposal_timer {
            self.proposal_timer = false;
            ctx.out.cancel_timer(self.meta.propose_timer);
        }
        self.fail_waiters(fx);
        if self.have_pending {
            svc.discard_pending();
            self.have_pending = false;
        }
        self.proposing = false;
        self.need_immediate_propose = false;
    }

    /// PaxosService::refresh up to update_from_paxos: re-read the versions;
    /// commit waiters are answered when the service's lc advanced (the
    /// update is in the committed increment, paxos version `paxos_v`).
    /// Returns the service's last_committed.
    fn refresh(
        &mut self,
        svc: &dyn Service,
        ctx: &mut PaxosCtx,
        fx: &mut Fx,
        paxos_v: Version,
    ) -> Version {
        // Read again only when the service's prefix changed since the last
        // refresh (every commit refreshes every service; most commit one).
        let stamp = ctx.store.stamp_of(self.prefix);
        let (fc, lc) = match self.refreshed {
            Some((at, fc, lc)) if at == stamp => (fc, lc),
            _ => {
                let fc = ctx.store.get_u64(self.meta.name, "first_committed");
                let lc = ctx.store.get_u64(self.meta.name, "last_committed");
                self.refreshed = Some((stamp, fc, lc));
                (fc, lc)
            }
        };
        if lc > self.last_committed {
            // Drained in place: the list keeps its room for the next write.
            for (origin, req) in self.waiting_for_commit.drain(..) {
                let tid = req.tid;
                fx.effects.push(PaxosEffect::Reply {
                    origin,
                    reply: MClientReply {
                        tid,
                        result: svc.committed(lc, paxos_v),
                    },
                });
            }
        }
        self.first_committed = fc;
        self.last_committed = lc;
        lc
    }

    /// PaxosService::post_refresh: a peon fails its proposal and commit waiters.
    fn post_refresh(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx) {
        // Asked of every service at every commit; most have nothing waiting.
        let waiting =
            !self.waiting_for_finished_proposal.is_empty() || !self.waiting_for_commit.is_empty();
        if ctx.is_peon && waiting {
            self.fail_waiters(fx);
        }
    }
}

impl<S: ServiceClass> PaxosService<S> {
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
        let (base, svc) = self.parts();
        base.finish(svc, ctx, fx, paxos, w, ok)
    }

    /// A waiter that will not run (a bootstrap came first) still clears
    /// proposing, as restart() failing it would.
    pub fn abandon(&mut self, w: &ServiceWaiter) {
        self.base.abandon(w)
    }

    /// PaxosService::election_finished.
    pub fn election_finished(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx, paxos: &mut Paxos) {
        let (base, svc) = self.parts();
        base.election_finished(svc, ctx, fx, paxos)
    }

    /// PaxosService::restart (from Monitor::_reset).
    pub fn restart(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx) {
        let (base, svc) = self.parts();
        base.restart(svc, ctx, fx)
    }

    /// PaxosService::refresh, then update_from_paxos.
    pub fn refresh(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx, paxos_v: Version) -> S::Update {
        let lc = self.base.refresh(&self.service, ctx, fx, paxos_v);
        self.service.update_from_paxos(ctx, lc)
    }

    /// PaxosService::post_refresh.
    pub fn post_refresh(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx) {
        self.base.post_refresh(ctx, fx)
    }
}

/// What a request failed with -EAGAIN becomes, in the log (one function for
/// every service).
fn log_eagain(ctx: &mut PaxosCtx, what: &str, tid: u64, forwarded: bool) {
    ctx.out.log(if forwarded {
        format!("discarding forwarded {what} tid {tid} from a previous election epoch")
    } else {
        format!("{what} tid {tid}: EAGAIN, dispatching it again")
    });
}
