//! A time window of an import as a link: the log lines the import reads in
//! that window (a line that states a fact, an election epoch, a restart, or
//! a new state or paxos range), each file's after a `==> NAME <==` line (the
//! form of `tail`'s headers), carried by the share-link codec. Opening the
//! link imports those lines again: the same history, arrows and offsets for
//! the window, without the rest of the logs.

use super::line::{self, Fact};
use super::{Import, LogFile};
use crate::mon::monmap::{MonMap, Strategy};
use crate::time::Time;
use std::fmt::Write;
use std::sync::Arc;

/// The lines of `files` whose corrected time is within [from, to].
pub fn excerpt(files: &[LogFile], imp: &Import, from: Time, to: Time) -> String {
    let mut out = String::new();
    // Only the monitors' own protocols are arrows (the monmap is not read).
    let monmap = Arc::new(MonMap {
        epoch: 0,
        mons: Vec::new(),
        strategy: Strategy::Classic,
        disallowed_leaders: Vec::new(),
    });
    for f in files {
        let Some(m) = imp
            .mons
            .iter()
            .find(|m| m.files.iter().any(|n| n == f.name))
        else {
            continue;
        };
        let mut kept = String::new();
        let mut last_state = None;
        let mut last_paxos: Option<Fact> = None;
        for raw in f.bytes.split(|b| *b == b'\n') {
            let Ok(text) = std::str::from_utf8(raw) else {
                continue;
            };
            let Some(l) = line::parse(text) else {
                continue;
            };
            let t = l.wall_us - m.offset_us - imp.start_wall_us;
            if t < from as i64 || t > to as i64 {
                continue;
            }
            let state = l.who.as_ref().and_then(|w| w.state);
            let new_state = state.is_some() && state != last_state;
            let fact = match &l.fact {
                Some(p @ Fact::Paxos { .. }) => {
                    let new = last_paxos.as_ref() != Some(p);
                    last_paxos = Some(p.clone());
                    new
                }
                Some(_) => true,
                None => false,
            };
            let started = text.contains(", process ceph-mon, pid ");
            if let Some(Fact::Send { msg, .. } | Fact::Receive { msg, .. }) = &l.fact {
                if super::msg::parse(msg, &monmap).is_none() {
                    continue;
                }
            }
            if new_state || fact || l.election_epoch.is_some() || started {
                if state.is_some() {
                    last_state = state;
                }
                kept.push_str(&compact(text, &l));
                kept.push('\n');
            }
        }
        if !kept.is_empty() {
            let _ = writeln!(out, "==> {} <==", f.name);
            out.push_str(&kept);
        }
    }
    out
}

/// A line cut to what the import reads of it, so that a window fits a
/// link: the stamp, a thread `t` and level `1`, and of the text only the
/// message (without pointers and sizes), the prefix up to its paxos range or
/// election epoch, or the whole text when it states anything else.
fn compact(text: &str, l: &line::Line) -> String {
    let rest = line::split_stamp(text).map_or("", |(_, rest)| rest);
    let stamp = &text[..text.len() - rest.len()];
    let body = match l.fact {
        Some(Fact::Send { from, to, msg }) => format!("-- {from} --> {to} -- {msg} -- x"),
        Some(Fact::Receive {
            me,
            from_entity,
            from,
            msg,
        }) => format!("-- {me} <== {from_entity} {from} 0 ==== {msg} ==== x"),
        _ => {
            let full = rest.trim_start();
            // Past the thread id and the level.
            let full = full.splitn(3, ' ').nth(2).unwrap_or("").trim_start();
            let upto = |marker: &str| -> Option<String> {
                let at = full.find(marker)?;
                let close = full[at..].find(')')? + at;
                Some(format!("{} x", &full[..=close]))
            };
            match &l.fact {
                Some(Fact::Paxos { .. }) => upto(".paxos(paxos "),
                None if l.election_epoch.is_some() => {
                    upto(").elector(").or_else(|| upto(").electionLogic("))
                }
                None if l.who.is_some() => upto("@"),
                _ => None,
            }
            .unwrap_or_else(|| full.to_string())
        }
    };
    format!("{stamp} t  1 {body}")
}

/// An excerpt back into its files: (name, text).
pub fn split(text: &str) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = Vec::new();
    for l in text.lines() {
        if let Some(name) = l.strip_prefix("==> ").and_then(|r| r.strip_suffix(" <==")) {
            files.push((name.to_string(), String::new()));
        } else if let Some((_, body)) = files.last_mut() {
            body.push_str(l);
            body.push('\n');
        }
    }
    files
}
