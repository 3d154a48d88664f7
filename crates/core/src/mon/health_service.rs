//! The health service: HealthMonitor.cc, a [`Service`] of PaxosService.
//! Versions live under prefix "health": "leader" holds the leader's checks
//! (code and summary, one per line) as of the newest version.
//!
//! HealthMonitor::tick runs on every Monitor::tick (mon_tick_interval): on
//! the leader, check_leader_health recomputes MON_DOWN and MON_CLOCK_SKEW
//! and, if they changed, proposes at once (propose_pending, no
//! should_propose). What `ceph health` reports is the committed checks, so
//! a check shows a tick and a commit after its cause (ceph-mon 16.2.15:
//! MON_DOWN at the first tick after mon_down_mkfs_grace, v15 "health",
//! then v16 "logm" with "Health check failed: 1/3 mons down, quorum b,c
//! (MON_DOWN)"). encode_pending writes each change to the cluster log
//! (Monitor::log_health), which the leader's LogMonitor commits next.

use super::clog::Prio;
use super::consensus::PaxosCtx;
use super::out::Timer;
use super::paxos_service::{put_last_committed, Service, ServiceClass, ServiceId, ServiceMeta};
use super::store::{MonitorDBStore, Transaction};
use super::Version;
use std::collections::BTreeMap;

/// The service's store prefix.
pub const HEALTH: &str = "health";

/// Health checks: code → summary, sorted by code (health_check_map_t).
pub type Checks = BTreeMap<String, String>;

#[derive(Clone, Debug, Default)]
pub struct HealthService {
    /// leader_checks as the leader last computed them (the pending state).
    pending: Checks,
    /// The committed checks (PaxosService::health_checks, load_health).
    committed: Checks,
    /// Cluster log lines encode_pending wrote (Monitor::log_health), for the
    /// Monitor's clog.
    clog: Vec<(Prio, String)>,
    /// The store's stamp of the "health" prefix `committed` was read at
    /// ([`MonitorDBStore::prefix_stamp`]): every commit of any service
    /// refreshes this one, and reading and decoding the same checks again
    /// gives the same checks.
    loaded: Option<u64>,
}

fn encode(checks: &Checks) -> Vec<u8> {
    let mut s = String::new();
    for (code, summary) in checks {
        s.push_str(code);
        s.push(' ');
        s.push_str(summary);
        s.push('\n');
    }
    s.into_bytes()
}

fn decode(bytes: &[u8]) -> Checks {
    // Inserted one by one: a `collect()` into a map links a stable sort of
    // its own, the page's only one (docs/performance.md, "Transfer").
    let mut checks = Checks::new();
    let text = String::from_utf8_lossy(bytes);
    for (code, summary) in text.lines().filter_map(|l| l.split_once(' ')) {
        checks.insert(code.to_string(), summary.to_string());
    }
    checks
}

impl HealthService {
    /// PaxosService::init's first refresh (update_from_paxos): the checks
    /// committed in the store the monitor starts with, or after a sync.
    pub fn load(&mut self, store: &MonitorDBStore) {
        self.read_committed(store);
        self.pending = self.committed.clone();
    }

    /// load_health: the committed checks from the store, unless the
    /// prefix is unchanged since they were last read.
    fn read_committed(&mut self, store: &MonitorDBStore) {
        let stamp = store.prefix_stamp(HEALTH);
        if self.loaded == Some(stamp) {
            return;
        }
        self.committed = store.get(HEALTH, "leader").map(decode).unwrap_or_default();
        self.loaded = Some(stamp);
    }

    /// The committed check codes.
    pub fn committed_codes(&self) -> impl Iterator<Item = &str> {
        self.committed.keys().map(String::as_str)
    }
    /// The committed checks, for the overall summary.
    pub fn committed(&self) -> &Checks {
        &self.committed
    }
    /// check_leader_health: true if `now` differs from the pending checks
    /// (which then become `now`).
    pub fn check_leader_health(&mut self, now: Checks) -> bool {
        if now == self.pending {
            return false;
        }
        self.pending = now;
        true
    }
    /// Whether encode_pending logged something not taken yet.
    pub fn has_clog(&self) -> bool {
        !self.clog.is_empty()
    }
    /// What encode_pending logged, for the cluster log.
    pub fn take_clog(&mut self) -> Vec<(Prio, String)> {
        std::mem::take(&mut self.clog)
    }
}

impl ServiceClass for HealthService {
    const META: ServiceMeta = ServiceMeta {
        id: ServiceId::Health,
        name: HEALTH,
        propose_timer: Timer::HealthProposeTimer,
        retry_waiter: "health",
        force_immediate_propose: false,
        reply_at_once: false,
    };
    type Update = ();
    /// HealthMonitor::update_from_paxos: load the committed checks.
    fn update_from_paxos(&mut self, ctx: &mut PaxosCtx, _last_committed: Version) {
        self.read_committed(ctx.store);
    }
}

impl Service for HealthService {
    /// HealthMonitor::create_initial: nothing; the first version is empty.
    fn create_initial(&mut self, ctx: &mut PaxosCtx) {
        ctx.out.log(&"health create_initial");
    }

    /// HealthMonitor::create_pending: the leader's checks start from the
    /// committed ones.
    fn create_pending(&mut self, _ctx: &PaxosCtx) {
        self.pending = self.committed.clone();
    }

    fn discard_pending(&mut self) {
        self.pending = self.committed.clone();
    }

    /// HealthMonitor::encode_pending, and Monitor::log_health's lines for
    /// each check raised, changed or cleared.
    fn encode_pending(
        &mut self,
        _ctx: &mut PaxosCtx,
        t: &mut Transaction,
        first_committed: Version,
        last_committed: Version,
    ) {
        let v = last_committed + 1;
        t.put(HEALTH, "leader", encode(&self.pending));
        put_last_committed(t, HEALTH, first_committed, v);
        for (code, summary) in &self.pending {
            match self.committed.get(code) {
                None => self.clog.push((
                    Prio::Wrn,
                    format!("Health check failed: {summary} ({code})"),
                )),
                Some(old) if old != summary => self.clog.push((
                    Prio::Wrn,
                    format!("Health check update: {summary} ({code})"),
                )),
                Some(_) => {}
            }
        }
        for (code, summary) in &self.committed {
            if !self.pending.contains_key(code) {
                self.clog.push((
                    Prio::Inf,
                    format!("Health check cleared: {code} (was: {summary})"),
                ));
            }
        }
        if self.pending.is_empty() && !self.committed.is_empty() {
            self.clog
                .push((Prio::Inf, "Cluster is now healthy".to_string()));
        }
    }

    /// HealthMonitor::get_trim_to: "we don't actually need *any* old
    /// states, but keep a few" (5).
    fn get_trim_to(&self, _ctx: &PaxosCtx, last_committed: Version) -> Version {
        last_committed.saturating_sub(5)
    }
}
