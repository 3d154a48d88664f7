//! The cluster log service: LogMonitor.cc, a [`Service`] of PaxosService.
//! Versions live under prefix "logm" (each `<v>` holds the entries it
//! committed, one line each; first/last_committed).
//!
//! LogMonitor does not force its proposals: prepare_log adds entries to the
//! pending increment and PaxosService::should_propose's default decides
//! when (at once while logm is new, lc <= 1; else paxos_propose_interval
//! after the last commit, at least paxos_min_wait). Measured on ceph-mon
//! 16.2.15, a three-monitor start commits the leader's first line alone at
//! once (v4), the rest of the start-up's 1 s later, and then, at each
//! election, the new leader's lines ("calling monitor
//! election", "is new leader", "monmap e1", "overall HEALTH_OK") in one
//! version 50 ms to 1 s after the election.

use super::clog::LogEntry;
use super::consensus::PaxosCtx;
use super::logline::{push_secs, push_u64};
use super::out::Timer;
use super::paxos_service::{put_last_committed, Service, ServiceClass, ServiceId, ServiceMeta};
use super::store::{version_key, MonitorDBStore, Transaction};
use super::vecmap::VecMap;
use super::Version;
use crate::time::Time;
use std::sync::Arc;

/// A stamp as the log writes it ([`crate::time::Secs`]: "12", "0.007463").
fn parse_secs(s: &str) -> Option<Time> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 6 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // The fraction's digits as microseconds (as if right-padded with zeros).
    let micros = frac.bytes().fold(0, |n, b| n * 10 + u64::from(b - b'0'))
        * 10u64.pow(6 - frac.len() as u32);
    Some(whole.parse::<u64>().ok()? * crate::time::SEC + micros)
}

/// The service's store prefix.
pub const LOGM: &str = "logm";
/// mon_max_log_epochs: the leader keeps this many versions (LogMonitor::get_trim_to).
pub const MAX_LOG_EPOCHS: Version = 500;

#[derive(Clone, Debug, Default)]
pub struct LogService {
    /// The pending increment: (who, entry) by stamp, equal stamps in
    /// arrival order (LogMonitor's pending_log, a multimap by stamp).
    pending: Vec<(Arc<str>, LogEntry)>,
    /// MLogs that wait for the service to be writeable (wait_for_active,
    /// wait_for_writeable): retried when it is.
    waiting: Vec<(Arc<str>, LogEntry)>,
    /// LogSummary, as far as it is used here: each writer's last committed
    /// entry's key (its stamp and sequence number; a restarted monitor
    /// numbers its entries from 1 again, later), from the versions
    /// committed so far.
    summary: VecMap<String, EntryKey>,
    /// The last logm version read into `summary`.
    summarized: Version,
    /// The last committed logm version (update_from_paxos); the summary
    /// reads the versions up to it when it is next asked.
    committed_lc: Version,
}

/// LogEntryKey without the writer: (stamp, seq), in the order one writer
/// writes them.
pub type EntryKey = (Time, u64);

/// An entry's key.
pub fn key(e: &LogEntry) -> EntryKey {
    (e.stamp, e.seq)
}

impl LogService {
    /// LogMonitor::update_from_paxos's summary: each committed version not
    /// read yet joins it (a line is "STAMP WHO SEQ : ..."). Read when the
    /// summary is asked, not at every commit: only a leader preparing lines
    /// and a peon with lines in flight ask.
    pub fn summarize(&mut self, store: &MonitorDBStore) {
        if self.summarized >= self.committed_lc {
            return;
        }
        let first = store.get_u64(LOGM, "first_committed");
        for v in (self.summarized + 1).max(first)..=self.committed_lc {
            let Some(text) = store
                .get(LOGM, &version_key(v))
                .and_then(|b| std::str::from_utf8(b).ok())
            else {
                continue;
            };
            for line in text.lines() {
                let mut words = line.split(' ');
                let (Some(stamp), Some(who), Some(Ok(seq))) = (
                    words.next().and_then(parse_secs),
                    words.next(),
                    words.next().map(str::parse),
                ) else {
                    continue;
                };
                // The writer's name is copied only the first time.
                match self.summary.get_mut_by(who) {
                    Some(last) => *last = (*last).max((stamp, seq)),
                    None => {
                        self.summary
                            .insert(who.to_string(), (stamp, seq).max((0, 0)));
                    }
                }
            }
        }
        self.summarized = self.committed_lc;
    }

    /// The key of `who`'s last committed entry ((0, 0) if none), as of the
    /// last [`Self::summarize`].
    pub fn committed(&self, who: &str) -> EntryKey {
        self.summary
            .iter()
            .find(|(w, _)| w.as_str() == who)
            .map_or((0, 0), |(_, k)| *k)
    }

    /// Already committed or pending (LogMonitor::preprocess_log and
    /// prepare_log skip an entry the summary or the pending summary has).
    fn known(&self, who: &str, e: &LogEntry) -> bool {
        key(e) <= self.committed(who)
            || self
                .pending
                .iter()
                .any(|(w, p)| &**w == who && key(p) == key(e))
    }

    /// An MLog arrives: it waits until the service can prepare it.
    pub fn queue(&mut self, who: &Arc<str>, entries: Vec<LogEntry>) {
        // The writer's name shared by its entries, not copied per entry.
        self.waiting
            .extend(entries.into_iter().map(|e| (who.clone(), e)));
    }
    pub fn has_waiting(&self) -> bool {
        !self.waiting.is_empty()
    }
    /// MLogs that waited here while this monitor led, now that it is a
    /// peon: the election failed them with -EAGAIN and C_RetryMessage
    /// dispatches them again. Its own are handed back to be forwarded to
    /// the new leader; another monitor's, forwarded in an older epoch, are
    /// discarded (their peon sends its lines again to its new leader).
    pub fn take_own_waiting(&mut self, me: &str) -> Vec<LogEntry> {
        std::mem::take(&mut self.waiting)
            .into_iter()
            .filter(|(who, _)| &**who == me)
            .map(|(_, e)| e)
            .collect()
    }
}

impl ServiceClass for LogService {
    const META: ServiceMeta = ServiceMeta {
        id: ServiceId::Log,
        name: LOGM,
        propose_timer: Timer::LogProposeTimer,
        retry_waiter: "log",
        force_immediate_propose: false,
        reply_at_once: false,
    };
    type Update = ();
    /// LogMonitor::update_from_paxos: the summary catches up when asked
    /// ([`LogService::summarize`]).
    fn update_from_paxos(&mut self, _ctx: &mut PaxosCtx, last_committed: Version) {
        self.committed_lc = last_committed;
    }
}

impl Service for LogService {
    /// LogMonitor::create_initial: an empty summary as the first version.
    fn create_initial(&mut self, ctx: &mut PaxosCtx) {
        ctx.out.log(&"logm create_initial");
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
        // and without `core::fmt`: "STAMP WHO SEQ : cluster [PRIO] MSG".
        let size = self
            .pending
            .iter()
            .fold(0, |n, (who, e)| n + who.len() + e.msg.len() + 64);
        let mut text = String::with_capacity(size);
        for (who, e) in &self.pending {
            push_secs(&mut text, e.stamp);
            text.push(' ');
            text.push_str(who);
            text.push(' ');
            push_u64(&mut text, e.seq);
            text.push_str(" : cluster [");
            text.push_str(e.prio.as_str());
            text.push_str("] ");
            text.push_str(&e.msg);
            text.push('\n');
        }
        t.put(LOGM, &version_key(v), text.into_bytes());
        put_last_committed(t, LOGM, first_committed, v);
        self.pending.clear();
    }

    /// LogMonitor::prepare_log for the MLogs that waited, less the entries
    /// already committed or pending (a peon sends its lines again after an
    /// election until they are committed). Each waiting entry is one MLog:
    /// a monitor's LogClient sends every line on its own (LogClient::queue
    /// → _send_to_mon), and PaxosService::dispatch takes them one by one.
    /// While logm is new (lc <= 1) should_propose proposes the first
    /// prepared one at once, so the others wait for the next version
    /// (ceph-mon 16.2.15: logm v2 holds the leader's first line alone, v3
    /// the other twelve of the start-up, 1 s later).
    fn prepare_when_writeable(&mut self, ctx: &mut PaxosCtx) -> bool {
        if self.waiting.is_empty() {
            return false;
        }
        self.summarize(ctx.store);
        let one = ctx.store.get_u64(LOGM, "last_committed") <= 1;
        let mut changed = false;
        // Taken in place, so the list keeps its buffer for the next MLogs.
        let mut waiting = std::mem::take(&mut self.waiting);
        let mut taken = 0;
        for (who, e) in &mut waiting {
            taken += 1;
            if !self.known(who, e) {
                // pending_log.insert(stamp, entry): a multimap by stamp, so a
                // peon's forwarded lines go in their time order among the
                // leader's, after the equal stamps already there (inserted
                // here rather than sorted at encode: a stable sort is 2 kB
                // of the page's wasm).
                let at = self.pending.partition_point(|(_, p)| p.stamp <= e.stamp);
                let e = LogEntry {
                    msg: std::mem::take(&mut e.msg),
                    ..*e
                };
                self.pending.insert(at, (who.clone(), e));
                changed = true;
                if one {
                    break;
                }
            }
        }
        waiting.drain(..taken);
        self.waiting = waiting;
        changed
    }

    /// LogMonitor::get_trim_to: keep mon_max_log_epochs versions.
    fn get_trim_to(&self, _ctx: &PaxosCtx, last_committed: Version) -> Version {
        last_committed.saturating_sub(MAX_LOG_EPOCHS)
    }
}
