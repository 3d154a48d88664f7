//! The auth service: AuthMonitor.cc, a [`Service`] of PaxosService, as far
//! as it commits versions on its own: the range of global ids the monitors
//! may hand to clients (max_global_id). Keys and caps are not modelled
//! (the clusters run with auth none). Versions live under prefix "auth":
//! each `<v>` holds its increments, one "max_global_id N" line each.
//!
//! Measured on ceph-mon 16.2.15 (`debug_mon 10`): the first quorum commits
//! auth's first version (create_initial, max_global_id 4096) and right
//! after it a second ("increasing max_global_id to 14096", on_active: the
//! first is below mon_globalid_prealloc); a monitor that starts again
//! begins with last_allocated_id at max_global_id, so at its first tick as
//! a peon it asks the leader for more ids ("requesting more ids from
//! leader", MMonGlobalID) and the leader commits one auth version.
//! Client sessions do not allocate ids here (assign_global_id): thousands
//! of sessions per monitor would be needed before one asks for more.

use super::consensus::PaxosCtx;
use super::out::Timer;
use super::paxos_service::{put_last_committed, Service, ServiceClass, ServiceId, ServiceMeta};
use super::store::{MonitorDBStore, Transaction};
use super::Version;
use crate::time::Duration;

/// The service's store prefix.
pub const AUTH: &str = "auth";
/// MIN_GLOBAL_ID (AuthMonitor.h): create_initial's max_global_id.
pub const MIN_GLOBAL_ID: u64 = 4096;
/// mon_globalid_prealloc's default: how many ids each increase adds.
pub const MON_GLOBALID_PREALLOC: u64 = 10_000;

#[derive(Clone, Debug, Default)]
pub struct AuthService {
    /// The committed max_global_id.
    max_global_id: u64,
    /// The last id this monitor handed out; set to max_global_id by the
    /// first update_from_paxos that finds one (a process that starts again
    /// starts there).
    last_allocated_id: u64,
    /// pending_auth: the new max_global_id of each GLOBAL_ID increment.
    pending: Vec<u64>,
    /// MMonGlobalID requests that wait for the service to be writeable.
    waiting: usize,
    /// The version `max_global_id` was loaded from (KeyServer's `get_ver`).
    keys_ver: Version,
}

impl AuthService {
    /// update_from_paxos as PaxosService::init's first refresh runs it: the
    /// committed max_global_id from the store (at boot or after a sync).
    pub fn load(&mut self, store: &MonitorDBStore) {
        let lc = store.get_u64(AUTH, "last_committed");
        self.keys_ver = lc;
        self.max_global_id = committed_max(store, lc).unwrap_or(self.max_global_id);
        if self.last_allocated_id == 0 {
            self.last_allocated_id = self.max_global_id;
        }
    }

    /// AuthMonitor::_should_increase_max_global_id.
    pub fn should_increase_max_global_id(&self) -> bool {
        self.max_global_id < MON_GLOBALID_PREALLOC
            || self.last_allocated_id + 1 >= self.max_global_id - MON_GLOBALID_PREALLOC / 2
    }

    /// The committed max_global_id (MMonGlobalID's old_max_id).
    pub fn max_global_id(&self) -> u64 {
        self.max_global_id
    }

    /// An MMonGlobalID reached the leader: it waits until the service is
    /// writeable, then prepare_global_id runs for it.
    pub fn queue_global_id(&mut self) {
        self.waiting += 1;
    }

    /// A peon's waiting requests were the leader's (a new leader's peons ask again at their tick).
    pub fn clear_waiting(&mut self) {
        self.waiting = 0;
    }

    /// AuthMonitor::increase_max_global_id (leader only).
    fn increase_max_global_id(&mut self, ctx: &mut PaxosCtx) {
        let base = self.pending.last().copied().unwrap_or(self.max_global_id);
        let max = base + MON_GLOBALID_PREALLOC;
        ctx.out
            .log(format!("auth: increasing max_global_id to {max}"));
        self.pending.push(max);
    }
}

/// The max_global_id of the newest increment up to version `lc`.
fn committed_max(store: &MonitorDBStore, lc: Version) -> Option<u64> {
    let bytes = store.get(AUTH, &lc.to_string())?;
    String::from_utf8_lossy(bytes)
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("max_global_id ")?.parse().ok())
}

impl ServiceClass for AuthService {
    const META: ServiceMeta = ServiceMeta {
        id: ServiceId::Auth,
        name: AUTH,
        propose_timer: Timer::AuthProposeTimer,
        retry_waiter: "global id",
        force_immediate_propose: false,
        reply_at_once: false,
    };
    type Update = ();
    /// AuthMonitor::update_from_paxos: the newest max_global_id; a monitor
    /// that had allocated nothing starts allocating there. Nothing to do
    /// when the committed version is the one already loaded (`version ==
    /// keys_ver`): every commit of any service refreshes every service.
    fn update_from_paxos(&mut self, ctx: &mut PaxosCtx, last_committed: Version) {
        if last_committed == self.keys_ver {
            return;
        }
        self.load(ctx.store);
    }
}

impl Service for AuthService {
    /// AuthMonitor::create_initial: max_global_id = MIN_GLOBAL_ID.
    fn create_initial(&mut self, ctx: &mut PaxosCtx) {
        ctx.out.log(&"auth create_initial");
        self.pending.push(MIN_GLOBAL_ID);
    }

    /// AuthMonitor::create_pending: pending_auth.clear().
    fn create_pending(&mut self, _ctx: &PaxosCtx) {
        self.pending.clear();
    }

    fn discard_pending(&mut self) {
        self.pending.clear();
    }

    /// AuthMonitor::encode_pending: the increments as version lc+1.
    fn encode_pending(
        &mut self,
        _ctx: &mut PaxosCtx,
        t: &mut Transaction,
        first_committed: Version,
        last_committed: Version,
    ) {
        let v = last_committed + 1;
        let text: String = self
            .pending
            .iter()
            .map(|m| format!("max_global_id {m}\n"))
            .collect();
        t.put(AUTH, &v.to_string(), text.into_bytes());
        put_last_committed(t, AUTH, first_committed, v);
        self.pending.clear();
    }

    /// AuthMonitor::should_propose: at once (it sets no delay).
    fn should_propose(
        &self,
        _ctx: &PaxosCtx,
        _paxos: &super::paxos::Paxos,
        _lc: Version,
    ) -> Duration {
        0
    }

    /// On the writeable leader: AuthMonitor::on_active's increase, and
    /// prepare_global_id for each MMonGlobalID that waited.
    fn prepare_when_writeable(&mut self, ctx: &mut PaxosCtx) -> bool {
        let mut changed = false;
        if self.pending.is_empty() && self.should_increase_max_global_id() {
            self.increase_max_global_id(ctx);
            changed = true;
        }
        for _ in 0..std::mem::take(&mut self.waiting) {
            ctx.out.log(&"auth: prepare_global_id");
            self.increase_max_global_id(ctx);
            changed = true;
        }
        changed
    }

    /// AuthMonitor::get_trim_to: the leader keeps paxos_max_join_drift * 2 versions.
    fn get_trim_to(&self, ctx: &PaxosCtx, last_committed: Version) -> Version {
        let max = ctx.cfg.paxos_max_join_drift.saturating_mul(2);
        if ctx.is_leader && last_committed > max {
            last_committed - max
        } else {
            0
        }
    }
}
