//! The scenario that best reproduces an imported history, so an operator
//! can replay and vary an incident in the simulator. Every statement says
//! in a comment whether it was read from the logs or inferred, and how.

use super::Import;
use crate::mon::status::MonState;
use crate::sim::tcp;
use crate::time::{format_duration, Time, MS, SEC};
use crate::trace::milestones::{milestones, Milestone};
use crate::trace::EventKind;
use std::fmt::Write;

/// A message between two running monitors that took longer than this (or
/// never came) is taken as held by a cut link: on one host's loopback or a
/// LAN a monitor's message takes milliseconds, and TCP delivers what a cut
/// held back once it heals.
const HELD: Time = 2 * SEC;
/// A clock offset smaller than this is not written as a `skew`: Ceph warns
/// from mon_clock_drift_allowed, 50 ms, and the stamps are milliseconds.
const SKEW_SHOWN: u64 = 10 * MS;

/// One timed statement and why.
struct Stmt {
    at: Time,
    text: String,
    why: String,
}

/// The scenario text.
pub fn infer(imp: &Import) -> String {
    let n = imp.nodes.len();
    let mut stmts: Vec<Stmt> = Vec::new();
    // Up intervals per monitor from its statuses.
    let mut up: Vec<Vec<(Time, Time)>> = vec![Vec::new(); n];
    let mut since: Vec<Option<Time>> = vec![None; n];
    let mut ever: Vec<bool> = vec![false; n];
    for ev in &imp.trace {
        let EventKind::Status { node, status } = &ev.kind else {
            continue;
        };
        let i = *node as usize;
        let is_up = status.state != MonState::Down;
        match (since[i], is_up) {
            (None, true) => {
                if ever[i] {
                    stmts.push(Stmt {
                        at: ev.at,
                        text: format!("revive {}", imp.nodes[i]),
                        why: "inferred: its log shows ceph-mon starting again here".into(),
                    });
                } else if ev.at > SEC {
                    stmts.push(Stmt {
                        at: ev.at,
                        text: format!("start {}", imp.nodes[i]),
                        why: "inferred: its log begins here".into(),
                    });
                }
                ever[i] = true;
                since[i] = Some(ev.at);
            }
            (Some(s), false) => {
                up[i].push((s, ev.at));
                since[i] = None;
                stmts.push(Stmt {
                    at: ev.at,
                    text: format!("kill {}", imp.nodes[i]),
                    why: "inferred: its log stops here (a crash or a kill writes nothing more)"
                        .into(),
                });
            }
            _ => {}
        }
    }
    for (i, s) in since.iter().enumerate() {
        if let Some(s) = s {
            up[i].push((*s, imp.end));
        }
    }
    let is_up = |i: usize, t: Time| up[i].iter().any(|&(a, b)| a <= t && t + HELD <= b);
    let late_starts = stmts.iter().any(|s| s.text.starts_with("start "));
    if late_starts {
        let early: Vec<&str> = (0..n)
            .filter(|&i| up[i].first().is_some_and(|&(a, _)| a <= SEC))
            .map(|i| imp.nodes[i].as_str())
            .collect();
        if !early.is_empty() {
            stmts.push(Stmt {
                at: 0,
                text: format!("start {}", early.join(" ")),
                why: "read: their logs begin at the start".into(),
            });
        }
    }
    stmts.extend(cuts(imp, &is_up));
    // A clock the messages show off the first monitor's: its skew.
    for m in &imp.mons {
        let sure = m.offset_bounds.is_some_and(|(lo, hi)| lo > 0 || hi < 0);
        if sure && m.offset_us.unsigned_abs() >= SKEW_SHOWN {
            let d = format_duration(round_ms(m.offset_us.unsigned_abs()));
            let sign = if m.offset_us < 0 { "-" } else { "" };
            stmts.push(Stmt {
                at: 0,
                text: format!("skew {} {sign}{d}", m.name),
                why: format!(
                    "inferred: mon.{}'s log stamps are {sign}{d} off mon.{}'s, from the messages between them (a receive never precedes its send)",
                    m.name,
                    imp.nodes.first().map(String::as_str).unwrap_or("?")
                ),
            });
        }
    }
    for (at, key) in &imp.writes {
        stmts.push(Stmt {
            at: *at,
            text: format!("write {key} imported"),
            why: "read: a client's `config-key set` reached a monitor here; Ceph does not log the value, so it is `imported`".into(),
        });
    }
    // Stable: at one time, kills before writes as found.
    stmts.sort_by_key(|s| s.at);

    let mut out = String::new();
    let files: Vec<String> = imp.mons.iter().flat_map(|m| m.files.clone()).collect();
    let _ = writeln!(
        out,
        "# Inferred by `monscope import --scenario` from ceph-mon logs:"
    );
    let _ = writeln!(out, "#   {}", files.join(" "));
    let _ = writeln!(
        out,
        "# Time 0 is {} on mon.{}'s clock; the other logs' clocks are corrected by",
        super::format_wall(imp.start_wall_us),
        imp.nodes.first().map(String::as_str).unwrap_or("?")
    );
    let _ = writeln!(
        out,
        "# their estimated offsets. Times are rounded to the millisecond. Lines marked"
    );
    let _ = writeln!(
        out,
        "# \"read\" are what the logs say; \"inferred\" are guesses the logs support."
    );
    let _ = writeln!(out, "title \"Imported from ceph-mon logs\"");
    let _ = writeln!(
        out,
        "describe \"What the monitors' logs show, {} to {}, as a scenario to replay and vary.\"",
        super::format_wall(imp.start_wall_us),
        super::format_wall(imp.start_wall_us + imp.end as i64)
    );
    let _ = writeln!(
        out,
        "# read: the monitors whose logs were given, in rank order"
    );
    let _ = writeln!(out, "mons {}", imp.nodes.join(" "));
    let _ = writeln!(
        out,
        "# inferred: Ceph's default strategy; a monitor's log does not name it"
    );
    let _ = writeln!(out, "strategy classic");
    for s in &stmts {
        let _ = writeln!(out, "# {}", s.why);
        let _ = writeln!(out, "at {} {}", format_duration(round_ms(s.at)), s.text);
    }
    // The history's end state, as expectations to check the replay by.
    let marks = milestones(&imp.nodes, &imp.trace, imp.end, 0);
    let last_at = stmts.last().map_or(0, |s| round_ms(s.at));
    let end = round_ms(imp.end).max(last_at);
    if let Some(Milestone::Quorum {
        leaders, quorum, ..
    }) = marks
        .iter()
        .rev()
        .find(|m| matches!(m.what, Milestone::Quorum { .. }))
        .map(|m| &m.what)
    {
        if leaders.len() == 1 {
            let _ = writeln!(out, "# read: the leader and quorum at the end of the logs");
            let _ = writeln!(
                out,
                "at {} expect leader {}",
                format_duration(end),
                leaders[0]
            );
            let _ = writeln!(
                out,
                "at {} expect quorum {}",
                format_duration(end),
                quorum.join(" ")
            );
        }
    }
    let _ = writeln!(out, "end {}", format_duration(end));
    out
}

fn round_ms(t: Time) -> Time {
    t - t % MS
}

/// When a link held from `since` and flowing again by `resumed` was healed: the
/// held data went through at the last retransmission (`sim::tcp`, as Linux
/// backs off) at or before `resumed`, so the heal came after the one before
/// it. Halfway between the two, so a replay delivers at the same
/// retransmission even if its first held send is a little off.
fn heal_before(since: Time, resumed: Time) -> Time {
    let mut k = 1;
    while tcp::retransmission(since, k + 1) <= resumed && k < 64 {
        k += 1;
    }
    let (before, at) = (
        tcp::retransmission(since, k - 1),
        tcp::retransmission(since, k),
    );
    if at > resumed {
        // Resumed before any retransmission: the heal came before it.
        return round_ms(since + (resumed - since) / 2);
    }
    round_ms(before + (at - before) / 2)
}

/// Links that held messages: sends between two running monitors that were
/// never received, or received more than [`HELD`] later. Each run of them on
/// one link is a cut from its first such send to the first prompt delivery
/// after its last; both directions held over overlapping times are one
/// `cut A B`.
fn cuts(imp: &Import, is_up: &dyn Fn(usize, Time) -> bool) -> Vec<Stmt> {
    let n = imp.nodes.len();
    // Per ordered pair: (send time, held?) in send order.
    let mut sends: Vec<Vec<(Time, bool)>> = vec![Vec::new(); n * n];
    for ev in &imp.trace {
        if let EventKind::Send {
            from,
            to,
            arrive_at,
            ..
        } = &ev.kind
        {
            let (f, t) = (*from as usize, *to as usize);
            sends[f * n + t].push((ev.at, arrive_at - ev.at > HELD));
        }
    }
    for &(f, t, at) in &imp.lost {
        let (f, t) = (f as usize, t as usize);
        if is_up(f, at) && is_up(t, at) {
            sends[f * n + t].push((at, true));
        }
    }
    // Per ordered pair: held intervals [first held send, first prompt after].
    let mut held: Vec<Vec<(Time, Time, usize)>> = vec![Vec::new(); n * n];
    for (k, s) in sends.iter_mut().enumerate() {
        s.sort_unstable();
        let mut open: Option<(Time, usize)> = None;
        for &(at, h) in s.iter() {
            match (open, h) {
                (None, true) => open = Some((at, 1)),
                (Some((a, c)), true) => open = Some((a, c + 1)),
                (Some((a, c)), false) => {
                    held[k].push((a, at, c));
                    open = None;
                }
                _ => {}
            }
        }
        if let Some((a, c)) = open {
            held[k].push((a, imp.end, c));
        }
    }
    let name = |i: usize| imp.nodes[i].as_str();
    let mut out = Vec::new();
    for a in 0..n {
        for b in 0..n {
            if a == b {
                continue;
            }
            for &(s, e, c) in &held[a * n + b] {
                // Too few to be a cut: a message lost to a connection reset.
                if c < 3 {
                    continue;
                }
                let back = held[b * n + a]
                    .iter()
                    .find(|&&(s2, e2, c2)| c2 >= 3 && s2 < e && s < e2)
                    .copied();
                let (text, restore, why) = match back {
                    Some(_) if a > b => continue, // said once, from the lower rank
                    Some((s2, e2, c2)) => (
                        format!("cut {} {}", name(a), name(b)),
                        (s.min(s2), e.max(e2)),
                        format!(
                            "inferred: {c} messages {}→{} and {c2} {}→{} were lost or held more than {} while both ran",
                            name(a), name(b), name(b), name(a), format_duration(HELD)
                        ),
                    ),
                    None => (
                        format!("cut {} -> {}", name(a), name(b)),
                        (s, e),
                        format!(
                            "inferred: {c} messages {}→{} were lost or held more than {} while both ran",
                            name(a), name(b), format_duration(HELD)
                        ),
                    ),
                };
                out.push(Stmt {
                    at: restore.0,
                    text: text.clone(),
                    why,
                });
                if restore.1 < imp.end {
                    out.push(Stmt {
                        at: heal_before(restore.0, restore.1),
                        text: text.replacen("cut", "restore", 1),
                        why: "inferred: halfway between the two TCP retransmissions before the link's first prompt delivery (what a cut holds is delivered at the first retransmission after the heal, so the heal came between them; the simulator holds it the same way)"
                            .into(),
                    });
                }
            }
        }
    }
    out
}
