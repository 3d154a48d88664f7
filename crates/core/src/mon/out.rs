//! What a monitor (or client) asks the world to do after one input: the
//! `Ready` of this state machine. The simulator drains it.

use super::logline::LogLine;
use super::messages::Message;
use super::session::SessionId;
use super::store::StoreOp;
use super::store::{MonitorDBStore, Transaction};
use super::{Addr, Rank, Version};
use crate::time::Duration;
use serde::Serialize;
use std::sync::Arc;

/// Every timer a monitor or client can arm. Setting a timer that is already
/// armed replaces it (Ceph cancels the old event first in every such place).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Timer {
    /// Monitor: re-bootstrap while probing (mon_probe_timeout).
    ProbeTimeout,
    /// Elector: the election period expires (mon_election_timeout, +1s when deferring).
    ElectionExpire,
    /// Paxos leader: collect phase timed out.
    CollectTimeout,
    /// Paxos leader: a BEGIN was not accepted by every quorum member in time.
    AcceptTimeout,
    /// Paxos leader: time to extend the lease again.
    LeaseRenew,
    /// Paxos leader: not every peon acked the lease.
    LeaseAckTimeout,
    /// Paxos peon: no lease from the leader.
    LeaseTimeout,
    /// PaxosService: the delayed proposal of the kv service.
    ProposeTimer,
    /// Monitor: the sync requester gave up waiting (mon_sync_timeout).
    SyncTimeout,
    /// Monitor: periodic tick (mon_tick_interval).
    Tick,
    /// Monitor (leader): start the next timecheck round (§1.10).
    Timecheck,
    /// PaxosService: the delayed proposal of the monmap service.
    MonmapProposeTimer,
    /// Client: the request `tid` waited too long on one monitor; hunt for another.
    ClientRetry(u64),
    /// Client: the keepalive of the session request `tid` waits on
    /// (MonClient::tick, every mon_client_ping_interval).
    ClientKeepalive(u64),
    /// Elector: ping_check of this peer rank (every ping_timeout / divisor).
    PingCheck(Rank),
    /// Elector: dead_ping of this peer rank (every ping_timeout while it is dead).
    DeadPing(Rank),
    /// PaxosService: the delayed proposal of the log service (LogMonitor).
    LogProposeTimer,
    /// PaxosService: the delayed proposal of the health service (never set:
    /// HealthMonitor proposes from its tick).
    HealthProposeTimer,
    /// PaxosService: the delayed proposal of the auth service (never set:
    /// AuthMonitor proposes at once).
    AuthProposeTimer,
    /// PaxosService: the delayed proposal of the MDS map service (never
    /// set: MDSMonitor proposes only its first version, at once).
    MdsProposeTimer,
    /// PaxosService: the delayed proposal of the OSD map service (never
    /// set, as the MDS map's).
    OsdProposeTimer,
    /// Monitor (leader): health to the cluster log if it changed
    /// (health_tick_start, every mon_health_to_clog_tick_interval).
    HealthToClogTick,
    /// Monitor (leader): health to the cluster log, changed or not
    /// (health_interval_start, every mon_health_to_clog_interval).
    HealthToClogInterval,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum TimerOp {
    Set { timer: Timer, after: Duration },
    Cancel { timer: Timer },
}

/// Something a monitor did that the trace records beyond messages and timers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Note {
    /// A line of the monitor's log, in the spirit of Ceph's dout.
    Log(LogLine),
    /// A transaction applied to the monitor's store.
    Store(Transaction),
    /// A transaction every monitor of the quorum applies, one allocation
    /// for all of them ([`Out::round_tx`]): recorded as a `Store` too.
    SharedStore(Arc<Transaction>),
    /// Paxos committed (or learned) this version with this value on this monitor.
    Commit { version: Version, value: Arc<[u8]> },
    /// A client request was answered.
    Reply { tid: u64, ok: bool, text: String },
}

#[derive(Clone, Default, Debug)]
pub struct Out {
    pub sends: Vec<(Addr, Message)>,
    pub timers: Vec<TimerOp>,
    pub notes: Vec<Note>,
    /// Messenger::mark_down_all was called after this many of `sends`: every
    /// message on its way to this monitor from before it is lost.
    pub mark_down_all: Option<usize>,
    /// Client sessions whose connections it marked down (the client's
    /// MonClient::ms_handle_reset runs at once).
    pub marked_down: Vec<SessionId>,
    /// The paxos values last decoded (or encoded by the leader), newest
    /// first, and what they decode to (see [`Out::decode_value`]). Boxed:
    /// an `Out` made and dropped empty (the simulator takes its one `Out`
    /// out and puts it back around each input) then drops no slots.
    decoded: Option<Box<Memo>>,
    /// The last paxos round's transaction built ([`Out::round_tx`]).
    round: Option<(RoundTx, Arc<Transaction>)>,
    /// Emptied transactions' buffers, for the next ones a round makes
    /// ([`Out::transaction`]): the trace keeps a packed copy of each, and
    /// freeing one and allocating the next per store write was about 1%
    /// of the benchmark's instructions. In every build: with the packer's
    /// one path it made the page 522 bytes smaller, not larger
    /// (docs/performance.md, "Twenty-third round, the lead's notes").
    spare: Vec<Vec<StoreOp>>,
}

/// The most emptied buffers [`Out`] keeps.
const SPARE_TXS: usize = 4;

/// Which of a paxos round's transactions, of which version and value
/// (found by the allocation, which the key keeps alive).
#[derive(Clone, Debug)]
pub struct RoundTx {
    /// BEGIN's (its pn), or `None` for COMMIT's.
    pub begin_pn: Option<u64>,
    pub version: Version,
    pub value: Arc<[u8]>,
}

impl RoundTx {
    fn is(&self, o: &RoundTx) -> bool {
        self.begin_pn == o.begin_pn
            && self.version == o.version
            && Arc::ptr_eq(&self.value, &o.value)
    }
}

/// Two values and their decodings, newest first.
type Memo = [Option<(Arc<[u8]>, Decoded)>; 2];

/// A paxos value decoded: its transaction, or why it is malformed.
type Decoded = Result<Transaction, String>;

impl Out {
    pub fn new() -> Self {
        Self::default()
    }
    /// An empty transaction with room for `n` operations, in a spare
    /// buffer if there is one.
    #[inline]
    pub fn transaction(&mut self, n: usize) -> Transaction {
        if let Some(mut ops) = self.spare.pop() {
            ops.reserve(n);
            return Transaction { ops };
        }
        Transaction::with_capacity(n)
    }
    /// Keep `tx`'s buffer, emptied, for [`Out::transaction`].
    pub fn recycle(&mut self, tx: Transaction) {
        let mut ops = tx.ops;
        if self.spare.len() < SPARE_TXS && ops.capacity() > 0 {
            ops.clear();
            self.spare.push(ops);
        }
    }
    pub fn send(&mut self, to: Addr, msg: Message) {
        self.sends.push((to, msg));
    }
    pub fn set_timer(&mut self, timer: Timer, after: Duration) {
        self.timers.push(TimerOp::Set { timer, after });
    }
    pub fn cancel_timer(&mut self, timer: Timer) {
        self.timers.push(TimerOp::Cancel { timer });
    }
    pub fn log(&mut self, text: impl Into<LogLine>) {
        self.notes.push(Note::Log(text.into()));
    }
    /// Connection::mark_down of a client session's connection.
    pub fn mark_down_session(&mut self, id: SessionId) {
        self.marked_down.push(id);
    }
    /// Messenger::mark_down_all: close every connection. Messages on their
    /// way to this monitor are lost (its peers reconnect, are told the session
    /// was reset, and drop what they had queued); what it already sent goes on.
    pub fn mark_down_all(&mut self) {
        self.mark_down_all = Some(self.sends.len());
    }
    /// The transaction a paxos value encodes. Every monitor of a quorum
    /// commits the same shared value (one `Arc` from the leader's BEGIN to
    /// each peon's COMMIT), and the simulator hands all of them the same
    /// `Out`: the value is decoded once, not once per monitor (a tenth of
    /// a write's instructions went to decoding it five times). Found by the
    /// allocation, which the memo keeps alive, so another value can never
    /// be taken for it.
    ///
    /// Two are kept: the leader proposes version v+1 (and remembers it,
    /// [`Out::remember_value`]) before the peons commit v.
    pub fn decode_value(&mut self, value: &Arc<[u8]>) -> &Decoded {
        let hit = self.decoded.as_ref().and_then(|m| {
            m.iter()
                .position(|d| matches!(d, Some((v, _)) if Arc::ptr_eq(v, value)))
        });
        let i = match hit {
            Some(i) => i,
            None => {
                self.remember(value.clone(), Transaction::decode(value));
                0
            }
        };
        match self.decoded.as_deref().and_then(|m| m[i].as_ref()) {
            Some((_, tx)) => tx,
            None => unreachable!("a remembered value"),
        }
    }
    /// A value encoded from `tx` (Paxos::propose_pending holds the
    /// transaction it encodes): it decodes to `tx`, so the commit of it,
    /// on the leader and on every peon that gets the same allocation, does
    /// not decode it at all.
    pub fn remember_value(&mut self, value: Arc<[u8]>, tx: Transaction) {
        self.remember(value, Ok(tx));
    }
    /// The store transaction of a paxos round's step (`key`): the one
    /// another monitor built for the same step, version and value if it
    /// was the last built, else `build`'s, kept for the next. The leader's
    /// BEGIN and every peon's write the same operations, and so does every
    /// peon's COMMIT: built, copied and recorded once, not per monitor (the
    /// simulator hands them all the same `Out`, as for
    /// [`Out::decode_value`]).
    pub fn round_tx(
        &mut self,
        key: RoundTx,
        build: impl FnOnce(&mut Out) -> Transaction,
    ) -> Arc<Transaction> {
        if let Some((k, tx)) = &self.round {
            if k.is(&key) {
                return tx.clone();
            }
        }
        let tx = Arc::new(build(self));
        self.round = Some((key, tx.clone()));
        tx
    }
    fn remember(&mut self, value: Arc<[u8]>, decoded: Decoded) {
        let m = self.decoded.get_or_insert_with(Default::default);
        m.swap(0, 1);
        m[0] = Some((value, decoded));
    }
    /// Nothing asked for that is not handled yet (the decode memo aside).
    pub fn is_drained(&self) -> bool {
        self.sends.is_empty()
            && self.timers.is_empty()
            && self.notes.is_empty()
            && self.mark_down_all.is_none()
            && self.marked_down.is_empty()
    }
    pub fn clear(&mut self) {
        self.sends.clear();
        self.timers.clear();
        self.notes.clear();
        self.mark_down_all = None;
        self.marked_down.clear();
    }
}

/// Format a set of ranks the way Ceph logs them: `{0,1,2}`.
pub fn fmt_ranks(ranks: &[Rank]) -> String {
    let v: Vec<String> = ranks.iter().map(|r| r.to_string()).collect();
    format!("{{{}}}", v.join(","))
}

/// Apply `tx` to the store and record it for the trace. Every store write goes
/// through here, so the trace (and the browser's IndexedDB mirror) sees each
/// transaction exactly once, in order.
pub fn apply_tx(store: &mut MonitorDBStore, out: &mut Out, tx: Transaction) {
    if tx.is_empty() {
        return;
    }
    store.apply(&tx);
    out.notes.push(Note::Store(tx));
}

/// [`apply_tx`] of a transaction other monitors apply too ([`Out::round_tx`]).
pub fn apply_shared_tx(store: &mut MonitorDBStore, out: &mut Out, tx: Arc<Transaction>) {
    if tx.is_empty() {
        return;
    }
    store.apply(&tx);
    out.notes.push(Note::SharedStore(tx));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transaction_in_a_used_buffer_starts_empty() {
        let mut out = Out::new();
        for _ in 0..SPARE_TXS + 2 {
            let mut t = Transaction::with_capacity(3);
            t.put_u64("paxos", "pending_v", 7);
            out.recycle(t);
        }
        assert_eq!(out.spare.len(), SPARE_TXS);
        let t = out.transaction(5);
        assert!(t.is_empty() && t.ops.capacity() >= 5);
        assert_eq!(out.spare.len(), SPARE_TXS - 1);
    }

    #[test]
    fn a_paxos_value_decodes_to_its_own_transaction_whatever_was_decoded_before() {
        let mut a = Transaction::new();
        a.put_u64("paxos", "last_committed", 7);
        let mut b = Transaction::new();
        b.put("mon_config_key", "k1", b"v1".to_vec());
        let va: Arc<[u8]> = a.encode().into();
        let vb: Arc<[u8]> = b.encode().into();
        // The same bytes in another allocation, and a malformed value.
        let va2: Arc<[u8]> = a.encode().into();
        let bad: Arc<[u8]> = Arc::from(&[9u8, 9][..]);
        let mut out = Out::new();
        for _ in 0..2 {
            assert_eq!(out.decode_value(&va), &Ok(a.clone()));
            assert_eq!(out.decode_value(&va), &Ok(a.clone()));
            assert_eq!(out.decode_value(&vb), &Ok(b.clone()));
            assert_eq!(out.decode_value(&va2), &Ok(a.clone()));
            assert!(out.decode_value(&bad).is_err());
        }
    }

    #[test]
    fn a_rounds_transaction_is_built_once_per_step_version_and_value() {
        let value: Arc<[u8]> = Arc::from(&b"v"[..]);
        let key = |pn, value: &Arc<[u8]>| RoundTx {
            begin_pn: pn,
            version: 7,
            value: value.clone(),
        };
        let build = |pn: u64| {
            move |_: &mut Out| {
                let mut t = Transaction::new();
                t.put_u64("paxos", "pending_pn", pn);
                t
            }
        };
        let mut out = Out::new();
        let first = out.round_tx(key(Some(100), &value), build(100));
        // Another monitor's BEGIN of the same version, pn and value: the same one.
        let again = out.round_tx(key(Some(100), &value), |_| unreachable!("built again"));
        assert!(Arc::ptr_eq(&first, &again));
        // Another pn, another step, or equal bytes in another allocation: built anew.
        let other_pn = out.round_tx(key(Some(200), &value), build(200));
        assert_eq!(other_pn.ops, build(200)(&mut Out::new()).ops);
        let commit = out.round_tx(key(None, &value), build(1));
        assert!(!Arc::ptr_eq(&commit, &other_pn));
        let copy: Arc<[u8]> = Arc::from(&b"v"[..]);
        let elsewhere = out.round_tx(key(None, &copy), build(2));
        assert_eq!(elsewhere.ops, build(2)(&mut Out::new()).ops);
    }

    #[test]
    fn a_remembered_value_decodes_to_the_transaction_it_was_encoded_from() {
        let mut a = Transaction::new();
        a.put_u64("paxos", "last_committed", 7)
            .put("config-key", "k", b"v".to_vec());
        let va: Arc<[u8]> = a.encode().into();
        let vb: Arc<[u8]> = Arc::from(&[9u8, 9][..]);
        let mut out = Out::new();
        out.remember_value(va.clone(), a.clone());
        // Another value decoded since: both are kept.
        assert!(out.decode_value(&vb).is_err());
        assert_eq!(out.decode_value(&va), &Ok(a.clone()));
        assert_eq!(Transaction::decode(&va), Ok(a));
    }
}
