//! Phase 1, recovery (§3.5): collect / handle_collect / handle_last,
//! share_state and store_state.

use super::{decode_append, vkey, Paxos, PaxosStep, PAXOS};
use crate::mon::consensus::{Fx, PaxosCtx};
use crate::mon::logline::LogLine;
use crate::mon::messages::{MMonPaxos, PaxosOp};
use crate::mon::out::{apply_shared_tx, Note, Out, RoundTx, Timer};
use crate::mon::status::PaxosState;
use crate::mon::store::Transaction;
use crate::mon::{Rank, Version};
use std::sync::Arc;

/// What store_state writes: last_committed, then per version learned its
/// value and what it decodes to (sized at once).
fn commit_tx<'a, I>(out: &mut Out, hi: Version, learned: impl Fn() -> I) -> Transaction
where
    I: Iterator<Item = (&'a Version, &'a Arc<[u8]>)>,
{
    let ops = learned().fold(1, |n, (_, value)| {
        n + 1 + out.decode_value(value).as_ref().map_or(0, |t| t.ops.len())
    });
    let mut t = out.transaction(ops);
    t.put_u64(PAXOS, "last_committed", hi);
    for (v, value) in learned() {
        t.put(PAXOS, &vkey(*v), value.clone());
        decode_append(&mut t, value, out);
    }
    t
}

impl Paxos {
    /// get_new_proposal_number(gt): unique among monitors (rank in the last two
    /// digits), persisted before use.
    pub(super) fn get_new_proposal_number(&mut self, ctx: &mut PaxosCtx, gt: u64) -> u64 {
        self.last_pn = self.last_pn.max(gt);
        self.last_pn = (self.last_pn / 100 + 1) * 100 + ctx.my_rank.max(0) as u64;
        let mut t = Transaction::new();
        t.put_u64(PAXOS, "last_pn", self.last_pn);
        Self::apply(ctx, t);
        self.last_pn
    }

    /// collect(oldpn) (leader).
    pub(super) fn collect(&mut self, ctx: &mut PaxosCtx, _fx: &mut Fx, oldpn: u64) {
        self.state = PaxosState::Recovering;
        self.uncommitted_v = 0;
        self.uncommitted_pn = 0;
        self.uncommitted_value.clear();
        self.peer_first_committed.clear();
        self.peer_last_committed.clear();

        // look for an uncommitted value of my own
        let next = self.last_committed + 1;
        if let Some(value) = ctx.store.get(PAXOS, &vkey(next)).map(|v| v.to_vec()) {
            let v = ctx.store.get_u64(PAXOS, "pending_v");
            let pn = ctx.store.get_u64(PAXOS, "pending_pn");
            if v != 0 && pn != 0 && v == next {
                self.uncommitted_pn = pn;
            } else {
                ctx.out.log(format!(
                    "WARNING: no pending_pn on disk, using accepted_pn {}",
                    self.accepted_pn
                ));
                self.uncommitted_pn = self.accepted_pn;
            }
            self.uncommitted_v = next;
            self.uncommitted_value = value;
            ctx.out.log(format!(
                "learned uncommitted v{next} pn {} from myself",
                self.uncommitted_pn
            ));
        }

        self.accepted_pn = self.get_new_proposal_number(ctx, self.accepted_pn.max(oldpn));
        self.num_last = 1;
        ctx.out.log(format!("collect pn {}", self.accepted_pn));
        for p in Self::peers(ctx) {
            let mut m = self.msg(ctx, PaxosOp::Collect);
            m.last_committed = self.last_committed;
            m.first_committed = self.first_committed;
            m.pn = self.accepted_pn;
            Self::send(ctx, p, m);
        }
        let after = ctx.cfg.accept_timeout();
        self.arm(ctx, Timer::CollectTimeout, after);
    }

    /// handle_collect (peon).
    pub(super) fn handle_collect(
        &mut self,
        ctx: &mut PaxosCtx,
        fx: &mut Fx,
        from: Rank,
        collect: &MMonPaxos,
    ) {
        if !ctx.is_peon {
            ctx.out.log(&"COLLECT while not a peon, dropped");
            return;
        }
        self.state = PaxosState::Recovering;
        // update the peon recovery timeout (modern Paxos.cc)
        self.reset_lease_timeout(ctx);

        if collect.first_committed > self.last_committed + 1 {
            fx.bootstrap(
                ctx.out,
                format!(
                    "leader's first_committed {} > my last_committed {} + 1",
                    collect.first_committed, self.last_committed
                ),
            );
            return;
        }

        let mut last = self.msg(ctx, PaxosOp::Last);
        last.last_committed = self.last_committed;
        last.first_committed = self.first_committed;
        let previous_pn = self.accepted_pn;
        if collect.pn > self.accepted_pn {
            self.accepted_pn = collect.pn;
            let mut t = Transaction::new();
            t.put_u64(PAXOS, "accepted_pn", self.accepted_pn);
            Self::apply(ctx, t);
            ctx.out
                .log(format!("accepting pn {} from mon.{from}", collect.pn));
        } else {
            ctx.out.log(format!(
                "NOT accepting pn {}, already accepted {}",
                collect.pn, self.accepted_pn
            ));
        }
        last.pn = self.accepted_pn;
        last.set_pn_from(collect.pn_from());

        // share whatever committed values we have
        if collect.last_committed < self.last_committed {
            self.share_state(ctx, &mut last, collect.last_committed);
        }

        // an accepted but uncommitted value, at lc+1?
        let next = self.last_committed + 1;
        if collect.last_committed <= self.last_committed {
            if let Some(value) = ctx.store.get(PAXOS, &vkey(next)).map(|v| v.to_vec()) {
                last.values.insert(next, value);
                let v = ctx.store.get_u64(PAXOS, "pending_v");
                let pn = ctx.store.get_u64(PAXOS, "pending_pn");
                last.set_uncommitted_pn(if v != 0 && pn != 0 && v == next {
                    pn
                } else {
                    ctx.out.log(format!(
                        "WARNING: no pending_pn on disk, using previous accepted_pn {previous_pn}"
                    ));
                    previous_pn
                });
                ctx.out.log(format!(
                    "sharing uncommitted v{next} pn {}",
                    last.uncommitted_pn()
                ));
            }
        }
        Self::send(ctx, from, last);
    }

    /// share_state: my versions (peer_lc, my_lc] into m.values.
    pub(super) fn share_state(&self, ctx: &mut PaxosCtx, m: &mut MMonPaxos, peer_lc: u64) {
        for v in peer_lc + 1..=self.last_committed {
            if let Some(value) = ctx.store.get(PAXOS, &vkey(v)) {
                m.values.insert(v, value);
            }
        }
        m.last_committed = self.last_committed;
    }

    /// store_state: learn the commits carried by `m`; true if anything changed.
    pub(super) fn store_state(&mut self, ctx: &mut PaxosCtx, m: &MMonPaxos) -> bool {
        if let Some((&first, _)) = m.values.iter().next() {
            if first > self.last_committed + 1 {
                ctx.out.log(format!(
                    "store_state ignoring values starting at {first} > lc+1"
                ));
                return false;
            }
        }
        if m.last_committed <= self.last_committed {
            return false;
        }
        // Read from the message each time it is needed (a few versions at
        // most), not collected into a vector per commit.
        let learned = || m.values.range(self.last_committed + 1..=m.last_committed);
        let Some(&lo) = learned().next().map(|(v, _)| v) else {
            return false;
        };
        let hi = learned().last().map_or(lo, |x| *x.0);
        // One well-formed version (a COMMIT's): every peon writes the same
        // transaction, built once ([`Out::round_tx`]).
        let t = match learned().next() {
            Some((_, value)) if lo == hi && ctx.out.decode_value(value).is_ok() => {
                let value = value.clone();
                let key = RoundTx {
                    begin_pn: None,
                    version: hi,
                    value: value.clone(),
                };
                let one = || std::iter::once((&hi, &value));
                ctx.out.round_tx(key, |out| commit_tx(out, hi, one))
            }
            // Several versions (a LAST's), or a malformed one: its own.
            _ => Arc::new(commit_tx(ctx.out, hi, learned)),
        };
        let first_learned = self.last_committed + 1;
        self.last_committed = hi;
        if self.uncommitted_v != 0 && self.uncommitted_v <= hi {
            ctx.out.log(format!(
                "forgetting obsolete uncommitted v{} pn {}",
                self.uncommitted_v, self.uncommitted_pn
            ));
            self.uncommitted_v = 0;
            self.uncommitted_pn = 0;
            self.uncommitted_value.clear();
        }
        apply_shared_tx(ctx.store, ctx.out, t);
        // this may have trimmed
        self.first_committed = ctx.store.get_u64(PAXOS, "first_committed");
        ctx.out.log(LogLine::store_state(lo, hi));
        for (v, value) in m.values.range(first_learned..=hi) {
            ctx.out.notes.push(Note::Commit {
                version: *v,
                value: value.clone(),
            });
        }
        true
    }

    /// handle_last (leader).
    pub(super) fn handle_last(
        &mut self,
        ctx: &mut PaxosCtx,
        fx: &mut Fx,
        from: Rank,
        last: &MMonPaxos,
    ) {
        if !ctx.is_leader {
            ctx.out.log(&"LAST while not leader, dropped");
            return;
        }
        self.peer_first_committed.insert(from, last.first_committed);
        self.peer_last_committed.insert(from, last.last_committed);

        if last.first_committed > self.last_committed + 1 {
            fx.bootstrap(
                ctx.out,
                format!(
                    "mon.{from} first_committed {} > my last_committed {} + 1",
                    last.first_committed, self.last_committed
                ),
            );
            return;
        }

        let mut need_refresh = self.store_state(ctx, last);

        // is everyone contiguous and up to date?
        let peers: Vec<(Rank, u64)> = self
            .peer_last_committed
            .iter()
            .map(|(r, v)| (*r, *v))
            .collect();
        for (p, plc) in peers {
            if plc + 1 < self.first_committed && self.first_committed > 1 {
                fx.bootstrap(
                    ctx.out,
                    format!(
                        "mon.{p} last_committed {plc} too low for my first_committed {}",
                        self.first_committed
                    ),
                );
                return;
            }
            if plc < self.last_committed {
                ctx.out.log(format!(
                    "sending commit to mon.{p} ({}..{})",
                    plc + 1,
                    self.last_committed
                ));
                let mut commit = self.msg(ctx, PaxosOp::Commit);
                self.share_state(ctx, &mut commit, plc);
                Self::send(ctx, p, commit);
            }
        }

        if last.pn > self.accepted_pn {
            ctx.out.log(format!(
                "mon.{from} had a higher pn {}, new collect",
                last.pn
            ));
            self.disarm(ctx, Timer::CollectTimeout);
            self.collect(ctx, fx, last.pn);
        } else if last.pn == self.accepted_pn {
            self.num_last += 1;
            if last.uncommitted_pn() != 0 {
                let v = last.last_committed + 1;
                if last.uncommitted_pn() >= self.uncommitted_pn
                    && last.last_committed >= self.last_committed
                    && last.last_committed + 1 >= self.uncommitted_v
                {
                    self.uncommitted_v = v;
                    self.uncommitted_pn = last.uncommitted_pn();
                    self.uncommitted_value =
                        last.values.get(&v).map(|b| b.to_vec()).unwrap_or_default();
                    ctx.out.log(format!(
                        "learned uncommitted v{v} pn {} from mon.{from}",
                        last.uncommitted_pn()
                    ));
                } else {
                    ctx.out.log(format!(
                        "ignoring uncommitted v{v} pn {} from mon.{from}",
                        last.uncommitted_pn()
                    ));
                }
            }
            // is that everyone? (every quorum member, not a majority)
            if self.num_last == ctx.quorum.len() {
                self.disarm(ctx, Timer::CollectTimeout);
                self.peer_first_committed.clear();
                self.peer_last_committed.clear();
                if self.uncommitted_v == self.last_committed + 1
                    && !self.uncommitted_value.is_empty()
                {
                    ctx.out.log(format!(
                        "that's everyone, begin on old learned value v{}",
                        self.uncommitted_v
                    ));
                    self.state = PaxosState::UpdatingPrevious;
                    let value = self.uncommitted_value.clone();
                    self.begin(ctx, fx, value, None);
                } else {
                    ctx.out.log(&"that's everyone, active");
                    self.extend_lease(ctx);
                    need_refresh = false;
                    self.do_refresh(fx, PaxosStep::FinishRound);
                }
            }
        } else {
            ctx.out
                .log(format!("old pn {} from mon.{from}, ignored", last.pn));
        }
        if need_refresh {
            self.do_refresh(fx, PaxosStep::Nothing);
        }
    }
}
