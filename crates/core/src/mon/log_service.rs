//! The cluster log service: LogMonitor.cc, a [`Service`] of PaxosService.
//! Versions live under prefix "logm" (each `<v>` holds the entries it
//! committed, one line each; first/last_committed).
//!
//! LogMonitor does not force its proposals: prepare_log adds entries to the
//! pending increment and PaxosService::should_propose's default decides
//! when (at once while logm is new, lc <= 1; else paxos_propose_interval
//! after the last commit, at least paxos_min_wait). Measured on ceph-mon
//! 16.2.15, a three-monitor start commits the first entries at once (v4)
//! and then, at each election, the new leader's lines ("calling monitor
//! election", "is new leader", "monmap e1", "overall HEALTH_OK") in one
//! version 50 ms to 1 s after the election.

use super::clog::LogEntry;
use super::consensus::PaxosCtx;
use super::out::Timer;
use super::paxos_service::{put_last_committed, Service, ServiceId};
use super::store::Transaction;
use super::Version;
use std::fmt::Write;

/// The service's store prefix.
pub const LOGM: &str = "logm";
/// mon_max_log_epochs: the leader keeps this many versions (LogMonitor::get_trim_to).
pub const MAX_LOG_EPOCHS: Version = 500;

#[derive(Clone, Debug, Default)]
pub struct LogService {
    /// The pending increment: (who, entry), in arrival order.
    pending: Vec<(String, LogEntry)>,
    /// MLogs that wait for the service to be writeable (wait_for_active,
    /// wait_for_writeable): retried when it is.
    waiting: Vec<(String, LogEntry)>,
}

impl LogService {
    /// An MLog arrives: it waits until the service can prepare it.
    pub fn queue(&mut self, who: &str, entries: Vec<LogEntry>) {
        self.waiting
            .extend(entries.into_iter().map(|e| (who.to_string(), e)));
    }
    pub fn has_waiting(&self) -> bool {
        !self.waiting.is_empty()
    }
    /// A peon's MLogs are forwarded to the leader (not modelled): forgotten.
    pub fn clear_waiting(&mut self) {
        self.waiting.clear();
    }
}

impl Service for LogService {
    const ID: ServiceId = ServiceId::Log;
    const NAME: &'static str = LOGM;
    const PROPOSE_TIMER: Timer = Timer::LogProposeTimer;
    const RETRY_WAITER: &'static str = "log";
    type Reply = ();
    type Update = ();

    /// LogMonitor::create_initial: an empty summary as the first version.
    fn create_initial(&mut self, ctx: &mut PaxosCtx) {
        ctx.out.log("logm create_initial");
    }

    fn create_pending(&mut self, _ctx: &PaxosCtx) {
        self.pending.clear();
    }

    fn discard_pending(&mut self) {
        self.pending.clear();
    }

    /// LogMonitor::encode_pending: the entries as the increment at lc+1.
    fn encode_pending(
        &mut self,
        _ctx: &mut PaxosCtx,
        t: &mut Transaction,
        first_committed: Version,
        last_committed: Version,
    ) {
        let v = last_committed + 1;
        // Written into the one text (a `format!` per line allocated a line
        // and its time, then copied them).
        let mut text = String::new();
        for (who, e) in &self.pending {
            let _ = writeln!(
                text,
                "{} {who} {} : cluster [{}] {}",
                crate::time::Secs(e.stamp),
                e.seq,
                e.prio.as_str(),
                e.msg
            );
        }
        t.put(LOGM, &v.to_string(), text.into_bytes());
        put_last_committed(t, LOGM, first_committed, v);
        self.pending.clear();
    }

    fn update_from_paxos(&mut self, _ctx: &mut PaxosCtx, _last_committed: Version) {}

    /// LogMonitor::prepare_log for every MLog that waited.
    fn prepare_when_writeable(&mut self, _ctx: &mut PaxosCtx) -> bool {
        if self.waiting.is_empty() {
            return false;
        }
        self.pending.append(&mut self.waiting);
        true
    }

    /// LogMonitor::get_trim_to: keep mon_max_log_epochs versions.
    fn get_trim_to(&self, _ctx: &PaxosCtx, last_committed: Version) -> Version {
        last_committed.saturating_sub(MAX_LOG_EPOCHS)
    }
}
