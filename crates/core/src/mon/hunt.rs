//! MonClient's hunting rules, for one MonClient (one `ceph` command): which
//! monitors a new session tries (MonClient::_add_conns) and how long until
//! the next tick while no session is open (MonClient::schedule_tick's
//! `mon_client_hunt_interval × reopen_interval_multiplier`, grown in
//! _start_hunting, shrunk in _un_backoff), and, between two ticks, the
//! messenger's attempts to connect to the monitors of the batch it tried
//! ([`Connecting`]). The chance comes from the caller (the simulator's), as
//! a draw below a bound.

use super::config::Config;
use super::Rank;
use crate::sim::tcp::{CONNECT_TIMEOUT, INITIAL_BACKOFF, MAX_BACKOFF, SYNS};
use crate::time::{Duration, Time};

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

/// What a connection attempt from the client to one monitor meets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// The monitor runs and no cut stops the handshake.
    Answers,
    /// The monitor is down: its address refuses the connection at once.
    Refused,
    /// A cut drops the SYNs: the attempt waits for an answer.
    Silent,
    /// The monitor runs but is in no quorum: it cannot assign a global_id
    /// (AuthMonitor::_assign_global_id, "inactive"), so it refuses a
    /// MonClient that has none yet and answers one that has (the client
    /// sends its global_id in its first auth payload, and
    /// Monitor::handle_auth_request assigns one only when it is 0).
    Inactive,
}

impl Reach {
    /// What the attempt meets for a MonClient that has a global_id or not.
    pub fn for_client(self, has_global_id: bool) -> Reach {
        match self {
            Reach::Inactive if has_global_id => Reach::Answers,
            Reach::Inactive => Reach::Refused,
            r => r,
        }
    }
}

/// A hunting MonClient's connection to one monitor of its batch
/// (`pending_cons`) that has not answered. Its messenger does not give up
/// on it: a connection that fails while connecting, lossy or not, waits and
/// tries again (ProtocolV2::_fault: ms_initial_backoff, 0.2 s, doubling up
/// to ms_max_backoff, 15 s), and an attempt whose SYNs go unanswered is
/// given up after ms_connection_ready_timeout (10 s; the kernel resends the
/// SYN 1, 3 and 7 s after it). The first attempt that reaches a running
/// monitor opens the session, between two ticks ("found mon.X";
/// ceph-mon 16.2.15 at debug_monc 20: a hunt tick at 47.07 s, monitors
/// revived at 50 s, found at 53.37 s, the attempt 0.2 + 0.4 + 0.8 + 1.6 +
/// 3.2 s after the tick and its handshake).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Connecting {
    rank: Rank,
    /// When the current attempt began (its first SYN).
    start: Time,
    /// The current attempt's SYNs go unanswered; else it was refused and
    /// `next` is the next attempt.
    silent: bool,
    /// ProtocolV2's `backoff`: the last wait (0: none yet).
    backoff: Duration,
    /// When it is looked at next.
    next: Time,
}

impl Connecting {
    /// An attempt begins at `now` and meets `reach` (not [`Reach::Answers`]).
    fn attempt(&mut self, now: Time, reach: Reach) {
        self.start = now;
        match reach {
            Reach::Silent => {
                self.silent = true;
                self.next = now + SYNS[1];
            }
            _ => self.fault(now),
        }
    }

    /// ProtocolV2::_fault while connecting: wait, then try again.
    fn fault(&mut self, now: Time) {
        self.backoff = match self.backoff {
            0 => INITIAL_BACKOFF,
            b => (b * 2).min(MAX_BACKOFF),
        };
        self.silent = false;
        self.next = now + self.backoff;
    }

    /// Its time came (`now` = `next`): whether the monitor answers now.
    fn poll(&mut self, now: Time, reach: Reach) -> bool {
        if reach == Reach::Answers {
            return true;
        }
        if !self.silent {
            self.attempt(now, reach);
        } else if reach == Reach::Refused || now >= self.start + CONNECT_TIMEOUT {
            // A reset got through, or the attempt timed out.
            self.fault(now);
        } else {
            // The kernel's next SYN, or msgr's give-up.
            self.next = SYNS
                .iter()
                .map(|d| self.start + d)
                .find(|t| *t > now)
                .unwrap_or(self.start + CONNECT_TIMEOUT);
        }
        false
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
    /// The batch of the latest (re)open: the monitors it connects to.
    batch: Vec<Rank>,
    /// Its connections that did not answer, while hunting.
    connecting: Vec<Connecting>,
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
            batch: vec![target],
            connecting: Vec::new(),
        };
        if !via {
            let mut rest = h.untried(size);
            shuffle(&mut rest, draw);
            let n = opts.batch_size(size);
            rest.truncate(n.saturating_sub(1));
            h.tried.extend_from_slice(&rest);
            h.batch.extend(rest);
        }
        h
    }

    /// None of the batch answered at `now`: its messenger keeps trying each
    /// ([`Connecting`]).
    pub fn connect(&mut self, now: Time, reach: &dyn Fn(Rank) -> Reach) {
        self.connecting.clear();
        for &rank in &self.batch {
            let mut c = Connecting {
                rank,
                start: now,
                silent: false,
                backoff: 0,
                next: now,
            };
            c.attempt(now, reach(rank));
            self.connecting.push(c);
        }
    }

    /// When a connection attempt is next due, while hunting.
    pub fn next_attempt(&self) -> Option<Time> {
        self.connecting.iter().map(|c| c.next).min()
    }

    /// The attempts due at `now`: the first monitor that answers, in the
    /// batch's order (the session opens with it), or None.
    pub fn poll(&mut self, now: Time, reach: &dyn Fn(Rank) -> Reach) -> Option<Rank> {
        let mut found = None;
        for c in &mut self.connecting {
            if c.next <= now && c.poll(now, reach(c.rank)) && found.is_none() {
                found = Some(c.rank);
            }
        }
        found
    }

    /// MonClient::_reopen_session: _start_hunting (backs the tick interval
    /// off once a session had opened), then _add_conns: the lowest priority
    /// among the monitors not tried yet (all again once every one was),
    /// in random order, mon_client_hunt_parallel of them; the first that
    /// can answer opens the session (`None`: none can, still hunting).
    pub fn reopen(
        &mut self,
        size: usize,
        now: Time,
        reach: &dyn Fn(Rank) -> Reach,
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
        self.batch = batch;
        match self.batch.iter().find(|r| reach(**r) == Reach::Answers) {
            Some(r) => (*r, true),
            None => {
                self.connect(now, reach);
                (self.batch.first().copied().unwrap_or(0), false)
            }
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

    /// MonClient::_finish_hunting: a session opened (the other pending
    /// connections are dropped).
    pub fn finish(&mut self) {
        self.connecting.clear();
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
        assert_eq!(h.reopen(3, 0, &|_| Reach::Refused, &mut draw), (1, false));
        assert_eq!(h.interval(3 * SEC), 3 * SEC);
        h.finish();
        let mut intervals = Vec::new();
        for _ in 0..8 {
            h.reopen(3, 0, &|_| Reach::Refused, &mut draw);
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
            seen.push(h.reopen(5, 0, &|_| Reach::Refused, &mut draw).0);
        }
        assert_eq!(h.tried.len(), 1, "{:?}", h.tried);
        assert_eq!(seen[2], 2, "start over with the first monitor");
        assert_ne!(seen[0], 2);
        assert_ne!(seen[1], 2);
        // Without via: every monitor is a candidate, the reachable one wins.
        let mut h = Hunt::new(HuntOptions::default(), 0, false, 3, &mut draw);
        assert_eq!(h.tried.len(), 3);
        assert_eq!(
            h.reopen(
                3,
                0,
                &|r| if r == 1 {
                    Reach::Answers
                } else {
                    Reach::Refused
                },
                &mut draw
            ),
            (1, true)
        );
    }
}
