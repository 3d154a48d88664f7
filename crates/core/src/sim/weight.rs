//! What an event weighs: about the bytes of its line of JSON (`monscope run
//! --json`, what the digest hashes), estimated from the lengths of what it
//! carries without writing it. The budget's byte limit counts these: a
//! 15-monitor elector's ping is about 5 kB of JSON where a timer's event is
//! 70 bytes, so a count of events alone let a long run of many monitors
//! write gigabytes.
//!
//! Only the events that carry something (a message, a store transaction, a
//! status) are weighed where the simulator makes them; every other event
//! counts [`EVENT`]. `tests/budget.rs` keeps the estimate within a fifth of
//! the real JSON of every built-in scenario.

use crate::mon::elector::{ConnectionReport, ConnectionTracker};
use crate::mon::messages::{ClientOp, ClientResult, MClientReply, MForward, Message};
use crate::trace::store_tx::StoreTx;
use crate::trace::EventKind;

/// An event that carries nothing long (a delivery, a timer, a log line's
/// event, a commit): its time, type and a few numbers.
pub const EVENT: u64 = 64;

/// A monitor's status: its state, epochs, quorum and paxos versions.
pub const STATUS: Weight = Weight {
    part: Part::Status,
    bytes: 300,
};

/// A `send` event without its message: its ids, times and nodes.
const SEND: u64 = 90;

/// A byte of a binary value: JSON writes it as a number and a comma
/// (`[2,0,0,24,229,...]`, 3.6 characters for bytes spread over 0–255).
const BINARY: u64 = 3;

/// A weighed event: its bytes of JSON, and what they went into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Weight {
    pub part: Part,
    pub bytes: u64,
}

/// What the bytes went into, for the message that names what ran away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Probe,
    Election,
    Ping,
    Paxos,
    Sync,
    Client,
    /// Time checks, cluster log forwards, global id requests.
    OtherMessage,
    Store,
    Status,
}

impl Part {
    pub const COUNT: usize = 9;
}

/// Each part in words, as a plural, in the order of [`Part`].
pub const WORDS: [&str; Part::COUNT] = [
    "probes",
    "election messages",
    "the elector's pings",
    "paxos messages",
    "store sync messages",
    "client messages",
    "other messages",
    "store transactions",
    "monitor statuses",
];

/// A `send` event of `msg`. Only what grows (with the monitors, a value,
/// a sync chunk, a client's value) is looked at; the rest are a few numbers.
pub fn send(msg: &Message) -> Weight {
    let (part, w) = match msg {
        Message::Probe(m) => (Part::Probe, 120 + 30 * m.monmap.mons.len() as u64),
        Message::Election(m) => (
            Part::Election,
            100 + 30 * m.monmap.mons.len() as u64
                + m.scoring.as_deref().map_or(0, tracker)
                + m.sharing.as_deref().map_or(0, tracker),
        ),
        Message::Ping(m) => (Part::Ping, 40 + tracker(&m.tracker)),
        Message::Paxos(m) => (
            Part::Paxos,
            180 + m
                .values
                .values()
                .map(|b| 12 + BINARY * b.len() as u64)
                .sum::<u64>(),
        ),
        Message::Sync(m) => (Part::Sync, 120 + BINARY * m.chunk_bl.len() as u64),
        // A client's write carries its value, and is sent again at each hunt.
        Message::Forward(MForward { req, .. }) | Message::Client(req) => (
            Part::Client,
            80 + match &*req.op {
                ClientOp::Write { key, value } => 2 * (key.len() + value.len()) as u64,
                _ => 20,
            },
        ),
        Message::Route(r) => reply_weight(&r.reply),
        Message::ClientReply(reply) => reply_weight(reply),
        Message::Close(_) => (Part::Client, 30),
        _ => (Part::OtherMessage, 180),
    };
    Weight {
        part,
        bytes: SEND + w,
    }
}

/// A `store` event of `tx`: its operations are packed about as long as
/// their prefixes, keys and values; JSON writes the values as numbers.
/// A client's reply, routed or not: its value, if a read's.
fn reply_weight(reply: &MClientReply) -> (Part, u64) {
    (
        Part::Client,
        80 + match &reply.result {
            ClientResult::Value { value: Some(v), .. } => v.len() as u64,
            _ => 20,
        },
    )
}

pub fn store(tx: &StoreTx) -> Weight {
    let (ops, long) = tx.parts();
    let long: usize = long.iter().map(|v| v.len()).sum();
    Weight {
        part: Part::Store,
        bytes: 50 + BINARY * (ops.len() + long) as u64,
    }
}

/// What `kind` weighs, as the simulator counts it (one event at a time).
pub fn event(kind: &EventKind) -> u64 {
    match kind {
        EventKind::Send { msg, .. } => send(msg).bytes,
        EventKind::Store { tx, .. } => store(tx).bytes,
        EventKind::Status { .. } => STATUS.bytes,
        _ => EVENT,
    }
}

/// A ConnectionTracker: its own report and one per peer, each with a flag
/// and a score per peer (a score of 1.0 is 3 characters, a decayed one up
/// to 20).
fn tracker(t: &ConnectionTracker) -> u64 {
    80 + report(&t.my_reports)
        + t.peer_reports
            .iter()
            .map(|(_, r)| 6 + report(r))
            .sum::<u64>()
}

fn report(r: &ConnectionReport) -> u64 {
    60 + 10 * r.current.len() as u64 + 12 * r.history.len() as u64
}
