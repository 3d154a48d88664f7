//! A monitor's cluster log channel (LogClient / LogChannel, `clog` in
//! Monitor.cc): the lines a monitor writes for operators ("mon.a calling
//! monitor election", "Health check failed: ..."), queued until the
//! leader's LogMonitor takes them into a Paxos version.
//!
//! In Ceph a monitor's LogClient sends its entries to its own monitor
//! (LogClient::_send_to_mon with is_mon), whose LogMonitor prepares them
//! when it leads (including those it wrote before it won: its MLog waited
//! for a writeable LogMonitor); a peon's LogMonitor waits until it is
//! readable and forwards them to the leader (PaxosService::dispatch →
//! Monitor::forward_request_leader), which prepares them with its own.
//! Measured on ceph-mon 16.2.15: "log(1 entries from seq 1 ...) from
//! mon.1" reached the leader as b became a readable peon, and b's "mon.b
//! calling monitor election" lines were committed in the leader's next
//! log version.

use super::Epoch;
use crate::time::Time;
use serde::Serialize;

/// clog_type: the entry's priority, as the log prints it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Prio {
    Dbg,
    Inf,
    Wrn,
}

impl Prio {
    pub fn as_str(self) -> &'static str {
        match self {
            Prio::Dbg => "DBG",
            Prio::Inf => "INF",
            Prio::Wrn => "WRN",
        }
    }
}

/// LogEntry: who wrote it, its sequence number on that monitor, when, and what.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LogEntry {
    pub stamp: Time,
    pub seq: u64,
    pub prio: Prio,
    pub msg: String,
}

/// The channel: entries not yet taken by a LogMonitor, and those a peon
/// forwarded that are not committed yet.
#[derive(Clone, Debug, Default)]
pub struct Clog {
    last_seq: u64,
    queue: Vec<LogEntry>,
    /// Forwarded to a leader and not seen committed: the peon keeps the
    /// routed request and sends it again to the next leader
    /// (Monitor::resend_routed_requests), or takes it itself if it leads.
    routed: Vec<LogEntry>,
    /// The election epoch `routed` was last sent in.
    routed_epoch: Epoch,
}

impl Clog {
    /// LogChannel::do_log: the entry gets the next sequence number and waits.
    pub fn log(&mut self, now: Time, prio: Prio, msg: String) {
        self.last_seq += 1;
        self.queue.push(LogEntry {
            stamp: now,
            seq: self.last_seq,
            prio,
            msg,
        });
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty() && self.routed.is_empty()
    }

    /// The forwarded entries up to `committed` (stamp, seq) are
    /// committed (the MLogAck).
    pub fn ack(&mut self, committed: (Time, u64)) {
        self.routed.retain(|e| (e.stamp, e.seq) > committed);
    }

    /// A peon's entries for its leader in election epoch `epoch`: the new
    /// ones, and in a new epoch also those routed before and not committed.
    pub fn take_to_route(&mut self, epoch: Epoch) -> Vec<LogEntry> {
        let mut out = if epoch != self.routed_epoch {
            self.routed.clone()
        } else {
            Vec::new()
        };
        let new = std::mem::take(&mut self.queue);
        out.extend(new.iter().cloned());
        self.routed.extend(new);
        self.routed_epoch = epoch;
        out
    }

    /// Entries a LogMonitor gave back (see [`LogService::take_own_waiting`]):
    /// they go first, as they were written first.
    ///
    /// [`LogService::take_own_waiting`]: super::log_service::LogService::take_own_waiting
    pub fn requeue(&mut self, mut entries: Vec<LogEntry>) {
        if entries.is_empty() {
            return;
        }
        entries.append(&mut self.queue);
        self.queue = entries;
    }

    /// The waiting entries, handed to a LogMonitor (the leader's own,
    /// with those it had routed as a peon first: "requeue for self").
    pub fn take(&mut self) -> Vec<LogEntry> {
        let mut out = std::mem::take(&mut self.routed);
        out.append(&mut self.queue);
        out
    }
}
