//! The simulator's event queue: the earliest (time, sequence) first.
//!
//! Two heaps hold the events in the order (time, sequence). Messages in
//! flight are few and due soon, timers many and due late (one entry per
//! armed timer, see `timers.rs`; before that, every re-arming left an
//! entry behind and a five-monitor write load kept about 750 queued):
//! apart, a message's push and pop go through a heap of a few entries
//! instead of climbing over every timer, and a timer pushed is among the
//! latest, at the bottom of its own.

use crate::time::Time;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// An event and its place in the order, held in the heap itself: a slab
/// beside the heaps cost every push and pop a slot taken, a free list and
/// an `Option` written and read again (about 25 instructions each way).
#[derive(Clone, Debug)]
struct Entry<T> {
    at: Time,
    seq: u64,
    ev: T,
}

impl<T> PartialEq for Entry<T> {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.seq) == (o.at, o.seq)
    }
}

impl<T> Eq for Entry<T> {}

impl<T> PartialOrd for Entry<T> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

impl<T> Ord for Entry<T> {
    /// Reversed, so the max-heap pops the earliest (time, seq) first.
    /// `seq` is unique, so the event never decides.
    fn cmp(&self, o: &Self) -> Ordering {
        (o.at, o.seq).cmp(&(self.at, self.seq))
    }
}

/// Which heap an event waits in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Lane {
    Flight = 0,
    Timer = 1,
}

#[derive(Clone, Debug)]
pub(super) struct Queue<T> {
    /// Per lane.
    heaps: [BinaryHeap<Entry<T>>; 2],
}

impl<T> Queue<T> {
    pub(super) fn new() -> Self {
        Queue {
            heaps: [BinaryHeap::new(), BinaryHeap::new()],
        }
    }

    /// `ev` due at `at`; `seq` orders the events of one instant (unique
    /// across both lanes).
    pub(super) fn push(&mut self, at: Time, seq: u64, lane: Lane, ev: T) {
        self.heaps[lane as usize].push(Entry { at, seq, ev });
    }

    /// The earliest event's lane and when it is due ([`Queue::pop_from`]
    /// takes it: the simulator looks first, then takes).
    #[inline]
    pub(super) fn first(&self) -> Option<(Lane, Time)> {
        match (self.heaps[0].peek(), self.heaps[1].peek()) {
            (Some(f), Some(t)) if (t.at, t.seq) < (f.at, f.seq) => Some((Lane::Timer, t.at)),
            (Some(f), _) => Some((Lane::Flight, f.at)),
            (None, t) => Some((Lane::Timer, t?.at)),
        }
    }

    /// When the earliest event is due.
    pub(super) fn peek_at(&self) -> Option<Time> {
        self.first().map(|(_, at)| at)
    }

    /// The earliest event, and its sequence.
    pub(super) fn pop(&mut self) -> Option<(u64, T)> {
        let (lane, _) = self.first()?;
        self.pop_from(lane)
    }

    /// The first event of `lane` ([`Queue::first`]'s), and its sequence.
    #[inline]
    pub(super) fn pop_from(&mut self, lane: Lane) -> Option<(u64, T)> {
        self.heaps[lane as usize].pop().map(|e| (e.seq, e.ev))
    }

    /// Every event still due and when: messages in flight, then timers,
    /// each in its heap's order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (Time, &T)> {
        self.heaps
            .iter()
            .flat_map(|h| h.iter())
            .map(|e| (e.at, &e.ev))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_come_out_by_time_then_by_the_order_they_went_in() {
        let mut q = Queue::new();
        q.push(30, 1, Lane::Timer, "c");
        q.push(10, 2, Lane::Flight, "a");
        q.push(30, 3, Lane::Flight, "d");
        q.push(20, 4, Lane::Timer, "b");
        assert_eq!(q.peek_at(), Some(10));
        assert_eq!(q.pop(), Some((2, "a")));
        // A popped event's slot is used again.
        q.push(10, 5, Lane::Timer, "a2");
        let mut out = vec![];
        while let Some((_, ev)) = q.pop() {
            out.push(ev);
        }
        assert_eq!(out, ["a2", "b", "c", "d"]);
        assert_eq!(q.peek_at(), None);
        assert_eq!(q.iter().count(), 0);
    }

    #[test]
    fn two_lanes_come_out_as_one_queue_would() {
        // Against a sorted list, through pushes to either lane and pops.
        let mut q = Queue::new();
        let mut model: Vec<(Time, u64)> = Vec::new();
        let mut x: u64 = 7;
        for seq in 1..2000u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let at = (x >> 33) % 50;
            if (x >> 20).is_multiple_of(3) {
                model.sort();
                let first = (!model.is_empty()).then(|| model.remove(0));
                assert_eq!(q.pop().map(|(_, ev)| ev), first);
            } else {
                let lane = if x & 1 == 0 {
                    Lane::Flight
                } else {
                    Lane::Timer
                };
                q.push(at, seq, lane, (at, seq));
                model.push((at, seq));
            }
            model.sort();
            assert_eq!(q.peek_at(), model.first().map(|k| k.0));
            assert_eq!(q.iter().count(), model.len());
        }
    }
}
