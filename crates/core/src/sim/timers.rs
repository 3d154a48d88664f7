//! A node's armed timers, and the one queue entry each keeps.
//!
//! A monitor re-arms most timers long before they fire (every lease
//! re-arms each peon's 10 s lease timeout, every ping its peers' ping
//! timeout). A queue entry per arming left about 750 entries queued in a
//! five-monitor write load, four in five of them passed over when their
//! time came. Here a timer keeps one entry: re-armed for later, it leaves
//! its entry as it is; when the entry comes up, the timer fires if the
//! entry is its arming, or the entry goes back into the queue at the
//! arming's (time, sequence), the place a fresh entry would have had, so
//! the order of everything is as if each arming had its own entry.

use crate::mon::out::Timer;
use crate::mon::vecmap::VecMap;
use crate::time::Time;
use crate::trace::TimerCode;

/// A place in the queue's order: (time, sequence), and the tag its entry carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Place {
    pub at: Time,
    pub seq: u64,
    pub tag: u64,
}

impl Place {
    fn key(&self) -> (Time, u64) {
        (self.at, self.seq)
    }
}

#[derive(Clone, Copy, Debug)]
struct Slot {
    /// When it fires, if armed.
    armed: Option<Place>,
    /// The entry the queue holds for it, if any: never later than `armed`.
    /// Entries with another tag are left over from a shortened timer and
    /// are passed over.
    entry: Option<Place>,
}

/// What a queue entry of a timer means when it comes up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Due {
    Fire,
    /// Re-armed for later: queue it again at this place.
    Later(Place),
    /// Cancelled, or left over: nothing happens.
    Pass,
}

/// The timers of one node, by timer (sorted: a few per node), each
/// found by its code (one word compared, where the timer's derived order
/// compared its tag, then its argument: about 70 instructions a lookup).
#[derive(Clone, Debug, Default)]
pub(super) struct Timers {
    slots: VecMap<TimerCode, Slot>,
}

/// A timer's code: every timer the simulator arms has one (its
/// `TimerSet` event is made with it first), so one without is not armed.
fn code(timer: Timer) -> Option<TimerCode> {
    TimerCode::try_new(timer)
}

impl Timers {
    /// Arm `timer` at `place`; returns the entry to queue, if its present
    /// entry (there is at most one that counts) comes later than `place`.
    pub(super) fn arm(&mut self, timer: Timer, place: Place) -> Option<Place> {
        // Never without one: its event was made with it.
        let c = code(timer)?;
        let slot = self.slots.or_insert_with(c, || Slot {
            armed: None,
            entry: None,
        });
        slot.armed = Some(place);
        match slot.entry {
            Some(e) if e.key() <= place.key() => None,
            _ => {
                slot.entry = Some(place);
                Some(place)
            }
        }
    }

    /// Disarm `timer`; whether it was armed.
    pub(super) fn disarm(&mut self, timer: Timer) -> bool {
        code(timer)
            .and_then(|c| self.slots.get_mut(&c))
            .and_then(|s| s.armed.take())
            .is_some()
    }

    /// Disarm every timer; the ones that were armed, in timer order.
    pub(super) fn disarm_all(&mut self) -> Vec<Timer> {
        let mut was: Vec<Timer> = Vec::new();
        self.slots.retain(|c, s| {
            if s.armed.take().is_some() {
                // In the timers' order, which is not their codes'.
                let t = c.timer();
                let (Ok(i) | Err(i)) = was.binary_search(&t);
                was.insert(i, t);
            }
            true
        });
        was
    }

    /// `timer`'s queue entry tagged `tag` came up at (`at`, `seq`).
    pub(super) fn due(&mut self, timer: Timer, at: Time, seq: u64, tag: u64) -> Due {
        let Some(c) = code(timer) else {
            return Due::Pass;
        };
        let Some(slot) = self.slots.get_mut(&c) else {
            return Due::Pass;
        };
        if slot.entry.map(|e| e.tag) != Some(tag) {
            return Due::Pass;
        }
        let due = match slot.armed {
            Some(a) if a.key() == (at, seq) => {
                slot.armed = None;
                Due::Fire
            }
            Some(a) => Due::Later(a),
            None => Due::Pass,
        };
        slot.entry = match due {
            Due::Later(a) => Some(a),
            _ => None,
        };
        if slot.entry.is_none() && slot.armed.is_none() {
            // Nothing left: a client's per-request timers would pile up.
            self.slots.remove(&c);
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(at: Time, seq: u64) -> Place {
        Place { at, seq, tag: seq }
    }

    #[test]
    fn a_timer_rearmed_for_later_keeps_its_entry_and_fires_at_the_last_arming() {
        let mut t = Timers::default();
        let lease = Timer::LeaseTimeout;
        assert_eq!(t.arm(lease, place(10, 1)), Some(place(10, 1)));
        // Re-armed twice for later: no new entry.
        assert_eq!(t.arm(lease, place(13, 2)), None);
        assert_eq!(t.arm(lease, place(16, 3)), None);
        // The entry comes up: queued again where the last arming is.
        assert_eq!(t.due(lease, 10, 1, 1), Due::Later(place(16, 3)));
        assert_eq!(t.due(lease, 16, 3, 3), Due::Fire);
        assert!(!t.disarm(lease));
    }

    #[test]
    fn a_shortened_timer_gets_a_new_entry_and_the_old_one_is_passed_over() {
        let mut t = Timers::default();
        let lease = Timer::LeaseTimeout;
        t.arm(lease, place(10, 1));
        assert_eq!(t.arm(lease, place(5, 2)), Some(place(5, 2)));
        assert_eq!(t.due(lease, 5, 2, 2), Due::Fire);
        assert_eq!(t.due(lease, 10, 1, 1), Due::Pass);
    }

    #[test]
    fn every_timer_is_disarmed_in_the_timers_order_not_their_codes() {
        // Their codes (trace kinds 18 and 20, ranks as unsigned) sort
        // the other way round.
        let mut t = Timers::default();
        let timers = [
            Timer::HealthToClogTick,
            Timer::AuthProposeTimer,
            Timer::PingCheck(-1),
            Timer::PingCheck(2),
        ];
        for (i, timer) in timers.into_iter().enumerate() {
            t.arm(timer, place(10, i as u64));
        }
        let mut sorted = timers;
        sorted.sort();
        assert_eq!(t.disarm_all(), sorted);
        assert_eq!(
            sorted,
            [
                Timer::PingCheck(-1),
                Timer::PingCheck(2),
                Timer::AuthProposeTimer,
                Timer::HealthToClogTick
            ]
        );
    }

    #[test]
    fn a_cancelled_timer_passes_and_leaves_no_slot() {
        let mut t = Timers::default();
        let lease = Timer::LeaseTimeout;
        t.arm(lease, place(10, 1));
        assert!(t.disarm(lease));
        assert!(!t.disarm(lease));
        assert_eq!(t.due(lease, 10, 1, 1), Due::Pass);
        assert_eq!(t.slots.len(), 0);
        // Armed again after its entry left: a fresh entry.
        assert_eq!(t.arm(lease, place(20, 3)), Some(place(20, 3)));
        assert_eq!(t.disarm_all(), [lease]);
        assert_eq!(t.disarm_all(), []);
    }
}
