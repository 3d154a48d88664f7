//! Shrinking a failing schedule to a small one that fails the same way:
//! drop faults (half of them, then quarters, ... then one at a time), drop
//! the per-link latencies, start the quiet period right after the last
//! fault, then move each fault to a rounder time. Each step is kept only if
//! the schedule still fails with the same class.

use super::{judge_schedule, Class, Finding, Schedule};
use crate::scenario::ast::Action;
use crate::time::{Time, MS, SEC};

/// The earliest start of a shrunk quiet period. A fresh cluster goes through
/// the epoch-0 monmap, its first commit and a second election round
/// (MonmapMonitor::update_from_paxos → bootstrap); a monitor that misses that
/// round waits out its election timeout, so five monitors can take over 6 s to
/// form. Checks before then would find only a cluster still forming.
const FORMED: Time = 10 * SEC;

/// A shrunk schedule, what it finds, and how many runs shrinking took.
#[derive(Clone, Debug)]
pub struct Shrunk {
    pub schedule: Schedule,
    pub finding: Finding,
    pub runs: u32,
}

struct Search {
    class: Class,
    best: Schedule,
    finding: Finding,
    runs: u32,
    max_runs: u32,
}

impl Search {
    fn out_of_runs(&self) -> bool {
        self.runs >= self.max_runs
    }

    /// Keep `cand` if it still fails the same way.
    fn try_keep(&mut self, mut cand: Schedule) -> bool {
        if self.out_of_runs() || cand == self.best {
            return false;
        }
        self.runs += 1;
        match judge_schedule(&cand).finding {
            Some(f) if f.class == self.class => {
                cand.faults = cand.effective_faults();
                self.best = cand;
                self.finding = f;
                true
            }
            _ => false,
        }
    }

    fn drop_faults(&mut self) -> bool {
        let mut progress = false;
        let mut chunk = (self.best.faults.len() / 2).max(1);
        loop {
            let mut i = 0;
            while i < self.best.faults.len() && !self.out_of_runs() {
                let mut cand = self.best.clone();
                let end = (i + chunk).min(cand.faults.len());
                cand.faults.drain(i..end);
                if self.try_keep(cand) {
                    progress = true;
                } else {
                    i += chunk;
                }
            }
            if chunk == 1 || self.out_of_runs() {
                return progress;
            }
            chunk /= 2;
        }
    }

    fn drop_links(&mut self) -> bool {
        let mut progress = false;
        let mut i = 0;
        while i < self.best.links.len() {
            let mut cand = self.best.clone();
            cand.links.remove(i);
            if self.try_keep(cand) {
                progress = true;
            } else {
                i += 1;
            }
        }
        progress
    }

    /// The quiet period right after the last fault, but never before
    /// [`FORMED`].
    fn quiet_sooner(&mut self) -> bool {
        let last = self.best.faults.last().map_or(0, |f| f.0);
        let at = ((last / SEC + 1) * SEC).max(FORMED);
        if at >= self.best.quiet_at {
            return false;
        }
        let mut cand = self.best.clone();
        cand.quiet_at = at;
        self.try_keep(cand)
    }

    /// Each fault at a rounder time, keeping the order: the time of the one
    /// before it, a whole second, a tenth of a second.
    fn round_times(&mut self) -> bool {
        let mut progress = false;
        for i in 0..self.best.faults.len() {
            let t = self.best.faults[i].0;
            let lo = if i == 0 { 0 } else { self.best.faults[i - 1].0 };
            for cand_t in [
                lo,
                t / SEC * SEC,
                (t / SEC + 1) * SEC,
                t / (100 * MS) * 100 * MS,
            ] {
                let hi = self
                    .best
                    .faults
                    .get(i + 1)
                    .map_or(self.best.quiet_at, |f| f.0);
                if cand_t == t || cand_t < lo || cand_t > hi || cand_t >= self.best.quiet_at {
                    continue;
                }
                let mut cand = self.best.clone();
                cand.faults[i].0 = cand_t;
                if self.try_keep(cand) {
                    progress = true;
                    break;
                }
            }
        }
        progress
    }

    /// Client operations without `via`.
    fn drop_vias(&mut self) -> bool {
        let mut progress = false;
        for i in 0..self.best.faults.len() {
            let mut cand = self.best.clone();
            match &mut cand.faults[i].1 {
                Action::Write { via, .. } | Action::Read { via, .. } if via.is_some() => {
                    *via = None
                }
                _ => continue,
            }
            progress |= self.try_keep(cand);
        }
        progress
    }
}

/// Shrink `schedule`, which fails with `finding`, within `max_runs` runs.
pub fn shrink(schedule: &Schedule, finding: &Finding, max_runs: u32) -> Shrunk {
    let mut best = schedule.clone();
    best.faults = best.effective_faults();
    let mut s = Search {
        class: finding.class,
        best,
        finding: finding.clone(),
        runs: 0,
        max_runs,
    };
    loop {
        let mut progress = s.drop_faults();
        progress |= s.drop_links();
        progress |= s.quiet_sooner();
        progress |= s.drop_vias();
        progress |= s.round_times();
        if !progress || s.out_of_runs() {
            break;
        }
    }
    Shrunk {
        schedule: s.best,
        finding: s.finding,
        runs: s.runs,
    }
}
