//! A finished run's trace ([`crate::sim::run::Run::trace`]), kept compactly
//! and decoded as it is read. As a `Vec<Event>` every event was 32 bytes,
//! half of what the one-hour bench held, and a third of that hour was the
//! kernel giving the trace new pages (docs/performance.md, `trace15`).
//!
//! The common kinds are a head byte (the kind, and whether the time moved),
//! the time's delta, and their numbers as LEB128 ([`uint`]): a message id
//! as its distance from the last send's, a timer's or arrival's time from
//! the event's, a status's paxos fields. What they share with the
//! simulator (a message, a store transaction, a status's names) and a log
//! line are kept beside the bytes as they are, not copied (unlike the
//! page's [`crate::trace::binary`] form, which writes them out); the rare
//! kinds are kept whole. About 15 bytes an event with what is beside them.
//!
//! Its functions, and [`crate::sim::run`]'s, are `#[inline]`: then only the
//! crates that run a whole run (the CLI, the tests) compile them. The page
//! never does, and with them compiled into the core the page's module came
//! out 261 bytes larger gzipped (an event's drop glue no longer inlined).

use crate::mon::logline::LogLine;
use crate::mon::messages::Message;
use crate::mon::status::{MonStatus, PaxosState, PaxosStatus, StatusNames};
use crate::time::Time;
use crate::trace::binary::Reader;
use crate::trace::blocks::{Blocks, ByteBlocks, Room};
use crate::trace::event::{timer_of_parts, timer_parts};
use crate::trace::store_tx::StoreTx;
use crate::trace::{DropReason, Event, EventKind, MsgId, TimerCode};
use std::sync::Arc;

/// Events in the order they happened.
#[derive(Clone, Default)]
pub struct Trace {
    /// In blocks, as the side lists: never copied as they grow.
    bytes: ByteBlocks,
    msgs: Blocks<Arc<Message>>,
    /// A status's names where they are not its monitor's last status's.
    names: Blocks<Arc<StatusNames>>,
    /// Each monitor's last status's names (a node under 256).
    last_names: Vec<Option<Arc<StatusNames>>>,
    txs: Blocks<StoreTx>,
    logs: Blocks<LogLine>,
    /// The rare kinds, whole.
    other: Vec<Event>,
    len: usize,
    /// The last event's time.
    at: Time,
    /// The id after the last send's.
    next_id: MsgId,
}

// A head byte's kinds.
const SEND: u8 = 0;
const DELIVER: u8 = 1;
const DROP: u8 = 2;
const HOLD: u8 = 3;
const TIMER_SET: u8 = 4;
const TIMER_CANCEL: u8 = 5;
const TIMER_FIRE: u8 = 6;
const STATUS: u8 = 7;
const STORE: u8 = 8;
const COMMIT: u8 = 9;
const LOG: u8 = 10;
const OTHER: u8 = 11;
/// In a head byte: the time moved, its delta follows.
const LATER: u8 = 0x80;
/// In a status's head byte: its names are its monitor's last status's.
const SAME_NAMES: u8 = 0x40;
/// The most bytes an event takes (a `TimerSet` or `Commit`: the head, its
/// time's delta and its numbers, each LEB128 of up to 10 bytes).
const MAX_BYTES: usize = 48;

impl Trace {
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Append `ev`. Times and ids may go anywhere (a delta wraps), but a
    /// run's go forward and its deltas are a byte or two.
    #[inline]
    pub fn push(&mut self, ev: Event) {
        let b = &mut self.bytes.room(MAX_BYTES);
        self.len += 1;
        let dt = ev.at.wrapping_sub(self.at);
        self.at = ev.at;
        let head = |b: &mut Room, kind: u8| {
            if dt == 0 {
                b.push(kind);
            } else {
                b.push(kind | LATER);
                uint(b, dt);
            }
        };
        match ev.kind {
            EventKind::Send {
                id,
                from,
                to,
                arrive_at,
                msg,
            } => {
                head(b, SEND);
                uint(b, id.wrapping_sub(self.next_id) as u64);
                self.next_id = id.wrapping_add(1);
                b.extend_from_slice(&[from, to]);
                uint(b, arrive_at.wrapping_sub(ev.at));
                self.msgs.push(msg);
            }
            EventKind::Deliver { id } => {
                head(b, DELIVER);
                uint(b, self.next_id.wrapping_sub(id) as u64);
            }
            EventKind::Drop { id, reason } => {
                head(b, DROP);
                uint(b, self.next_id.wrapping_sub(id) as u64);
                b.push(reason as u8);
            }
            EventKind::Hold { id } => {
                head(b, HOLD);
                uint(b, self.next_id.wrapping_sub(id) as u64);
            }
            EventKind::TimerSet {
                node,
                timer,
                fires_at,
            } => {
                head(b, TIMER_SET);
                uint(b, node as u64);
                let (kind, arg) = timer.parts();
                b.push(kind);
                uint(b, arg);
                uint(b, fires_at.wrapping_sub(ev.at));
            }
            EventKind::TimerCancel { node, timer } | EventKind::TimerFire { node, timer } => {
                let fire = matches!(ev.kind, EventKind::TimerFire { .. });
                head(b, if fire { TIMER_FIRE } else { TIMER_CANCEL });
                uint(b, node as u64);
                let (kind, arg) = timer_parts(timer);
                b.push(kind);
                uint(b, arg);
            }
            EventKind::Status { node, status } => {
                // Its paxos fields as numbers (a status is 56 bytes and an
                // allocation of its own, changed every round); its names,
                // shared, kept once a change of them.
                let last = last_names(&mut self.last_names, node);
                let same = match &last {
                    Some(Some(n)) => Arc::ptr_eq(n, &status.names),
                    _ => false,
                };
                head(b, if same { STATUS | SAME_NAMES } else { STATUS });
                uint(b, node as u64);
                let p = &status.paxos;
                b.push(p.state as u8);
                uint(b, p.first_committed);
                uint(b, p.last_committed.wrapping_sub(p.first_committed));
                let lease = p.lease_expire.wrapping_sub(ev.at) as i64;
                uint(b, ((lease << 1) ^ (lease >> 63)) as u64);
                if !same {
                    if let Some(last) = last {
                        *last = Some(status.names.clone());
                    }
                    self.names.push(status.names.clone());
                }
            }
            EventKind::Store { node, tx } => {
                head(b, STORE);
                uint(b, node as u64);
                self.txs.push(tx);
            }
            EventKind::Commit {
                node,
                version,
                value_hash,
            } => {
                head(b, COMMIT);
                uint(b, node as u64);
                uint(b, version);
                b.extend_from_slice(&value_hash.to_le_bytes());
            }
            EventKind::Log { node, text } => {
                head(b, LOG);
                uint(b, node as u64);
                self.logs.push(text);
            }
            kind => {
                head(b, OTHER);
                self.other.push(Event { at: ev.at, kind });
            }
        }
    }

    /// Its events, decoded one at a time (what they share is shared, not copied).
    #[inline]
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            trace: self,
            r: Reader::new(&[]),
            block: None,
            left: self.len,
            at: 0,
            next_id: 0,
            cursors: [0; 5],
            last_names: Vec::new(),
        }
    }

    /// The events of the rare kinds (actions, client requests and replies,
    /// notes, expectations, violations, an overrun) as they are, in order:
    /// what a reader of verdicts or answers wants, without decoding the rest.
    #[inline]
    pub fn rare(&self) -> &[Event] {
        &self.other
    }

    /// Its events, decoded, for a reader that wants them all at once.
    #[inline]
    pub fn to_vec(&self) -> Vec<Event> {
        let mut v = Vec::with_capacity(self.len);
        v.extend(self.iter());
        v
    }

    /// Give back the room left by growing.
    #[inline]
    pub fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
        self.msgs.shrink_to_fit();
        self.names.shrink_to_fit();
        self.txs.shrink_to_fit();
        self.logs.shrink_to_fit();
        self.other.shrink_to_fit();
    }
}

/// `v` as a LEB128 varint, as [`crate::trace::binary::uint`] writes it.
#[inline]
fn uint(b: &mut Room, mut v: u64) {
    while v >= 0x80 {
        b.push(v as u8 | 0x80);
        v >>= 7;
    }
    b.push(v as u8);
}

/// Node `node`'s last status's names, where it is one of the first 256
/// (the rest are always written out: a cluster has a handful).
fn last_names(
    last: &mut Vec<Option<Arc<StatusNames>>>,
    node: u32,
) -> Option<&mut Option<Arc<StatusNames>>> {
    let i = node as usize;
    if i >= 256 {
        return None;
    }
    if last.len() <= i {
        last.resize(i + 1, None);
    }
    last.get_mut(i)
}

/// A [`Trace`]'s events in order.
pub struct Iter<'a> {
    trace: &'a Trace,
    /// In the current block of bytes.
    r: Reader<'a>,
    /// The current block's number and length (None before the first).
    block: Option<(usize, usize)>,
    left: usize,
    at: Time,
    next_id: MsgId,
    /// The next message, status, transaction, log line and rare event.
    cursors: [usize; 5],
    /// As [`Trace::last_names`], so far.
    last_names: Vec<Option<Arc<StatusNames>>>,
}

impl Iter<'_> {
    /// The next item of side list `c`.
    #[inline]
    fn take<T: Clone>(&mut self, list: &Blocks<T>, c: usize) -> Option<T> {
        let v = list.get(self.cursors[c])?.clone();
        self.cursors[c] += 1;
        Some(v)
    }

    #[inline]
    fn id(&mut self) -> Option<MsgId> {
        Some(self.next_id.wrapping_sub(self.r.uint()? as MsgId))
    }

    #[inline]
    fn node(&mut self) -> Option<u32> {
        Some(self.r.uint()? as u32)
    }

    /// The next event; None past the end (a trace reads back what was
    /// pushed, so nothing else is).
    #[inline]
    fn event(&mut self) -> Option<Event> {
        let t = self.trace;
        let head = self.r.byte()?;
        if head & LATER != 0 {
            self.at = self.at.wrapping_add(self.r.uint()?);
        }
        let at = self.at;
        const SAME_NAMES_STATUS: u8 = STATUS | SAME_NAMES;
        let kind = match head & !LATER {
            SEND => {
                let id = self.next_id.wrapping_add(self.r.uint()? as MsgId);
                self.next_id = id.wrapping_add(1);
                let (from, to) = (self.r.byte()?, self.r.byte()?);
                let arrive_at = at.wrapping_add(self.r.uint()?);
                let msg = self.take(&t.msgs, 0)?;
                EventKind::Send {
                    id,
                    from,
                    to,
                    arrive_at,
                    msg,
                }
            }
            DELIVER => EventKind::Deliver { id: self.id()? },
            DROP => {
                let id = self.id()?;
                let reason = match self.r.byte()? {
                    0 => DropReason::Loss,
                    1 => DropReason::Down,
                    _ => DropReason::Reset,
                };
                EventKind::Drop { id, reason }
            }
            HOLD => EventKind::Hold { id: self.id()? },
            TIMER_SET => {
                let node = self.node()?;
                let kind = self.r.byte()?;
                let timer = TimerCode::of_parts(kind, self.r.uint()?)?;
                let fires_at = at.wrapping_add(self.r.uint()?);
                EventKind::TimerSet {
                    node,
                    timer,
                    fires_at,
                }
            }
            k @ (TIMER_CANCEL | TIMER_FIRE) => {
                let node = self.node()?;
                let kind = self.r.byte()?;
                let timer = timer_of_parts(kind, self.r.uint()?)?;
                if k == TIMER_FIRE {
                    EventKind::TimerFire { node, timer }
                } else {
                    EventKind::TimerCancel { node, timer }
                }
            }
            k @ (STATUS | SAME_NAMES_STATUS) => {
                let node = self.node()?;
                let state = *PaxosState::ALL.get(self.r.byte()? as usize)?;
                let first_committed = self.r.uint()?;
                let last_committed = first_committed.wrapping_add(self.r.uint()?);
                let lease = self.r.uint()?;
                let lease = (lease >> 1) as i64 ^ -((lease & 1) as i64);
                let names = if k == SAME_NAMES_STATUS {
                    last_names(&mut self.last_names, node).and_then(|l| l.clone())?
                } else {
                    let n = self.take(&t.names, 1)?;
                    if let Some(last) = last_names(&mut self.last_names, node) {
                        *last = Some(n.clone());
                    }
                    n
                };
                let paxos = PaxosStatus {
                    state,
                    first_committed,
                    last_committed,
                    lease_expire: at.wrapping_add(lease as u64),
                };
                EventKind::Status {
                    node,
                    status: Arc::new(MonStatus { paxos, names }),
                }
            }
            STORE => EventKind::Store {
                node: self.node()?,
                tx: self.take(&t.txs, 2)?,
            },
            COMMIT => {
                let node = self.node()?;
                let version = self.r.uint()?;
                let value_hash = self.r.u64_le()?;
                EventKind::Commit {
                    node,
                    version,
                    value_hash,
                }
            }
            LOG => EventKind::Log {
                node: self.node()?,
                text: self.take(&t.logs, 3)?,
            },
            _ => {
                let ev = t.other.get(self.cursors[4])?.clone();
                self.cursors[4] += 1;
                return Some(ev);
            }
        };
        Some(Event { at, kind })
    }
}

impl Iterator for Iter<'_> {
    type Item = Event;

    #[inline]
    fn next(&mut self) -> Option<Event> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        // An event's bytes are whole in one block: at a block's end, the next.
        while self.block.is_none_or(|(_, len)| self.r.at == len) {
            let i = self.block.map_or(0, |(i, _)| i + 1);
            let b = self.trace.bytes.block(i)?;
            self.r = Reader::new(b);
            self.block = Some((i, b.len()));
        }
        self.event()
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a Trace {
    type Item = Event;
    type IntoIter = Iter<'a>;
    #[inline]
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl Extend<Event> for Trace {
    /// Not inlined: [`crate::sim::run::run_shared`] calls it once a step
    /// (4,096 items), and a wasm engine swaps its faster code for a
    /// function in only at the next call (`Sim::run_some` says why). Inlined
    /// into `run_shared`, called once a run, the encoding ran in V8's
    /// baseline code for the whole run (docs/performance.md,
    /// `wasmtrace16`). Generic, so still compiled only where it is called.
    #[inline(never)]
    fn extend<I: IntoIterator<Item = Event>>(&mut self, events: I) {
        for ev in events {
            self.push(ev);
        }
    }
}

impl FromIterator<Event> for Trace {
    #[inline]
    fn from_iter<I: IntoIterator<Item = Event>>(events: I) -> Trace {
        let mut t = Trace::default();
        t.extend(events);
        t
    }
}

impl std::fmt::Debug for Trace {
    #[inline]
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mon::out::Timer;
    use crate::scenario::{library, parse};
    use crate::sim::Sim;

    /// Every built-in scenario's events read back as the simulator made them.
    #[test]
    fn every_built_in_scenarios_events_read_back_as_they_were() {
        for (stem, text) in library::BUILTIN {
            let s = parse(text).unwrap();
            let mut sim = Sim::new(&s);
            sim.run_until(s.end);
            let events = sim.trace().to_vec();
            let t: Trace = events.iter().cloned().collect();
            assert_eq!(t.len(), events.len(), "{stem}");
            assert!(t.to_vec() == events, "{stem}");
            let rare: Vec<&Event> = events.iter().filter(|e| kind_of(e) == OTHER).collect();
            assert!(t.rare().iter().eq(rare), "{stem}");
        }
    }

    fn kind_of(ev: &Event) -> u8 {
        let mut t = Trace::default();
        t.push(ev.clone());
        t.bytes.block(0).unwrap()[0] & !LATER
    }

    /// A trace past a block of bytes and of each side list reads back whole
    /// (the blocks are crossed between two events).
    #[test]
    fn a_trace_of_many_blocks_reads_back() {
        let (_, text) = library::BUILTIN[0];
        let s = parse(text).unwrap();
        let mut sim = Sim::new(&s);
        sim.run_until(s.end);
        let one = sim.trace().to_vec();
        let mut events = Vec::new();
        let mut t = Trace::default();
        while t.bytes.block(2).is_none() || t.msgs.len() < 40_000 {
            events.extend(one.iter().cloned());
            t.extend(one.iter().cloned());
        }
        assert_eq!(t.len(), events.len());
        assert!(t.to_vec() == events);
    }

    /// Times that go back, ids out of order and numbers at their limits
    /// (an import's events, or a hand-made trace) read back too.
    #[test]
    fn any_times_ids_and_numbers_read_back() {
        let events = vec![
            Event {
                at: u64::MAX,
                kind: EventKind::Deliver { id: u32::MAX },
            },
            Event {
                at: 5,
                kind: EventKind::Drop {
                    id: 7,
                    reason: DropReason::Reset,
                },
            },
            Event {
                at: 5,
                kind: EventKind::Hold { id: 0 },
            },
            Event {
                at: 0,
                kind: EventKind::TimerSet {
                    node: u32::MAX,
                    timer: TimerCode::new(Timer::ClientRetry((1 << 56) - 1)),
                    fires_at: 0,
                },
            },
            Event {
                at: 3,
                kind: EventKind::TimerFire {
                    node: 2,
                    timer: Timer::DeadPing(i32::MIN),
                },
            },
            Event {
                at: 3,
                kind: EventKind::TimerCancel {
                    node: 2,
                    timer: Timer::PingCheck(-1),
                },
            },
            Event {
                at: 9,
                kind: EventKind::Commit {
                    node: 1,
                    version: u64::MAX,
                    value_hash: 0x0123_4567_89ab_cdef,
                },
            },
            Event {
                at: 1,
                kind: EventKind::Note { text: "n".into() },
            },
            Event {
                at: u64::MAX,
                kind: EventKind::Log {
                    node: 0,
                    text: LogLine::Static(&"bootstrap"),
                },
            },
        ];
        // Statuses: names repeated by one monitor and changed by another,
        // a node past 255, no lease and one long past.
        let mut events = events;
        let down = Arc::new(MonStatus::down(1));
        let mut active = MonStatus::down(1);
        active.paxos = PaxosStatus {
            state: PaxosState::Shutdown,
            first_committed: u64::MAX,
            last_committed: 3,
            lease_expire: 2,
        };
        let active = Arc::new(active);
        for (at, node, status) in [
            (10, 1, &down),
            (u64::MAX, 1, &down),
            (11, 2, &active),
            (11, 1, &active),
            (12, 1, &active),
            (12, 300, &active),
            (13, 300, &active),
            (14, 2, &down),
        ] {
            events.push(Event {
                at,
                kind: EventKind::Status {
                    node,
                    status: status.clone(),
                },
            });
        }
        let t: Trace = events.iter().cloned().collect();
        assert!(t.to_vec() == events);
        assert_eq!(t.iter().len(), events.len());
        assert_eq!(t.names.len(), 6, "a monitor's repeated names are kept once");
        assert!(Trace::default().iter().next().is_none());
    }
}
