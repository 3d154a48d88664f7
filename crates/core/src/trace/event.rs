//! Trace events. A run's trace is a `Vec<Event>` in the order things happened.

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

/// 32 bytes natively (an [`Event`] 40 with its time): a message's id is
/// 32 bits, a store transaction one pointer ([`StoreTx`]), a commit's
/// value is not kept, the texts of the rare kinds (a client's reply, an
/// expectation) are behind one pointer ([`ThinStr`]) and a client
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
        from: NodeId,
        to: NodeId,
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
        timer: Timer,
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
        text: String,
    },
    /// The client submitted request `tid` (`write k v` / `read k`), aimed at `target`.
    /// Its text (`write k=v`, [`ClientOp::text`]) is written only when shown;
    /// the JSON has it as `text`, between `tid` and `target`.
    #[serde(serialize_with = "client_request_json")]
    ClientRequest {
        tid: u64,
        target: Option<NodeId>,
        /// The request itself.
        op: Arc<ClientOp>,
    },
    /// The client's request `tid` was answered by `from`.
    ClientReply {
        tid: u64,
        from: NodeId,
        text: ThinStr,
        /// The answer itself (the version a write committed at, a read's value and version).
        result: Arc<ClientResult>,
    },
    Note {
        text: String,
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
        text: String,
        /// Which one ([`Property`]).
        property: Property,
    },
    /// The run went past its budget ([`crate::sim::Budget`]) and stopped
    /// here; `text` says what ran away. It is the trace's last event.
    Overrun {
        text: String,
    },
}

// A kind that grows past 32 bytes makes every event of every trace 8
// bytes larger (the hour's trace by 38 MB, docs/performance.md): keep it
// out of the kind, as the ones above do.
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<EventKind>() == 32);

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

/// A `ClientRequest` as JSON: its fields, and its text where it was a field.
fn client_request_json<S: Serializer>(
    tid: &u64,
    target: &Option<NodeId>,
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
