//! Leases (§3.7): the leader's extend_lease and the peons' handle_lease.

use super::Paxos;
use crate::mon::consensus::{Fx, PaxosCtx};
use crate::mon::logline::LogLine;
use crate::mon::messages::{MMonPaxos, PaxosOp};
use crate::mon::out::Timer;
use crate::mon::status::PaxosState;
use crate::mon::Rank;
use crate::time::{format_duration, Time, SEC};

impl Paxos {
    /// extend_lease (leader): LEASE to the quorum; the ack timeout is armed
    /// only if not already armed (so one missed ack bootstraps 10 s after the
    /// first unacked lease even while leases renew); renew every 3 s.
    pub(super) fn extend_lease(&mut self, ctx: &mut PaxosCtx) {
        if !ctx.is_leader {
            ctx.out.log(&"extend_lease while not leader, dropped");
            return;
        }
        self.lease_expire = ctx.now + ctx.cfg.mon_lease;
        self.acked_lease.clear();
        self.acked_lease.insert(ctx.my_rank);
        ctx.out.log(LogLine::ExtendLease(self.lease_expire));
        for p in Self::peers(ctx) {
            let mut m = self.msg(ctx, PaxosOp::Lease);
            m.last_committed = self.last_committed;
            m.lease_timestamp = self.lease_expire;
            m.first_committed = self.first_committed;
            Self::send(ctx, p, m);
        }
        if !self.is_armed(Timer::LeaseAckTimeout) {
            let after = ctx.cfg.lease_ack_timeout();
            self.arm(ctx, Timer::LeaseAckTimeout, after);
        }
        // at = lease_expire - mon_lease + renew_factor * mon_lease
        let after = ctx.cfg.lease_renew_interval();
        self.arm(ctx, Timer::LeaseRenew, after);
    }

    /// reset_lease_timeout (peon): (re)arm the 10 s lease timeout.
    pub(super) fn reset_lease_timeout(&mut self, ctx: &mut PaxosCtx) {
        let after = ctx.cfg.lease_ack_timeout();
        self.arm(ctx, Timer::LeaseTimeout, after);
    }

    /// warn_on_future_time, with Ceph's backoff (mon_clock_drift_warn_backoff = 5).
    /// (The check inlined where a lease or its ack is handled; the warning apart.)
    #[inline]
    fn warn_on_future_time(&mut self, ctx: &mut PaxosCtx, t: Time, from: Rank) {
        if t > ctx.now && t - ctx.now > ctx.cfg.mon_clock_drift_allowed {
            self.warn_future(ctx, t, from);
        }
    }

    #[inline(never)]
    fn warn_future(&mut self, ctx: &mut PaxosCtx, t: Time, from: Rank) {
        let backoff = 5u64
            .checked_pow(self.clock_drift_warned)
            .map_or(u64::MAX, |b| b.saturating_mul(SEC));
        if ctx.now.saturating_sub(self.last_clock_drift_warn) > backoff {
            ctx.out.log(format!(
                "message from mon.{from} was stamped {} in the future, clocks not synchronized",
                format_duration(t - ctx.now)
            ));
            self.last_clock_drift_warn = ctx.now;
            self.clock_drift_warned = self.clock_drift_warned.saturating_add(1);
        }
    }

    /// handle_lease (peon).
    pub(super) fn handle_lease(
        &mut self,
        ctx: &mut PaxosCtx,
        fx: &mut Fx,
        from: Rank,
        lease: &MMonPaxos,
    ) {
        if !ctx.is_peon || self.last_committed != lease.last_committed {
            ctx.out.log(format!(
                "LEASE on lc {} (mine {}) or not a peon, dropped",
                lease.last_committed, self.last_committed
            ));
            return;
        }
        self.warn_on_future_time(ctx, lease.sent_timestamp, from);
        if self.lease_expire < lease.lease_timestamp {
            self.lease_expire = lease.lease_timestamp;
            if self.lease_expire < ctx.now {
                ctx.out.log(format!(
                    "lease_expire from mon.{from} is {} in the past; mons are probably laggy (or possibly clocks are too skewed)",
                    format_duration(ctx.now - self.lease_expire)
                ));
            }
        }
        self.state = PaxosState::Active;
        ctx.out
            .log(LogLine::lease_on(lease.last_committed, self.lease_expire));
        let mut ack = self.msg(ctx, PaxosOp::LeaseAck);
        ack.last_committed = self.last_committed;
        ack.first_committed = self.first_committed;
        ack.lease_timestamp = ctx.now;
        Self::send(ctx, from, ack);
        self.reset_lease_timeout(ctx);
        // kick waiters
        fx.finish(&mut self.waiting_for_active, true);
        if self.ctx_readable(ctx) {
            fx.finish(&mut self.waiting_for_readable, true);
        }
    }

    /// handle_lease_ack (leader): stray unless the ack timeout is armed.
    pub(super) fn handle_lease_ack(&mut self, ctx: &mut PaxosCtx, from: Rank, ack: &MMonPaxos) {
        if !ctx.is_leader {
            ctx.out.log(&"LEASE_ACK while not leader, dropped");
            return;
        }
        if !self.is_armed(Timer::LeaseAckTimeout) {
            ctx.out.log(format!(
                "LEASE_ACK from mon.{from}: stray (probably since revoked)"
            ));
        } else if self.acked_lease.insert(from) {
            if Self::is_quorum(&self.acked_lease, ctx) {
                ctx.out.log(LogLine::LeaseAckAll(from));
                self.disarm(ctx, Timer::LeaseAckTimeout);
            }
        } else {
            ctx.out.log(format!(
                "LEASE_ACK from mon.{from}: dup (lagging!), ignored"
            ));
        }
        self.warn_on_future_time(ctx, ack.sent_timestamp, from);
    }
}
