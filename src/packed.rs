//! The page's copy of a run's trace, kept in its binary encoding
//! ([`monscope_core::trace::binary`]) and decoded a block at a time when a
//! view reads it (README, Performance, "The page"). Decoded, the one-hour
//! bench's 4.8 M events took about three times the bytes of their encoding
//! (every message, status, transaction and log line an allocation of its
//! own); the views read a few hundred events near the playhead.
//!
//! A block is a run of events in a buffer with the decoder's state before
//! them: the worker's batches are kept as they arrived (a block per slice
//! read), and the events of the page's own simulator (or an import) are
//! encoded here, BLOCK at a time. The last decoded blocks are cached.

use monscope_core::time::Time;
use monscope_core::trace::binary::{Decoder, Encoder};
use monscope_core::trace::Event;
use std::cell::RefCell;
use std::rc::Rc;

/// Events of the page's own encoding per block.
const BLOCK: usize = 512;

/// Decoded blocks kept: the event log and the narration read back a few
/// thousand events from the playhead, the timeline its marks' events.
const CACHED: usize = 8;

/// Events `first..first + count`, decoded from `bytes[offset..]` by
/// `decoder` (its state before them).
struct Block {
    first: usize,
    count: usize,
    /// The time of its first event.
    at: Time,
    bytes: Rc<[u8]>,
    offset: usize,
    decoder: Decoder,
}

/// Where a slice of a worker's batch came from, for [`Packed::push_block`].
pub struct Source {
    pub bytes: Rc<[u8]>,
    pub offset: usize,
    pub decoder: Decoder,
}

#[derive(Default)]
pub struct Packed {
    blocks: Vec<Block>,
    /// Events after the last block, not encoded yet.
    open: Rc<Vec<Event>>,
    /// Blocks decoded last, most recent last.
    cache: RefCell<Vec<(usize, Rc<Vec<Event>>)>>,
}

/// One event of a [`Packed`] trace, in its decoded block.
#[derive(Clone)]
pub struct EventRef {
    block: Rc<Vec<Event>>,
    i: usize,
}

impl std::ops::Deref for EventRef {
    type Target = Event;
    fn deref(&self) -> &Event {
        &self.block[self.i]
    }
}

impl Packed {
    /// Events in blocks, before the open ones.
    fn sealed(&self) -> usize {
        self.blocks.last().map_or(0, |b| b.first + b.count)
    }

    pub fn len(&self) -> usize {
        self.sealed() + self.open.len()
    }

    /// Append `ev`, encoded once BLOCK have gathered.
    pub fn push(&mut self, ev: Event) {
        Rc::make_mut(&mut self.open).push(ev);
        if self.open.len() >= BLOCK {
            self.seal();
        }
    }

    /// Encode the open events as a block of their own.
    fn seal(&mut self) {
        let open = std::mem::take(&mut self.open);
        let Some(at) = open.first().map(|e| e.at) else {
            return;
        };
        let mut bytes = Vec::new();
        Encoder::new().encode(&open, &mut bytes);
        self.blocks.push(Block {
            first: self.sealed(),
            count: open.len(),
            at,
            bytes: bytes.into(),
            offset: 0,
            decoder: Decoder::new(),
        });
    }

    /// Append `events`, decoded from `source`: kept as their encoding.
    pub fn push_block(&mut self, events: Vec<Event>, source: Source) {
        let Some(at) = events.first().map(|e| e.at) else {
            return;
        };
        self.seal();
        let cached = Rc::new(events);
        let block = self.blocks.len();
        self.blocks.push(Block {
            first: self.sealed(),
            count: cached.len(),
            at,
            bytes: source.bytes,
            offset: source.offset,
            decoder: source.decoder,
        });
        self.remember(block, cached);
    }

    fn remember(&self, block: usize, events: Rc<Vec<Event>>) {
        let mut cache = self.cache.borrow_mut();
        if cache.len() >= CACHED {
            cache.remove(0);
        }
        cache.push((block, events));
    }

    /// The events of block `b`, decoded (or cached).
    fn decoded(&self, b: usize) -> Rc<Vec<Event>> {
        if let Some(k) = self.cache.borrow().iter().position(|(i, _)| *i == b) {
            return self.cache.borrow()[k].1.clone();
        }
        let block = &self.blocks[b];
        let mut events = Vec::with_capacity(block.count);
        let mut at = block.offset;
        // The same bytes and state decoded these events once already.
        let _ = block
            .decoder
            .clone()
            .decode(&block.bytes, &mut at, block.count, &mut events);
        let events = Rc::new(events);
        self.remember(b, events.clone());
        events
    }

    pub fn get(&self, i: usize) -> Option<EventRef> {
        let sealed = self.sealed();
        if i >= sealed {
            return (i - sealed < self.open.len()).then(|| EventRef {
                block: self.open.clone(),
                i: i - sealed,
            });
        }
        let b = self.blocks.partition_point(|b| b.first <= i) - 1;
        let block = self.decoded(b);
        let k = i - self.blocks[b].first;
        (k < block.len()).then_some(EventRef { block, i: k })
    }

    /// The first index whose event's time does not satisfy `pred`, for
    /// events partitioned by it: one block decoded at most.
    pub fn partition_point_at(&self, pred: impl Fn(Time) -> bool) -> usize {
        let b = self.blocks.partition_point(|b| pred(b.at));
        let within = |events: &[Event]| events.partition_point(|e| pred(e.at));
        let Some(last) = b.checked_sub(1) else {
            return match self.blocks.is_empty() {
                true => within(&self.open),
                false => 0,
            };
        };
        let k = within(&self.decoded(last));
        if k < self.blocks[last].count || b < self.blocks.len() {
            return self.blocks[last].first + k;
        }
        self.sealed() + within(&self.open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use monscope_core::scenario::library;
    use monscope_core::sim::run::run_until;

    /// The same events kept both ways: encoded here, and as a worker's
    /// batch read in slices of 300 (its decoder's state kept per slice).
    fn both(events: &[Event]) -> [Packed; 2] {
        let mut here = Packed::default();
        for ev in events {
            here.push(ev.clone());
        }
        let mut bytes = Vec::new();
        Encoder::new().encode(events, &mut bytes);
        let bytes: Rc<[u8]> = bytes.into();
        let (mut fed, mut decoder, mut at) = (Packed::default(), Decoder::new(), 0);
        while at < bytes.len() {
            let source = Source {
                bytes: bytes.clone(),
                offset: at,
                decoder: decoder.clone(),
            };
            let mut slice = Vec::new();
            decoder.decode(&bytes, &mut at, 300, &mut slice).unwrap();
            fed.push_block(slice, source);
        }
        [here, fed]
    }

    #[test]
    fn every_event_reads_back_and_times_find_their_place() {
        let scenario =
            monscope_core::scenario::parse(library::get("leader-failover").unwrap()).unwrap();
        let trace = run_until(&scenario, u64::MAX).trace;
        assert!(trace.len() > (CACHED + 4) * BLOCK, "{}", trace.len());
        for packed in both(&trace) {
            assert_eq!(packed.len(), trace.len());
            // Backwards and at random, past the cache.
            for i in (0..trace.len())
                .rev()
                .step_by(7)
                .chain((0..500).map(|k| k * 7_919 % trace.len()))
            {
                assert_eq!(*packed.get(i).unwrap(), trace[i], "event {i}");
            }
            assert!(packed.get(trace.len()).is_none());
            for t in [
                0,
                1,
                trace[trace.len() / 3].at,
                trace[trace.len() - 1].at,
                u64::MAX,
            ] {
                assert_eq!(
                    packed.partition_point_at(|at| at <= t),
                    trace.partition_point(|e| e.at <= t),
                    "at {t}"
                );
                assert_eq!(
                    packed.partition_point_at(|at| at < t),
                    trace.partition_point(|e| e.at < t),
                    "before {t}"
                );
            }
        }
    }
}
