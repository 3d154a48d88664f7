//! Phase 2, normal rounds (§3.6), proposals (§3.9) and trim (§3.10).

use super::{begin_tx, decode_append, no_value, vkey, Paxos, PaxosStep, PAXOS};
use crate::mon::consensus::{Fx, PaxosCtx, Step, Waiter};
use crate::mon::logline::LogLine;
use crate::mon::messages::{MMonPaxos, PaxosOp};
use crate::mon::out::{Note, RoundTx, Timer};
use crate::mon::status::PaxosState;
use crate::mon::store::Transaction;
use crate::mon::Rank;

impl Paxos {
    /// begin(v) (leader; UPDATING or UPDATING_PREVIOUS).
    /// `proposed` is the transaction `value` encodes, when the caller has it.
    pub(super) fn begin(
        &mut self,
        ctx: &mut PaxosCtx,
        fx: &mut Fx,
        value: Vec<u8>,
        proposed: Option<Transaction>,
    ) {
        if !ctx.is_leader || !(self.is_updating() || self.is_updating_previous()) {
            ctx.out.log(&"begin while not an updating leader, dropped");
            return;
        }
        if ctx.quorum.len() != 1 && self.num_last <= ctx.monmap.size() / 2 {
            ctx.out.log(format!(
                "begin without a majority (num_last {}), dropped",
                self.num_last
            ));
            return;
        }
        let v = self.last_committed + 1;
        self.accepted.clear();
        self.accepted.insert(ctx.my_rank);
        self.new_value = value.into();
        if self.last_committed == 0 {
            // initial base case: set first_committed too
            let mut t = Transaction::new();
            t.put_u64(PAXOS, "first_committed", 1);
            decode_append(&mut t, &self.new_value, ctx.out);
            self.new_value = t.encode().into();
        } else if let Some(t) = proposed {
            ctx.out.remember_value(self.new_value.clone(), t);
        }
        let (value, pn) = (self.new_value.clone(), self.accepted_pn);
        let key = RoundTx {
            begin_pn: Some(pn),
            version: v,
            value: value.clone(),
        };
        Self::apply_round(ctx, key, |out| begin_tx(out, v, value, pn));
        self.pending_v = v;
        self.pending_pn = self.accepted_pn;
        ctx.out.log(LogLine::begin(v, self.accepted_pn));

        if ctx.quorum.len() == 1 {
            self.commit_start(ctx, fx);
            return;
        }
        // One message, shared by every peon's copy (`Values` is shared).
        let mut m = self.msg(ctx, PaxosOp::Begin);
        m.values.insert(v, self.new_value.clone());
        m.last_committed = self.last_committed;
        m.pn = self.accepted_pn;
        for p in Self::peers(ctx) {
            Self::send(ctx, p, m.clone());
        }
        let after = ctx.cfg.accept_timeout();
        self.arm(ctx, Timer::AcceptTimeout, after);
    }

    /// handle_begin (peon): accept, clear the lease (reads stop) but leave
    /// lease_timeout alone.
    pub(super) fn handle_begin(&mut self, ctx: &mut PaxosCtx, from: Rank, begin: &MMonPaxos) {
        if !ctx.is_peon {
            ctx.out.log(&"BEGIN while not a peon, dropped");
            return;
        }
        if begin.pn < self.accepted_pn {
            ctx.out.log(format!(
                "BEGIN pn {} < accepted {}, ignored",
                begin.pn, self.accepted_pn
            ));
            return;
        }
        let v = self.last_committed + 1;
        let value = begin.values.get(&v);
        if begin.pn != self.accepted_pn
            || begin.last_committed != self.last_committed
            || value.is_none()
        {
            ctx.out.log(format!(
                "BEGIN pn {} lc {} does not match mine (pn {} lc {}), dropped",
                begin.pn, begin.last_committed, self.accepted_pn, self.last_committed
            ));
            return;
        }
        self.state = PaxosState::Updating;
        self.lease_expire = 0;
        let (value, pn) = (value.cloned().unwrap_or_else(no_value), self.accepted_pn);
        let key = RoundTx {
            begin_pn: Some(pn),
            version: v,
            value: value.clone(),
        };
        Self::apply_round(ctx, key, |out| begin_tx(out, v, value, pn));
        self.pending_v = v;
        self.pending_pn = self.accepted_pn;
        ctx.out.log(LogLine::accepting(v, self.accepted_pn));
        let mut accept = self.msg(ctx, PaxosOp::Accept);
        accept.pn = self.accepted_pn;
        accept.last_committed = self.last_committed;
        Self::send(ctx, from, accept);
    }

    /// handle_accept (leader): commit only once every quorum member accepted.
    pub(super) fn handle_accept(
        &mut self,
        ctx: &mut PaxosCtx,
        fx: &mut Fx,
        from: Rank,
        accept: &MMonPaxos,
    ) {
        if !ctx.is_leader {
            ctx.out.log(&"ACCEPT while not leader, dropped");
            return;
        }
        if accept.pn != self.accepted_pn {
            ctx.out.log(format!(
                "ACCEPT pn {} != accepted {}, ignored",
                accept.pn, self.accepted_pn
            ));
            return;
        }
        if self.last_committed > 0 && accept.last_committed < self.last_committed - 1 {
            ctx.out.log(&"ACCEPT from an old round, ignored");
            return;
        }
        if !(self.is_updating() || self.is_updating_previous()) || self.accepted.contains(&from) {
            ctx.out
                .log(format!("unexpected ACCEPT from mon.{from}, ignored"));
            return;
        }
        self.accepted.insert(from);
        if Self::is_quorum(&self.accepted, ctx) {
            ctx.out.log(LogLine::AllAccepted(self.last_committed + 1));
            self.commit_start(ctx, fx);
        }
    }

    /// commit_start: apply lc+1 and its value in one transaction. The disk is
    /// instant here, so commit_finish follows at once.
    fn commit_start(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx) {
        let ops = (ctx.out.decode_value(&self.new_value).as_ref()).map_or(0, |t| t.ops.len());
        let mut t = ctx.out.transaction(1 + ops);
        t.put_u64(PAXOS, "last_committed", self.last_committed + 1);
        decode_append(&mut t, &self.new_value, ctx.out);
        Self::apply(ctx, t);
        self.state = if self.is_updating_previous() {
            PaxosState::WritingPrevious
        } else {
            PaxosState::Writing
        };
        if ctx.quorum.len() > 1 {
            self.disarm(ctx, Timer::AcceptTimeout);
        }
        self.commit_finish(ctx, fx);
    }

    fn commit_finish(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx) {
        // the lease was for the old value
        self.lease_expire = 0;
        self.last_committed += 1;
        self.last_commit_time = ctx.now;
        self.first_committed = ctx.store.get_u64(PAXOS, "first_committed");
        let v = self.last_committed;
        ctx.out.log(LogLine::Commit(v));
        ctx.out.notes.push(Note::Commit {
            version: v,
            value: self.new_value.clone(),
        });
        let mut m = self.msg(ctx, PaxosOp::Commit);
        m.values.insert(v, self.new_value.clone());
        m.pn = self.accepted_pn;
        m.last_committed = v;
        for p in Self::peers(ctx) {
            Self::send(ctx, p, m.clone());
        }
        self.new_value = no_value();
        // WRITING -> REFRESH; commit_proposal, the lease and finish_round wait
        // for a refresh that does not bootstrap.
        self.state = PaxosState::Refresh;
        self.do_refresh(fx, PaxosStep::CommitFinish);
    }

    /// commit_proposal (leader, REFRESH): wake the committed proposal's finishers.
    pub(super) fn commit_proposal(&mut self, fx: &mut Fx) {
        fx.finish(&mut self.committing_finishers, true);
    }

    /// handle_commit (peon): store_state then refresh; the state stays as it
    /// was until the next LEASE.
    pub(super) fn handle_commit(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx, commit: &MMonPaxos) {
        if !ctx.is_peon {
            ctx.out.log(&"COMMIT while not a peon, dropped");
            return;
        }
        self.store_state(ctx, commit);
        self.do_refresh(fx, PaxosStep::Nothing);
    }

    /// finish_round (leader): ACTIVE, wake waiters, then trim and propose what
    /// is pending. Ceph's finish_contexts runs the waiters before going on (a
    /// retried write may propose, leaving paxos UPDATING), so the rest is a
    /// step queued after them.
    pub(super) fn finish_round(&mut self, fx: &mut Fx) {
        self.state = PaxosState::Active;
        fx.finish(&mut self.waiting_for_active, true);
        fx.finish(&mut self.waiting_for_readable, true);
        fx.finish(&mut self.waiting_for_writeable, true);
        fx.steps.push(Step::Paxos(PaxosStep::TrimAndPropose));
    }

    /// finish_round's tail.
    pub(super) fn trim_and_propose(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx) {
        if !ctx.is_leader {
            return;
        }
        if self.should_trim(ctx) {
            self.trim(ctx);
        }
        if self.is_active() && self.pending_proposal.is_some() {
            self.propose_pending(ctx, fx);
        }
    }

    /// trigger_propose: propose now if ACTIVE, else when the round finishes.
    pub fn trigger_propose(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx) -> bool {
        if self.is_active() {
            ctx.out.log(&"trigger_propose: active, proposing now");
            self.propose_pending(ctx, fx);
            true
        } else {
            ctx.out
                .log(&"trigger_propose: not active, will propose later");
            false
        }
    }

    /// propose_pending: one value in flight; lease renewal stops (cancel_events).
    fn propose_pending(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx) {
        let Some(t) = self.pending_proposal.take() else {
            return;
        };
        if !ctx.is_leader {
            ctx.out.log(&"propose_pending while not leader, dropped");
            return;
        }
        self.cancel_events(ctx);
        let value = t.encode();
        ctx.out.log(LogLine::propose_pending(
            self.last_committed + 1,
            t.ops.len() as u64,
        ));
        // Moved, not copied: the committing list (empty by now; whatever
        // it held is dropped, as before) takes the pending one's place,
        // and each keeps a buffer.
        self.committing_finishers.clear();
        std::mem::swap(&mut self.committing_finishers, &mut self.pending_finishers);
        self.state = PaxosState::Updating;
        self.begin(ctx, fx, value, Some(t));
    }

    /// should_trim (§3.10).
    fn should_trim(&self, ctx: &PaxosCtx) -> bool {
        let available = self.last_committed.saturating_sub(self.first_committed);
        !self.trimming && available > ctx.cfg.paxos_min + ctx.cfg.paxos_trim_min
    }

    /// trim: erase [fc, end) and move first_committed inside the pending
    /// transaction, so the trim replicates as a normal value.
    fn trim(&mut self, ctx: &mut PaxosCtx) {
        let end = self
            .last_committed
            .saturating_sub(ctx.cfg.paxos_min)
            .min(self.first_committed + ctx.cfg.paxos_trim_max);
        if self.first_committed >= end {
            return;
        }
        ctx.out
            .log(format!("trim to {end} (was {})", self.first_committed));
        let fc = self.first_committed;
        let t = self.get_pending_transaction();
        for v in fc..end {
            t.erase(PAXOS, &vkey(v));
        }
        t.put_u64(PAXOS, "first_committed", end);
        self.trimming = true;
        self.queue_pending_finisher(Waiter::Trimmed);
    }
}
