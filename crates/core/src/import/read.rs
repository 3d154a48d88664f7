//! Log files into per-monitor records: each file's lines parsed once, what
//! they state kept in order, what they do not understand counted and
//! sampled, and bad input (binary data, another daemon's log, a cut last
//! line) said in one sentence.

use super::line::{self, Fact, Line};
use crate::mon::status::MonState;

/// One log file as given (its name for messages, its bytes).
pub struct LogFile<'a> {
    pub name: &'a str,
    pub bytes: &'a [u8],
}

/// What one line adds to its monitor's history.
#[derive(Clone, Debug, PartialEq)]
pub enum Item<'a> {
    /// The state its prefix names, when it changed from the previous line's.
    State(MonState),
    /// The election epoch of an elector line, when it changed.
    Epoch(u32),
    /// The process started (`ceph version ..., process ceph-mon, pid N`,
    /// global_init's first line); `prev_wall_us` is the file's line before
    /// it, the last the previous process wrote.
    Started {
        prev_wall_us: Option<i64>,
    },
    Fact(Fact<'a>),
}

#[derive(Clone, Debug)]
pub struct Record<'a> {
    pub wall_us: i64,
    pub item: Item<'a>,
}

/// A file read: the monitor it is the log of, and its records in order.
pub struct FileRead<'a> {
    pub file: String,
    /// None when no line names a monitor: not a ceph-mon log.
    pub monitor: Option<String>,
    /// The monitor's last known rank (>= 0), if any line gave one.
    pub rank: Option<i32>,
    pub records: Vec<Record<'a>>,
    pub lines: usize,
    pub understood: usize,
    pub first_wall_us: Option<i64>,
    pub last_wall_us: Option<i64>,
    /// Lines not understood: how many, and the first few as "FILE:N: TEXT".
    pub unknown: usize,
    pub unknown_samples: Vec<String>,
    /// Problems with the file as a whole, one sentence each.
    pub problems: Vec<String>,
    sample_kinds: Vec<String>,
}

/// How many not-understood lines each file lists.
pub const UNKNOWN_SAMPLES: usize = 10;
/// Longest line quoted in a message.
const QUOTE: usize = 160;

/// Read one file. Never fails: a file it cannot use says why in `problems`.
pub fn read_file<'a>(f: &LogFile<'a>) -> FileRead<'a> {
    let mut out = FileRead {
        file: f.name.to_string(),
        monitor: None,
        rank: None,
        records: Vec::new(),
        lines: 0,
        understood: 0,
        first_wall_us: None,
        last_wall_us: None,
        unknown: 0,
        unknown_samples: Vec::new(),
        problems: Vec::new(),
        sample_kinds: Vec::new(),
    };
    let head = &f.bytes[..f.bytes.len().min(64 * 1024)];
    if head.contains(&0) {
        out.problems
            .push(format!("{}: binary data, not a text log; skipped", f.name));
        return out;
    }
    // The monitor named most often by the prefixes: a log file is one
    // monitor's (`log file = /var/log/ceph/$cluster-$name.log`).
    let mut names: Vec<(&str, usize)> = Vec::new();
    let mut last_state: Option<MonState> = None;
    let mut last_epoch: Option<u32> = None;
    let mut not_text = 0usize;
    let mut prev_wall: Option<i64> = None;
    let mut last_paxos: Option<Fact> = None;
    for (i, raw) in f.bytes.split(|b| *b == b'\n').enumerate() {
        if raw.is_empty() {
            continue;
        }
        out.lines += 1;
        let Ok(text) = std::str::from_utf8(raw) else {
            not_text += 1;
            out.note_unknown(f.name, i, &String::from_utf8_lossy(raw));
            continue;
        };
        let Some(mut l) = line::parse(text) else {
            out.note_unknown(f.name, i, text);
            continue;
        };
        out.first_wall_us.get_or_insert(l.wall_us);
        out.last_wall_us = Some(out.last_wall_us.map_or(l.wall_us, |t| t.max(l.wall_us)));
        let started = text.contains(", process ceph-mon, pid ");
        if !l.understood() && !started {
            out.note_unknown(f.name, i, text);
            continue;
        }
        out.understood += 1;
        if started {
            last_state = None;
            out.records.push(Record {
                wall_us: l.wall_us,
                item: Item::Started {
                    prev_wall_us: prev_wall,
                },
            });
        }
        prev_wall = Some(l.wall_us);
        // Every Paxos line repeats the state and range: keep the changes.
        if matches!(l.fact, Some(Fact::Paxos { .. })) {
            if l.fact == last_paxos {
                l.fact = None;
            } else {
                last_paxos = l.fact.clone();
            }
        }
        out.take(&l, &mut names, &mut last_state, &mut last_epoch);
    }
    if not_text * 10 > out.lines.max(1) {
        out.problems.push(format!(
            "{}: {not_text} of {} lines are not UTF-8 text; is it a log?",
            f.name, out.lines
        ));
    }
    out.monitor = names
        .iter()
        .max_by_key(|(_, n)| *n)
        .map(|(name, _)| name.to_string());
    if out.monitor.is_none() {
        out.problems.push(if out.first_wall_us.is_some() {
            format!(
                "{}: no line names a monitor (mon.NAME@RANK(STATE)): the log of another daemon, or debug_mon below 1; skipped",
                f.name
            )
        } else {
            format!("{}: no line is a Ceph log line (TIME THREAD LEVEL TEXT); skipped", f.name)
        });
        out.records.clear();
    }
    // Of a skipped file, only why it was skipped.
    if out.monitor.is_some() && f.bytes.last().is_some_and(|b| *b != b'\n') {
        out.problems.push(format!(
            "{}: the last line is cut short (no newline at the end); read as far as it goes",
            f.name
        ));
    }
    out
}

impl<'a> FileRead<'a> {
    fn note_unknown(&mut self, file: &str, i: usize, text: &str) {
        self.unknown += 1;
        // One sample per kind of line: its first two words after the
        // stamp, thread and level (or of a line without a stamp).
        let (body, skip) = match line::split_stamp(text) {
            Some((_, rest)) => (rest, 2),
            None => (text, 0),
        };
        let kind: Vec<&str> = body.split_whitespace().skip(skip).take(2).collect();
        let kind = kind.join(" ");
        if self.unknown_samples.len() < UNKNOWN_SAMPLES && !self.sample_kinds.contains(&kind) {
            self.sample_kinds.push(kind);
            let mut t: String = text.chars().take(QUOTE).collect();
            if t.len() < text.len() {
                t.push('…');
            }
            self.unknown_samples.push(format!("{file}:{}: {t}", i + 1));
        }
    }

    fn take(
        &mut self,
        l: &Line<'a>,
        names: &mut Vec<(&'a str, usize)>,
        last_state: &mut Option<MonState>,
        last_epoch: &mut Option<u32>,
    ) {
        let at = l.wall_us;
        if let Some(w) = &l.who {
            match names.iter_mut().find(|(n, _)| *n == w.name) {
                Some((_, c)) => *c += 1,
                None => names.push((w.name, 1)),
            }
            if w.rank >= 0 {
                self.rank = Some(w.rank);
            }
            if let Some(s) = w.state {
                if *last_state != Some(s) {
                    *last_state = Some(s);
                    self.records.push(Record {
                        wall_us: at,
                        item: Item::State(s),
                    });
                }
            }
        }
        if let Some(e) = l.election_epoch {
            if *last_epoch != Some(e) {
                *last_epoch = Some(e);
                self.records.push(Record {
                    wall_us: at,
                    item: Item::Epoch(e),
                });
            }
        }
        if let Some(f) = &l.fact {
            self.records.push(Record {
                wall_us: at,
                item: Item::Fact(f.clone()),
            });
        }
    }
}
