//! MonClient's hunting rules, for one MonClient (one `ceph` command): which
//! monitors a new session tries (MonClient::_add_conns) and how long until
//! the next tick while no session is open (MonClient::schedule_tick's
//! `mon_client_hunt_interval × reopen_interval_multiplier`, grown in
//! _start_hunting, shrunk in _un_backoff). The chance comes from the caller
//! (the simulator's), as a draw below a bound.

use super::config::Config;
use super::Rank;
use crate::time::Duration;

/// Multiples are kept in millionths (Ceph's doubles: 1.5^k up to the cap
/// is exact in them; no float code on the hot path).
const ONE: u64 = 1_000_000;

/// The MonClient options a hunt follows (Ceph's defaults: 3, 1.5, 1, 10).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HuntOptions {
    /// mon_client_hunt_parallel: monitors a new session connects to at
    /// once; 0: all of the batch (MonClient::_add_conns).
    pub parallel: usize,
    /// mon_client_hunt_interval_backoff, in millionths.
    pub backoff: u64,
    /// mon_client_hunt_interval_min_multiple, in millionths.
    pub min_multiple: u64,
    /// mon_client_hunt_interval_max_multiple, in millionths.
    pub max_multiple: u64,
}

impl HuntOptions {
    pub fn from_config(c: &Config) -> HuntOptions {
        // At least one millionth: Config::set refuses 0, and a positive
        // multiple must not round to it.
        let millionths = |f: f64| ((f * ONE as f64).round() as u64).max(1);
        HuntOptions {
            parallel: usize::try_from(c.mon_client_hunt_parallel).unwrap_or(usize::MAX),
            backoff: millionths(c.mon_client_hunt_interval_backoff),
            min_multiple: millionths(c.mon_client_hunt_interval_min_multiple),
            max_multiple: millionths(c.mon_client_hunt_interval_max_multiple),
        }
    }

    /// How many of a batch of `n` are tried at once: mon_client_hunt_parallel,
    /// or all of them when it is 0 or more than `n`.
    fn batch_size(&self, n: usize) -> usize {
        match self.parallel {
            0 => n,
            p => p.min(n),
        }
    }
}

impl Default for HuntOptions {
    fn default() -> Self {
        HuntOptions::from_config(&Config::default())
    }
}

#[derive(Clone, Debug)]
pub struct Hunt {
    opts: HuntOptions,
    /// The monitor of `mon priority` 0 (a scenario's `via NAME`); every
    /// other has 1. None: all have the same.
    first: Option<Rank>,
    /// MonClient::tried: the ranks of the batches tried since the last
    /// start-over.
    tried: Vec<Rank>,
    had_a_connection: bool,
    /// In millionths.
    reopen_interval_multiplier: u64,
}

impl Hunt {
    /// A new MonClient whose first session went to `target`; `via`: the
    /// command named it (its only monitor of priority 0). Without `via`
    /// the simulator picks the leader where Ceph's first batch is
    /// mon_client_hunt_parallel monitors at random: the batch is `target`
    /// and others drawn at random.
    pub fn new(
        opts: HuntOptions,
        target: Rank,
        via: bool,
        size: usize,
        draw: &mut dyn FnMut(u32) -> u32,
    ) -> Hunt {
        let mut h = Hunt {
            opts,
            first: via.then_some(target),
            tried: vec![target],
            had_a_connection: false,
            // MonClient's constructor: mon_client_hunt_interval_min_multiple.
            reopen_interval_multiplier: opts.min_multiple,
        };
        if !via {
            let mut rest = h.untried(size);
            shuffle(&mut rest, draw);
            let n = opts.batch_size(size);
            rest.truncate(n.saturating_sub(1));
            h.tried.extend(rest);
        }
        h
    }

    /// MonClient::_reopen_session: _start_hunting (backs the tick interval
    /// off once a session had opened), then _add_conns: the lowest priority
    /// among the monitors not tried yet (all again once every one was),
    /// in random order, mon_client_hunt_parallel of them; the first that
    /// can answer opens the session (`None`: none can, still hunting).
    pub fn reopen(
        &mut self,
        size: usize,
        reachable: &dyn Fn(Rank) -> bool,
        draw: &mut dyn FnMut(u32) -> u32,
    ) -> (Rank, bool) {
        if self.had_a_connection {
            let m = self
                .reopen_interval_multiplier
                .saturating_mul(self.opts.backoff)
                / ONE;
            self.reopen_interval_multiplier = m.min(self.opts.max_multiple);
        }
        let mut batch = self.next_batch(size);
        if batch.is_empty() {
            self.tried.clear(); // start over
            batch = self.next_batch(size);
        }
        shuffle(&mut batch, draw);
        batch.truncate(self.opts.batch_size(batch.len()));
        self.tried.extend_from_slice(&batch);
        match batch.iter().find(|r| reachable(**r)) {
            Some(r) => (*r, true),
            None => (batch.first().copied().unwrap_or(0), false),
        }
    }

    /// The ranks not in `tried`.
    fn untried(&self, size: usize) -> Vec<Rank> {
        let mut v = Vec::new();
        for r in 0..size as Rank {
            if !self.tried.contains(&r) {
                v.push(r);
            }
        }
        v
    }

    /// MonClient::_add_conns' get_next_batch: the untried monitors of the
    /// lowest priority.
    fn next_batch(&self, size: usize) -> Vec<Rank> {
        let mut v = self.untried(size);
        if let Some(f) = self.first {
            if v.contains(&f) {
                return vec![f];
            }
            v.retain(|r| *r != f);
        }
        v
    }

    /// MonClient::_finish_hunting: a session opened.
    pub fn finish(&mut self) {
        self.had_a_connection = true;
        self.un_backoff();
    }

    /// MonClient::_un_backoff (also at each keepalive on an open session).
    pub fn un_backoff(&mut self) {
        let m = self.reopen_interval_multiplier.saturating_mul(ONE) / self.opts.backoff;
        self.reopen_interval_multiplier = m.max(self.opts.min_multiple);
    }

    /// schedule_tick while hunting: mon_client_hunt_interval × the
    /// multiplier, at least 1 µs (a timer of 0 would fire again at once).
    pub fn interval(&self, hunt: Duration) -> Duration {
        (hunt.saturating_mul(self.reopen_interval_multiplier) / ONE).max(1)
    }
}

/// std::shuffle's effect (Fisher–Yates) with the caller's draws: `draw(n)`
/// is uniform in [0, n).
fn shuffle(v: &mut [Rank], draw: &mut dyn FnMut(u32) -> u32) {
    for i in (1..v.len()).rev() {
        let j = draw(i as u32 + 1) as usize;
        v.swap(i, j.min(i));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::SEC;

    #[test]
    fn the_hunt_interval_grows_by_the_backoff_up_to_the_max_multiple_once_a_session_opened() {
        let mut draw = |_| 0;
        let mut h = Hunt::new(HuntOptions::default(), 2, true, 3, &mut draw);
        // Never connected: _start_hunting leaves the multiplier at 1.
        assert_eq!(h.reopen(3, &|_| false, &mut draw), (1, false));
        assert_eq!(h.interval(3 * SEC), 3 * SEC);
        h.finish();
        let mut intervals = Vec::new();
        for _ in 0..8 {
            h.reopen(3, &|_| false, &mut draw);
            intervals.push(h.interval(3 * SEC));
        }
        assert_eq!(
            intervals,
            [
                4_500_000, 6_750_000, 10_125_000, 15_187_500, 22_781_250, 30_000_000, 30_000_000,
                30_000_000
            ]
        );
        // A session opens: divided by the backoff, never below 1 (Ceph's
        // 20 s; 2 µs less in millionths).
        h.finish();
        assert_eq!(h.interval(3 * SEC), 19_999_998);
        for _ in 0..10 {
            h.un_backoff();
        }
        assert_eq!(h.interval(3 * SEC), 3 * SEC);
    }

    #[test]
    fn the_batches_are_the_untried_monitors_of_the_lowest_priority() {
        // via c (rank 2) in five: c alone, then the other four three at a
        // time (then the last one), then c again.
        let mut draw = |_| 0;
        let mut h = Hunt::new(HuntOptions::default(), 2, true, 5, &mut draw);
        let mut seen = Vec::new();
        for _ in 0..3 {
            seen.push(h.reopen(5, &|_| false, &mut draw).0);
        }
        assert_eq!(h.tried.len(), 1, "{:?}", h.tried);
        assert_eq!(seen[2], 2, "start over with the first monitor");
        assert_ne!(seen[0], 2);
        assert_ne!(seen[1], 2);
        // Without via: every monitor is a candidate, the reachable one wins.
        let mut h = Hunt::new(HuntOptions::default(), 0, false, 3, &mut draw);
        assert_eq!(h.tried.len(), 3);
        assert_eq!(h.reopen(3, &|r| r == 1, &mut draw), (1, true));
    }
}
