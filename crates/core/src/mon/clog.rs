//! A monitor's cluster log channel (LogClient / LogChannel, `clog` in
//! Monitor.cc): the lines a monitor writes for operators ("mon.a calling
//! monitor election", "Health check failed: ..."), queued until the
//! leader's LogMonitor takes them into a Paxos version.
//!
//! In Ceph a monitor's LogClient sends its entries to its own monitor
//! (LogClient::_send_to_mon with is_mon), whose LogMonitor prepares them
//! when it leads and a peon forwards them to the leader. monscope keeps the
//! leader's own entries, including those it wrote before it won (its MLog
//! waited for a writeable LogMonitor); a peon's entries are dropped when it
//! joins a quorum (the forwarded MLog is not modelled; measured on ceph-mon
//! 16.2.15, a peon's lines, "calling monitor election", come at the same
//! elections as the leader's and land in the same versions).

use crate::time::Time;

/// clog_type: the entry's priority, as the log prints it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
#[derive(Clone, Debug, PartialEq)]
pub struct LogEntry {
    pub stamp: Time,
    pub seq: u64,
    pub prio: Prio,
    pub msg: String,
}

/// The channel: entries not yet taken by a LogMonitor.
#[derive(Clone, Debug, Default)]
pub struct Clog {
    last_seq: u64,
    queue: Vec<LogEntry>,
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
        self.queue.is_empty()
    }

    /// A peon's entries are its leader's to commit: forgotten here.
    pub fn clear(&mut self) {
        self.queue.clear();
    }

    /// The waiting entries, handed to a LogMonitor.
    pub fn take(&mut self) -> Vec<LogEntry> {
        std::mem::take(&mut self.queue)
    }
}
