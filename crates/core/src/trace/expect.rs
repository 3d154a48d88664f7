//! Expectation checks against the cluster state folded from the trace
//! (shared/spec/scenario-language.md, "Expectations").
//!
//! Decisions where the spec is silent:
//! - `epoch ...` and `agree` fail with "no monitor running" when none runs.
//! - `agree` needs exactly one running leader (peons of a dead leader do not agree).
//! - `committed`/`missing` fail with "no quorum" and `health` with "no leader"
//!   unless there is exactly one running leader.
//! - A name the state does not know fails with "unknown monitor NAME".

use super::state::{ClusterState, RolePart};
use super::NodeId;
use crate::mon::status::MonState;
use crate::scenario::ast::{EpochExpect, Expectation, VersionRef};
use crate::time::{format_secs, Duration, Time};

/// The result of one check: whether it held, and what was the case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub pass: bool,
    pub actual: String,
}

impl Outcome {
    fn new(pass: bool, actual: impl Into<String>) -> Outcome {
        Outcome {
            pass,
            actual: actual.into(),
        }
    }
    fn fail(actual: impl Into<String>) -> Outcome {
        Outcome::new(false, actual)
    }
}

/// Check `exp` against `state`, the cluster as of time `now`.
pub fn check(state: &ClusterState, exp: &Expectation, now: Time) -> Outcome {
    let st = state;
    match exp {
        Expectation::Leader(name) => {
            let pass = match name {
                None => st.leaders().next().is_none(),
                Some(n) => st.leader().is_some() && st.leader() == st.node(n),
            };
            Outcome::new(pass, leader_desc(st))
        }
        Expectation::Quorum(names) => check_quorum(st, names),
        Expectation::QuorumAll => match st.history().monmap() {
            Some((_, members)) => check_quorum(st, members),
            None => Outcome::fail("no monmap committed yet"),
        },
        Expectation::Monmap(names) => check_monmap(st, names),
        Expectation::State(name, want) => with_mon(st, name, |n| {
            let s = st.status(n).state;
            Outcome::new(s == *want, format!("{name} is {}", s.name()))
        }),
        Expectation::Was(name, want) => with_mon(st, name, |n| {
            if st.was(n, *want) {
                return Outcome::new(true, format!("{name} was {}", want.name()));
            }
            let held: Vec<&str> = st.states_held(n).iter().map(|s| s.name()).collect();
            Outcome::fail(format!(
                "{name} was never {} (was {})",
                want.name(),
                held.join(" ")
            ))
        }),
        Expectation::Epoch(want) => check_epoch(st, *want),
        Expectation::Agree => check_agree(st),
        Expectation::QuorumStable(d) => match quorum_stable(st, *d, now) {
            Ok(s) => Outcome::new(true, s),
            Err(s) => Outcome::fail(s),
        },
        Expectation::Stable(d) => match stable(st, *d, now) {
            Ok(s) => Outcome::new(true, s),
            Err(s) => Outcome::fail(s),
        },
        Expectation::Unstable(d) => match stable(st, *d, now) {
            Ok(s) => Outcome::fail(format!("stable: {s}")),
            Err(s) => Outcome::new(true, s),
        },
        Expectation::Committed(key, value) => check_kv(st, key, Some(value)),
        Expectation::Missing(key) => check_kv(st, key, None),
        Expectation::Version(name, op, VersionRef::Count(n)) => with_mon(st, name, |node| {
            let lc = st.last_committed(node);
            Outcome::new(
                op.holds(lc, *n),
                format!("last_committed of {name} is {lc}"),
            )
        }),
        Expectation::Version(name, op, VersionRef::Of(other)) => with_mon(st, name, |node| {
            with_mon(st, other, |o| {
                let (lc, olc) = (st.last_committed(node), st.last_committed(o));
                Outcome::new(
                    op.holds(lc, olc),
                    format!("last_committed of {name} is {lc}, of {other} {olc}"),
                )
            })
        }),
        Expectation::Health(checks) => {
            let Some(l) = st.leader() else {
                return Outcome::fail(leader_desc(st));
            };
            let have = &st.status(l).health;
            let (want, got) = (set_of(checks), set_of(have));
            let text = if have.is_empty() {
                "ok".to_string()
            } else {
                have.join(" ")
            };
            Outcome::new(want == got, format!("health: {text}"))
        }
        Expectation::MaxLeaders(n) => {
            let max = st.max_leaders();
            if max > *n {
                Outcome::fail(format!("{max} leaders at {}", secs(st.max_leaders_at())))
            } else if max == 0 {
                Outcome::new(true, "no leader so far")
            } else {
                Outcome::new(true, format!("at most {max} {} at once", plural(max)))
            }
        }
        Expectation::Safe => match st.violations() {
            [] => Outcome::new(true, "no violation"),
            [v] => Outcome::fail(format!("violation: {}", v.text)),
            [v, rest @ ..] => {
                Outcome::fail(format!("violation: {} (and {} more)", v.text, rest.len()))
            }
        },
    }
}

fn secs(t: Time) -> String {
    format!("{}s", format_secs(t))
}

fn plural(n: u32) -> &'static str {
    if n == 1 {
        "leader"
    } else {
        "leaders"
    }
}

fn with_mon(st: &ClusterState, name: &str, f: impl FnOnce(NodeId) -> Outcome) -> Outcome {
    match st.node(name) {
        Some(n) => f(n),
        None => Outcome::fail(format!("unknown monitor {name}")),
    }
}

fn names(st: &ClusterState, nodes: impl IntoIterator<Item = NodeId>) -> String {
    let v: Vec<&str> = nodes.into_iter().map(|n| st.name(n)).collect();
    v.join(" ")
}

fn running(st: &ClusterState) -> Vec<NodeId> {
    (0..st.mon_count() as NodeId)
        .filter(|&n| st.running(n))
        .collect()
}

/// "no leader", "leader is b" or "2 leaders: a b".
fn leader_desc(st: &ClusterState) -> String {
    let ls: Vec<NodeId> = st.leaders().collect();
    match ls.len() {
        0 => "no leader".to_string(),
        1 => format!("leader is {}", st.name(ls[0])),
        k => format!("{k} leaders: {}", names(st, ls)),
    }
}

/// "quorum of b (epoch 6) is b c".
fn quorum_desc(st: &ClusterState, l: NodeId) -> String {
    let s = st.status(l);
    format!(
        "quorum of {} (epoch {}) is {}",
        st.name(l),
        s.election_epoch,
        s.quorum.join(" ")
    )
}

fn sorted(v: &[String]) -> Vec<&str> {
    let mut v: Vec<&str> = v.iter().map(|s| s.as_str()).collect();
    crate::mon::vecset::sort_small(&mut v);
    v
}

/// The names as a set (sorted, each once), to compare. Not a `BTreeSet`:
/// collecting one costs the page a stable sort of its own (docs/performance.md,
/// "Transfer").
fn set_of(v: &[String]) -> Vec<&str> {
    let mut v = sorted(v);
    v.dedup();
    v
}

/// The one leader, if every member of its quorum is a peon (or the leader)
/// with the leader's election epoch and quorum; else what is wrong.
fn agreed_leader(st: &ClusterState) -> Result<NodeId, String> {
    let l = st.leader().ok_or_else(|| leader_desc(st))?;
    let ls = st.status(l);
    let lq = sorted(&ls.quorum);
    for m in ls.quorum.iter() {
        let Some(n) = st.node(m) else {
            return Err(format!("{}, but {m} is unknown", quorum_desc(st, l)));
        };
        let s = st.status(n);
        let why = if !matches!(s.state, MonState::Peon | MonState::Leader) {
            format!("{m} is {}", s.state.name())
        } else if s.election_epoch != ls.election_epoch {
            format!("{m} is at epoch {}", s.election_epoch)
        } else if sorted(&s.quorum) != lq {
            format!("{m} has quorum {}", s.quorum.join(" "))
        } else {
            continue;
        };
        return Err(format!("{}, but {why}", quorum_desc(st, l)));
    }
    Ok(l)
}

fn check_quorum(st: &ClusterState, want: &[String]) -> Outcome {
    let Some(l) = st.leader() else {
        return Outcome::fail(leader_desc(st));
    };
    if set_of(want) != set_of(&st.status(l).quorum) {
        return Outcome::fail(quorum_desc(st, l));
    }
    match agreed_leader(st) {
        Ok(l) => Outcome::new(true, quorum_desc(st, l)),
        Err(e) => Outcome::fail(e),
    }
}

/// `monmap NAME...`: the newest committed monmap, as the committed paxos
/// values tell it.
fn check_monmap(st: &ClusterState, want: &[String]) -> Outcome {
    let Some((epoch, have)) = st.history().monmap() else {
        return Outcome::fail("no monmap committed yet");
    };
    Outcome::new(
        set_of(want) == set_of(have),
        format!("monmap e{epoch} is {}", have.join(" ")),
    )
}

fn check_epoch(st: &ClusterState, want: EpochExpect) -> Outcome {
    let run = running(st);
    if run.is_empty() {
        return Outcome::fail("no monitor running");
    }
    let ok = |e: u32| match want {
        EpochExpect::Is(n) => e == n,
        EpochExpect::Even => e.is_multiple_of(2),
        EpochExpect::Odd => !e.is_multiple_of(2),
    };
    let pass = run.iter().all(|&n| ok(st.status(n).election_epoch));
    let list: Vec<String> = run
        .iter()
        .map(|&n| format!("{}={}", st.name(n), st.status(n).election_epoch))
        .collect();
    Outcome::new(pass, format!("epochs: {}", list.join(" ")))
}

/// Whom a running monitor follows, as "b (epoch 6, quorum b c)".
fn view(st: &ClusterState, n: NodeId) -> String {
    let s = st.status(n);
    let leader = match s.state {
        MonState::Leader => st.name(n),
        _ => s.leader.as_deref().unwrap_or("nobody"),
    };
    format!(
        "{leader} (epoch {}, quorum {})",
        s.election_epoch,
        sorted(&s.quorum).join(" ")
    )
}

fn check_agree(st: &ClusterState) -> Outcome {
    let run = running(st);
    if run.is_empty() {
        return Outcome::fail("no monitor running");
    }
    if let Some(&n) = run
        .iter()
        .find(|&&n| !matches!(st.status(n).state, MonState::Peon | MonState::Leader))
    {
        return Outcome::fail(format!("{} is {}", st.name(n), st.status(n).state.name()));
    }
    let Some(l) = st.leader() else {
        return Outcome::fail(leader_desc(st));
    };
    let lv = view(st, l);
    for &n in &run {
        let v = view(st, n);
        if v != lv {
            return Outcome::fail(format!(
                "{} follows {v}, {} follows {lv}",
                st.name(n),
                st.name(l)
            ));
        }
    }
    Outcome::new(true, format!("all follow {lv}"))
}

fn in_window(c: Time, now: Time, d: Duration) -> bool {
    c as i128 > now as i128 - d as i128
}

/// The latest change of `parts` of `nodes` inside (now−d, now], as text.
fn latest_change(
    st: &ClusterState,
    nodes: &[NodeId],
    parts: &[RolePart],
    now: Time,
    d: Duration,
) -> Option<String> {
    let mut best: Option<(Time, NodeId, RolePart)> = None;
    for &n in nodes {
        for &p in parts {
            if let Some(c) = st.changed_at(n, p) {
                if in_window(c, now, d) && best.is_none_or(|(b, _, _)| c > b) {
                    best = Some((c, n, p));
                }
            }
        }
    }
    best.map(|(c, n, p)| {
        let s = st.status(n);
        let now = match p {
            RolePart::State => s.state.name().to_string(),
            RolePart::Leader => s.leader.as_deref().unwrap_or("none").to_string(),
            RolePart::Quorum if s.quorum.is_empty() => "none".to_string(),
            RolePart::Quorum => s.quorum.join(" "),
            RolePart::Epoch => s.election_epoch.to_string(),
        };
        let name = st.name(n);
        format!("{name}'s {} changed to {now} at {}", p.name(), secs(c))
    })
}

fn quorum_members(st: &ClusterState, l: NodeId) -> Vec<NodeId> {
    let q = &st.status(l).quorum;
    q.iter().filter_map(|m| st.node(m)).collect()
}

fn quorum_stable(st: &ClusterState, d: Duration, now: Time) -> Result<String, String> {
    let l = agreed_leader(st)?;
    let members = quorum_members(st, l);
    if let Some(c) = latest_change(st, &members, &RolePart::ALL, now, d) {
        return Err(c);
    }
    let last = members
        .iter()
        .flat_map(|&n| RolePart::ALL.map(|p| st.changed_at(n, p)))
        .flatten()
        .max();
    let since = last.map_or(String::new(), |t| format!(", unchanged since {}", secs(t)));
    Ok(format!("{}{since}", quorum_desc(st, l)))
}

fn stable(st: &ClusterState, d: Duration, now: Time) -> Result<String, String> {
    let ok = quorum_stable(st, d, now)?;
    match latest_change(st, &running(st), &[RolePart::Epoch], now, d) {
        Some(c) => Err(c),
        None => Ok(ok),
    }
}

/// `committed KEY VALUE` (value given) or `missing KEY` (none).
fn check_kv(st: &ClusterState, key: &str, value: Option<&String>) -> Outcome {
    let Some(l) = st.leader() else {
        return Outcome::fail("no quorum");
    };
    let quorum = &st.status(l).quorum;
    let mut pass = true;
    let mut parts = Vec::new();
    for m in quorum.iter() {
        let got = st.node(m).and_then(|n| st.kv(n).get(key));
        pass &= match value {
            Some(v) => got == Some(v),
            None => got.is_none(),
        };
        parts.push(match got {
            Some(g) => format!("{m} has {key}={g}"),
            None => format!("{m} lacks {key}"),
        });
    }
    let one = quorum.len() == 1;
    let actual = match (pass, value) {
        (true, Some(v)) => {
            let verb = if one { "has" } else { "have" };
            format!("{} {verb} {key}={v}", quorum.join(" "))
        }
        (true, None) => {
            let verb = if one { "lacks" } else { "lack" };
            format!("{} {verb} {key}", quorum.join(" "))
        }
        (false, _) => parts.join(", "),
    };
    Outcome::new(pass, actual)
}

#[cfg(test)]
#[path = "expect_tests.rs"]
mod tests;
