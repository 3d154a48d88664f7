//! The page's message flights, packed (docs/performance.md, "The page"):
//! the one-hour run has about a million, which as [`Flight`]s (64 bytes
//! each in wasm, in a vector that doubled as it grew) were 67 MB of the
//! page's memory. Here a flight is 28 bytes (times as deltas from its send,
//! its protocol and op one byte naming a pair seen before), in chunks that
//! never move. A flight whose numbers do not fit (an event index past
//! 2^32, a flight of more than 71 minutes, a 256th kind) is kept whole on
//! the side. The views read flights by value ([`View`]).

use monscope_core::time::Time;
use monscope_core::trace::layout::{Flight, FlightList};
use monscope_core::trace::DropReason;

/// Flights per chunk (458 kB): the list grows a chunk at a time.
const CHUNK: usize = 1 << 14;
/// `arrive` or `end` not known yet (a held flight's).
const OPEN: u32 = u32::MAX;
/// The flight is kept whole in `Packed::wide`.
const WIDE: u8 = 0x80;
const HELD: u8 = 0x40;

#[derive(Clone, Copy)]
struct Small {
    /// `sent`, its low and high halves (a u64 would pad this to 32 bytes).
    sent: [u32; 2],
    id: u32,
    ev: u32,
    /// `arrive - sent` and `end - sent`, or OPEN for `Time::MAX`.
    arrive: u32,
    end: u32,
    from: u8,
    to: u8,
    /// Index in `Packed::kinds`.
    kind: u8,
    /// WIDE, HELD, and the drop reason: 0 none, else 1 + its index in `Packed::drops`.
    flags: u8,
}

#[derive(Default)]
pub struct Packed {
    chunks: Vec<Vec<Small>>,
    /// The (protocol, op) pairs seen, by address (each an op's static name).
    kinds: Vec<(&'static str, &'static str)>,
    drops: Vec<DropReason>,
    /// The flights that do not fit, by index, in index order.
    wide: Vec<(usize, Flight)>,
}

/// The index of `x` in `table`, added if new (None past 255 entries).
fn intern<T: Copy>(table: &mut Vec<T>, x: T, same: impl Fn(&T, &T) -> bool) -> Option<u8> {
    if let Some(i) = table.iter().position(|y| same(y, &x)) {
        return u8::try_from(i).ok();
    }
    let i = u8::try_from(table.len()).ok().filter(|&i| i < u8::MAX)?;
    table.push(x);
    Some(i)
}

fn same_str(a: &&'static str, b: &&'static str) -> bool {
    std::ptr::eq(a.as_ptr(), b.as_ptr()) && a.len() == b.len()
}

/// `t - sent` as a delta, OPEN for `Time::MAX`; None if it does not fit.
fn delta(t: Time, sent: Time) -> Option<u32> {
    match t {
        Time::MAX => Some(OPEN),
        _ => u32::try_from(t.checked_sub(sent)?)
            .ok()
            .filter(|&d| d != OPEN),
    }
}

impl Packed {
    /// `f` packed, or None if a number does not fit.
    fn pack(&mut self, f: &Flight) -> Option<Small> {
        let kind = intern(&mut self.kinds, (f.protocol, f.op), |a, b| {
            same_str(&a.0, &b.0) && same_str(&a.1, &b.1)
        })?;
        let dropped = match f.dropped {
            None => 0,
            Some(d) => 1 + intern(&mut self.drops, d, |a, b| a == b).filter(|&i| i < 63)?,
        };
        Some(Small {
            sent: [f.sent as u32, (f.sent >> 32) as u32],
            id: f.id,
            ev: u32::try_from(f.ev).ok()?,
            arrive: delta(f.arrive, f.sent)?,
            end: delta(f.end, f.sent)?,
            from: u8::try_from(f.from).ok()?,
            to: u8::try_from(f.to).ok()?,
            kind,
            flags: dropped | if f.held { HELD } else { 0 },
        })
    }

    fn small(&self, i: usize) -> Option<&Small> {
        self.chunks.get(i / CHUNK)?.get(i % CHUNK)
    }

    fn small_mut(&mut self, i: usize) -> Option<&mut Small> {
        self.chunks.get_mut(i / CHUNK)?.get_mut(i % CHUNK)
    }

    /// When flight `i` was sent.
    fn sent(&self, i: usize) -> Time {
        self.small(i)
            .map_or(0, |s| s.sent[0] as Time | (s.sent[1] as Time) << 32)
    }

    /// Keep `f` at `i` on the side (its slot says so).
    fn keep_wide(&mut self, i: usize, f: Flight) {
        match self.wide.binary_search_by_key(&i, |(j, _)| *j) {
            Ok(k) => self.wide[k].1 = f,
            Err(k) => self.wide.insert(k, (i, f)),
        }
    }

    fn unpack(&self, i: usize, s: &Small) -> Option<Flight> {
        if s.flags & WIDE != 0 {
            let k = self.wide.binary_search_by_key(&i, |(j, _)| *j).ok()?;
            return Some(self.wide[k].1.clone());
        }
        let sent = s.sent[0] as Time | (s.sent[1] as Time) << 32;
        let at = |d: u32| {
            if d == OPEN {
                Time::MAX
            } else {
                sent + d as Time
            }
        };
        let (protocol, op) = *self.kinds.get(s.kind as usize)?;
        let dropped = match s.flags & !(WIDE | HELD) {
            0 => None,
            d => Some(*self.drops.get(d as usize - 1)?),
        };
        Some(Flight {
            id: s.id as _,
            ev: s.ev as usize,
            from: s.from as _,
            to: s.to as _,
            sent,
            arrive: at(s.arrive),
            end: at(s.end),
            dropped,
            held: s.flags & HELD != 0,
            protocol,
            op,
        })
    }
}

impl FlightList for Packed {
    fn count(&self) -> usize {
        self.chunks
            .last()
            .map_or(0, |c| (self.chunks.len() - 1) * CHUNK + c.len())
    }

    fn push(&mut self, f: Flight) {
        let i = self.count();
        let sent = [f.sent as u32, (f.sent >> 32) as u32];
        let small = self.pack(&f).unwrap_or_else(|| {
            self.keep_wide(i, f);
            Small {
                sent,
                id: 0,
                ev: 0,
                arrive: 0,
                end: 0,
                from: 0,
                to: 0,
                kind: 0,
                flags: WIDE,
            }
        });
        match self.chunks.last_mut() {
            Some(c) if c.len() < CHUNK => c.push(small),
            _ => {
                let mut c = Vec::with_capacity(CHUNK);
                c.push(small);
                self.chunks.push(c);
            }
        }
    }

    fn get(&self, i: usize) -> Option<Flight> {
        self.unpack(i, self.small(i)?)
    }

    fn set(&mut self, i: usize, f: Flight) {
        if i >= self.count() {
            return;
        }
        let packed = self.pack(&f);
        let was_wide = self.small(i).is_some_and(|s| s.flags & WIDE != 0);
        match packed {
            Some(s) => {
                if was_wide {
                    if let Ok(k) = self.wide.binary_search_by_key(&i, |(j, _)| *j) {
                        self.wide.remove(k);
                    }
                }
                if let Some(slot) = self.small_mut(i) {
                    *slot = s;
                }
            }
            None => {
                if let Some(slot) = self.small_mut(i) {
                    slot.flags = WIDE;
                }
                self.keep_wide(i, f);
            }
        }
    }
}

/// The first `len` flights of a [`Packed`] list: what one model sees.
pub struct View<'a> {
    pub(crate) list: std::cell::Ref<'a, Packed>,
    pub(crate) len: usize,
}

impl View<'_> {
    /// Flights `from..to` (`to` at most the length).
    pub fn range(&self, from: usize, to: usize) -> impl Iterator<Item = Flight> + '_ {
        let to = to.min(self.len);
        (from.min(to)..to).filter_map(|i| self.list.get(i))
    }

    #[cfg(test)]
    pub fn iter(&self) -> impl Iterator<Item = Flight> + '_ {
        self.range(0, self.len)
    }

    /// The first index whose flight's send time does not satisfy `pred`,
    /// for flights partitioned by it (they are in send order).
    pub fn partition_point_sent(&self, pred: impl Fn(Time) -> bool) -> usize {
        let (mut lo, mut hi) = (0, self.len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if pred(self.list.sent(mid)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// The flights (none longer than `longest`) drawn in the window
    /// `from..=to`: as [`monscope_core::trace::layout::in_window`].
    pub fn in_window(
        &self,
        longest: Time,
        from: Time,
        to: Time,
    ) -> impl Iterator<Item = Flight> + '_ {
        let first = self.partition_point_sent(|sent| sent.saturating_add(longest) < from);
        let last = self.partition_point_sent(|sent| sent <= to);
        self.range(first, last.max(first))
            .filter(move |f| f.end >= from)
    }

    #[cfg(test)]
    pub fn to_vec(&self) -> Vec<Flight> {
        self.iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use monscope_core::scenario::library;
    use monscope_core::sim::run::run_until;
    use monscope_core::time::SEC;
    use monscope_core::trace::layout::Flights;
    use std::cell::RefCell;

    #[test]
    fn packed_flights_read_back_as_the_vector_of_flights() {
        for stem in ["classic-broken-link", "leader-failover", "peon-restart"] {
            let scenario = monscope_core::scenario::parse(library::get(stem).unwrap()).unwrap();
            let trace = run_until(&scenario, u64::MAX).trace.to_vec();
            let mut plain: Flights = Flights::default();
            let mut packed: Flights<Packed> = Flights::default();
            for (i, ev) in trace.iter().enumerate() {
                assert_eq!(plain.push(i, ev), packed.push(i, ev), "{stem} event {i}");
            }
            assert_eq!(plain.longest, packed.longest, "{stem}");
            let cell = RefCell::new(packed.list);
            let view = View {
                list: cell.borrow(),
                len: plain.list.len(),
            };
            assert_eq!(view.to_vec(), plain.list, "{stem}");
            for (from, to) in [(0, 5 * SEC), (20 * SEC, 45 * SEC), (0, Time::MAX)] {
                assert_eq!(
                    view.in_window(plain.longest, from, to).collect::<Vec<_>>(),
                    plain.in_window(from, to).cloned().collect::<Vec<_>>(),
                    "{stem} {from}..{to}"
                );
            }
        }
    }

    #[test]
    fn a_flight_that_does_not_fit_is_kept_whole() {
        let f = |id, sent, end| Flight {
            id,
            ev: 7,
            from: 1,
            to: 300,
            sent,
            arrive: end,
            end,
            dropped: Some(DropReason::Reset),
            held: true,
            protocol: "paxos",
            op: "BEGIN",
        };
        let mut list = Packed::default();
        let all = [
            f(1, 5, 9),
            f(u32::MAX, 5, Time::MAX),
            f(3, 1 << 40, (1 << 40) + 1),
        ];
        for (i, x) in all.iter().enumerate() {
            let mut x = x.clone();
            x.to = if i == 0 { 2 } else { 300 };
            list.push(x.clone());
            assert_eq!(list.get(i), Some(x));
        }
        assert_eq!(list.wide.len(), 2);
        // Filled in later: fits now, or no longer.
        let mut small = all[0].clone();
        small.to = 2;
        list.set(1, small.clone());
        assert_eq!((list.get(1), list.wide.len()), (Some(small), 1));
        let long = f(1, 5, 5 + (1 << 33));
        list.set(0, long.clone());
        assert_eq!((list.get(0), list.wide.len()), (Some(long), 2));
        assert_eq!(list.count(), 3);
        assert!(list.get(3).is_none());
    }
}
