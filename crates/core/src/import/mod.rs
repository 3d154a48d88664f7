//! Real ceph-mon logs as a monscope trace: `monscope import` and the page's
//! "open logs". Each monitor's log gives its state (the line prefix), its
//! election epochs and outcomes, its paxos state and versions, its lease
//! timeouts, bootstraps, syncs and health checks, and at debug_ms 1 every
//! message between monitors, matched from its send to its receive so that it
//! becomes an arrow. The trace has the kinds the simulator emits, so the
//! diagram, inspector and checks read it as they read a run.
//!
//! Pure (no I/O, no clock): given the files' bytes, the same trace.

pub mod arrows;
pub mod build;
pub mod excerpt;
pub mod line;
pub mod msg;
pub mod offsets;
pub mod read;
pub mod report;
pub mod scenario;
#[cfg(test)]
mod tests;

pub use read::LogFile;

use crate::time::Time;
use crate::trace::{Event, NodeId};

/// One monitor's logs as read.
#[derive(Clone, Debug, PartialEq)]
pub struct MonLog {
    pub name: String,
    /// Its files (a monitor may have several, e.g. a rotated log).
    pub files: Vec<String>,
    pub lines: usize,
    pub understood: usize,
    /// Its clock's estimated offset from the first monitor's, in µs (a
    /// line's time in the trace is its stamp minus this), and the interval
    /// the messages allow, when they bound it both ways.
    pub offset_us: i64,
    pub offset_bounds: Option<(i64, i64)>,
    /// Its first and last line, corrected, as trace times.
    pub first: Time,
    pub last: Time,
}

/// Messages between monitors (debug_ms 1).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MessageCounts {
    /// Sent and received: arrows.
    pub matched: usize,
    /// Sent, never received (lost to a cut, a dead peer, a reset).
    pub unreceived: usize,
    /// Received without a send in the logs (its sender's log is missing or
    /// begins later).
    pub unsent: usize,
    /// Of types that are not one of the monitors' protocols (log, route,
    /// forward, mon_command, ...): counted, not drawn.
    pub other: usize,
}

/// The result of an import.
#[derive(Clone, Debug)]
pub struct Import {
    /// Monitors in rank order: the trace's node table.
    pub nodes: Vec<String>,
    pub trace: Vec<Event>,
    pub end: Time,
    /// Time 0 as µs since the Unix epoch on the first monitor's clock.
    pub start_wall_us: i64,
    pub mons: Vec<MonLog>,
    pub messages: MessageCounts,
    /// Lines not understood, all files.
    pub unknown: usize,
    /// The first few of them per file, as "FILE:LINE: TEXT".
    pub unknown_samples: Vec<String>,
    /// Bad input, one sentence each (a skipped file, a cut line, ...).
    pub problems: Vec<String>,
    /// Client writes (`config-key set KEY`) as trace times, first seen:
    /// the monitor the client reached, before any forward or retry.
    pub writes: Vec<(Time, String)>,
    /// Messages sent and never received, as trace times: (from, to, sent).
    pub lost: Vec<(NodeId, NodeId, Time)>,
    /// What was inferred rather than read (a monitor taken as down when
    /// its log stops, ...).
    pub inferred: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// Nothing usable: every file was skipped (the reasons).
    NoMonitorLog(Vec<String>),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::NoMonitorLog(why) => {
                write!(f, "no ceph-mon log to import")?;
                for w in why {
                    write!(f, "\n  {w}")?;
                }
                Ok(())
            }
        }
    }
}

/// Import the logs.
pub fn import(files: &[LogFile]) -> Result<Import, Error> {
    let reads: Vec<read::FileRead> = files.iter().map(read::read_file).collect();
    build::build(reads)
}

/// `2026-12-05T17:27:49.740Z` for µs since the Unix epoch (UTC).
pub fn format_wall(us: i64) -> String {
    let secs = us.div_euclid(1_000_000);
    let ms = us.rem_euclid(1_000_000) / 1000;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // H. Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
