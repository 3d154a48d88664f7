//! A fault schedule: the cluster, then timed faults and client operations,
//! then a quiet period in which every fault is healed, and the checks at its
//! end. It becomes ordinary scenario text (the AST and its printer), so a
//! failure is a scenario anyone can run, share and open in the playground.

use crate::mon::monmap::Strategy;
use crate::scenario::ast::{Action, Expectation, Latency, LinkRule, Pos, Ppb, Stmt, StmtKind};
use crate::scenario::{parse, print_stmt, ParseError, Scenario};
use crate::sim::tcp;
use crate::time::{Duration, Time};
use std::collections::BTreeSet;

/// One schedule, as generated (or shrunk).
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    pub title: Option<String>,
    pub describe: Option<String>,
    pub mons: Vec<String>,
    pub strategy: Strategy,
    pub disallow: Vec<String>,
    /// The simulator's seed (latencies, loss).
    pub seed: u64,
    pub latency: Latency,
    pub loss: Ppb,
    pub links: Vec<LinkRule>,
    /// Faults and client operations, in time order. One that makes no sense
    /// where it stands (a revive of a running monitor, once shrinking dropped
    /// its kill) is left out of the scenario.
    pub faults: Vec<(Time, Action)>,
    /// When the quiet period starts: every cut healed, every skew undone,
    /// every killed monitor revived.
    pub quiet_at: Time,
    /// How long the quiet period lasts; the checks are at its end.
    pub quiet: Duration,
}

/// Where a monitor is in its life, as the statements so far have it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Life {
    Running,
    Killed,
    NotAdded,
    Removed,
    /// Removed while killed: its daemon is revived in the quiet period.
    RemovedDown,
}

/// The monitors' lives while walking the faults.
struct Lives {
    names: Vec<String>,
    life: Vec<Life>,
    skewed: BTreeSet<String>,
}

impl Lives {
    fn new(s: &Schedule) -> Lives {
        let mut names = s.mons.clone();
        let mut life = vec![Life::Running; names.len()];
        for (_, a) in &s.faults {
            if let Action::Add(n) = a {
                if !names.contains(n) {
                    names.push(n.clone());
                    life.push(Life::NotAdded);
                }
            }
        }
        Lives {
            names,
            life,
            skewed: BTreeSet::new(),
        }
    }

    fn of(&self, name: &str) -> Option<Life> {
        let i = self.names.iter().position(|n| n == name)?;
        Some(self.life[i])
    }

    fn set(&mut self, name: &str, l: Life) {
        if let Some(i) = self.names.iter().position(|n| n == name) {
            self.life[i] = l;
        }
    }

    fn present(&self, name: &str) -> bool {
        matches!(self.of(name), Some(Life::Running | Life::Killed))
    }

    /// Whether `a` makes sense now; if so, its effect is applied.
    fn accept(&mut self, a: &Action) -> bool {
        let all = |names: &[String], want: Life| {
            let mut seen = BTreeSet::new();
            !names.is_empty()
                && names
                    .iter()
                    .all(|n| seen.insert(n.clone()) && self.of(n) == Some(want))
        };
        match a {
            Action::Kill(n) => {
                if !all(n, Life::Running) {
                    return false;
                }
                n.iter().for_each(|m| self.set(m, Life::Killed));
            }
            Action::Revive(n) => {
                if !all(n, Life::Killed) {
                    return false;
                }
                n.iter().for_each(|m| self.set(m, Life::Running));
            }
            Action::Wipe(n) => return all(n, Life::Killed),
            Action::Add(n) => {
                if self.of(n) != Some(Life::NotAdded) {
                    return false;
                }
                self.set(n, Life::Running);
            }
            Action::Remove(n) => {
                if !self.present(n) {
                    return false;
                }
                let down = self.of(n) == Some(Life::Killed);
                self.set(
                    n,
                    if down {
                        Life::RemovedDown
                    } else {
                        Life::Removed
                    },
                );
                self.skewed.remove(n);
            }
            Action::CallElection(n) => return self.present(n),
            Action::Skew(n, off) => {
                if !self.present(n) {
                    return false;
                }
                if *off == 0 {
                    self.skewed.remove(n);
                } else {
                    self.skewed.insert(n.clone());
                }
            }
            Action::Write { via, .. } | Action::Read { via, .. } => {
                return via.as_deref().is_none_or(|v| self.present(v))
            }
            Action::Cut { a, b, .. } | Action::Restore { a, b, .. } => {
                return a != b && self.of(a).is_some() && self.of(b).is_some()
            }
            Action::Isolate(n) => return self.of(n).is_some(),
            Action::Partition(groups) => {
                let mut seen = BTreeSet::new();
                return groups.len() >= 2
                    && groups.iter().all(|g| {
                        !g.is_empty() && g.iter().all(|n| self.of(n).is_some() && seen.insert(n))
                    });
            }
            Action::Heal | Action::Note(_) | Action::Expect(_) => {}
            Action::Start(_) => return false,
        }
        true
    }

    fn with(&self, want: Life) -> Vec<String> {
        self.names
            .iter()
            .zip(&self.life)
            .filter(|(_, l)| **l == want)
            .map(|(n, _)| n.clone())
            .collect()
    }
}

fn stmt(kind: StmtKind) -> Stmt {
    Stmt {
        pos: Pos::default(),
        kind,
    }
}

fn at(at: Time, action: Action) -> Stmt {
    stmt(StmtKind::At { at, action })
}

impl Schedule {
    /// The faults that make sense where they stand, in time order.
    pub fn effective_faults(&self) -> Vec<(Time, Action)> {
        let mut lives = Lives::new(self);
        self.faults
            .iter()
            .filter(|(t, a)| *t < self.quiet_at && lives.accept(a))
            .cloned()
            .collect()
    }

    /// When the checks run.
    /// The end of the quiet period, where the checks are. A link cut during
    /// the faults delivers what it held only at its TCP connection's next
    /// retransmission after the heal (`sim::tcp`), at most one backoff
    /// interval later (no longer than the cut went on, nor than
    /// TCP_RTO_MAX), as on a real cluster: the quiet period waits that too.
    pub fn end(&self) -> Time {
        let first_cut = self
            .faults
            .iter()
            .filter(|(t, a)| {
                *t < self.quiet_at
                    && matches!(
                        a,
                        Action::Cut { .. } | Action::Partition(_) | Action::Isolate(_)
                    )
            })
            .map(|(t, _)| *t)
            .min();
        let resume = first_cut.map_or(0, |c| {
            (self.quiet_at - c)
                .saturating_add(tcp::RTO_INITIAL)
                .min(tcp::RTO_MAX)
        });
        self.quiet_at
            .saturating_add(resume)
            .saturating_add(self.quiet)
    }

    /// The whole scenario, statement by statement.
    pub fn stmts(&self) -> Vec<Stmt> {
        let mut v = Vec::new();
        if let Some(t) = &self.title {
            v.push(stmt(StmtKind::Title(t.clone())));
        }
        if let Some(d) = &self.describe {
            v.push(stmt(StmtKind::Describe(d.clone())));
        }
        v.push(stmt(StmtKind::Mons(self.mons.clone())));
        if self.strategy != Strategy::Classic {
            v.push(stmt(StmtKind::Strategy(self.strategy)));
        }
        if !self.disallow.is_empty() {
            v.push(stmt(StmtKind::Disallow(self.disallow.clone())));
        }
        v.push(stmt(StmtKind::Seed(self.seed)));
        v.push(stmt(StmtKind::Latency(self.latency)));
        if self.loss > 0 {
            v.push(stmt(StmtKind::Loss(self.loss)));
        }
        for l in &self.links {
            v.push(stmt(StmtKind::Link(l.clone())));
        }
        v.push(stmt(StmtKind::End(self.end())));
        let mut lives = Lives::new(self);
        let mut keys = BTreeSet::new();
        for (t, a) in &self.faults {
            if *t < self.quiet_at && lives.accept(a) {
                if let Action::Write { key, .. } = a {
                    keys.insert(key.clone());
                }
                v.push(at(*t, a.clone()));
            }
        }
        // The quiet period: every fault healed.
        let q = self.quiet_at;
        v.push(at(q, Action::Heal));
        for n in &lives.skewed {
            v.push(at(q, Action::Skew(n.clone(), 0)));
        }
        // Every daemon down is started again, removed ones too: a removal
        // answered but lost to an election leaves it a member.
        let mut killed = lives.with(Life::Killed);
        killed.extend(lives.with(Life::RemovedDown));
        if !killed.is_empty() {
            v.push(at(q, Action::Revive(killed)));
        }
        // Every key written is read back halfway through.
        for k in keys {
            v.push(at(q + self.quiet / 2, Action::Read { key: k, via: None }));
        }
        // Liveness against the monmap the cluster really has: Pacific answers
        // `mon add`/`mon remove` before they commit, so one can be lost to an
        // election (MonmapMonitor::prepare_command); an older request coming
        // back is a `safe` violation (membership-kept).
        let end = self.end();
        v.push(at(end, Action::Expect(Expectation::QuorumAll)));
        v.push(at(end, Action::Expect(Expectation::Safe)));
        v
    }

    /// The scenario text.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for s in self.stmts() {
            out.push_str(&print_stmt(&s));
            out.push('\n');
        }
        out
    }

    /// The parsed scenario (an error here is a bug in the generator).
    pub fn scenario(&self) -> Result<Scenario, ParseError> {
        parse(&self.text())
    }

    /// Number of timed faults that make it into the scenario.
    pub fn len(&self) -> usize {
        self.effective_faults().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
