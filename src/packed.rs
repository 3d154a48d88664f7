//! The page's copy of a run's trace, kept in its binary encoding
//! ([`monscope_core::trace::binary`]) and decoded a block at a time when a
//! view reads it (docs/performance.md, "The page"). Decoded, the one-hour
//! bench's 4.8 M events took about three times the bytes of their encoding
//! (every message, status, transaction and log line an allocation of its
//! own); the views read a few hundred events near the playhead.
//!
//! A block is a run of events, encoded and compressed ([`crate::lz`]: the
//! hour's 308 MB of encoding are 56 MB compressed), with the decoder's
//! state before them. The simulation worker writes its batches as such
//! blocks ([`write_chunk`]) and the page keeps them as they arrived
//! ([`read_chunk`]); the events of the page's own simulator (or an import)
//! are encoded and compressed here, BLOCK at a time. The last decoded
//! blocks are cached.

use monscope_core::time::Time;
use monscope_core::trace::binary::{Decoder, Encoder};
use monscope_core::trace::Event;
use std::cell::RefCell;
use std::rc::Rc;

/// Events of the page's own encoding per block.
const BLOCK: usize = 512;

/// Decoded blocks kept: the event log and the narration read back a few
/// thousand events from the playhead, the timeline its marks' events, the
/// ring each monitor's last status (up to 15, each in a block of its own).
const CACHED: usize = 24;

/// Decoded blocks a scan through the trace keeps ([`Packed::each`],
/// [`Packed::time_of`]): the few of one slice of the IndexedDB journal's
/// catch-up (store/journal.rs, FOLLOW_STEP events).
const SCANNED: usize = 8;

/// Events `first..first + count`, decoded by `source`.
struct Block {
    first: usize,
    count: usize,
    /// The time of its first event.
    at: Time,
    source: Source,
}

/// Where a block's events are: compressed in `bytes[from..to]`, `len`
/// bytes of encoding once decompressed, read by `decoder` (its state
/// before them).
pub struct Source {
    pub bytes: Rc<[u8]>,
    pub from: usize,
    pub to: usize,
    pub len: usize,
    pub decoder: Decoder,
}

impl Source {
    /// Its events, decoded.
    fn events(&self, out: &mut Vec<Event>) -> Result<(), String> {
        let raw = self
            .bytes
            .get(self.from..self.to)
            .and_then(|b| crate::lz::decompress(b, self.len))
            .ok_or("a block of the trace does not decompress")?;
        self.decoder.clone().decode(&raw, &mut 0, usize::MAX, out)
    }
}

/// Append `raw` (encoded events) to `out` as a chunk: its length, then
/// compressed (its compressed length first).
pub fn write_chunk(raw: &[u8], out: &mut Vec<u8>) {
    let mut packed = Vec::new();
    crate::lz::compress(raw, &mut packed);
    for n in [raw.len(), packed.len()] {
        out.extend_from_slice(&(n as u32).to_le_bytes());
    }
    out.extend_from_slice(&packed);
}

/// Read the chunk of `bytes` at `*at` (moved past it) with `decoder`: its
/// events, and where they are kept.
pub fn read_chunk(
    bytes: &Rc<[u8]>,
    at: &mut usize,
    decoder: &mut Decoder,
) -> Result<(Vec<Event>, Source), String> {
    let n = |k: usize| -> Option<usize> {
        let b = bytes.get(*at + 4 * k..*at + 4 * k + 4)?;
        Some(u32::from_le_bytes(b.try_into().ok()?) as usize)
    };
    let (Some(len), Some(packed)) = (n(0), n(1)) else {
        return Err(format!("a chunk of the trace is cut short at byte {at}"));
    };
    let from = *at + 8;
    let source = Source {
        bytes: bytes.clone(),
        from,
        to: from.saturating_add(packed),
        len,
        decoder: decoder.clone(),
    };
    let raw = bytes
        .get(source.from..source.to)
        .and_then(|b| crate::lz::decompress(b, len))
        .ok_or("a block of the trace does not decompress")?;
    // The decoder moves on, for the next chunk.
    let mut events = Vec::new();
    decoder.decode(&raw, &mut 0, usize::MAX, &mut events)?;
    *at = source.to;
    Ok((events, source))
}

#[derive(Default)]
pub struct Packed {
    blocks: Vec<Block>,
    /// Events after the last block, not encoded yet.
    open: Rc<Vec<Event>>,
    /// Blocks decoded last, most recent last.
    cache: Decoded,
    /// Blocks a scan decoded last, apart from `cache`: the journal's
    /// catch-up reads the whole trace after a long seek, and through `cache`
    /// it pushed out the blocks the views read near the playhead, so that
    /// each seek decoded them all again.
    scan: Decoded,
}

/// Decoded blocks, by block number, most recent last.
type Decoded = RefCell<Vec<(usize, Rc<Vec<Event>>)>>;

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
        let mut raw = Vec::new();
        Encoder::new().encode(&open, &mut raw);
        let mut bytes = Vec::new();
        crate::lz::compress(&raw, &mut bytes);
        self.blocks.push(Block {
            first: self.sealed(),
            count: open.len(),
            at,
            source: Source {
                to: bytes.len(),
                bytes: bytes.into(),
                from: 0,
                len: raw.len(),
                decoder: Decoder::new(),
            },
        });
    }

    /// Append `events`, decoded from `source`: kept as their encoding.
    pub fn push_block(&mut self, events: Vec<Event>, source: Source) {
        let Some(at) = events.first().map(|e| e.at) else {
            return;
        };
        self.seal();
        // Not cached: while a run loads, the views read near the playhead.
        self.blocks.push(Block {
            first: self.sealed(),
            count: events.len(),
            at,
            source,
        });
    }

    /// The events of block `b`, decoded (or cached), kept in `cache`
    /// (at most `max` blocks there).
    fn decoded_in(&self, b: usize, cache: &Decoded, max: usize) -> Rc<Vec<Event>> {
        let cached = |c: &Decoded| {
            let c = c.borrow();
            c.iter().find(|(i, _)| *i == b).map(|(_, e)| e.clone())
        };
        if let Some(events) = cached(&self.cache).or_else(|| cached(&self.scan)) {
            return events;
        }
        let block = &self.blocks[b];
        let mut events = Vec::with_capacity(block.count);
        // The same bytes and state decoded these events once already.
        let _ = block.source.events(&mut events);
        let events = Rc::new(events);
        let mut cache = cache.borrow_mut();
        if cache.len() >= max {
            cache.remove(0);
        }
        cache.push((b, events.clone()));
        events
    }

    /// The events of block `b`, for a view.
    fn decoded(&self, b: usize) -> Rc<Vec<Event>> {
        self.decoded_in(b, &self.cache, CACHED)
    }

    /// The block of event `i` (sealed), and `i` within it.
    fn block_of(&self, i: usize) -> (usize, usize) {
        let b = self.blocks.partition_point(|b| b.first <= i) - 1;
        (b, i - self.blocks[b].first)
    }

    /// The time of event `i`, read as a scan reads ([`Packed::each`]).
    pub fn time_of(&self, i: usize) -> Option<Time> {
        let sealed = self.sealed();
        if i >= sealed {
            return self.open.get(i - sealed).map(|e| e.at);
        }
        let (b, k) = self.block_of(i);
        self.decoded_in(b, &self.scan, SCANNED).get(k).map(|e| e.at)
    }

    /// Events `from..to` to `f` (with their index), in order: each block
    /// decoded once, and kept apart from the views' cache.
    pub fn each(&self, from: usize, to: usize, mut f: impl FnMut(usize, &Event)) {
        let (sealed, to) = (self.sealed(), to.min(self.len()));
        let mut i = from;
        while i < to.min(sealed) {
            let (b, k) = self.block_of(i);
            let events = self.decoded_in(b, &self.scan, SCANNED);
            let n = (to - i).min(self.blocks[b].count - k);
            for (j, ev) in events.iter().skip(k).take(n).enumerate() {
                f(i + j, ev);
            }
            i += n;
        }
        for (j, ev) in self.open.iter().enumerate().take(to.saturating_sub(sealed)) {
            if sealed + j >= i {
                f(sealed + j, ev);
            }
        }
    }

    pub fn get(&self, i: usize) -> Option<EventRef> {
        let sealed = self.sealed();
        if i >= sealed {
            return (i - sealed < self.open.len()).then(|| EventRef {
                block: self.open.clone(),
                i: i - sealed,
            });
        }
        let (b, k) = self.block_of(i);
        let block = self.decoded(b);
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
    /// chunks of 100 events (its decoder's state kept per chunk).
    fn both(events: &[Event]) -> [Packed; 2] {
        let mut here = Packed::default();
        for ev in events {
            here.push(ev.clone());
        }
        let mut encoder = Encoder::new();
        let mut batch = Vec::new();
        for part in events.chunks(100) {
            let mut raw = Vec::new();
            encoder.encode(part, &mut raw);
            write_chunk(&raw, &mut batch);
        }
        let batch: Rc<[u8]> = batch.into();
        let (mut fed, mut decoder, mut at) = (Packed::default(), Decoder::new(), 0);
        while at < batch.len() {
            let (part, source) = read_chunk(&batch, &mut at, &mut decoder).unwrap();
            fed.push_block(part, source);
        }
        [here, fed]
    }

    #[test]
    fn a_scan_reads_every_event_in_order_and_leaves_the_views_blocks_cached() {
        let scenario =
            monscope_core::scenario::parse(library::get("leader-failover").unwrap()).unwrap();
        let trace = run_until(&scenario, u64::MAX).trace.to_vec();
        for packed in both(&trace) {
            let n = packed.len();
            // What a view read last.
            let _ = packed.get(n / 2);
            let views = |p: &Packed| p.cache.borrow().iter().map(|c| c.0).collect::<Vec<_>>();
            let cached = views(&packed);
            let mut read = Vec::new();
            packed.each(0, n, |i, ev| {
                assert_eq!(*ev, trace[i], "event {i}");
                read.push(i);
            });
            assert_eq!(read, (0..n).collect::<Vec<_>>());
            assert_eq!(
                views(&packed),
                cached,
                "the scan went through the views' cache"
            );
            for (from, to) in [(n / 3, n / 3 + 2_000), (n - 5, n + 9), (7, 7)] {
                let mut read = Vec::new();
                packed.each(from, to, |i, ev| read.push((i, ev.at)));
                let want: Vec<_> = (from..to.min(n)).map(|i| (i, trace[i].at)).collect();
                assert_eq!(read, want, "{from}..{to}");
                assert_eq!(packed.time_of(from), Some(trace[from].at));
            }
            assert_eq!(packed.time_of(n), None);
        }
    }

    #[test]
    fn every_event_reads_back_and_times_find_their_place() {
        let scenario =
            monscope_core::scenario::parse(library::get("leader-failover").unwrap()).unwrap();
        let trace = run_until(&scenario, u64::MAX).trace.to_vec();
        // The worker's chunks: more blocks than the cache holds.
        assert!(trace.len() > 2 * BLOCK && trace.len() > 100 * (CACHED + 4));
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

    #[test]
    fn a_damaged_chunk_is_refused() {
        let mut raw = Vec::new();
        Encoder::new().encode(
            &[Event {
                at: 5,
                kind: monscope_core::trace::EventKind::Deliver { id: 1 },
            }],
            &mut raw,
        );
        let mut batch = Vec::new();
        write_chunk(&raw, &mut batch);
        for cut in [3, 8, batch.len() - 1] {
            let short: Rc<[u8]> = batch[..cut].into();
            assert!(
                read_chunk(&short, &mut 0, &mut Decoder::new()).is_err(),
                "cut at {cut}"
            );
        }
        let whole: Rc<[u8]> = batch.into();
        let (events, _) = read_chunk(&whole, &mut 0, &mut Decoder::new()).unwrap();
        assert_eq!(events.len(), 1);
    }

    #[test]
    fn mutated_batches_are_an_error_or_events_never_a_panic() {
        let scenario =
            monscope_core::scenario::parse(library::get("client-writes").unwrap()).unwrap();
        let trace = run_until(&scenario, 8 * monscope_core::time::SEC)
            .trace
            .to_vec();
        let mut encoder = Encoder::new();
        let mut batch = Vec::new();
        for part in trace.chunks(150) {
            let mut raw = Vec::new();
            encoder.encode(part, &mut raw);
            write_chunk(&raw, &mut batch);
        }
        let mut rng = monscope_core::sim::rng::Pcg32::new(0x2545_f491);
        let mut next = || rng.next_u32() as usize;
        let (mut refused, mut read) = (0, 0);
        for i in 0..600 {
            let mut bad = batch.clone();
            for _ in 0..=next() % 3 {
                let at = next() % bad.len();
                match i % 3 {
                    // Often the headers: a length of gigabytes, a chunk past the end.
                    0 => bad[at % 8] = next() as u8,
                    1 => bad[at] ^= 1 << (next() % 8),
                    _ => bad.truncate(at),
                }
            }
            let bad: Rc<[u8]> = bad.into();
            let (mut at, mut decoder) = (0, Decoder::new());
            let mut packed = Packed::default();
            while at < bad.len() {
                match read_chunk(&bad, &mut at, &mut decoder) {
                    Ok((events, source)) => packed.push_block(events, source),
                    Err(e) => {
                        assert!(e.starts_with("a ") || e.starts_with("the trace"), "{e}");
                        refused += 1;
                        break;
                    }
                }
            }
            read += 1;
            // What was kept reads back.
            let n = packed.len();
            packed.each(0, n, |_, _| {});
            assert!(packed.get(n).is_none());
        }
        assert!(refused > 150, "{refused} of {read} refused");
    }
}
