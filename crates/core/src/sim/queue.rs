//! The simulator's event queue: the earliest (time, sequence) first.
//!
//! The heap holds only the order (time, sequence) and where the event is
//! kept; the events stay put in a slab. A run pops and pushes an event for
//! every delivery and timer, and each moved a 48-byte entry down and up the
//! heap; now a 24-byte one moves and the event is moved once in, once out.

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

#[derive(Clone, Debug)]
pub(super) struct Queue<T> {
    heap: BinaryHeap<Entry>,
    /// The events; `None` where one was popped (its slot is in `free`).
    slots: Vec<Option<T>>,
    free: Vec<u32>,
}

impl<T> Queue<T> {
    pub(super) fn new() -> Self {
        Queue {
            heap: BinaryHeap::new(),
            slots: Vec::new(),
            free: Vec::new(),
        }
    }

    /// `ev` due at `at`; `seq` orders the events of one instant (unique).
    pub(super) fn push(&mut self, at: Time, seq: u64, ev: T) {
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
        self.heap.push(Entry { at, seq, slot });
    }

    /// When the earliest event is due.
    pub(super) fn peek_at(&self) -> Option<Time> {
        self.heap.peek().map(|e| e.at)
    }

    /// The earliest event.
    pub(super) fn pop(&mut self) -> Option<T> {
        let e = self.heap.pop()?;
        self.free.push(e.slot);
        self.slots[e.slot as usize].take()
    }

    /// Every event still due and when, in no particular order (the heap's).
    pub(super) fn iter(&self) -> impl Iterator<Item = (Time, &T)> {
        self.heap
            .iter()
            .filter_map(|e| Some((e.at, self.slots[e.slot as usize].as_ref()?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_come_out_by_time_then_by_the_order_they_went_in() {
        let mut q = Queue::new();
        q.push(30, 1, "c");
        q.push(10, 2, "a");
        q.push(30, 3, "d");
        q.push(20, 4, "b");
        assert_eq!(q.peek_at(), Some(10));
        assert_eq!(q.pop(), Some("a"));
        // A popped event's slot is used again.
        q.push(10, 5, "a2");
        let mut out = vec![];
        while let Some(ev) = q.pop() {
            out.push(ev);
        }
        assert_eq!(out, ["a2", "b", "c", "d"]);
        assert_eq!(q.peek_at(), None);
        assert_eq!(q.iter().count(), 0);
    }
}
