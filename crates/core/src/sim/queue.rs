//! The simulator's event queue: the earliest (time, sequence) first.
//!
//! Binary heaps of small entries (time, sequence, slot) whose events stay
//! put in a slab, and which knows where each slot's entry is in the heap, so
//! that an event can be taken out before it is due ([`Queue::remove`]). A
//! timer that is re-armed or cancelled leaves the queue at once: when a
//! stale entry stayed until its time, a five-monitor write load kept about
//! 750 entries queued (each lease re-arms every peon's 10 s lease timeout,
//! each round sets and cancels the leader's accept and lease-ack timeouts)
//! against about 40 live ones, and every push and pop went twice as deep.

use crate::time::Time;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    at: Time,
    seq: u64,
    slot: u32,
}

impl Entry {
    /// Whether it comes out before `o`: `seq` is unique, so this is a total order.
    #[inline]
    fn before(&self, o: &Entry) -> bool {
        (self.at, self.seq) < (o.at, o.seq)
    }
}

/// Where an event waits in the queue, until it is popped or removed.
pub(super) type Slot = u32;

/// Which heap an event waits in. Messages in flight are few and due soon,
/// timers many and due late: apart, a message's push and pop go through a
/// heap of a few entries instead of climbing over every armed timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Lane {
    Flight = 0,
    Timer = 1,
}

#[derive(Clone, Debug)]
pub(super) struct Queue<T> {
    /// Per lane, a min-heap on (at, seq).
    heaps: [Vec<Entry>; 2],
    /// Per slot: its event (`None` once popped or removed; the slot is in
    /// `free`), its entry's index in its heap, and its lane.
    slots: Vec<Option<T>>,
    pos: Vec<u32>,
    lanes: Vec<Lane>,
    free: Vec<Slot>,
}

impl<T> Queue<T> {
    pub(super) fn new() -> Self {
        Queue {
            heaps: [Vec::new(), Vec::new()],
            slots: Vec::new(),
            pos: Vec::new(),
            lanes: Vec::new(),
            free: Vec::new(),
        }
    }

    /// `ev` due at `at`; `seq` orders the events of one instant (unique
    /// across both lanes). Returns the slot that names it until it is
    /// popped or removed.
    pub(super) fn push(&mut self, at: Time, seq: u64, lane: Lane, ev: T) -> Slot {
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = Some(ev);
                self.lanes[s as usize] = lane;
                s
            }
            None => {
                self.slots.push(Some(ev));
                self.pos.push(0);
                self.lanes.push(lane);
                (self.slots.len() - 1) as Slot
            }
        };
        let heap = &mut self.heaps[lane as usize];
        let i = heap.len();
        heap.push(Entry { at, seq, slot });
        sift_up(heap, &mut self.pos, i);
        slot
    }

    /// The lane whose first entry comes first.
    fn first(&self) -> Option<(Lane, &Entry)> {
        match (self.heaps[0].first(), self.heaps[1].first()) {
            (Some(f), Some(t)) if t.before(f) => Some((Lane::Timer, t)),
            (Some(f), _) => Some((Lane::Flight, f)),
            (None, Some(t)) => Some((Lane::Timer, t)),
            (None, None) => None,
        }
    }

    /// When the earliest event is due.
    pub(super) fn peek_at(&self) -> Option<Time> {
        self.first().map(|(_, e)| e.at)
    }

    /// The earliest event.
    pub(super) fn pop(&mut self) -> Option<T> {
        let (lane, e) = self.first()?;
        let slot = e.slot;
        self.take(lane, slot)
    }

    /// The event in `slot`, taken out of the queue (None if it is not
    /// there: popped or removed already).
    pub(super) fn remove(&mut self, slot: Slot) -> Option<T> {
        if self.slots.get(slot as usize)?.is_none() {
            return None;
        }
        self.take(self.lanes[slot as usize], slot)
    }

    fn take(&mut self, lane: Lane, slot: Slot) -> Option<T> {
        let heap = &mut self.heaps[lane as usize];
        let i = self.pos[slot as usize] as usize;
        let last = heap.pop()?;
        if i < heap.len() {
            // The last entry fills the hole, and moves up or down from there.
            heap[i] = last;
            self.pos[last.slot as usize] = i as u32;
            if i > 0 && last.before(&heap[(i - 1) / 2]) {
                sift_up(heap, &mut self.pos, i);
            } else {
                sift_down(heap, &mut self.pos, i);
            }
        }
        self.free.push(slot);
        self.slots[slot as usize].take()
    }

    /// Every event still due and when, earliest first.
    pub(super) fn iter(&self) -> impl Iterator<Item = (Time, &T)> {
        let mut order: Vec<Entry> = self.heaps.concat();
        order.sort_unstable_by_key(|e| (e.at, e.seq));
        order
            .into_iter()
            .filter_map(|e| Some((e.at, self.slots[e.slot as usize].as_ref()?)))
    }
}

fn sift_up(heap: &mut [Entry], pos: &mut [u32], mut i: usize) {
    let e = heap[i];
    while i > 0 {
        let parent = (i - 1) / 2;
        let p = heap[parent];
        if !e.before(&p) {
            break;
        }
        heap[i] = p;
        pos[p.slot as usize] = i as u32;
        i = parent;
    }
    heap[i] = e;
    pos[e.slot as usize] = i as u32;
}

fn sift_down(heap: &mut [Entry], pos: &mut [u32], mut i: usize) {
    let e = heap[i];
    loop {
        let left = 2 * i + 1;
        let Some(l) = heap.get(left) else {
            break;
        };
        let (child, c) = match heap.get(left + 1) {
            Some(r) if r.before(l) => (left + 1, *r),
            _ => (left, *l),
        };
        if !c.before(&e) {
            break;
        }
        heap[i] = c;
        pos[c.slot as usize] = i as u32;
        i = child;
    }
    heap[i] = e;
    pos[e.slot as usize] = i as u32;
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
    fn a_removed_event_never_comes_out_and_the_others_keep_their_order() {
        // Against a sorted list, through pushes, pops and removals anywhere.
        let mut q = Queue::new();
        let mut model: Vec<(Time, u64)> = Vec::new();
        let mut slots: Vec<(Slot, (Time, u64))> = Vec::new();
        let mut x: u64 = 7;
        for seq in 1..2000u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let at = (x >> 33) % 50;
            match (x >> 20) % 4 {
                0 if !slots.is_empty() => {
                    let (s, key) = slots.swap_remove((x >> 40) as usize % slots.len());
                    assert_eq!(q.remove(s), Some(key));
                    assert_eq!(q.remove(s), None);
                    model.retain(|k| *k != key);
                }
                1 => {
                    model.sort();
                    let first = (!model.is_empty()).then(|| model.remove(0));
                    assert_eq!(q.pop(), first);
                    slots.retain(|(_, k)| Some(*k) != first);
                }
                _ => {
                    let lane = if x & 1 == 0 {
                        Lane::Flight
                    } else {
                        Lane::Timer
                    };
                    let s = q.push(at, seq, lane, (at, seq));
                    model.push((at, seq));
                    slots.push((s, (at, seq)));
                }
            }
            model.sort();
            assert_eq!(q.peek_at(), model.first().map(|k| k.0));
            let listed: Vec<(Time, u64)> = q.iter().map(|(_, k)| *k).collect();
            assert_eq!(listed, model);
        }
    }
}
