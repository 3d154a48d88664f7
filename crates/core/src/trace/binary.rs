//! The trace in a compact binary form, written by the page's simulation
//! worker and read back on its main thread (README, Performance, "The
//! page"). Events serialize to JSON for the export but do not deserialize;
//! this is the one encoding both sides read, hand-written so the page
//! carries no serde deserializer.
//!
//! Integers are LEB128 (signed ones zigzagged), times are deltas from the
//! previous event, strings and bytes are length-prefixed. A message sent to
//! several peons at once is one shared `Arc` in the simulator: it is written
//! once and the next sends name it again with one byte, so the decoded
//! events share it too. An [`Encoder`] and its [`Decoder`] keep that state
//! across batches: one of each per run, fed the batches in order.

use crate::mon::clog::{LogEntry, Prio};
use crate::mon::elector::{ConnectionReport, ConnectionTracker};
use crate::mon::messages::*;
use crate::mon::monmap::{MonInfo, MonMap, Strategy};
use crate::mon::out::Timer;
use crate::mon::status::{MonState, MonStatus, PaxosState, PaxosStatus, StatusNames};
use crate::mon::vecmap::VecMap;
use crate::mon::Addr;
use crate::time::Time;
use crate::trace::event::{timer_of_parts, timer_parts};
use crate::trace::properties::Property;
use crate::trace::store_tx::StoreTx;
use crate::trace::{ClientAnswer, DropReason, Event, EventKind, SmallNode, TimerCode};
use std::sync::Arc;

/// Writes events; keeps what the next batch refers back to.
#[derive(Default)]
pub struct Encoder {
    at: Time,
    last_msg: Option<Arc<Message>>,
}

/// Reads what an [`Encoder`] wrote, in the same batches and order.
#[derive(Clone, Default)]
pub struct Decoder {
    at: Time,
    last_msg: Option<Arc<Message>>,
    /// The last status's names, shared by the statuses that repeat them
    /// (as the simulator shares them).
    leader: Option<Arc<str>>,
    quorum: Option<Arc<[String]>>,
    names: Vec<Arc<StatusNames>>,
}

/// The distinct names a [`Decoder`] keeps to share: one a monitor (they
/// hold its rank), up to 15 of them and their last change.
const NAMES_KEPT: usize = 16;

impl Encoder {
    pub fn new() -> Encoder {
        Encoder::default()
    }

    /// Append `events` to `out`.
    pub fn encode(&mut self, events: &[Event], out: &mut Vec<u8>) {
        for ev in events {
            self.event(ev, out);
        }
    }

    fn event(&mut self, ev: &Event, b: &mut Vec<u8>) {
        int(b, ev.at as i64 - self.at as i64);
        self.at = ev.at;
        match &ev.kind {
            EventKind::Send {
                id,
                from,
                to,
                arrive_at,
                msg,
            } => {
                b.push(0);
                uints(b, &[*id as u64, *from as u64, *to as u64]);
                int(b, *arrive_at as i64 - ev.at as i64);
                if self.last_msg.as_ref().is_some_and(|m| Arc::ptr_eq(m, msg)) {
                    b.push(0);
                } else {
                    b.push(1);
                    message(b, msg);
                    self.last_msg = Some(msg.clone());
                }
            }
            EventKind::Deliver { id } => {
                b.push(1);
                uint(b, *id as u64);
            }
            EventKind::Drop { id, reason } => {
                b.push(2);
                uint(b, *id as u64);
                b.push(*reason as u8);
            }
            EventKind::Hold { id } => {
                b.push(3);
                uint(b, *id as u64);
            }
            EventKind::TimerSet {
                node,
                timer,
                fires_at,
            } => {
                b.push(4);
                uint(b, *node as u64);
                timer_of(b, &timer.timer());
                int(b, *fires_at as i64 - ev.at as i64);
            }
            EventKind::TimerCancel { node, timer } => {
                b.push(5);
                uint(b, *node as u64);
                timer_of(b, timer);
            }
            EventKind::TimerFire { node, timer } => {
                b.push(6);
                uint(b, *node as u64);
                timer_of(b, timer);
            }
            EventKind::Status { node, status } => {
                b.push(7);
                uint(b, *node as u64);
                status_of(b, status);
            }
            EventKind::Store { node, tx } => {
                b.push(8);
                uint(b, *node as u64);
                store_tx(b, tx);
            }
            EventKind::Commit {
                node,
                version,
                value_hash,
            } => {
                b.push(9);
                uints(b, &[*node as u64, *version, *value_hash]);
                // Where the value was (a trace no longer keeps it).
                b.push(0);
            }
            EventKind::Log { node, text } => {
                b.push(10);
                uint(b, *node as u64);
                string(b, &text.text());
            }
            EventKind::Action { line, text } => {
                b.push(11);
                uint(b, *line as u64);
                string(b, text);
            }
            EventKind::ClientRequest { tid, target, op } => {
                b.push(12);
                uint(b, *tid);
                uint(b, target.map_or(0, |t| t as u64 + 1));
                client_op(b, op);
            }
            EventKind::ClientReply { tid, from, answer } => {
                b.push(13);
                uints(b, &[*tid, *from as u64]);
                string(b, &answer.text);
                client_result(b, &answer.result);
            }
            EventKind::Note { text } => {
                b.push(14);
                string(b, text);
            }
            EventKind::Expect {
                line,
                text,
                pass,
                actual,
            } => {
                b.push(15);
                uint(b, *line as u64);
                string(b, text);
                b.push(*pass as u8);
                string(b, actual);
            }
            EventKind::Violation { text, property } => {
                b.push(16);
                string(b, text);
                b.push(*property as u8);
            }
            EventKind::Overrun { text } => {
                b.push(17);
                string(b, text);
            }
        }
    }
}

// ---- writing ----

/// `v` as a LEB128 varint (public: the page's worker hand-overs use it too,
/// src/handover.rs).
pub fn uint(b: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        b.push(v as u8 | 0x80);
        v >>= 7;
    }
    b.push(v as u8);
}

fn uints(b: &mut Vec<u8>, vs: &[u64]) {
    for &v in vs {
        uint(b, v);
    }
}

fn int(b: &mut Vec<u8>, v: i64) {
    uint(b, ((v << 1) ^ (v >> 63)) as u64);
}

fn bytes(b: &mut Vec<u8>, v: &[u8]) {
    uint(b, v.len() as u64);
    b.extend_from_slice(v);
}

/// `s` with its length before it.
pub fn string(b: &mut Vec<u8>, s: &str) {
    bytes(b, s.as_bytes());
}

fn float(b: &mut Vec<u8>, f: f64) {
    b.extend_from_slice(&f.to_bits().to_le_bytes());
}

fn ranks(b: &mut Vec<u8>, rs: &[i32]) {
    uint(b, rs.len() as u64);
    for &r in rs {
        int(b, r as i64);
    }
}

fn timer_of(b: &mut Vec<u8>, t: &Timer) {
    let (kind, arg) = timer_parts(*t);
    b.push(kind);
    // Only the client's and the elector's timers carry an argument (a
    // rank as the signed number it is).
    match kind {
        12 | 13 => int(b, arg as i64),
        14 | 15 => int(b, arg as u32 as i32 as i64),
        _ => {}
    }
}

fn status_of(b: &mut Vec<u8>, s: &MonStatus) {
    b.push(s.state as u8);
    int(b, s.rank as i64);
    uint(b, s.election_epoch as u64);
    match &s.leader {
        None => b.push(0),
        Some(l) => {
            b.push(1);
            string(b, l);
        }
    }
    strings(b, &s.quorum);
    let p = &s.paxos;
    b.push(p.state as u8);
    uints(
        b,
        &[
            p.first_committed,
            p.last_committed,
            s.accepted_pn,
            s.last_pn,
            p.lease_expire,
        ],
    );
    strings(b, &s.health);
    uint(b, s.monmap_epoch as u64);
    uint(b, s.scores.len() as u64);
    for (name, score) in &s.scores {
        string(b, name);
        float(b, *score);
    }
}

fn strings(b: &mut Vec<u8>, ss: &[String]) {
    uint(b, ss.len() as u64);
    for s in ss {
        string(b, s);
    }
}

/// A store transaction as the trace keeps it ([`StoreTx`]): its packed
/// operations, then its long values.
fn store_tx(b: &mut Vec<u8>, tx: &StoreTx) {
    let (ops, long) = tx.parts();
    bytes(b, ops);
    uint(b, long.len() as u64);
    for v in long {
        bytes(b, v);
    }
}

fn monmap(b: &mut Vec<u8>, m: &MonMap) {
    uint(b, m.epoch as u64);
    b.push(m.strategy as u8);
    strings(b, &m.disallowed_leaders);
    uint(b, m.mons.len() as u64);
    for mon in &m.mons {
        string(b, &mon.name);
        uint(b, mon.addr.0 as u64);
    }
}

fn report(b: &mut Vec<u8>, r: &ConnectionReport) {
    int(b, r.rank as i64);
    uints(
        b,
        &[r.epoch as u64, r.epoch_version, r.current.len() as u64],
    );
    for (&p, &alive) in &r.current {
        int(b, p as i64);
        b.push(alive as u8);
    }
    uint(b, r.history.len() as u64);
    for (&p, &s) in &r.history {
        int(b, p as i64);
        float(b, s);
    }
}

fn tracker(b: &mut Vec<u8>, t: &ConnectionTracker) {
    int(b, t.rank as i64);
    uints(
        b,
        &[t.epoch as u64, t.version, t.persist_interval, t.changes],
    );
    float(b, t.half_life);
    report(b, &t.my_reports);
    uint(b, t.peer_reports.len() as u64);
    // Keyed by rank when stored; a rank change keeps the old keys.
    for (&rank, r) in &t.peer_reports {
        int(b, rank as i64);
        report(b, r);
    }
}

fn opt_tracker(b: &mut Vec<u8>, t: &Option<Arc<ConnectionTracker>>) {
    match t {
        None => b.push(0),
        Some(t) => {
            b.push(1);
            tracker(b, t);
        }
    }
}

fn client_op(b: &mut Vec<u8>, op: &ClientOp) {
    match op {
        ClientOp::Write { key, value } => {
            b.push(0);
            string(b, key);
            string(b, value);
        }
        ClientOp::Read { key } => {
            b.push(1);
            string(b, key);
        }
        ClientOp::MonAdd { name, addr } => {
            b.push(2);
            string(b, name);
            uint(b, addr.0 as u64);
        }
        ClientOp::MonRemove { name } => {
            b.push(3);
            string(b, name);
        }
    }
}

fn client_result(b: &mut Vec<u8>, r: &ClientResult) {
    match r {
        ClientResult::Written { version } => {
            b.push(0);
            uint(b, *version);
        }
        ClientResult::Value { value, version } => {
            b.push(1);
            uint(b, *version);
            match value {
                None => b.push(0),
                Some(v) => {
                    b.push(1);
                    string(b, v);
                }
            }
        }
        ClientResult::Command { ok, text } => {
            b.push(2);
            b.push(*ok as u8);
            string(b, text);
        }
    }
}

fn request(b: &mut Vec<u8>, r: &MClientRequest) {
    uints(b, &[r.tid, r.session]);
    client_op(b, &r.op);
}

fn reply(b: &mut Vec<u8>, r: &MClientReply) {
    uint(b, r.tid);
    client_result(b, &r.result);
}

fn rank_map(b: &mut Vec<u8>, m: &VecMap<i32, i64>) {
    uint(b, m.len() as u64);
    for (&r, &v) in m.iter() {
        int(b, r as i64);
        int(b, v);
    }
}

fn message(b: &mut Vec<u8>, m: &Message) {
    match m {
        Message::Probe(p) => {
            b.push(0);
            b.push(p.op as u8);
            string(b, &p.name);
            ranks(b, &p.quorum);
            int(b, p.leader as i64);
            monmap(b, &p.monmap);
            uints(b, &[p.paxos_first_version, p.paxos_last_version]);
            b.push(p.has_ever_joined as u8);
        }
        Message::Election(e) => {
            b.push(1);
            b.push(e.op as u8);
            uint(b, e.epoch as u64);
            monmap(b, &e.monmap);
            ranks(b, &e.quorum);
            b.push(e.strategy as u8);
            opt_tracker(b, &e.scoring);
            opt_tracker(b, &e.sharing);
        }
        Message::Ping(p) => {
            b.push(2);
            b.push(p.op as u8);
            uint(b, p.stamp);
            tracker(b, &p.tracker);
        }
        Message::Paxos(p) => {
            b.push(3);
            b.push(p.op as u8);
            uint(b, p.epoch as u64);
            uints(
                b,
                &[
                    p.first_committed,
                    p.last_committed,
                    p.pn_from(),
                    p.pn,
                    p.uncommitted_pn(),
                    p.lease_timestamp,
                    p.sent_timestamp,
                    p.values.len() as u64,
                ],
            );
            for (v, value) in p.values.iter() {
                uint(b, *v);
                bytes(b, value);
            }
        }
        Message::Sync(s) => {
            b.push(4);
            b.push(s.op as u8);
            uints(b, &[s.cookie, s.last_committed]);
            string(b, &s.last_key.0);
            string(b, &s.last_key.1);
            bytes(b, &s.chunk_bl);
        }
        Message::Forward(f) => {
            b.push(5);
            uint(b, f.client.0 as u64);
            request(b, &f.req);
        }
        Message::Route(r) => {
            b.push(6);
            uint(b, r.client.0 as u64);
            reply(b, &r.reply);
        }
        Message::Close(c) => {
            b.push(7);
            uint(b, c.session);
        }
        Message::Client(r) => {
            b.push(8);
            request(b, r);
        }
        Message::ClientReply(r) => {
            b.push(9);
            reply(b, r);
        }
        Message::Timecheck(t) => {
            b.push(10);
            b.push(t.op as u8);
            uints(b, &[t.epoch as u64, t.round, t.timestamp]);
            rank_map(b, &t.skews);
            rank_map(b, &t.latencies);
        }
        Message::GlobalId(g) => {
            b.push(11);
            uint(b, g.old_max_id);
        }
        Message::Log(l) => {
            b.push(12);
            uint(b, l.entries.len() as u64);
            for e in &l.entries {
                uints(b, &[e.stamp, e.seq]);
                b.push(e.prio as u8);
                string(b, &e.msg);
            }
        }
    }
}

// ---- reading ----

/// Bytes being read; every malformed input is an error, never a panic.
pub struct Reader<'a> {
    b: &'a [u8],
    /// The next byte to read.
    pub at: usize,
}

/// None for anything malformed (one error for all: the batch is unusable).
type R<T> = Option<T>;

impl Reader<'_> {
    pub fn new(b: &[u8]) -> Reader<'_> {
        Reader { b, at: 0 }
    }
    pub(crate) fn byte(&mut self) -> R<u8> {
        let v = *self.b.get(self.at)?;
        self.at += 1;
        Some(v)
    }
    fn flag(&mut self) -> R<bool> {
        Some(self.byte()? != 0)
    }
    /// What [`uint`] wrote.
    pub fn uint(&mut self) -> R<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= ((b & 0x7f) as u64) << shift;
            if b < 0x80 {
                return Some(v);
            }
        }
        None
    }
    fn u32(&mut self) -> R<u32> {
        u32::try_from(self.uint()?).ok()
    }
    /// A send's end: a node past 255 is refused ([`SmallNode`]).
    fn small_node(&mut self) -> R<SmallNode> {
        SmallNode::try_from(self.uint()?).ok()
    }
    fn int(&mut self) -> R<i64> {
        let v = self.uint()?;
        Some((v >> 1) as i64 ^ -((v & 1) as i64))
    }
    fn i32(&mut self) -> R<i32> {
        i32::try_from(self.int()?).ok()
    }
    /// A count of items each at least a byte long: never more than is left.
    fn count(&mut self) -> R<usize> {
        let n = self.uint()? as usize;
        if n > self.b.len() - self.at {
            return None;
        }
        Some(n)
    }
    fn bytes(&mut self) -> R<&[u8]> {
        let n = self.count()?;
        let v = &self.b[self.at..self.at + n];
        self.at += n;
        Some(v)
    }
    /// What [`string`] wrote.
    pub fn string(&mut self) -> R<String> {
        let b = self.bytes()?;
        String::from_utf8(b.to_vec()).ok()
    }
    /// Eight bytes, little-endian.
    pub(crate) fn u64_le(&mut self) -> R<u64> {
        let b = self.b.get(self.at..self.at + 8)?;
        self.at += 8;
        Some(u64::from_le_bytes(b.try_into().ok()?))
    }
    fn float(&mut self) -> R<f64> {
        let b = self.b.get(self.at..self.at + 8)?;
        self.at += 8;
        Some(f64::from_bits(u64::from_le_bytes(
            b.try_into().unwrap_or([0; 8]),
        )))
    }
    fn strings(&mut self) -> R<Vec<String>> {
        (0..self.count()?).map(|_| self.string()).collect()
    }
    fn ranks(&mut self) -> R<Vec<i32>> {
        (0..self.count()?).map(|_| self.i32()).collect()
    }
    fn addr(&mut self) -> R<Addr> {
        Some(Addr(self.u32()?))
    }

    fn timer(&mut self) -> R<Timer> {
        let kind = self.byte()?;
        let arg = match kind {
            12 | 13 => self.int()? as u64,
            14 | 15 => self.i32()? as u32 as u64,
            _ => 0,
        };
        timer_of_parts(kind, arg)
    }

    fn store_tx(&mut self) -> R<StoreTx> {
        let ops = self.bytes()?.into();
        let long = (0..self.count()?)
            .map(|_| Some(Arc::from(self.bytes()?)))
            .collect::<Option<_>>()?;
        StoreTx::from_parts(ops, long)
    }

    fn strategy(&mut self) -> R<Strategy> {
        Some(match self.byte()? {
            1 => Strategy::Classic,
            2 => Strategy::Disallow,
            3 => Strategy::Connectivity,
            _ => return None,
        })
    }

    fn monmap(&mut self) -> R<Arc<MonMap>> {
        let epoch = self.u32()?;
        let strategy = self.strategy()?;
        let disallowed_leaders = self.strings()?;
        let mons = (0..self.count()?)
            .map(|_| {
                Some(MonInfo {
                    name: self.string()?,
                    addr: self.addr()?,
                })
            })
            .collect::<R<_>>()?;
        Some(Arc::new(MonMap {
            epoch,
            mons,
            strategy,
            disallowed_leaders,
        }))
    }

    fn report(&mut self) -> R<ConnectionReport> {
        let rank = self.i32()?;
        let (epoch, epoch_version) = (self.u32()?, self.uint()?);
        let mut current = VecMap::new();
        for _ in 0..self.count()? {
            current.insert(self.i32()?, self.flag()?);
        }
        let mut history = VecMap::new();
        for _ in 0..self.count()? {
            history.insert(self.i32()?, self.float()?);
        }
        Some(ConnectionReport {
            rank,
            current,
            history,
            epoch,
            epoch_version,
        })
    }

    fn tracker(&mut self) -> R<Arc<ConnectionTracker>> {
        let rank = self.i32()?;
        let (epoch, version) = (self.u32()?, self.uint()?);
        let (persist_interval, changes) = (self.uint()?, self.uint()?);
        let half_life = self.float()?;
        let my_reports = Arc::new(self.report()?);
        let mut peer_reports = VecMap::new();
        for _ in 0..self.count()? {
            let rank = self.i32()?;
            peer_reports.insert(rank, Arc::new(self.report()?));
        }
        Some(Arc::new(ConnectionTracker {
            rank,
            epoch,
            version,
            half_life,
            persist_interval,
            my_reports,
            peer_reports,
            changes,
        }))
    }

    fn opt_tracker(&mut self) -> R<Option<Arc<ConnectionTracker>>> {
        Some(match self.flag()? {
            false => None,
            true => Some(self.tracker()?),
        })
    }

    fn client_op(&mut self) -> R<ClientOp> {
        Some(match self.byte()? {
            0 => ClientOp::Write {
                key: self.string()?,
                value: self.string()?,
            },
            1 => ClientOp::Read {
                key: self.string()?,
            },
            2 => ClientOp::MonAdd {
                name: self.string()?,
                addr: self.addr()?,
            },
            3 => ClientOp::MonRemove {
                name: self.string()?,
            },
            _ => return None,
        })
    }

    fn client_result(&mut self) -> R<ClientResult> {
        Some(match self.byte()? {
            0 => ClientResult::Written {
                version: self.uint()?,
            },
            1 => {
                let version = self.uint()?;
                let value = match self.flag()? {
                    false => None,
                    true => Some(self.string()?),
                };
                ClientResult::Value { value, version }
            }
            2 => ClientResult::Command {
                ok: self.flag()?,
                text: self.string()?,
            },
            _ => return None,
        })
    }

    fn request(&mut self) -> R<MClientRequest> {
        Some(MClientRequest {
            tid: self.uint()?,
            session: self.uint()?,
            op: self.client_op()?.into(),
        })
    }

    fn reply(&mut self) -> R<MClientReply> {
        Some(MClientReply {
            tid: self.uint()?,
            result: self.client_result()?,
        })
    }

    fn rank_map(&mut self) -> R<VecMap<i32, i64>> {
        let mut m = VecMap::new();
        for _ in 0..self.count()? {
            m.insert(self.i32()?, self.int()?);
        }
        Some(m)
    }

    fn message(&mut self) -> R<Message> {
        Some(match self.byte()? {
            0 => Message::Probe(Box::new(MMonProbe {
                op: match self.byte()? {
                    0 => ProbeOp::Probe,
                    1 => ProbeOp::Reply,
                    2 => ProbeOp::MissingFeatures,
                    _ => return None,
                },
                name: self.string()?,
                quorum: self.ranks()?,
                leader: self.i32()?,
                monmap: self.monmap()?,
                paxos_first_version: self.uint()?,
                paxos_last_version: self.uint()?,
                has_ever_joined: self.flag()?,
            })),
            1 => Message::Election(Box::new(MMonElection {
                op: match self.byte()? {
                    1 => ElectionOp::Propose,
                    2 => ElectionOp::Ack,
                    3 => ElectionOp::Nak,
                    4 => ElectionOp::Victory,
                    _ => return None,
                },
                epoch: self.u32()?,
                monmap: self.monmap()?,
                quorum: self.ranks()?,
                strategy: self.strategy()?,
                scoring: self.opt_tracker()?,
                sharing: self.opt_tracker()?,
            })),
            2 => Message::Ping(MMonPing {
                op: match self.byte()? {
                    1 => PingOp::Ping,
                    2 => PingOp::PingReply,
                    _ => return None,
                },
                stamp: self.uint()?,
                tracker: self.tracker()?,
            }),
            3 => {
                let op = match self.byte()? {
                    1 => PaxosOp::Collect,
                    2 => PaxosOp::Last,
                    3 => PaxosOp::Begin,
                    4 => PaxosOp::Accept,
                    5 => PaxosOp::Commit,
                    6 => PaxosOp::Lease,
                    7 => PaxosOp::LeaseAck,
                    _ => return None,
                };
                let mut p = MMonPaxos::new(op, self.u32()?);
                p.first_committed = self.uint()?;
                p.last_committed = self.uint()?;
                p.set_pn_from(self.uint()?);
                p.pn = self.uint()?;
                p.set_uncommitted_pn(self.uint()?);
                p.lease_timestamp = self.uint()?;
                p.sent_timestamp = self.uint()?;
                // Into `p.values`, which holds the recovery numbers too.
                for _ in 0..self.count()? {
                    let v = self.uint()?;
                    p.values.insert(v, self.bytes()?);
                }
                Message::Paxos(p)
            }
            4 => {
                let op = match self.byte()? {
                    1 => SyncOp::GetCookieFull,
                    2 => SyncOp::GetCookieRecent,
                    3 => SyncOp::Cookie,
                    4 => SyncOp::GetChunk,
                    5 => SyncOp::Chunk,
                    6 => SyncOp::LastChunk,
                    8 => SyncOp::NoCookie,
                    _ => return None,
                };
                let mut s = MMonSync::new(op, self.uint()?);
                s.last_committed = self.uint()?;
                s.last_key = (self.string()?, self.string()?);
                s.chunk_bl = self.bytes()?.to_vec();
                Message::Sync(s.into())
            }
            5 => Message::Forward(MForward {
                client: self.addr()?,
                req: self.request()?,
            }),
            6 => Message::Route(Box::new(MRoute {
                client: self.addr()?,
                reply: self.reply()?,
            })),
            7 => Message::Close(MClose {
                session: self.uint()?,
            }),
            8 => Message::Client(self.request()?),
            9 => Message::ClientReply(self.reply()?),
            10 => Message::Timecheck(Box::new(MTimeCheck2 {
                op: match self.byte()? {
                    1 => TimecheckOp::Ping,
                    2 => TimecheckOp::Pong,
                    3 => TimecheckOp::Report,
                    _ => return None,
                },
                epoch: self.u32()?,
                round: self.uint()?,
                timestamp: self.uint()?,
                skews: self.rank_map()?,
                latencies: self.rank_map()?,
            })),
            11 => Message::GlobalId(MMonGlobalID {
                old_max_id: self.uint()?,
            }),
            12 => {
                let n = self.count()?;
                let mut entries = Vec::with_capacity(n);
                for _ in 0..n {
                    entries.push(LogEntry {
                        stamp: self.uint()?,
                        seq: self.uint()?,
                        prio: match self.byte()? {
                            0 => Prio::Dbg,
                            1 => Prio::Inf,
                            2 => Prio::Wrn,
                            _ => return None,
                        },
                        msg: self.string()?,
                    });
                }
                Message::Log(MLog { entries })
            }
            _ => return None,
        })
    }
}

impl Decoder {
    pub fn new() -> Decoder {
        Decoder::default()
    }

    /// Decode up to `max` events of `b` from byte `*at` on, appending them to
    /// `out` and moving `*at` past them: the page reads a batch in bounded
    /// slices. Done with the batch when `*at == b.len()`.
    pub fn decode(
        &mut self,
        b: &[u8],
        at: &mut usize,
        max: usize,
        out: &mut Vec<Event>,
    ) -> Result<(), String> {
        let mut r = Reader { b, at: *at };
        for _ in 0..max {
            if r.at >= b.len() {
                break;
            }
            let ev = self
                .event(&mut r)
                .ok_or_else(|| format!("the trace's encoding is bad at byte {}", *at))?;
            out.push(ev);
            *at = r.at;
        }
        Ok(())
    }

    fn status(&mut self, r: &mut Reader) -> R<MonStatus> {
        let state = match r.byte()? {
            0 => MonState::Down,
            1 => MonState::Probing,
            2 => MonState::Synchronizing,
            3 => MonState::Electing,
            4 => MonState::Leader,
            5 => MonState::Peon,
            _ => return None,
        };
        let (rank, election_epoch) = (r.i32()?, r.u32()?);
        let leader = match r.flag()? {
            false => None,
            true => {
                let l = r.string()?;
                match &self.leader {
                    Some(s) if **s == *l => Some(s.clone()),
                    _ => {
                        let s: Arc<str> = l.into();
                        self.leader = Some(s.clone());
                        Some(s)
                    }
                }
            }
        };
        let q = r.strings()?;
        let quorum = match &self.quorum {
            Some(s) if **s == *q => s.clone(),
            _ => {
                let s: Arc<[String]> = q.into();
                self.quorum = Some(s.clone());
                s
            }
        };
        let state_p = *PaxosState::ALL.get(r.byte()? as usize)?;
        let (first_committed, last_committed) = (r.uint()?, r.uint()?);
        let (accepted_pn, last_pn) = (r.uint()?, r.uint()?);
        let paxos = PaxosStatus {
            state: state_p,
            first_committed,
            last_committed,
            lease_expire: r.uint()?,
        };
        let health = r.strings()?;
        let monmap_epoch = r.u32()?;
        let scores = (0..r.count()?)
            .map(|_| Some((r.string()?, r.float()?)))
            .collect::<R<_>>()?;
        let names = StatusNames {
            state,
            rank,
            election_epoch,
            monmap_epoch,
            leader,
            quorum,
            health,
            scores,
            accepted_pn,
            last_pn,
        };
        // The monitors' names differ by their ranks and proposal numbers:
        // the last few kept, not the last one.
        let names = match self.names.iter().find(|n| ***n == names) {
            Some(n) => n.clone(),
            None => {
                let n = Arc::new(names);
                if self.names.len() == NAMES_KEPT {
                    self.names.remove(0);
                }
                self.names.push(n.clone());
                n
            }
        };
        Some(MonStatus { paxos, names })
    }

    fn event(&mut self, r: &mut Reader) -> R<Event> {
        let at = self.at.checked_add_signed(r.int()?)?;
        self.at = at;
        let later = |r: &mut Reader| -> R<Time> { at.checked_add_signed(r.int()?) };
        let kind = match r.byte()? {
            0 => {
                let (id, from, to) = (r.u32()?, r.small_node()?, r.small_node()?);
                let arrive_at = later(r)?;
                let msg = match r.byte()? {
                    0 => self.last_msg.clone()?,
                    _ => {
                        let m = Arc::new(r.message()?);
                        self.last_msg = Some(m.clone());
                        m
                    }
                };
                EventKind::Send {
                    id,
                    from,
                    to,
                    arrive_at,
                    msg,
                }
            }
            1 => EventKind::Deliver { id: r.u32()? },
            2 => EventKind::Drop {
                id: r.u32()?,
                reason: match r.byte()? {
                    0 => DropReason::Loss,
                    1 => DropReason::Down,
                    2 => DropReason::Reset,
                    _ => return None,
                },
            },
            3 => EventKind::Hold { id: r.u32()? },
            4 => EventKind::TimerSet {
                node: r.u32()?,
                timer: TimerCode::try_new(r.timer()?)?,
                fires_at: later(r)?,
            },
            5 => EventKind::TimerCancel {
                node: r.u32()?,
                timer: r.timer()?,
            },
            6 => EventKind::TimerFire {
                node: r.u32()?,
                timer: r.timer()?,
            },
            7 => EventKind::Status {
                node: r.u32()?,
                status: Arc::new(self.status(r)?),
            },
            8 => EventKind::Store {
                node: r.u32()?,
                tx: r.store_tx()?,
            },
            9 => {
                let (node, version, value_hash) = (r.u32()?, r.uint()?, r.uint()?);
                if r.flag()? {
                    // A value, from when a trace could keep one: not kept.
                    r.bytes()?;
                }
                EventKind::Commit {
                    node,
                    version,
                    value_hash,
                }
            }
            10 => EventKind::Log {
                node: r.u32()?,
                text: r.string()?.into(),
            },
            11 => EventKind::Action {
                line: r.u32()?,
                text: r.string()?.into(),
            },
            12 => EventKind::ClientRequest {
                tid: r.uint()?,
                target: match r.u32()? {
                    0 => None,
                    t => Some(SmallNode::try_from(t - 1).ok()?),
                },
                op: Arc::new(r.client_op()?),
            },
            13 => EventKind::ClientReply {
                tid: r.uint()?,
                from: r.u32()?,
                answer: Arc::new(ClientAnswer {
                    text: r.string()?.into(),
                    result: r.client_result()?,
                }),
            },
            14 => EventKind::Note {
                text: r.string()?.into(),
            },
            15 => EventKind::Expect {
                line: r.u32()?,
                text: r.string()?.into(),
                pass: r.flag()?,
                actual: r.string()?.into(),
            },
            16 => EventKind::Violation {
                text: r.string()?.into(),
                property: match r.byte()? {
                    0 => Property::OneValuePerVersion,
                    1 => Property::LastCommittedKept,
                    2 => Property::WriteKept,
                    3 => Property::ReadLatest,
                    4 => Property::OneLeaderPerEpoch,
                    5 => Property::MembershipKept,
                    6 => Property::EpochKept,
                    _ => return None,
                },
            },
            17 => EventKind::Overrun {
                text: r.string()?.into(),
            },
            _ => return None,
        };
        Some(Event { at, kind })
    }
}

#[cfg(test)]
#[path = "binary_tests.rs"]
mod tests;
