//! ConnectionTracker (ConnectionTracker.cc, reference §2.6): what this monitor
//! knows of every monitor's connections. Each monitor keeps its own report
//! (per peer: alive now or not, and a score in [0, 1] that moves toward 1
//! while the peer answers pings and toward 0 while it does not) and the latest
//! report it has seen from every other monitor. Reports travel on every
//! election message and ping, and merge by (epoch, epoch_version).
//!
//! Scores use only + − × ÷ on f64, so they are the same on every platform.
//! Maps are VecMaps, so iteration and the encoding are deterministic.

use crate::mon::vecmap::VecMap;
use crate::mon::{Epoch, Rank};
use serde::Serialize;
use std::sync::Arc;

/// One monitor's view of its own connections (ConnectionReport).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ConnectionReport {
    pub rank: Rank,
    /// peer → is the connection alive right now.
    pub current: VecMap<Rank, bool>,
    /// peer → connection score in [0, 1].
    pub history: VecMap<Rank, f64>,
    pub epoch: Epoch,
    pub epoch_version: u64,
}

impl ConnectionReport {
    fn new(rank: Rank) -> Self {
        ConnectionReport {
            rank,
            ..Default::default()
        }
    }
}

/// The tracker. `peer_reports` holds my own report under my rank too. Reports
/// are shared (copy on write): a tracker travels on every ping, and most of
/// its reports are unchanged from one ping to the next. My own report is
/// the same allocation as its published copy under my rank while the two
/// are equal, so a tracker copied onto a ping copies neither.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConnectionTracker {
    pub rank: Rank,
    pub epoch: Epoch,
    pub version: u64,
    /// mon_con_tracker_score_halflife, in seconds.
    pub half_life: f64,
    /// mon_con_tracker_persist_interval (not encoded, as in Ceph).
    #[serde(skip)]
    pub persist_interval: u64,
    pub my_reports: Arc<ConnectionReport>,
    pub peer_reports: VecMap<Rank, Arc<ConnectionReport>>,
    /// Counts every change, so a sender can reuse one shared copy until the
    /// next change (Ceph caches its encoding the same way). Not encoded.
    #[serde(skip)]
    pub changes: u64,
}

impl ConnectionTracker {
    pub fn new(rank: Rank, half_life_secs: f64, persist_interval: u64) -> Self {
        ConnectionTracker {
            rank,
            epoch: 0,
            version: 0,
            half_life: half_life_secs,
            persist_interval,
            my_reports: Arc::new(ConnectionReport::new(rank)),
            peer_reports: VecMap::new(),
            changes: 0,
        }
    }

    /// The decay and gain factor of `units` seconds: units / (2·half-life).
    fn step(&self, units: f64) -> f64 {
        if self.half_life > 0.0 {
            units / (2.0 * self.half_life)
        } else {
            1.0
        }
    }

    /// report_live_connection: p = p·(1 − s) + s, capped at 1, where
    /// s = units/(2·half-life); a new peer starts at 1. Returns true when the
    /// tracker should be persisted now (every persist_interval versions).
    pub fn report_live_connection(&mut self, peer: Rank, units: f64) -> bool {
        if peer == self.rank || peer < 0 {
            return false;
        }
        let s = self.step(units);
        let published = self.unpublish();
        let mine = Arc::make_mut(&mut self.my_reports);
        let p = mine.history.or_insert_with(peer, || 1.0);
        *p = (*p * (1.0 - s) + s).min(1.0);
        let p = *p;
        mine.current.insert(peer, true);
        self.increase_version(peer, p, true, published)
    }

    /// report_dead_connection: p = p·(1 − s) − s, floored at 0.
    pub fn report_dead_connection(&mut self, peer: Rank, units: f64) -> bool {
        if peer == self.rank || peer < 0 {
            return false;
        }
        let s = self.step(units);
        let published = self.unpublish();
        let mine = Arc::make_mut(&mut self.my_reports);
        let p = mine.history.or_insert_with(peer, || 1.0);
        *p = (*p * (1.0 - s) - s).max(0.0);
        let p = *p;
        mine.current.insert(peer, false);
        self.increase_version(peer, p, false, published)
    }

    /// Before my report changes: whether my report under my rank is my
    /// report itself (the same allocation), which is then taken out until
    /// [`increase_version`](Self::increase_version) puts it back, so my
    /// report is copied only when a tracker sent on a ping still holds it.
    fn unpublish(&mut self) -> bool {
        // (Under no rank, increase_version publishes nothing.)
        let published = self.rank >= 0
            && self
                .peer_reports
                .get(&self.rank)
                .is_some_and(|r| Arc::ptr_eq(r, &self.my_reports));
        if published {
            self.peer_reports.remove(&self.rank);
        }
        published
    }

    /// increase_version: version += 1, publish my report (peer_reports[rank]
    /// = my_reports; only `peer` changed, so only it is copied); true =
    /// persist now. `published`: the two were the same before the change
    /// (so they are again once my report is shared; see `unpublish`).
    fn increase_version(&mut self, peer: Rank, score: f64, alive: bool, published: bool) -> bool {
        if self.rank < 0 {
            return false;
        }
        self.version += 1;
        self.changes += 1;
        Arc::make_mut(&mut self.my_reports).epoch_version = self.version;
        if published {
            self.peer_reports.insert(self.rank, self.my_reports.clone());
            return self.persist_now();
        }
        match self.peer_reports.get_mut(&self.rank) {
            Some(r) if r.epoch == self.my_reports.epoch => {
                let r = Arc::make_mut(r);
                r.epoch_version = self.version;
                r.history.insert(peer, score);
                r.current.insert(peer, alive);
            }
            _ => {
                self.peer_reports.insert(self.rank, self.my_reports.clone());
            }
        }
        self.persist_now()
    }

    /// Every persist_interval versions, the tracker is written to the store.
    fn persist_now(&self) -> bool {
        self.persist_interval > 0 && self.version.is_multiple_of(self.persist_interval)
    }

    /// increase_epoch(e): a new election epoch restarts the version count.
    pub fn increase_epoch(&mut self, e: Epoch) {
        if e > self.epoch && self.rank >= 0 {
            self.epoch = e;
            self.version = 0;
            self.changes += 1;
            let mine = Arc::make_mut(&mut self.my_reports);
            mine.epoch = e;
            mine.epoch_version = 0;
            self.peer_reports.insert(self.rank, self.my_reports.clone());
        }
    }

    /// receive_peer_report: take each of their reports (not about my rank)
    /// that is newer than mine: a higher epoch, or the same epoch and a
    /// higher epoch_version.
    pub fn receive_peer_report(&mut self, other: &ConnectionTracker) {
        for (&r, report) in &other.peer_reports {
            if r == self.rank || r < 0 {
                continue;
            }
            let existing = self
                .peer_reports
                .or_insert_with(r, || Arc::new(ConnectionReport::new(r)));
            if report.epoch > existing.epoch
                || (report.epoch == existing.epoch && report.epoch_version > existing.epoch_version)
            {
                *existing = report.clone();
                self.changes += 1;
            }
        }
    }

    /// Drop every report by or about a rank at or past `size`. Ceph's
    /// is_clean demands this of a tracker, but Ceph only checks it at start:
    /// a message sent before a rank removal carries the old numbering, and
    /// merging it would keep the highest old rank alive forever.
    pub fn forget_ranks_from(&mut self, size: usize) {
        let size = size as Rank;
        // Maps are ordered: only the highest rank of each needs a look.
        let past = |r: Option<&Rank>| r.is_some_and(|&r| r >= size);
        let stale = |rep: &ConnectionReport| {
            past(rep.current.keys().next_back()) || past(rep.history.keys().next_back())
        };
        if !past(self.peer_reports.keys().next_back())
            && !self.peer_reports.values().any(|r| stale(r))
            && !stale(&self.my_reports)
        {
            return;
        }
        self.changes += 1;
        self.peer_reports.retain(|&r, _| r < size);
        for rep in self.peer_reports.values_mut() {
            if stale(rep) {
                let rep = Arc::make_mut(rep);
                rep.current.retain(|&p, _| p < size);
                rep.history.retain(|&p, _| p < size);
            }
        }
        let mine = Arc::make_mut(&mut self.my_reports);
        mine.current.retain(|&p, _| p < size);
        mine.history.retain(|&p, _| p < size);
    }

    /// get_total_connection_score(r): the sum of r's scores over every report
    /// but r's own, counting only reports that say r is alive now; and how
    /// many such reports there are.
    pub fn total_score(&self, r: Rank) -> (f64, u32) {
        let mut score = 0.0;
        let mut live = 0;
        for (&from, report) in &self.peer_reports {
            if from == r {
                continue;
            }
            if let Some(s) = report.history.get(&r) {
                if report.current.get(&r).copied().unwrap_or(false) {
                    score += s;
                    live += 1;
                }
            }
        }
        (score, live)
    }

    /// is_clean(rank, size): the tracker belongs to this rank and mentions
    /// no rank outside the monmap.
    pub fn is_clean(&self, my_rank: Rank, size: usize) -> bool {
        let size = size as Rank;
        if self.rank != my_rank || self.my_reports.rank != my_rank {
            return false;
        }
        self.peer_reports.iter().all(|(&r, rep)| {
            r >= 0
                && r < size
                && rep.history.keys().all(|&p| p >= 0 && p < size)
                && rep.current.keys().all(|&p| p >= 0 && p < size)
        })
    }

    /// notify_reset: forget everything (a monitor with a tracker that is not clean).
    pub fn notify_reset(&mut self, rank: Rank) {
        let changes = self.changes + 1;
        *self = ConnectionTracker::new(rank, self.half_life, self.persist_interval);
        self.changes = changes;
    }

    /// notify_rank_changed: my own rank moved (bootstrap found me at another
    /// rank). The reports filed under my old and new rank are dropped and my
    /// report is republished under the new one.
    pub fn notify_rank_changed(&mut self, new_rank: Rank) -> bool {
        if new_rank == self.rank {
            return false;
        }
        self.peer_reports.remove(&self.rank);
        self.peer_reports.remove(&new_rank);
        Arc::make_mut(&mut self.my_reports).rank = new_rank;
        self.rank = new_rank;
        self.publish()
    }

    /// notify_rank_removed(removed, new_rank): rank `removed` left the
    /// monmap, so every rank above it moves down by one. My own report is
    /// renumbered; the peers' reports move to their new rank as they are
    /// (their owners will send renumbered ones). Returns true = persist now.
    pub fn notify_rank_removed(&mut self, removed: Rank, new_rank: Rank) -> bool {
        fn shift<V: Copy>(m: &mut VecMap<Rank, V>, removed: Rank) {
            m.remove(&removed);
            let above: Vec<(Rank, V)> = m
                .iter()
                .filter(|(&r, _)| r > removed)
                .map(|(&r, &v)| (r, v))
                .collect();
            for (r, v) in above {
                m.remove(&r);
                m.insert(r - 1, v);
            }
        }
        let mine = Arc::make_mut(&mut self.my_reports);
        shift(&mut mine.current, removed);
        shift(&mut mine.history, removed);
        self.peer_reports.remove(&removed);
        let above: Vec<Rank> = self
            .peer_reports
            .keys()
            .copied()
            .filter(|&r| r > removed)
            .collect();
        for r in above {
            if let Some(rep) = self.peer_reports.remove(&r) {
                self.peer_reports.insert(r - 1, rep);
            }
        }
        if removed < self.rank {
            self.rank -= 1;
            Arc::make_mut(&mut self.my_reports).rank = self.rank;
        }
        // Ceph asserts the renumbered rank is the monmap's; follow the monmap.
        if self.rank != new_rank {
            self.peer_reports.remove(&self.rank);
            self.rank = new_rank;
            Arc::make_mut(&mut self.my_reports).rank = new_rank;
        }
        self.publish()
    }

    /// increase_version without a new score: publish my report under my rank.
    fn publish(&mut self) -> bool {
        self.changes += 1;
        if self.rank < 0 {
            return false;
        }
        self.version += 1;
        Arc::make_mut(&mut self.my_reports).epoch_version = self.version;
        self.peer_reports.insert(self.rank, self.my_reports.clone());
        self.persist_now()
    }

    // ---- encoding (monitor/connectivity_scores) ----

    /// A deterministic little-endian encoding: rank, epoch, version,
    /// half_life, then each report (rank, epoch, epoch_version, current,
    /// history) in rank order.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(64 + self.peer_reports.len() * 96);
        b.extend_from_slice(&self.rank.to_le_bytes());
        b.extend_from_slice(&self.epoch.to_le_bytes());
        b.extend_from_slice(&self.version.to_le_bytes());
        b.extend_from_slice(&self.half_life.to_bits().to_le_bytes());
        b.extend_from_slice(&(self.peer_reports.len() as u32).to_le_bytes());
        for rep in self.peer_reports.values() {
            b.extend_from_slice(&rep.rank.to_le_bytes());
            b.extend_from_slice(&rep.epoch.to_le_bytes());
            b.extend_from_slice(&rep.epoch_version.to_le_bytes());
            b.extend_from_slice(&(rep.current.len() as u32).to_le_bytes());
            for (&p, &alive) in &rep.current {
                b.extend_from_slice(&p.to_le_bytes());
                b.push(alive as u8);
            }
            b.extend_from_slice(&(rep.history.len() as u32).to_le_bytes());
            for (&p, &s) in &rep.history {
                b.extend_from_slice(&p.to_le_bytes());
                b.extend_from_slice(&s.to_bits().to_le_bytes());
            }
        }
        b
    }

    /// Decode what [`encode`](Self::encode) wrote; None for anything malformed.
    /// As in Ceph, my_reports is my rank's entry of peer_reports.
    pub fn decode(bytes: &[u8], persist_interval: u64) -> Option<ConnectionTracker> {
        let mut r = Reader { b: bytes, at: 0 };
        let rank = r.i32()?;
        let epoch = r.u32()?;
        let version = r.u64()?;
        let half_life = f64::from_bits(r.u64()?);
        if !half_life.is_finite() || half_life < 0.0 {
            return None;
        }
        let n = r.u32()?;
        let mut peer_reports = VecMap::new();
        for _ in 0..n {
            let mut rep = ConnectionReport::new(r.i32()?);
            rep.epoch = r.u32()?;
            rep.epoch_version = r.u64()?;
            for _ in 0..r.u32()? {
                let p = r.i32()?;
                let alive = r.u8()? != 0;
                rep.current.insert(p, alive);
            }
            for _ in 0..r.u32()? {
                let p = r.i32()?;
                let s = f64::from_bits(r.u64()?);
                if !s.is_finite() {
                    return None;
                }
                rep.history.insert(p, crate::fixed::clamp(s, 0.0, 1.0));
            }
            peer_reports.insert(rep.rank, Arc::new(rep));
        }
        if r.at != bytes.len() {
            return None;
        }
        let my_reports = peer_reports
            .get(&rank)
            .cloned()
            .unwrap_or_else(|| Arc::new(ConnectionReport::new(rank)));
        Some(ConnectionTracker {
            rank,
            epoch,
            version,
            half_life,
            persist_interval,
            my_reports,
            peer_reports,
            changes: 0,
        })
    }
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let end = self.at.checked_add(N)?;
        let s = self.b.get(self.at..end)?;
        self.at = end;
        s.try_into().ok()
    }
    fn u8(&mut self) -> Option<u8> {
        self.take::<1>().map(|a| a[0])
    }
    fn i32(&mut self) -> Option<i32> {
        self.take().map(i32::from_le_bytes)
    }
    fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_le_bytes)
    }
    fn u64(&mut self) -> Option<u64> {
        self.take().map(u64::from_le_bytes)
    }
}
