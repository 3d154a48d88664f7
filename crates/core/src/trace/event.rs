//! Trace events. The simulator records a `Vec<Event>` in the order things
//! happened; a finished run keeps them compactly ([`super::compact::Trace`]).

use crate::mon::logline::LogLine;
use crate::mon::messages::{ClientOp, ClientResult, Message};
use crate::mon::out::Timer;
use crate::mon::status::MonStatus;
use crate::mon::Version;
use crate::time::Time;
use crate::trace::properties::Property;
use crate::trace::store_tx::StoreTx;
use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;
use std::sync::Arc;

/// Index of a node in the run's node table ([`crate::sim::Run::nodes`]):
/// monitors first, in monmap order, then the client.
pub type NodeId = u32;
/// A message's id, unique within a run, in send order. 32 bits: a run
/// sends far fewer than 2³² messages (its budget stops it long before),
/// and 4 bytes keep a `Send` event within the common kinds' size.
pub type MsgId = u32;
/// A node id where an event keeps it in one byte (a send's ends, a client
/// request's target): a run has at most 15 monitors and its client, and
/// the byte lets a `Send` keep its whole arrival time within 24 bytes.
/// Read as a [`NodeId`] with `NodeId::from`; a trace read from elsewhere
/// (an import, the binary form) with a node past 255 there is refused.
pub type SmallNode = u8;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum DropReason {
    /// The network lost it (`loss`).
    Loss,
    /// The receiver was down when it arrived.
    Down,
    /// The receiver reset every connection (Messenger::mark_down_all) or
    /// restarted after it was sent, or the sender closed the connection
    /// that held it.
    Reset,
}

impl DropReason {
    pub fn name(self) -> &'static str {
        match self {
            DropReason::Loss => "lost",
            DropReason::Down => "receiver down",
            DropReason::Reset => "connection reset",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    pub at: Time,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// 24 bytes natively, its tag included (an [`Event`] 32 with its time): a
/// message's id is 32 bits and a send's ends one byte each
/// ([`SmallNode`]), a store transaction one pointer ([`StoreTx`]), an
/// armed timer one word ([`TimerCode`]), a log line 16 bytes
/// ([`LogLine`]), a commit's value is not kept, the texts of the rare
/// kinds are boxed (a client's reply's with its result, [`ClientAnswer`];
/// an expectation's behind one pointer, [`ThinStr`]) and a client
/// request's text is made from its `op` when shown, so that no kind is
/// larger than the common ones. A trace holds millions of events.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// A message left `from`; it reaches `to` at `arrive_at` unless dropped
    /// (the outcome is a later `Deliver` or `Drop` event at `arrive_at`).
    /// The message is shared with the one in flight, not copied.
    Send {
        id: MsgId,
        from: SmallNode,
        to: SmallNode,
        arrive_at: Time,
        msg: Arc<Message>,
    },
    Deliver {
        id: MsgId,
    },
    Drop {
        id: MsgId,
        reason: DropReason,
    },
    /// A cut link holds message `id` in its sender's TCP socket; it arrives
    /// at the first retransmission after the heal (a later `Deliver` there)
    /// or is lost with its connection (a later `Drop`).
    Hold {
        id: MsgId,
    },
    TimerSet {
        node: NodeId,
        /// The timer ([`TimerCode::timer`]).
        timer: TimerCode,
        fires_at: Time,
    },
    TimerCancel {
        node: NodeId,
        timer: Timer,
    },
    TimerFire {
        node: NodeId,
        timer: Timer,
    },
    /// A monitor's visible state changed; this is its whole new status
    /// (shared with the simulator's copy, so recording it copies nothing).
    Status {
        node: NodeId,
        status: Arc<MonStatus>,
    },
    /// A transaction was applied to a monitor's store (packed: its
    /// operations are [`StoreTx::ops`]).
    Store {
        node: NodeId,
        tx: StoreTx,
    },
    /// A monitor committed or learned paxos `version`; `value_hash` identifies the value.
    /// The value itself is not kept (the store transactions carry it): the
    /// simulator hands it to the fold beside the event
    /// ([`super::state::ClusterState::apply_valued`]).
    Commit {
        node: NodeId,
        version: Version,
        value_hash: u64,
    },
    /// A line of a monitor's log (formatted when shown, [`LogLine::text`]).
    Log {
        node: NodeId,
        text: LogLine,
    },
    /// A scenario statement took effect (its printed form and source line).
    Action {
        line: u32,
        text: Box<str>,
    },
    /// The client submitted request `tid` (`write k v` / `read k`), aimed at `target`.
    /// Its text (`write k=v`, [`ClientOp::text`]) is written only when shown;
    /// the JSON has it as `text`, between `tid` and `target`.
    #[serde(serialize_with = "client_request_json")]
    ClientRequest {
        tid: u64,
        target: Option<SmallNode>,
        /// The request itself.
        op: Arc<ClientOp>,
    },
    /// The client's request `tid` was answered by `from`. The JSON has
    /// the answer's `text` and `result` as fields of their own.
    #[serde(serialize_with = "client_reply_json")]
    ClientReply {
        tid: u64,
        from: NodeId,
        /// What the client printed, and the answer itself.
        answer: Arc<ClientAnswer>,
    },
    Note {
        text: Box<str>,
    },
    /// An expectation was checked.
    Expect {
        line: u32,
        text: ThinStr,
        pass: bool,
        actual: ThinStr,
    },
    /// A safety property was violated.
    Violation {
        text: Box<str>,
        /// Which one ([`Property`]).
        property: Property,
    },
    /// The run went past its budget ([`crate::sim::Budget`]) and stopped
    /// here; `text` says what ran away. It is the trace's last event.
    Overrun {
        text: Box<str>,
    },
}

// A kind that grows past 24 bytes makes every event of every trace 8
// bytes larger (the hour's trace by 38 MB, docs/performance.md): keep it
// out of the kind, as the ones above do.
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<EventKind>() == 24);
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<Event>() == 32);

/// A client's answer as the trace keeps it: the line the client printed
/// and the result (the version a write committed at, a read's value and
/// version), in one allocation so that a reply stays within an event.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientAnswer {
    pub text: Box<str>,
    pub result: ClientResult,
}

/// An armed timer in one word: its kind in the top byte, its argument (a
/// client request's tid, an elector's peer rank) in the low 56 bits. A
/// [`Timer`] is 16 bytes (its tag beside a `u64`), which would make a
/// `TimerSet` event 8 bytes larger than the others. A tid past 2⁵⁶ would
/// take 2⁵⁶ client requests, far past any run's budget (a trace read from
/// elsewhere with one is refused: [`TimerCode::try_new`]).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimerCode(u64);

const ARG_BITS: u32 = 56;
const ARG_MASK: u64 = (1 << ARG_BITS) - 1;

impl TimerCode {
    pub fn new(t: Timer) -> TimerCode {
        TimerCode::try_new(t).expect("a timer's argument within 56 bits")
    }

    /// None where the argument is past 56 bits.
    pub fn try_new(t: Timer) -> Option<TimerCode> {
        let (kind, arg) = timer_parts(t);
        (arg <= ARG_MASK).then_some(TimerCode((kind as u64) << ARG_BITS | arg))
    }

    /// Its kind and argument ([`timer_parts`]), read without the timer.
    pub fn parts(self) -> (u8, u64) {
        ((self.0 >> ARG_BITS) as u8, self.0 & ARG_MASK)
    }

    /// [`TimerCode::parts`] read back; None where they are no timer.
    pub fn of_parts(kind: u8, arg: u64) -> Option<TimerCode> {
        TimerCode::try_new(timer_of_parts(kind, arg)?)
    }

    pub fn timer(self) -> Timer {
        // Made by `try_new` from a timer, so its parts are one.
        timer_of_parts((self.0 >> ARG_BITS) as u8, self.0 & ARG_MASK).unwrap_or(Timer::Tick)
    }
}

/// A timer as its kind (a number the binary trace writes too) and its
/// argument: a tid, or a rank's 32 bits.
pub fn timer_parts(t: Timer) -> (u8, u64) {
    match t {
        Timer::ProbeTimeout => (0, 0),
        Timer::ElectionExpire => (1, 0),
        Timer::CollectTimeout => (2, 0),
        Timer::AcceptTimeout => (3, 0),
        Timer::LeaseRenew => (4, 0),
        Timer::LeaseAckTimeout => (5, 0),
        Timer::LeaseTimeout => (6, 0),
        Timer::ProposeTimer => (7, 0),
        Timer::SyncTimeout => (8, 0),
        Timer::Tick => (9, 0),
        Timer::Timecheck => (10, 0),
        Timer::MonmapProposeTimer => (11, 0),
        Timer::ClientRetry(tid) => (12, tid),
        Timer::ClientKeepalive(tid) => (13, tid),
        Timer::PingCheck(r) => (14, r as u32 as u64),
        Timer::DeadPing(r) => (15, r as u32 as u64),
        Timer::LogProposeTimer => (16, 0),
        Timer::HealthProposeTimer => (17, 0),
        Timer::HealthToClogTick => (18, 0),
        Timer::HealthToClogInterval => (19, 0),
        Timer::AuthProposeTimer => (20, 0),
        Timer::MdsProposeTimer => (21, 0),
        Timer::OsdProposeTimer => (22, 0),
    }
}

/// [`timer_parts`] read back; None for a kind past the last or a rank
/// past 32 bits.
pub fn timer_of_parts(kind: u8, arg: u64) -> Option<Timer> {
    let rank = || u32::try_from(arg).ok().map(|r| r as i32);
    Some(match kind {
        0 => Timer::ProbeTimeout,
        1 => Timer::ElectionExpire,
        2 => Timer::CollectTimeout,
        3 => Timer::AcceptTimeout,
        4 => Timer::LeaseRenew,
        5 => Timer::LeaseAckTimeout,
        6 => Timer::LeaseTimeout,
        7 => Timer::ProposeTimer,
        8 => Timer::SyncTimeout,
        9 => Timer::Tick,
        10 => Timer::Timecheck,
        11 => Timer::MonmapProposeTimer,
        12 => Timer::ClientRetry(arg),
        13 => Timer::ClientKeepalive(arg),
        14 => Timer::PingCheck(rank()?),
        15 => Timer::DeadPing(rank()?),
        16 => Timer::LogProposeTimer,
        17 => Timer::HealthProposeTimer,
        18 => Timer::HealthToClogTick,
        19 => Timer::HealthToClogInterval,
        20 => Timer::AuthProposeTimer,
        21 => Timer::MdsProposeTimer,
        22 => Timer::OsdProposeTimer,
        _ => return None,
    })
}

impl From<Timer> for TimerCode {
    fn from(t: Timer) -> TimerCode {
        TimerCode::new(t)
    }
}

impl std::fmt::Debug for TimerCode {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.timer(), f)
    }
}

/// The JSON is the timer's, as when the event held a [`Timer`].
impl Serialize for TimerCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.timer().serialize(s)
    }
}

/// A rare kind's text behind one pointer (8 bytes, where a `Box<str>` is
/// 16): a client's reply and an expectation would otherwise make every
/// event larger. Reads as a `str`; the JSON is the text.
#[derive(Clone, PartialEq, Eq)]
pub struct ThinStr(Box<Box<str>>);

impl std::ops::Deref for ThinStr {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<String> for ThinStr {
    fn from(s: String) -> Self {
        ThinStr(Box::new(s.into_boxed_str()))
    }
}

impl From<&str> for ThinStr {
    fn from(s: &str) -> Self {
        ThinStr(Box::new(s.into()))
    }
}

impl From<Box<str>> for ThinStr {
    fn from(s: Box<str>) -> Self {
        ThinStr(Box::new(s))
    }
}

impl std::fmt::Debug for ThinStr {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

impl std::fmt::Display for ThinStr {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(self)
    }
}

impl Serialize for ThinStr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self)
    }
}

/// A `ClientReply` as JSON: its fields, the answer's text and result among
/// them as when they were fields of the event.
fn client_reply_json<S: Serializer>(
    tid: &u64,
    from: &NodeId,
    answer: &Arc<ClientAnswer>,
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut st = s.serialize_struct("ClientReply", 4)?;
    st.serialize_field("tid", tid)?;
    st.serialize_field("from", from)?;
    st.serialize_field("text", &*answer.text)?;
    st.serialize_field("result", &answer.result)?;
    st.end()
}

/// A `ClientRequest` as JSON: its fields, and its text where it was a field.
fn client_request_json<S: Serializer>(
    tid: &u64,
    target: &Option<SmallNode>,
    op: &Arc<ClientOp>,
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut st = s.serialize_struct("ClientRequest", 4)?;
    st.serialize_field("tid", tid)?;
    st.serialize_field("text", &op.text())?;
    st.serialize_field("target", target)?;
    st.serialize_field("op", op)?;
    st.end()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The const assertions above, as a test that names the sizes.
    #[cfg(target_pointer_width = "64")]
    #[test]
    fn an_event_is_32_bytes_and_every_kind_24() {
        assert_eq!(std::mem::size_of::<EventKind>(), 24);
        assert_eq!(std::mem::size_of::<Event>(), 32);
        assert_eq!(std::mem::size_of::<LogLine>(), 16);
        assert_eq!(std::mem::size_of::<TimerCode>(), 8);
    }

    #[test]
    fn a_timer_code_reads_back_as_its_timer() {
        let mut timers: Vec<Timer> = (0..=22).filter_map(|k| timer_of_parts(k, 0)).collect();
        assert_eq!(timers.len(), 23);
        timers.extend([
            Timer::ClientRetry(7),
            Timer::ClientKeepalive(ARG_MASK),
            Timer::PingCheck(-1),
            Timer::PingCheck(i32::MAX),
            Timer::DeadPing(i32::MIN),
        ]);
        for t in timers {
            assert_eq!(TimerCode::new(t).timer(), t);
            assert_eq!(timer_of_parts(timer_parts(t).0, timer_parts(t).1), Some(t));
        }
        assert!(TimerCode::try_new(Timer::ClientRetry(ARG_MASK + 1)).is_none());
        assert_eq!(timer_of_parts(23, 0), None);
    }
}
