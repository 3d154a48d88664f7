//! The milestones a Ceph user compares between two runs of one scenario (a
//! simulated one and one on real ceph-mon): every change of the leader, its
//! quorum and election epoch, each committed client write, each change of
//! the leader's health checks; and their alignment. Pure: reads only traces.
//!
//! A real run is observed by polling (every 100 ms), so a state held for
//! less than that may not be seen at all. To compare like with like, a
//! change counts only once it has held for [`SETTLE`]; its time is when it
//! began.

use super::state::ClusterState;
use super::{Event, EventKind};
use crate::time::{format_secs, Duration, Time, MS, SEC};
use std::collections::BTreeMap;

/// How long a leader/quorum/epoch or health value must hold to count.
pub const SETTLE: Duration = 250 * MS;
/// How far apart in time two matching milestones may be: the phase of the
/// leases (renewed every 3 s) at a kill is not controlled on a real cluster,
/// and real processes on two busy cores start and answer late.
pub const TOLERANCE: Duration = 3 * SEC;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Milestone {
    /// The monitors in state leader; with exactly one, its quorum and
    /// election epoch (else empty and 0).
    Quorum {
        leaders: Vec<String>,
        quorum: Vec<String>,
        epoch: u32,
    },
    /// A client write was answered as committed.
    Committed { key: String, value: String },
    /// The one leader's health checks changed.
    Health(Vec<String>),
}

impl Milestone {
    pub fn describe(&self) -> String {
        match self {
            Milestone::Quorum { leaders, .. } if leaders.is_empty() => "no leader".into(),
            Milestone::Quorum {
                leaders,
                quorum,
                epoch,
            } if leaders.len() == 1 => format!(
                "leader {}, quorum {}, epoch {epoch}",
                leaders[0],
                quorum.join(" ")
            ),
            Milestone::Quorum { leaders, .. } => format!("leaders {}", leaders.join(" ")),
            Milestone::Committed { key, value } => format!("{key}={value} committed"),
            Milestone::Health(h) if h.is_empty() => "health ok".into(),
            Milestone::Health(h) => format!("health {}", h.join(" ")),
        }
    }

    fn kind(&self) -> u8 {
        match self {
            Milestone::Quorum { .. } => 0,
            Milestone::Committed { .. } => 1,
            Milestone::Health(_) => 2,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mark {
    pub at: Time,
    pub what: Milestone,
}

/// A value that counts once it has held for `settle`.
struct Settled {
    shown: Milestone,
    pending: Option<(Time, Milestone)>,
}

impl Settled {
    fn new(initial: Milestone) -> Settled {
        Settled {
            shown: initial,
            pending: None,
        }
    }

    /// The value is `v` from `at` on.
    fn see(&mut self, at: Time, v: Milestone, settle: Duration, out: &mut Vec<Mark>) {
        if let Some((since, p)) = &self.pending {
            if *p == v {
                return;
            }
            if at.saturating_sub(*since) >= settle && *p != self.shown {
                self.shown = p.clone();
                out.push(Mark {
                    at: *since,
                    what: p.clone(),
                });
            }
        }
        self.pending = Some((at, v));
    }

    fn finish(&mut self, end: Time, settle: Duration, out: &mut Vec<Mark>) {
        if let Some((since, p)) = self.pending.take() {
            if end.saturating_sub(since) >= settle && p != self.shown {
                out.push(Mark { at: since, what: p });
            }
        }
    }
}

fn quorum_view(st: &ClusterState) -> Milestone {
    let leaders: Vec<String> = st.leaders().map(|n| st.name(n).to_string()).collect();
    match st.leader() {
        Some(l) => Milestone::Quorum {
            leaders,
            quorum: st.status(l).quorum.to_vec(),
            epoch: st.status(l).election_epoch,
        },
        None => Milestone::Quorum {
            leaders,
            quorum: Vec::new(),
            epoch: 0,
        },
    }
}

/// The milestones of `trace` (monitors named `mon_names` in node order) up
/// to `end`, in time order.
pub fn milestones(mon_names: &[String], trace: &[Event], end: Time, settle: Duration) -> Vec<Mark> {
    let mut st = ClusterState::new(mon_names.to_vec());
    let mut quorum = Settled::new(quorum_view(&st));
    let mut health = Settled::new(Milestone::Health(Vec::new()));
    let mut writes: BTreeMap<u64, (String, String)> = BTreeMap::new();
    let mut out = Vec::new();
    for ev in trace {
        st.apply(ev);
        match &ev.kind {
            EventKind::Status { .. } => {
                quorum.see(ev.at, quorum_view(&st), settle, &mut out);
                if let Some(l) = st.leader() {
                    let h = Milestone::Health(st.status(l).health.clone());
                    health.see(ev.at, h, settle, &mut out);
                }
            }
            EventKind::ClientRequest { tid, op, .. } => {
                if let Some((k, v)) = op
                    .text()
                    .strip_prefix("write ")
                    .and_then(|kv| kv.split_once('='))
                {
                    writes.insert(*tid, (k.to_string(), v.to_string()));
                }
            }
            EventKind::ClientReply { tid, answer, .. } if answer.text.contains(" committed") => {
                if let Some((key, value)) = writes.remove(tid) {
                    out.push(Mark {
                        at: ev.at,
                        what: Milestone::Committed { key, value },
                    });
                }
            }
            _ => {}
        }
    }
    quorum.finish(end, settle, &mut out);
    health.finish(end, settle, &mut out);
    out.sort_by_key(|m| (m.at, m.what.kind()));
    out
}

/// How two aligned milestones compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The same value, within the tolerance.
    Same,
    /// The same value, further apart than the tolerance.
    TimeOff,
    /// Different values in the same place of both sequences.
    Differs,
    OnlyFirst,
    OnlySecond,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Same => "same",
            Verdict::TimeOff => "time differs",
            Verdict::Differs => "differs",
            Verdict::OnlyFirst => "only in sim",
            Verdict::OnlySecond => "only in real",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub first: Option<Mark>,
    pub second: Option<Mark>,
    pub verdict: Verdict,
}

/// Align two runs' milestones (each kind on its own: quorum and health
/// changes as an edit-distance alignment, where equal values pair up, a
/// different value in the same place is `Differs` and the rest appear on one
/// side only; committed writes by value, since concurrent writes may commit
/// in either order) and judge each pair.
///
/// Epochs are compared after the start-up: the second run's are first
/// shifted by [`epoch_offset`] (and shown unshifted in the rows).
pub fn compare(first: &[Mark], second: &[Mark], tolerance: Duration) -> Vec<Row> {
    let offset = epoch_offset(first, second);
    let shifted: Vec<Mark> = second.iter().map(|m| shift_epoch(m, -offset)).collect();
    let mut rows = Vec::new();
    for kind in 0..3u8 {
        let a: Vec<&Mark> = first.iter().filter(|m| m.what.kind() == kind).collect();
        let b: Vec<&Mark> = shifted.iter().filter(|m| m.what.kind() == kind).collect();
        if kind == 1 {
            rows.extend(pair_equal(&a, &b, tolerance));
        } else {
            rows.extend(align(&a, &b, tolerance));
        }
    }
    rows.sort_by_key(|r| {
        let t = r.first.as_ref().or(r.second.as_ref()).map_or(0, |m| m.at);
        let kind = r
            .first
            .as_ref()
            .or(r.second.as_ref())
            .map_or(0, |m| m.what.kind());
        (t, kind)
    });
    for r in &mut rows {
        r.second = r.second.as_ref().map(|m| shift_epoch(m, offset));
    }
    rows
}

/// How much higher the second run's election epochs are than the first's at
/// their first leader: the difference of the first quorums' epochs when both
/// have the same leader and quorum, else 0. A real cluster's start-up epoch
/// is not deterministic: monmaptool's epoch-0 monmap makes the first quorum
/// commit monmap epoch 1 and bootstrap again, and how many elections follow
/// depends on when each process started (ceph-mon 16.2.15 settled at 4, 6
/// or 8 in runs of one scenario); a strategy set before 0 s starts it from
/// an established quorum. What follows is compared from there.
pub fn epoch_offset(first: &[Mark], second: &[Mark]) -> i64 {
    fn lead(ms: &[Mark]) -> Option<(&Vec<String>, &Vec<String>, u32)> {
        ms.iter().find_map(|m| match &m.what {
            Milestone::Quorum {
                leaders,
                quorum,
                epoch,
            } if leaders.len() == 1 => Some((leaders, quorum, *epoch)),
            _ => None,
        })
    }
    match (lead(first), lead(second)) {
        (Some((l1, q1, e1)), Some((l2, q2, e2))) if l1 == l2 && q1 == q2 => e2 as i64 - e1 as i64,
        _ => 0,
    }
}

/// `m` with its epoch (a single leader's) raised by `by`.
pub fn shift_epoch(m: &Mark, by: i64) -> Mark {
    let mut m = m.clone();
    if let Milestone::Quorum { leaders, epoch, .. } = &mut m.what {
        if leaders.len() == 1 {
            // Wrapping, so that shifting back gives the epoch exactly.
            *epoch = epoch.wrapping_add_signed(by as i32);
        }
    }
    m
}

/// Each mark of `a` with the first unpaired mark of `b` of the same value.
fn pair_equal(a: &[&Mark], b: &[&Mark], tolerance: Duration) -> Vec<Row> {
    let mut used = vec![false; b.len()];
    let mut rows = Vec::new();
    for x in a {
        let found = (0..b.len()).find(|&j| !used[j] && b[j].what == x.what);
        match found {
            Some(j) => {
                used[j] = true;
                let verdict = if x.at.abs_diff(b[j].at) <= tolerance {
                    Verdict::Same
                } else {
                    Verdict::TimeOff
                };
                rows.push(Row {
                    first: Some((*x).clone()),
                    second: Some(b[j].clone()),
                    verdict,
                });
            }
            None => rows.push(Row {
                first: Some((*x).clone()),
                second: None,
                verdict: Verdict::OnlyFirst,
            }),
        }
    }
    for (j, y) in b.iter().enumerate() {
        if !used[j] {
            rows.push(Row {
                first: None,
                second: Some((*y).clone()),
                verdict: Verdict::OnlySecond,
            });
        }
    }
    rows
}

fn align(a: &[&Mark], b: &[&Mark], tolerance: Duration) -> Vec<Row> {
    let (n, m) = (a.len(), b.len());
    // A milestone on one side only costs 2; a pair that differs only in its
    // epoch 1 (same leader and quorum: the same event, counted from another
    // start), any other difference 3, so that an extra intermediate quorum
    // on one side does not push the rest out of place.
    let pair_cost = |x: &Mark, y: &Mark| match difference(&x.what, &y.what) {
        "nothing" => 0,
        "epoch" => 1,
        _ => 3,
    };
    // cost[i][j]: aligning a[i..] with b[j..].
    let mut cost = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..=n).rev() {
        for j in (0..=m).rev() {
            cost[i][j] = if i == n {
                2 * (m - j) as u32
            } else if j == m {
                2 * (n - i) as u32
            } else {
                (cost[i + 1][j + 1] + pair_cost(a[i], b[j]))
                    .min(cost[i + 1][j] + 2)
                    .min(cost[i][j + 1] + 2)
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut rows = Vec::new();
    while i < n || j < m {
        if i < n && j < m {
            let same = a[i].what == b[j].what;
            if cost[i][j] == cost[i + 1][j + 1] + pair_cost(a[i], b[j]) {
                let off = a[i].at.abs_diff(b[j].at);
                let verdict = match (same, off <= tolerance) {
                    (true, true) => Verdict::Same,
                    (true, false) => Verdict::TimeOff,
                    (false, _) => Verdict::Differs,
                };
                rows.push(Row {
                    first: Some(a[i].clone()),
                    second: Some(b[j].clone()),
                    verdict,
                });
                i += 1;
                j += 1;
                continue;
            }
        }
        if i < n && (j == m || cost[i][j] == cost[i + 1][j] + 2) {
            rows.push(Row {
                first: Some(a[i].clone()),
                second: None,
                verdict: Verdict::OnlyFirst,
            });
            i += 1;
        } else {
            rows.push(Row {
                first: None,
                second: Some(b[j].clone()),
                verdict: Verdict::OnlySecond,
            });
            j += 1;
        }
    }
    rows
}

/// What differs between two milestones of one kind: "leader", "quorum",
/// "epoch" (the first that does) or "value".
pub fn difference(a: &Milestone, b: &Milestone) -> &'static str {
    match (a, b) {
        (
            Milestone::Quorum {
                leaders: l1,
                quorum: q1,
                epoch: e1,
            },
            Milestone::Quorum {
                leaders: l2,
                quorum: q2,
                epoch: e2,
            },
        ) => {
            if l1 != l2 {
                "leader"
            } else if q1 != q2 {
                "quorum"
            } else if e1 != e2 {
                "epoch"
            } else {
                "nothing"
            }
        }
        _ if a == b => "nothing",
        _ => "value",
    }
}

/// "12.503s": milliseconds, for tables (a real run's times are not finer).
pub fn secs(t: Time) -> String {
    format!("{}s", format_secs(t - t % MS))
}

#[cfg(test)]
#[path = "milestones_tests.rs"]
mod tests;
