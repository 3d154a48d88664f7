//! The run's trace as it is observed: every event gets the run time at which
//! it was recorded (or, for log lines, the time the log stamped), and a
//! sequence number; the trace is sorted by (time, sequence) at the end.

use monscope_core::time::Time;
use monscope_core::trace::{Event, EventKind};
use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

pub struct Recorder {
    /// t0, and the wall clock at t0 in microseconds since the Unix epoch.
    zero: Mutex<(Instant, i64)>,
    events: Mutex<Vec<(Time, u64, EventKind)>>,
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
        ev.push((at, seq, kind));
        at
    }

    /// Record `kind` at a time stamped elsewhere (a log line).
    pub fn record_at(&self, at: Time, kind: EventKind) {
        let mut ev = self.events.lock().unwrap_or_else(|e| e.into_inner());
        let seq = ev.len() as u64;
        ev.push((at, seq, kind));
    }

    /// A wall-clock time (a log stamp, already corrected for the monitor's
    /// skew) as run time; times before t0 are t0.
    pub fn from_wall(&self, wall_us: i64) -> Time {
        (wall_us - self.zero().1).max(0) as Time
    }

    /// Every event, in time order (ties in recording order).
    pub fn take(&self) -> Vec<Event> {
        let mut ev = std::mem::take(&mut *self.events.lock().unwrap_or_else(|e| e.into_inner()));
        ev.sort_by_key(|(at, seq, _)| (*at, *seq));
        ev.into_iter()
            .map(|(at, _, kind)| Event { at, kind })
            .collect()
    }
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder::new()
    }
}
