//! What an event weighs: about the bytes of its line of JSON (`monscope run
//! --json`, what the digest hashes), estimated from the lengths of what it
//! carries without writing it. The budget's byte limit counts these: a
//! 15-monitor elector's ping is about 5 KB of JSON where a timer's event is
//! 70 bytes, so a count of events alone let a long run of many monitors
//! write gigabytes.
//!
//! Only the events that carry something (a message, a store transaction, a
//! status) are weighed where the simulator makes them; every other event
//! counts [`EVENT`]. The estimate is kept within a small factor of the real
//! JSON by `tests/budget.rs`.

use crate::mon::elector::{ConnectionReport, ConnectionTracker};
use crate::mon::messages::{ClientOp, ClientResult, Message};
use crate::mon::paxos::values::Values;
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
    Timecheck,
    Store,
    Status,
}

impl Part {
    pub const ALL: [Part; 9] = [
        Part::Probe,
        Part::Election,
        Part::Ping,
        Part::Paxos,
        Part::Sync,
        Part::Client,
        Part::Timecheck,
        Part::Store,
        Part::Status,
    ];

    /// In words, as a plural ("the elector's pings 89%").
    pub fn words(self) -> &'static str {
        match self {
            Part::Probe => "probes",
            Part::Election => "election messages",
            Part::Ping => "the elector's pings",
            Part::Paxos => "paxos messages",
            Part::Sync => "store sync messages",
            Part::Client => "client messages",
            Part::Timecheck => "time checks",
            Part::Store => "store transactions",
            Part::Status => "monitor statuses",
        }
    }
}

/// A `send` event of `msg`.
pub fn send(msg: &Message) -> Weight {
    let (part, w) = match msg {
        Message::Probe(m) => (
            Part::Probe,
            120 + m.name.len() as u64 + 4 * m.quorum.len() as u64 + 30 * m.monmap.mons.len() as u64,
        ),
        Message::Election(m) => (
            Part::Election,
            100 + 4 * m.quorum.len() as u64
                + 30 * m.monmap.mons.len() as u64
                + m.scoring.as_deref().map_or(0, tracker)
                + m.sharing.as_deref().map_or(0, tracker),
        ),
        Message::Ping(m) => (Part::Ping, 40 + tracker(&m.tracker)),
        Message::Paxos(m) => (Part::Paxos, 180 + values(&m.values)),
        // GlobalId and Log are PaxosService messages.
        Message::GlobalId(_) => (Part::Paxos, 30),
        Message::Log(m) => (
            Part::Paxos,
            20 + m
                .entries
                .iter()
                .map(|e| 60 + e.msg.len() as u64)
                .sum::<u64>(),
        ),
        Message::Sync(m) => (
            Part::Sync,
            100 + (m.last_key.0.len() + m.last_key.1.len()) as u64
                + BINARY * m.chunk_bl.len() as u64,
        ),
        Message::Forward(m) => (Part::Client, 80 + op(&m.req.op)),
        Message::Client(m) => (Part::Client, 50 + op(&m.op)),
        Message::Route(m) => (Part::Client, 70 + result(&m.reply.result)),
        Message::ClientReply(m) => (Part::Client, 40 + result(&m.result)),
        Message::Close(_) => (Part::Client, 30),
        Message::Timecheck(m) => (
            Part::Timecheck,
            150 + 12 * (m.skews.len() + m.latencies.len()) as u64,
        ),
    };
    Weight {
        part,
        bytes: SEND + w,
    }
}

/// A `store` event of `tx`: its operations are packed about as long as
/// their prefixes, keys and values; JSON writes the values as numbers.
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
/// and a score per peer (a score is a float of up to 20 characters).
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

fn values(v: &Values) -> u64 {
    v.values().map(|b| 12 + BINARY * b.len() as u64).sum()
}

fn op(op: &ClientOp) -> u64 {
    40 + match op {
        ClientOp::Write { key, value } => 2 * (key.len() + value.len()) as u64,
        ClientOp::Read { key } => key.len() as u64,
        ClientOp::MonAdd { name, .. } | ClientOp::MonRemove { name } => name.len() as u64,
    }
}

fn result(r: &ClientResult) -> u64 {
    40 + match r {
        ClientResult::Written { .. } => 0,
        ClientResult::Value { value, .. } => value.as_ref().map_or(0, |v| v.len() as u64),
        ClientResult::Command { text, .. } => text.len() as u64,
    }
}
