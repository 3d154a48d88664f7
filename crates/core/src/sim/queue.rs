//! The simulator's event queue: the earliest (time, sequence) first.
//!
//! Two heaps hold only the order (time, sequence) and where the event is
//! kept; the events stay put in a slab. Messages in flight are few and due
//! soon, timers many and due late (a re-armed or cancelled timer's entry
//! stays until its time, and is then passed over: a five-monitor write load
//! keeps about 750 queued, each lease re-arming every peon's 10 s lease
//! timeout): apart, a message's push and pop go through a heap of a few
//! entries instead of climbing over every timer, and a timer pushed is
//! among the latest, at the bottom of its own.

use crate::time::Time;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    at: Time,
    seq: u64,
    slot: u32,
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

impl Ord for Entry {
    /// Reversed, so the max-heap pops the earliest (time, seq) first.
    /// `seq` is unique, so `slot` never decides.
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
    heaps: [BinaryHeap<Entry>; 2],
    /// The events; `None` where one was popped (its slot is in `free`).
    slots: Vec<Option<T>>,
    free: Vec<u32>,
}

impl<T> Queue<T> {
    pub(super) fn new() -> Self {
        Queue {
            heaps: [BinaryHeap::new(), BinaryHeap::new()],
            slots: Vec::new(),
            free: Vec::new(),
        }
    }

    /// `ev` due at `at`; `seq` orders the events of one instant (unique
    /// across both lanes).
    pub(super) fn push(&mut self, at: Time, seq: u64, lane: Lane, ev: T) {
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = Some(ev);
                s
            }
            None => {
                self.slots.push(Some(ev));
                (self.slots.len() - 1) as u32
            }
        };
        self.heaps[lane as usize].push(Entry { at, seq, slot });
    }

    /// The lane whose first entry comes first (the greater, reversed).
    fn first(&self) -> Option<(usize, &Entry)> {
        match (self.heaps[0].peek(), self.heaps[1].peek()) {
            (Some(f), Some(t)) if t > f => Some((1, t)),
            (Some(f), _) => Some((0, f)),
            (None, t) => Some((1, t?)),
        }
    }

    /// When the earliest event is due.
    pub(super) fn peek_at(&self) -> Option<Time> {
        self.first().map(|(_, e)| e.at)
    }

    /// The earliest event.
    pub(super) fn pop(&mut self) -> Option<T> {
        let (lane, _) = self.first()?;
        let e = self.heaps[lane].pop()?;
        self.free.push(e.slot);
        self.slots[e.slot as usize].take()
    }

    /// Every event still due and when: messages in flight, then timers,
    /// each in its heap's order.
    pub(super) fn iter(&self) -> impl Iterator<Item = (Time, &T)> {
        self.heaps
            .iter()
            .flat_map(|h| h.iter())
            .filter_map(|e| Some((e.at, self.slots[e.slot as usize].as_ref()?)))
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
        assert_eq!(q.pop(), Some("a"));
        // A popped event's slot is used again.
        q.push(10, 5, Lane::Timer, "a2");
        let mut out = vec![];
        while let Some(ev) = q.pop() {
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
                assert_eq!(q.pop(), first);
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
