//! The run's trace as it is observed: every event gets the run time at which
//! it was recorded (or, for log lines, the time the log stamped), and a
//! sequence number; the trace is sorted by (time, sequence) at the end.
//!
//! Log stamps tie: ceph-mon stamps a line to the millisecond, and several
//! monitors' lines share a stamp (a whole election can take 1-4 ms). The
//! runner reads the logs in monitor order, so recording order would put the
//! revived a's `win_election` before b's step down from leader when both
//! carry the same stamp: two leaders for an instant that Ceph never had
//! (the leader-killed smoke, "2 leaders at 60.23 s"). Among events of the
//! same stamp, a log line's event is therefore placed by the election epoch
//! its monitor was at: a monitor wins epoch E only after the monitors that
//! acked it left their old state at an epoch below E (ElectionLogic::
//! receive_propose bumps to the proposer's E-1 before it defers; a leader
//! that steps down bumps first), so the lower epoch happened first. Each
//! monitor's own lines keep their order (its epoch never goes back).

use monscope_core::time::Time;
use monscope_core::trace::{Event, EventKind};
use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

pub struct Recorder {
    /// t0, and the wall clock at t0 in microseconds since the Unix epoch.
    zero: Mutex<(Instant, i64)>,
    /// (time, election epoch of a log line's monitor or 0, sequence, event).
    events: Mutex<Vec<(Time, u32, u64, EventKind)>>,
}

fn wall_now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}

impl Recorder {
    pub fn new() -> Recorder {
        Recorder {
            zero: Mutex::new((Instant::now(), wall_now_us())),
            events: Mutex::new(Vec::new()),
        }
    }

    fn zero(&self) -> (Instant, i64) {
        *self.zero.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Start the run's clock now, forgetting anything recorded before
    /// (the preparation of a cluster before the scenario's time 0).
    pub fn reset(&self) {
        let mut ev = self.events.lock().unwrap_or_else(|e| e.into_inner());
        ev.clear();
        *self.zero.lock().unwrap_or_else(|e| e.into_inner()) = (Instant::now(), wall_now_us());
    }

    /// Run time now, microseconds since t0.
    pub fn now(&self) -> Time {
        self.zero().0.elapsed().as_micros() as Time
    }

    /// The instant of run time 0.
    pub fn t0(&self) -> Instant {
        self.zero().0
    }

    /// Record `kind` now; returns its time.
    pub fn record(&self, kind: EventKind) -> Time {
        let mut ev = self.events.lock().unwrap_or_else(|e| e.into_inner());
        let at = self.now();
        let seq = ev.len() as u64;
        ev.push((at, 0, seq, kind));
        at
    }

    /// Record `kind` at the time a monitor's log stamped, whose monitor was
    /// at election epoch `epoch` then (it orders events of the same stamp:
    /// see the module's comment).
    pub fn record_logged(&self, at: Time, epoch: u32, kind: EventKind) {
        let mut ev = self.events.lock().unwrap_or_else(|e| e.into_inner());
        let seq = ev.len() as u64;
        ev.push((at, epoch, seq, kind));
    }

    /// A wall-clock time (a log stamp, already corrected for the monitor's
    /// skew) as run time; times before t0 are t0.
    pub fn from_wall(&self, wall_us: i64) -> Time {
        (wall_us - self.zero().1).max(0) as Time
    }

    /// Every event, in time order (ties by election epoch, then in
    /// recording order).
    pub fn take(&self) -> Vec<Event> {
        let mut ev = std::mem::take(&mut *self.events.lock().unwrap_or_else(|e| e.into_inner()));
        ev.sort_by_key(|(at, epoch, seq, _)| (*at, *epoch, *seq));
        ev.into_iter()
            .map(|(at, _, _, kind)| Event { at, kind })
            .collect()
    }
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use monscope_core::mon::status::{MonState, MonStatus};
    use monscope_core::trace::state::ClusterState;
    use std::sync::Arc;

    fn status(node: u32, state: MonState, epoch: u32) -> EventKind {
        let mut s = MonStatus::down(node as _);
        s.state = state;
        s.election_epoch = epoch;
        EventKind::Status {
            node: node as _,
            status: Arc::new(s),
        }
    }

    /// ceph-mon 16.2.15, leader-killed: b (leader at epoch 6) went electing
    /// when the revived a proposed, and a won epoch 10 with b's ack, all in
    /// one 4 ms stamp; the logs are read a first.
    #[test]
    fn an_old_leader_steps_down_before_the_new_one_wins_at_the_same_stamp_elector_epochs() {
        let rec = Recorder::new();
        rec.record_logged(100, 6, status(1, MonState::Leader, 6));
        rec.record_logged(200, 5, status(0, MonState::Electing, 5));
        rec.record_logged(200, 10, status(0, MonState::Leader, 10));
        rec.record_logged(200, 7, status(1, MonState::Electing, 7));
        rec.record_logged(200, 10, status(1, MonState::Peon, 10));
        let events = rec.take();
        let mut st = ClusterState::new(vec!["a".into(), "b".into(), "c".into()]);
        for e in &events {
            st.apply(e);
        }
        assert_eq!(st.max_leaders(), 1);
        // Each monitor's own lines keep their order.
        let b: Vec<MonState> = events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Status { node: 1, status } => Some(status.state),
                _ => None,
            })
            .collect();
        assert_eq!(b, [MonState::Leader, MonState::Electing, MonState::Peon]);
    }
}
