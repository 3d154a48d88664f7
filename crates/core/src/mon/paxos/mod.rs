//! Paxos (Paxos.cc / Paxos.h, reference §3): one instance per monitor, shared
//! by every PaxosService. Recovery is in [`recovery`], normal rounds and
//! proposals in [`round`], leases in [`lease`].

mod lease;
mod recovery;
mod round;
pub mod values;

use super::consensus::{Fx, PaxosCtx, Waiter};
use super::messages::{MMonPaxos, Message, PaxosOp};
use super::out::{apply_shared_tx, Out, RoundTx, Timer};
use super::status::{PaxosState, PaxosStatus};
use super::store::{version_key as vkey, MonitorDBStore, Transaction};
use super::vecset::VecSet;
use super::{Rank, Version};
use crate::mon::vecmap::VecMap;
use crate::time::{Duration, Time};
use std::sync::Arc;

/// Paxos' store prefix (Paxos::get_name()).
pub const PAXOS: &str = "paxos";

/// The paxos timers (Ceph's *_event pointers); the rest of [`Timer`] is not ours.
const PAXOS_TIMERS: [Timer; 5] = [
    Timer::CollectTimeout,
    Timer::AcceptTimeout,
    Timer::LeaseRenew,
    Timer::LeaseAckTimeout,
    Timer::LeaseTimeout,
];

/// Paxos work run as a deferred step: what follows a refresh that asked for
/// no bootstrap (the code after `if (do_refresh())` in Paxos.cc), and the
/// rest of finish_round once the waiters it woke have run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaxosStep {
    /// After handle_commit's (peon) and handle_last's refresh of learned commits: nothing.
    Nothing,
    /// commit_finish (leader): commit_proposal, extend_lease if the quorum has
    /// more than one member, finish_round.
    CommitFinish,
    /// handle_last, "that's everyone, active" (the lease is already extended): finish_round.
    FinishRound,
    /// finish_round after its finish_contexts: trim, then propose what is pending.
    TrimAndPropose,
}

#[derive(Clone, Debug)]
pub struct Paxos {
    pub state: PaxosState,
    // persistent (§3.1), cached
    pub first_committed: Version,
    pub last_committed: Version,
    pub last_pn: u64,
    pub accepted_pn: u64,
    /// Mirror of the stored pending_v / pending_pn (for the inspector).
    pending_v: Version,
    pending_pn: u64,
    // in memory
    /// Lease expiry on this monitor's clock; 0 = none.
    pub lease_expire: Time,
    pub last_commit_time: Time,
    uncommitted_v: Version,
    uncommitted_pn: u64,
    uncommitted_value: Vec<u8>,
    num_last: usize,
    peer_first_committed: VecMap<Rank, Version>,
    peer_last_committed: VecMap<Rank, Version>,
    accepted: VecSet<Rank>,
    acked_lease: VecSet<Rank>,
    /// The value being proposed, shared with the BEGIN and COMMIT that
    /// carry it and the store transactions that write it.
    new_value: Arc<[u8]>,
    /// The one shared transaction every service appends to (§3.9).
    pending_proposal: Option<Transaction>,
    pending_finishers: Vec<Waiter>,
    committing_finishers: Vec<Waiter>,
    waiting_for_active: Vec<Waiter>,
    waiting_for_readable: Vec<Waiter>,
    waiting_for_writeable: Vec<Waiter>,
    pub trimming: bool,
    /// Which paxos timers are armed (Ceph tests its event pointers).
    armed: VecSet<Timer>,
    last_clock_drift_warn: Time,
    clock_drift_warned: u32,
}

/// An empty value (what `new_value` is between rounds).
fn no_value() -> Arc<[u8]> {
    Arc::from(&[][..])
}

/// What BEGIN writes, on the leader (begin) and on each peon (handle_begin).
fn begin_tx(out: &mut Out, v: Version, value: Arc<[u8]>, pn: u64) -> Transaction {
    let mut t = out.transaction(3);
    t.put(PAXOS, &vkey(v), value);
    t.put_u64(PAXOS, "pending_v", v);
    t.put_u64(PAXOS, "pending_pn", pn);
    t
}

/// decode_append_transaction: a malformed value is logged and contributes nothing.
fn decode_append(t: &mut Transaction, value: &Arc<[u8]>, out: &mut Out) {
    let e = match out.decode_value(value) {
        Ok(v) => return t.append_copy(v),
        Err(e) => format!("malformed paxos value ignored: {e}"),
    };
    out.log(e);
}

impl Paxos {
    /// Paxos::init: load the persistent variables.
    pub fn init(store: &MonitorDBStore) -> Paxos {
        Paxos {
            state: PaxosState::Recovering,
            first_committed: store.get_u64(PAXOS, "first_committed"),
            last_committed: store.get_u64(PAXOS, "last_committed"),
            last_pn: store.get_u64(PAXOS, "last_pn"),
            accepted_pn: store.get_u64(PAXOS, "accepted_pn"),
            pending_v: store.get_u64(PAXOS, "pending_v"),
            pending_pn: store.get_u64(PAXOS, "pending_pn"),
            lease_expire: 0,
            last_commit_time: 0,
            uncommitted_v: 0,
            uncommitted_pn: 0,
            uncommitted_value: Vec::new(),
            num_last: 0,
            peer_first_committed: VecMap::new(),
            peer_last_committed: VecMap::new(),
            accepted: VecSet::new(),
            acked_lease: VecSet::new(),
            new_value: no_value(),
            pending_proposal: None,
            pending_finishers: Vec::new(),
            committing_finishers: Vec::new(),
            waiting_for_active: Vec::new(),
            waiting_for_readable: Vec::new(),
            waiting_for_writeable: Vec::new(),
            trimming: false,
            armed: VecSet::new(),
            last_clock_drift_warn: 0,
            clock_drift_warned: 0,
        }
    }

    pub fn status(&self) -> PaxosStatus {
        PaxosStatus {
            state: self.state,
            first_committed: self.first_committed,
            last_committed: self.last_committed,
            lease_expire: self.lease_expire,
        }
    }

    /// `[accepted_pn, last_pn]`: the status keeps them with its names.
    pub fn pns(&self) -> [u64; 2] {
        [self.accepted_pn, self.last_pn]
    }

    /// The accepted but uncommitted value's (version, pn): the one learned in
    /// recovery, else the one in my store at lc+1.
    pub fn uncommitted(&self) -> Option<(Version, u64)> {
        if self.uncommitted_v > self.last_committed {
            Some((self.uncommitted_v, self.uncommitted_pn))
        } else if self.pending_v == self.last_committed + 1 && self.pending_pn != 0 {
            Some((self.pending_v, self.pending_pn))
        } else {
            None
        }
    }

    // ---- states (§3.2) ----
    pub fn is_active(&self) -> bool {
        self.state == PaxosState::Active
    }
    pub fn is_updating(&self) -> bool {
        self.state == PaxosState::Updating
    }
    pub fn is_updating_previous(&self) -> bool {
        self.state == PaxosState::UpdatingPrevious
    }
    pub fn is_writing(&self) -> bool {
        self.state == PaxosState::Writing
    }
    pub fn is_writing_previous(&self) -> bool {
        self.state == PaxosState::WritingPrevious
    }

    // ---- readability (§3.8) ----
    pub fn is_lease_valid(&self, now: Time, quorum_len: usize) -> bool {
        quorum_len == 1 || now < self.lease_expire
    }
    pub fn is_readable(&self, v: Version, now: Time, quorum_len: usize, in_quorum: bool) -> bool {
        v <= self.last_committed
            && in_quorum
            && (self.is_active() || self.is_updating() || self.is_writing())
            && self.last_committed > 0
            && self.is_lease_valid(now, quorum_len)
    }
    pub fn is_writeable(&self, now: Time, quorum_len: usize, is_leader: bool) -> bool {
        is_leader && self.is_active() && self.is_lease_valid(now, quorum_len)
    }
    fn ctx_readable(&self, ctx: &PaxosCtx) -> bool {
        self.is_readable(0, ctx.now, ctx.quorum.len(), ctx.is_leader || ctx.is_peon)
    }

    // ---- waiters and finishers ----
    pub fn wait_for_active(&mut self, w: Waiter) {
        self.waiting_for_active.push(w);
    }
    pub fn wait_for_readable(&mut self, w: Waiter) {
        self.waiting_for_readable.push(w);
    }
    pub fn wait_for_writeable(&mut self, w: Waiter) {
        self.waiting_for_writeable.push(w);
    }
    pub fn queue_pending_finisher(&mut self, w: Waiter) {
        self.pending_finishers.push(w);
    }
    /// The shared pending transaction, created on first use (leader only).
    pub fn get_pending_transaction(&mut self) -> &mut Transaction {
        // Room for a service's usual increment (its version, last
        // committed, one or two changes) without growing it op by op.
        self.pending_proposal
            .get_or_insert_with(|| Transaction::with_capacity(4))
    }
    fn reset_pending_committing_finishers(&mut self, fx: &mut Fx) {
        fx.finish(&mut self.committing_finishers, false);
        fx.finish(&mut self.pending_finishers, false);
    }

    // ---- messages and timers ----
    fn msg(&self, ctx: &PaxosCtx, op: PaxosOp) -> MMonPaxos {
        let mut m = MMonPaxos::new(op, ctx.election_epoch);
        m.sent_timestamp = ctx.now;
        m
    }
    fn send(ctx: &mut PaxosCtx, to: Rank, m: MMonPaxos) {
        match ctx.monmap.addr_of(to) {
            Some(addr) => ctx.out.send(addr, Message::Paxos(m)),
            None => ctx
                .out
                .log(format!("no address for mon.{to}, dropping {}", m.op.name())),
        }
    }
    /// The other quorum members (read from the quorum slice, which the
    /// context only borrows: no vector collected per round).
    fn peers<'a>(ctx: &PaxosCtx<'a>) -> impl Iterator<Item = Rank> + 'a {
        let me = ctx.my_rank;
        ctx.quorum.iter().copied().filter(move |r| *r != me)
    }
    /// Whether `set` is the quorum, as Ceph's `accepted == quorum` and
    /// `acked_lease == quorum` compare sets (Paxos::handle_accept,
    /// handle_lease_ack). Compared in place: a `VecSet` collected from the
    /// quorum would cost the page a stable sort of its own.
    fn is_quorum(set: &VecSet<Rank>, ctx: &PaxosCtx) -> bool {
        // Both sorted, each rank once: equal sets are equal slices.
        set.as_slice() == ctx.quorum
    }
    fn arm(&mut self, ctx: &mut PaxosCtx, t: Timer, after: Duration) {
        self.armed.insert(t);
        ctx.out.set_timer(t, after);
    }
    fn disarm(&mut self, ctx: &mut PaxosCtx, t: Timer) {
        if self.armed.remove(&t) {
            ctx.out.cancel_timer(t);
        }
    }
    fn is_armed(&self, t: Timer) -> bool {
        self.armed.contains(&t)
    }
    /// Paxos::cancel_events.
    pub fn cancel_events(&mut self, ctx: &mut PaxosCtx) {
        for t in PAXOS_TIMERS {
            self.disarm(ctx, t);
        }
    }
    fn apply(ctx: &mut PaxosCtx, t: Transaction) {
        super::out::apply_tx(ctx.store, ctx.out, t);
    }

    /// [`Self::apply`] of a round's transaction, which every monitor of
    /// the quorum writes alike: `build`'s, or the same one another built
    /// ([`Out::round_tx`]).
    fn apply_round(ctx: &mut PaxosCtx, key: RoundTx, build: impl FnOnce(&mut Out) -> Transaction) {
        let t = ctx.out.round_tx(key, build);
        apply_shared_tx(ctx.store, ctx.out, t);
    }

    /// Paxos::init again (Monitor::init_paxos after a sync): the persistent
    /// variables come from the store, and the contexts waiting on this Paxos
    /// stay queued, as they do on Ceph's one Paxos object.
    pub fn reinit(&mut self, store: &MonitorDBStore) {
        let mut fresh = Paxos::init(store);
        fresh.waiting_for_active = std::mem::take(&mut self.waiting_for_active);
        fresh.waiting_for_readable = std::mem::take(&mut self.waiting_for_readable);
        fresh.waiting_for_writeable = std::mem::take(&mut self.waiting_for_writeable);
        *self = fresh;
    }

    // ---- role entry (§3.4) ----
    /// Paxos::restart, from Monitor::_reset. (Writes are synchronous: nothing to flush.)
    pub fn restart(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx) {
        ctx.out.log(&"paxos restart");
        self.cancel_events(ctx);
        self.new_value = no_value();
        self.state = PaxosState::Recovering;
        self.pending_proposal = None;
        self.reset_pending_committing_finishers(fx);
        fx.finish(&mut self.waiting_for_active, false);
    }

    pub fn leader_init(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx) {
        self.cancel_events(ctx);
        self.new_value = no_value();
        self.pending_proposal = None;
        self.reset_pending_committing_finishers(fx);
        if ctx.quorum.len() == 1 {
            ctx.out.log(&"paxos leader_init: quorum of one, active");
            self.state = PaxosState::Active;
            return;
        }
        self.state = PaxosState::Recovering;
        self.lease_expire = 0;
        ctx.out.log(&"paxos leader_init: starting recovery");
        self.collect(ctx, fx, 0);
    }

    pub fn peon_init(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx) {
        self.cancel_events(ctx);
        self.new_value = no_value();
        self.state = PaxosState::Recovering;
        self.lease_expire = 0;
        ctx.out.log(&"paxos peon_init");
        // in case the leader never manages to issue a lease
        self.reset_lease_timeout(ctx);
        self.pending_proposal = None;
        self.reset_pending_committing_finishers(fx);
        fx.finish(&mut self.waiting_for_writeable, false);
    }

    /// Paxos::dispatch: drop unless LEADER or PEON; a peon hears only its leader.
    pub fn dispatch(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx, from: Rank, m: &MMonPaxos) {
        if !ctx.is_leader && !ctx.is_peon {
            ctx.out
                .log(format!("election in progress, dropping {}", m.op.name()));
            return;
        }
        if ctx.is_peon && from != ctx.leader {
            ctx.out.log(format!(
                "{} from mon.{from}, not my leader: dropped",
                m.op.name()
            ));
            return;
        }
        match m.op {
            PaxosOp::Collect => self.handle_collect(ctx, fx, from, m),
            PaxosOp::Last => self.handle_last(ctx, fx, from, m),
            PaxosOp::Begin => self.handle_begin(ctx, from, m),
            PaxosOp::Accept => self.handle_accept(ctx, fx, from, m),
            PaxosOp::Commit => self.handle_commit(ctx, fx, m),
            PaxosOp::Lease => self.handle_lease(ctx, fx, from, m),
            PaxosOp::LeaseAck => self.handle_lease_ack(ctx, from, m),
        }
    }

    /// A paxos timer fired. A timer we no longer consider armed is stale: ignored.
    pub fn handle_timer(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx, t: Timer) {
        if !self.armed.remove(&t) {
            ctx.out.log(format!("stale {t:?} ignored"));
            return;
        }
        match t {
            Timer::CollectTimeout if ctx.is_leader => fx.bootstrap(ctx.out, "collect timeout"),
            Timer::AcceptTimeout if ctx.is_leader => fx.bootstrap(ctx.out, "accept timeout"),
            Timer::LeaseRenew if ctx.is_leader => self.extend_lease(ctx),
            Timer::LeaseAckTimeout if ctx.is_leader => fx.bootstrap(ctx.out, "lease ack timeout"),
            Timer::LeaseTimeout if ctx.is_peon => fx.bootstrap(ctx.out, "lease timeout"),
            _ => ctx.out.log(format!("{t:?} in the wrong role, ignored")),
        }
    }

    /// Paxos::do_refresh: Monitor::refresh_from_paxos runs as the next step.
    /// If a service asks for a bootstrap there (MonmapMonitor on a newer
    /// committed monmap), the Monitor bootstraps at once and `then` never runs:
    /// do_refresh returned false. Otherwise `then` runs next, as the code Ceph
    /// guards with `if (do_refresh())`.
    fn do_refresh(&mut self, fx: &mut Fx, then: PaxosStep) {
        fx.steps.push(super::consensus::Step::Refresh {
            version: self.last_committed,
            then,
        });
    }

    /// Run a deferred [`PaxosStep`] (after a refresh: do_refresh returned true).
    pub fn run_step(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx, step: PaxosStep) {
        match step {
            PaxosStep::Nothing => {}
            PaxosStep::CommitFinish => {
                self.commit_proposal(fx);
                if ctx.quorum.len() > 1 {
                    self.extend_lease(ctx);
                }
                self.finish_round(fx);
            }
            PaxosStep::FinishRound => self.finish_round(fx),
            PaxosStep::TrimAndPropose => self.trim_and_propose(ctx, fx),
        }
    }
}
