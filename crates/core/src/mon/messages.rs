//! The messages monitors and clients exchange, named and shaped after Ceph's
//! MMonProbe, MMonElection, MMonPaxos, MForward/MRoute and the client ops.

use super::clog::LogEntry;
use super::elector::ConnectionTracker;
use super::monmap::{MonMap, Strategy};
use super::paxos::values::Values;
use super::{Addr, Epoch, Rank, Version};
use crate::mon::vecmap::VecMap;
use crate::text_escape::Quoted;
use crate::time::Time;
use serde::Serialize;
use std::sync::Arc;

#[derive(Clone, Debug, PartialEq, Serialize)]
/// 56 bytes (MMonPaxos's 56, the tag in its `op`'s spare values): the
/// larger, rare ones boxed (a message in flight and in the trace is an
/// `Arc` of it, about 20 per client write: 72 bytes, glibc's 80 class;
/// 96 bytes put each in the 112 class).
pub enum Message {
    Probe(Box<MMonProbe>),
    Election(Box<MMonElection>),
    /// The elector's connectivity ping (MMonPing).
    Ping(MMonPing),
    Paxos(MMonPaxos),
    /// Monitor store synchronization (MMonSync, §1.6).
    Sync(Box<MMonSync>),
    /// A client request a peon forwards to its leader (MForward).
    Forward(MForward),
    /// The leader's reply to a forwarded request, sent back through the peon (MRoute).
    Route(Box<MRoute>),
    /// A client session closed (see [`MClose`]).
    Close(MClose),
    Client(MClientRequest),
    ClientReply(MClientReply),
    /// MTimeCheck2 (§1.10): the leader's clock check of its quorum.
    Timecheck(Box<MTimeCheck2>),
    /// A peon's AuthMonitor asks the leader for more global ids (MMonGlobalID).
    GlobalId(MMonGlobalID),
    /// A peon's own cluster log lines, forwarded to the leader's LogMonitor
    /// (the MLog its LogClient sent it, in an MForward).
    Log(MLog),
}

#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<Message>() == 56);

impl Message {
    /// Which protocol the message belongs to (the UI colours by it).
    pub fn protocol(&self) -> &'static str {
        match self {
            Message::Probe(_) => "probe",
            Message::Election(_) => "election",
            Message::Ping(_) => "ping",
            Message::Paxos(_) => "paxos",
            Message::Sync(_) => "sync",
            Message::Forward(_)
            | Message::Route(_)
            | Message::Close(_)
            | Message::Client(_)
            | Message::ClientReply(_) => "client",
            Message::Timecheck(_) => "timecheck",
            // A PaxosServiceMessage for the leader's AuthMonitor.
            Message::GlobalId(_) => "paxos",
            // A PaxosServiceMessage for the leader's LogMonitor.
            Message::Log(_) => "paxos",
        }
    }

    /// The op as Ceph prints it (PROPOSE, ACK, COLLECT, LEASE_ACK, ...).
    pub fn op_name(&self) -> &'static str {
        match self {
            Message::Probe(m) => match m.op {
                ProbeOp::Probe => "PROBE",
                ProbeOp::Reply => "PROBE_REPLY",
                ProbeOp::MissingFeatures => "MISSING_FEATURES",
            },
            Message::Election(m) => match m.op {
                ElectionOp::Propose => "PROPOSE",
                ElectionOp::Ack => "ACK",
                ElectionOp::Nak => "NAK",
                ElectionOp::Victory => "VICTORY",
            },
            Message::Ping(m) => match m.op {
                PingOp::Ping => "PING",
                PingOp::PingReply => "PING_REPLY",
            },
            Message::Paxos(m) => m.op.name(),
            Message::Sync(m) => m.op.name(),
            Message::Forward(_) => "FORWARD",
            Message::Route(_) => "ROUTE",
            Message::Close(_) => "CLOSE",
            Message::Client(m) => match *m.op {
                ClientOp::Write { .. } => "WRITE",
                ClientOp::Read { .. } => "READ",
                ClientOp::MonAdd { .. } => "MON_ADD",
                ClientOp::MonRemove { .. } => "MON_REMOVE",
            },
            Message::ClientReply(_) => "REPLY",
            Message::Timecheck(m) => match m.op {
                TimecheckOp::Ping => "TIMECHECK_PING",
                TimecheckOp::Pong => "TIMECHECK_PONG",
                TimecheckOp::Report => "TIMECHECK_REPORT",
            },
            Message::GlobalId(_) => "GLOBAL_ID",
            Message::Log(_) => "LOG",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ProbeOp {
    Probe,
    Reply,
    MissingFeatures,
}

/// MMonProbe (§1.5).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MMonProbe {
    pub op: ProbeOp,
    pub name: String,
    pub quorum: Vec<Rank>,
    pub leader: Rank,
    pub monmap: Arc<MonMap>,
    pub paxos_first_version: Version,
    pub paxos_last_version: Version,
    pub has_ever_joined: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum ElectionOp {
    Propose = 1,
    Ack = 2,
    Nak = 3,
    Victory = 4,
}

/// MMonElection (§2.1).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MMonElection {
    pub op: ElectionOp,
    pub epoch: Epoch,
    pub monmap: Arc<MonMap>,
    /// On VICTORY: the new quorum.
    pub quorum: Vec<Rank>,
    pub strategy: Strategy,
    /// scoring_bl: the sender's live ConnectionTracker, on every op.
    pub scoring: Option<Arc<ConnectionTracker>>,
    /// sharing_bl on a CONNECTIVITY PROPOSE: the proposer's stable tracker.
    pub sharing: Option<Arc<ConnectionTracker>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum PingOp {
    Ping = 1,
    PingReply = 2,
}

/// MMonPing (§2.1): PING carries the sender's clock; PING_REPLY echoes it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MMonPing {
    pub op: PingOp,
    pub stamp: Time,
    /// tracker_bl: the sender's ConnectionTracker.
    pub tracker: Arc<ConnectionTracker>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum PaxosOp {
    Collect = 1,
    Last = 2,
    Begin = 3,
    Accept = 4,
    Commit = 5,
    Lease = 6,
    LeaseAck = 7,
}

impl PaxosOp {
    pub fn name(self) -> &'static str {
        match self {
            PaxosOp::Collect => "COLLECT",
            PaxosOp::Last => "LAST",
            PaxosOp::Begin => "BEGIN",
            PaxosOp::Accept => "ACCEPT",
            PaxosOp::Commit => "COMMIT",
            PaxosOp::Lease => "LEASE",
            PaxosOp::LeaseAck => "LEASE_ACK",
        }
    }
}

/// MMonPaxos (§3.3). `values` maps a version to its encoded store transaction.
/// 56 bytes: COLLECT's `pn_from` and LAST's `uncommitted_pn` are kept in
/// `values`' allocation ([`Self::pn_from`], [`Self::uncommitted_pn`]; none
/// while they are 0 and there is no value), so that an ACCEPT or a
/// LEASE_ACK (one each per peon and round, each its own `Arc<Message>`)
/// is in glibc's 80-byte class.
#[derive(Clone, PartialEq)]
pub struct MMonPaxos {
    pub epoch: Epoch,
    pub op: PaxosOp,
    pub first_committed: Version,
    pub last_committed: Version,
    pub pn: u64,
    /// The lease's expiry on the leader's clock (LEASE), or the peon's `now` (LEASE_ACK).
    pub lease_timestamp: Time,
    pub sent_timestamp: Time,
    /// Also holds `pn_from` and `uncommitted_pn`: insert into it, do not
    /// replace it after setting them.
    pub values: Values,
}

#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<MMonPaxos>() == 56);

impl MMonPaxos {
    pub fn new(op: PaxosOp, epoch: Epoch) -> Self {
        MMonPaxos {
            epoch,
            op,
            first_committed: 0,
            last_committed: 0,
            pn: 0,
            lease_timestamp: 0,
            sent_timestamp: 0,
            values: Values::new(),
        }
    }

    pub fn pn_from(&self) -> u64 {
        self.values.recovery()[0]
    }

    pub fn uncommitted_pn(&self) -> u64 {
        self.values.recovery()[1]
    }

    pub fn set_pn_from(&mut self, pn: u64) {
        self.values.set_recovery(0, pn);
    }

    pub fn set_uncommitted_pn(&mut self, pn: u64) {
        self.values.set_recovery(1, pn);
    }
}

/// As it printed when `pn_from` and `uncommitted_pn` were fields.
impl std::fmt::Debug for MMonPaxos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MMonPaxos")
            .field("epoch", &self.epoch)
            .field("op", &self.op)
            .field("first_committed", &self.first_committed)
            .field("last_committed", &self.last_committed)
            .field("pn_from", &self.pn_from())
            .field("pn", &self.pn)
            .field("uncommitted_pn", &self.uncommitted_pn())
            .field("lease_timestamp", &self.lease_timestamp)
            .field("sent_timestamp", &self.sent_timestamp)
            .field("values", &self.values)
            .finish()
    }
}

/// The JSON is what it was when `pn_from` and `uncommitted_pn` were fields,
/// in the same order.
impl Serialize for MMonPaxos {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("MMonPaxos", 10)?;
        st.serialize_field("epoch", &self.epoch)?;
        st.serialize_field("op", &self.op)?;
        st.serialize_field("first_committed", &self.first_committed)?;
        st.serialize_field("last_committed", &self.last_committed)?;
        st.serialize_field("pn_from", &self.pn_from())?;
        st.serialize_field("pn", &self.pn)?;
        st.serialize_field("uncommitted_pn", &self.uncommitted_pn())?;
        st.serialize_field("lease_timestamp", &self.lease_timestamp)?;
        st.serialize_field("sent_timestamp", &self.sent_timestamp)?;
        st.serialize_field("values", &self.values)?;
        st.end()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum SyncOp {
    GetCookieFull = 1,
    GetCookieRecent = 2,
    Cookie = 3,
    GetChunk = 4,
    Chunk = 5,
    LastChunk = 6,
    NoCookie = 8,
}

impl SyncOp {
    pub fn name(self) -> &'static str {
        match self {
            SyncOp::GetCookieFull => "GET_COOKIE_FULL",
            SyncOp::GetCookieRecent => "GET_COOKIE_RECENT",
            SyncOp::Cookie => "COOKIE",
            SyncOp::GetChunk => "GET_CHUNK",
            SyncOp::Chunk => "CHUNK",
            SyncOp::LastChunk => "LAST_CHUNK",
            SyncOp::NoCookie => "NO_COOKIE",
        }
    }
}

/// MMonSync (§1.6). `chunk_bl` is an encoded store transaction.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MMonSync {
    pub op: SyncOp,
    pub cookie: u64,
    pub last_committed: Version,
    /// The last (prefix, key) of the store copied so far (full sync).
    pub last_key: (String, String),
    pub chunk_bl: Vec<u8>,
}

impl MMonSync {
    pub fn new(op: SyncOp, cookie: u64) -> Self {
        MMonSync {
            op,
            cookie,
            last_committed: 0,
            last_key: (String::new(), String::new()),
            chunk_bl: Vec::new(),
        }
    }
}

/// What a client asks of the config-key (kv) service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum ClientOp {
    Write {
        key: String,
        value: String,
    },
    Read {
        key: String,
    },
    /// `ceph mon add NAME ADDR`: the MonmapMonitor commits a monmap with NAME.
    MonAdd {
        name: String,
        addr: Addr,
    },
    /// `ceph mon remove NAME`: the MonmapMonitor commits a monmap without NAME.
    MonRemove {
        name: String,
    },
}

impl ClientOp {
    /// The request as the trace names it (`write k=v`, `read k`, `mon add d`).
    pub fn text(&self) -> String {
        match self {
            ClientOp::Write { key, value } => format!("write {key}={value}"),
            ClientOp::Read { key } => format!("read {key}"),
            ClientOp::MonAdd { name, .. } => format!("mon add {name}"),
            ClientOp::MonRemove { name } => format!("mon remove {name}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MClientRequest {
    /// The client's own id for this request; retries reuse it.
    pub tid: u64,
    /// The client session it came on (a new one after each hunt).
    pub session: u64,
    /// Shared with the trace's `ClientRequest` event and every resend of the
    /// request (a copy each before: two strings per write, copied per send).
    pub op: Arc<ClientOp>,
}

/// The client closed its session with this monitor (MonClient marks the
/// connection down when it hunts elsewhere or when its command is done); the
/// monitor sees ms_handle_reset and removes the session. Not a Ceph message:
/// a TCP close, so it is lost like one on a cut link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MClose {
    pub session: u64,
}

/// `Debug` written out: the derived one would quote the text with std's
/// Unicode tables ([`crate::text_escape`]); this one writes the same for ASCII.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub enum ClientResult {
    /// The write committed at this paxos version.
    Written { version: Version },
    /// The read's value (None: the key does not exist).
    Value {
        value: Option<String>,
        version: Version,
    },
    /// A monitor command's answer (`mon add`, `mon remove`): its return code
    /// is 0 when `ok`, and the text Ceph would print.
    Command { ok: bool, text: String },
}

impl std::fmt::Debug for ClientResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientResult::Written { version } => {
                f.debug_struct("Written").field("version", version).finish()
            }
            ClientResult::Value { value, version } => f
                .debug_struct("Value")
                .field("value", &value.as_deref().map(Quoted))
                .field("version", version)
                .finish(),
            ClientResult::Command { ok, text } => f
                .debug_struct("Command")
                .field("ok", ok)
                .field("text", &Quoted(text))
                .finish(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MClientReply {
    pub tid: u64,
    pub result: ClientResult,
}

/// MForward: a peon passes a client's request to the leader.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MForward {
    pub client: Addr,
    pub req: MClientRequest,
}

/// MRoute: the leader's reply for a forwarded request, back through the peon.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MRoute {
    pub client: Addr,
    pub reply: MClientReply,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum TimecheckOp {
    Ping = 1,
    Pong = 2,
    Report = 3,
}

/// MLog: log entries, in the order their monitor wrote them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MLog {
    pub entries: Vec<LogEntry>,
}

/// MMonGlobalID: the max_global_id the asking peon has committed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MMonGlobalID {
    pub old_max_id: u64,
}

/// MTimeCheck2 (§1.10). Skews and latencies are in microseconds, by rank.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MTimeCheck2 {
    pub op: TimecheckOp,
    pub epoch: Epoch,
    pub round: u64,
    /// PONG: the peon's clock when it answered.
    pub timestamp: Time,
    pub skews: VecMap<Rank, i64>,
    pub latencies: VecMap<Rank, i64>,
}
