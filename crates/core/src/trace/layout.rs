//! The space-time layout shared by the page's timeline and the static SVG
//! export (`svg.rs`): message flights, the visible window, tick steps, where
//! an arrow starts and ends, and which arrow or mark is nearest a point.
//! Computed once here; the two drawers only turn it into pixels.

use super::{DropReason, Event, EventKind, MsgId, NodeId};
use crate::mon::vecmap::VecMap;
use crate::time::{Time, MS, SEC};

/// One message's flight, from its `Send` to its `Deliver` or `Drop`.
#[derive(Clone, Debug, PartialEq)]
pub struct Flight {
    pub id: MsgId,
    /// Index of the `Send` event in the trace.
    pub ev: usize,
    pub from: NodeId,
    pub to: NodeId,
    pub sent: Time,
    /// When it would arrive.
    pub arrive: Time,
    /// When its flight ended (delivered or dropped); `arrive` if the run ended first.
    pub end: Time,
    pub dropped: Option<DropReason>,
    /// A cut link held it in its sender's TCP socket: it arrives (or is
    /// lost) long after `sent`, when `end` says; `arrive` is that moment too.
    pub held: bool,
    pub protocol: &'static str,
    pub op: &'static str,
}

impl Flight {
    /// Where along its path the message is at `t`: 0 at the sender, 1 at the receiver.
    pub fn progress(&self, t: Time) -> f64 {
        let span = self.arrive.saturating_sub(self.sent).max(1) as f64;
        let at = t.clamp(self.sent, self.end);
        (at - self.sent) as f64 / span
    }

    /// How its flight ended, in words, times written by `secs`: the one
    /// wording of the timeline, the SVG export and the details panel.
    pub fn outcome(&self, secs: fn(Time) -> String) -> String {
        let how = match (self.dropped, self.held) {
            (Some(d), _) => return format!("dropped at {}: {}", secs(self.end), d.name()),
            (None, true) => "held by the cut link's TCP connection",
            (None, false) => "in the air",
        };
        if self.end == Time::MAX {
            format!("{how}, not delivered yet")
        } else if self.end < self.arrive {
            format!("{how} when the run ended")
        } else if self.held {
            format!("{how}, delivered at {}", secs(self.end))
        } else {
            format!("delivered at {}", secs(self.end))
        }
    }

    /// Where its arrow ends, as a fraction of the way from the sender's lane
    /// to the receiver's: 1 when delivered, short of it when dropped.
    pub fn reach(&self) -> f64 {
        crate::fixed::clamp(self.progress(self.end), 0.0, 1.0)
    }
}

/// Every flight of `trace` in send order, the index of each by message id,
/// and the longest flight (to find what is in the air at a time). Kept in
/// `L`: a vector here and in the SVG export, packed in the page (whose
/// one-hour run has a million flights, src/flights.rs).
pub struct Flights<L = Vec<Flight>> {
    pub list: L,
    pub of: MsgIndex,
    pub longest: Time,
}

/// Where [`Flights`] keeps its flights, in send order: appended to, and a
/// flight's outcome filled in when it happens.
pub trait FlightList {
    /// How many flights it holds.
    fn count(&self) -> usize;
    fn push(&mut self, f: Flight);
    fn get(&self, i: usize) -> Option<Flight>;
    fn set(&mut self, i: usize, f: Flight);
}

impl FlightList for Vec<Flight> {
    fn count(&self) -> usize {
        self.len()
    }
    fn push(&mut self, f: Flight) {
        Vec::push(self, f);
    }
    fn get(&self, i: usize) -> Option<Flight> {
        self.as_slice().get(i).cloned()
    }
    fn set(&mut self, i: usize, f: Flight) {
        if let Some(slot) = self.get_mut(i) {
            *slot = f;
        }
    }
}

/// Message id → index in [`Flights::list`]. Ids are dense (the simulator
/// counts its messages, an import numbers its arrows), so a vector indexed
/// by id; an id far past those seen (a hand-edited trace file) goes to a
/// sorted side list instead of growing the vector. A `BTreeMap` here was
/// about 6 kB of the page's wasm (docs/performance.md, "Transfer").
#[derive(Clone, Debug, Default)]
pub struct MsgIndex {
    dense: Vec<usize>,
    far: VecMap<MsgId, usize>,
}

impl MsgIndex {
    const NONE: usize = usize::MAX;
    /// Ids below this many go to the vector (it may double, or reach 2^20).
    fn reach(&self) -> MsgId {
        (2 * self.dense.len() as MsgId).max(1 << 20)
    }
    pub fn insert(&mut self, id: MsgId, i: usize) {
        if id < self.reach() {
            let at = id as usize;
            if at >= self.dense.len() {
                self.dense.resize(at + 1, Self::NONE);
            }
            self.dense[at] = i;
        } else {
            self.far.insert(id, i);
        }
    }
    pub fn get(&self, id: &MsgId) -> Option<&usize> {
        let dense = (*id < self.dense.len() as MsgId).then(|| &self.dense[*id as usize]);
        match dense {
            Some(i) if *i != Self::NONE => Some(i),
            _ => self.far.get(id),
        }
    }
}

impl Flights {
    pub fn of(trace: &[Event]) -> Flights {
        let mut flights: Flights = Flights::default();
        for (i, ev) in trace.iter().enumerate() {
            flights.push(i, ev);
        }
        // Still held when the trace ends: drawn up to its last event, short
        // of its receiver.
        let last = trace.last().map_or(0, |e| e.at);
        for f in flights.list.iter_mut().filter(|f| f.end == Time::MAX) {
            f.end = last.max(f.sent);
            f.arrive = f.end + 1;
            flights.longest = flights.longest.max(f.arrive - f.sent);
        }
        flights
    }

    pub fn in_window(&self, from: Time, to: Time) -> impl Iterator<Item = &Flight> + '_ {
        in_window(&self.list, self.longest, from, to)
    }
}

impl<L: Default> Default for Flights<L> {
    fn default() -> Self {
        Flights {
            list: L::default(),
            of: MsgIndex::default(),
            longest: 0,
        }
    }
}

impl<L: FlightList> Flights<L> {
    /// Start flight `f` (a `Send`, or an arrow of imported logs); returns it.
    /// One copy for both callers: the page's wasm carries it once.
    #[inline(never)]
    pub fn start(&mut self, f: Flight) -> Flight {
        self.of.insert(f.id, self.list.count());
        self.longest = self.longest.max(f.arrive.saturating_sub(f.sent));
        self.list.push(f.clone());
        f
    }

    /// Take in event `i` of the trace, the next after those taken in (the
    /// page builds its flights as the run is simulated): a `Send` starts a
    /// flight, a `Hold` says a cut link keeps it, a `Deliver` or `Drop` ends
    /// one. Returns the flight started. A held flight's end is `Time::MAX`
    /// until its `Deliver` or `Drop` is taken in.
    pub fn push(&mut self, i: usize, ev: &Event) -> Option<Flight> {
        let ended = |flights: &mut Self, id: &MsgId, change: &dyn Fn(&mut Flight)| {
            let j = *flights.of.get(id)?;
            let mut f = flights.list.get(j)?;
            change(&mut f);
            if f.end != Time::MAX {
                flights.longest = flights.longest.max(f.end.max(f.arrive) - f.sent);
            }
            flights.list.set(j, f);
            None
        };
        match &ev.kind {
            EventKind::Send {
                id,
                from,
                to,
                arrive_at,
                msg,
            } => Some(self.start(Flight {
                id: *id,
                ev: i,
                from: (*from).into(),
                to: (*to).into(),
                sent: ev.at,
                arrive: *arrive_at,
                end: *arrive_at,
                dropped: None,
                held: false,
                protocol: msg.protocol(),
                op: msg.op_name(),
            })),
            // Its end is not known yet: the Deliver or Drop tells.
            EventKind::Hold { id } => ended(self, id, &|f| {
                f.held = true;
                f.arrive = Time::MAX;
                f.end = Time::MAX;
            }),
            EventKind::Deliver { id } | EventKind::Drop { id, .. } => ended(self, id, &|f| {
                f.end = ev.at;
                if f.held {
                    f.arrive = ev.at;
                }
                if let EventKind::Drop { reason, .. } = &ev.kind {
                    f.dropped = Some(*reason);
                    if f.held {
                        // Lost with its connection: drawn falling half-way.
                        f.arrive = ev.at + (ev.at - f.sent);
                    }
                }
            }),
            _ => None,
        }
    }
}

/// The flights of `list` (in send order, none longer than `longest`) drawn
/// in the window `from..=to`: sent before its end and not over before its start.
pub fn in_window(
    list: &[Flight],
    longest: Time,
    from: Time,
    to: Time,
) -> impl Iterator<Item = &Flight> + '_ {
    let first = list.partition_point(|f| f.sent.saturating_add(longest) < from);
    let last = list.partition_point(|f| f.sent <= to);
    list[first..last.max(first)]
        .iter()
        .filter(move |f| f.end >= from)
}

/// A tick step giving at most about ten ticks over `span`.
pub fn tick_step(span: Time) -> Time {
    const STEPS: &[Time] = &[
        MS,
        2 * MS,
        5 * MS,
        10 * MS,
        20 * MS,
        50 * MS,
        100 * MS,
        200 * MS,
        500 * MS,
        SEC,
        2 * SEC,
        5 * SEC,
        10 * SEC,
        30 * SEC,
        60 * SEC,
        120 * SEC,
        300 * SEC,
    ];
    STEPS
        .iter()
        .copied()
        .find(|s| span / s <= 10)
        .unwrap_or(600 * SEC)
}

/// A time window drawn over `width` pixels, lanes `lane` pixels apart
/// starting at `top`: where a time and a lane go.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plot {
    pub from: Time,
    pub span: Time,
    pub width: f64,
    pub top: f64,
    pub lane: f64,
}

impl Plot {
    pub fn x(&self, t: Time) -> f64 {
        (t as f64 - self.from as f64) / self.span.max(1) as f64 * self.width
    }

    /// The middle of lane `i`.
    pub fn y(&self, i: usize) -> f64 {
        self.top + self.lane * (i as f64 + 0.5)
    }

    /// A flight's arrow: from its sender's lane at its send time to where it
    /// ended (the receiver's lane, or short of it when dropped).
    pub fn arrow(&self, f: &Flight) -> (f64, f64, f64, f64) {
        let (y0, y1) = (self.y(f.from as usize), self.y(f.to as usize));
        // Still held where the page has simulated so far: to the window's edge.
        let end = if f.end == Time::MAX {
            self.from + self.span
        } else {
            f.end
        };
        (self.x(f.sent), y0, self.x(end), y0 + (y1 - y0) * f.reach())
    }
}

/// Distance from point (px, py) to the segment (x0, y0)–(x1, y1).
pub fn to_segment(px: f64, py: f64, (x0, y0, x1, y1): (f64, f64, f64, f64)) -> f64 {
    let (dx, dy) = (x1 - x0, y1 - y0);
    let len2 = dx * dx + dy * dy;
    let k = if len2 > 0.0 {
        crate::fixed::clamp(((px - x0) * dx + (py - y0) * dy) / len2, 0.0, 1.0)
    } else {
        0.0
    };
    let (cx, cy) = (x0 + dx * k - px, y0 + dy * k - py);
    (cx * cx + cy * cy).sqrt()
}

/// Of `candidates` (a trace index and its distance from the pointer), the
/// nearest within `reach` pixels: what a click there picks.
pub fn nearest(candidates: impl Iterator<Item = (usize, f64)>, reach: f64) -> Option<usize> {
    candidates
        .filter(|&(_, d)| d <= reach)
        .fold(None, |best: Option<(usize, f64)>, (i, d)| match best {
            Some((_, bd)) if bd <= d => best,
            _ => Some((i, d)),
        })
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{library, parse};
    use crate::sim::run::run_until;

    fn run(stem: &str) -> Vec<Event> {
        let s = parse(library::get(stem).unwrap()).unwrap();
        run_until(&s, s.end).trace.to_vec()
    }

    #[test]
    fn the_message_index_finds_each_id_in_any_order_and_far_ones_too() {
        let mut m = MsgIndex::default();
        let ids = [5u32, 0, 3, 1 << 30, 2, u32::MAX, 7];
        for (i, &id) in ids.iter().enumerate() {
            m.insert(id, i);
        }
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(m.get(id), Some(&i), "{id}");
        }
        for absent in [1, 4, 6, 8, 1 << 20, 1 << 31] {
            assert_eq!(m.get(&absent), None, "{absent}");
        }
        m.insert(3, 99);
        assert_eq!(m.get(&3), Some(&99));
        assert!(m.dense.len() < 16 && m.far.len() == 2);
    }

    #[test]
    fn flights_end_where_their_message_was_delivered_or_dropped() {
        let trace = run("classic-broken-link");
        let f = Flights::of(&trace);
        // The cut a-b link holds what it carries from 20 s until its TCP
        // retransmission at 240 s: those arrows run from send to delivery.
        assert!(f.list.iter().any(|f| f.held
            && f.dropped.is_none()
            && f.end > f.sent + 200 * SEC
            && f.reach() == 1.0));
        for fl in &f.list {
            assert!(fl.sent <= fl.end && fl.end - fl.sent <= f.longest);
            let r = fl.reach();
            if fl.dropped.is_none() && fl.end == fl.arrive {
                assert_eq!(r, 1.0);
            }
            assert!((0.0..=1.0).contains(&r));
        }
        // Everything in a window overlaps it.
        let (from, to) = (20 * SEC, 21 * SEC);
        let shown: Vec<_> = f.in_window(from, to).collect();
        assert!(!shown.is_empty());
        assert!(shown.iter().all(|fl| fl.sent <= to && fl.end >= from));
        let all = f
            .list
            .iter()
            .filter(|fl| fl.sent <= to && fl.end >= from)
            .count();
        assert_eq!(shown.len(), all);
    }

    #[test]
    fn a_click_picks_the_nearest_arrow_not_the_first_one_drawn() {
        let plot = Plot {
            from: 0,
            span: 100 * MS,
            width: 1000.0,
            top: 0.0,
            lane: 20.0,
        };
        let mk = |ev, from, to, sent, end| Flight {
            id: ev as MsgId,
            ev,
            from,
            to,
            sent,
            arrive: end,
            end,
            dropped: None,
            held: false,
            protocol: "paxos",
            op: "ACCEPT",
        };
        // Two arrows into lane 0 that cross near their heads.
        let a = mk(1, 2, 0, 10 * MS, 20 * MS);
        let b = mk(2, 3, 0, 11 * MS, 20 * MS);
        let (x, y) = (plot.x(12 * MS), plot.y(2) - 6.0);
        let d = |f: &Flight| (f.ev, to_segment(x, y, plot.arrow(f)));
        assert_eq!(nearest([d(&b), d(&a)].into_iter(), 8.0), Some(1));
        assert_eq!(nearest([d(&a), d(&b)].into_iter(), 8.0), Some(1));
        // Far from both: nothing is picked (the click seeks).
        let far = |f: &Flight| (f.ev, to_segment(900.0, 5.0, plot.arrow(f)));
        assert_eq!(nearest([far(&a), far(&b)].into_iter(), 8.0), None);
    }

    #[test]
    fn ticks_are_about_ten_per_window() {
        for span in [MS, 37 * MS, SEC, 90 * SEC, 3600 * SEC] {
            let n = span / tick_step(span);
            assert!((1..=10).contains(&n), "{span}: {n}");
        }
    }
}
