//! What a cut mon-to-mon link does with the messages sent over it: TCP holds
//! them. Ceph's monitors talk over lossless msgr2 connections, and an
//! iptables DROP does not break a TCP connection: what a monitor sends waits
//! unacknowledged in its socket, and the kernel retransmits the first
//! unacknowledged segment with exponential backoff. After the heal nothing
//! flows until the next of those retransmissions; then everything held
//! arrives at once, in order (measured on ceph-mon 16.2.15, README "Cut and
//! restore").
//!
//! A cut that outlasts `tcp_retries2` aborts the connection (the kernel
//! gives up about 15 minutes after the first unacknowledged segment). A
//! monitor's messenger then reconnects (ProtocolV2::_fault, a lossless peer):
//! what it held is requeued, not lost, and its connection attempts (SYNs)
//! fail until the heal; the first SYN after it reconnects the session and
//! delivers the queue. A client's connection is lossy: aborted, what it held
//! is gone.
//!
//! A one-way cut (packets from a to b dropped) holds a's data to b at once,
//! and b's data to a shortly after: a's acknowledgements of it are dropped,
//! b's congestion window collapses and nothing new leaves until an
//! acknowledgement gets through, at b's own next retransmission after the
//! restore. Measured on ceph-mon 16.2.15 (`cut a -> b` at 20 s, `restore a ->
//! b` at 50 s): a got b's backlog 23.8 s after the restore, b got a's 25.9 s
//! after it.

use crate::mon::messages::Message;
use crate::time::{Duration, Time, MS, SEC};
use crate::trace::{MsgId, NodeId};
use std::sync::Arc;

/// The first retransmission timeout of a loopback connection: Linux's
/// tcp_rto_min (200 ms) plus the smoothed round trip, which delayed
/// acknowledgements make a few tens of milliseconds for the monitors'
/// request/response traffic. Fitted to ceph-mon 16.2.15 runs: held messages
/// arrived 6.9 s (31 RTO) and 55.6 s (255 RTO) after they were sent, and
/// 53.8 s (255 RTO) after on a one-way cut; a 20 s → 90 s cut reunited at
/// 130.8 s (511 RTO), while a 20 s → 130 s cut did not resume within 200 s
/// (its 511-RTO retransmission came before the heal): 0.211–0.223 s.
pub const RTO_INITIAL: Duration = 215 * MS;
/// How long data keeps leaving a socket whose acknowledgements are cut off
/// (a one-way cut, the other way): until its retransmission timer and tail
/// loss probes collapse the congestion window. Measured on ceph-mon 16.2.15
/// (`cut a -> b` at 20 s): a kept receiving b's messages for 0.65 s, then
/// nothing until b's retransmission 53.8 s after the first unacknowledged one.
pub const ACKLESS_WINDOW: Duration = 650 * MS;
/// Linux's TCP_RTO_MAX: the backoff stops doubling there.
pub const RTO_MAX: Duration = 120 * SEC;
/// Retransmissions an orphaned socket (its process died) makes before the
/// kernel drops it: tcp_orphan_retries 0 means 8 (tcp_orphan_retries()).
pub const ORPHAN_RETRIES: u32 = 8;
/// How long after its first transmission a segment's retransmissions go on
/// before the kernel aborts the connection (ETIMEDOUT): tcp_retries2 = 15,
/// computed as Linux's retransmits_timed_out() does from TCP_RTO_MIN
/// (200 ms): (2^10 − 1) × 0.2 s doubling up to TCP_RTO_MAX, then 6 × 120 s.
pub const RETRIES2_TIMEOUT: Duration = 924_600 * MS;
/// A connection attempt's SYNs: at once, then after Linux's initial SYN
/// timeout (1 s) doubling, until msgr gives the attempt up after
/// ms_connection_ready_timeout (10 s: AsyncConnection::tick).
pub(crate) const SYNS: [Duration; 4] = [0, SEC, 3 * SEC, 7 * SEC];
pub(crate) const CONNECT_TIMEOUT: Duration = 10 * SEC;
/// ProtocolV2::_fault's wait between failed attempts: ms_initial_backoff,
/// doubling up to ms_max_backoff.
pub(crate) const INITIAL_BACKOFF: Duration = 200 * MS;
pub(crate) const MAX_BACKOFF: Duration = 15 * SEC;

/// The moment of the `k`-th retransmission (k ≥ 1) of a segment first sent at
/// `since`: since + RTO × (2^k − 1), each interval capped at [`RTO_MAX`].
pub fn retransmission(since: Time, k: u32) -> Time {
    let mut at = since;
    let mut rto = RTO_INITIAL;
    for _ in 0..k {
        at = at.saturating_add(rto);
        rto = (rto * 2).min(RTO_MAX);
    }
    at
}

/// The first retransmission of a segment first sent at `since` that falls
/// at or after `now`, and its number.
pub fn next_retransmission(since: Time, now: Time) -> (u32, Time) {
    let mut k = 1;
    let mut at = since.saturating_add(RTO_INITIAL);
    let mut rto = RTO_INITIAL;
    while at < now {
        rto = (rto * 2).min(RTO_MAX);
        at = at.saturating_add(rto);
        k += 1;
    }
    (k, at)
}

/// When a connection whose first unacknowledged segment was sent at `since`
/// is aborted: at the first retransmission timer that finds
/// [`RETRIES2_TIMEOUT`] passed (tcp_write_timeout), which retransmits no more.
pub fn aborted_at(since: Time) -> Time {
    let mut k = 1;
    while retransmission(since, k).saturating_sub(since) < RETRIES2_TIMEOUT {
        k += 1;
    }
    retransmission(since, k)
}

/// After an abort at `abort`, the first SYN of msgr's reconnection attempts
/// sent at or after `now` (ProtocolV2::_fault "initiating reconnect" at once,
/// then an attempt per [`CONNECT_TIMEOUT`] and backoff).
pub fn reconnection(abort: Time, now: Time) -> Time {
    let mut start = abort;
    let mut backoff = INITIAL_BACKOFF;
    loop {
        if let Some(syn) = SYNS.iter().map(|d| start + d).find(|t| *t >= now) {
            return syn;
        }
        start += CONNECT_TIMEOUT + backoff;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One direction of a connection whose data goes unacknowledged.
#[derive(Clone, Debug)]
pub struct Stall {
    /// The direction: (sender, receiver).
    pub link: (NodeId, NodeId),
    /// When its first unacknowledged segment was sent: the retransmission
    /// timer counts from there.
    pub since: Time,
    /// Messages waiting in the sender's socket, in send order.
    pub held: Vec<(MsgId, Arc<Message>)>,
    /// The sending process died while they waited: its socket is an orphan
    /// that the kernel retransmits only [`ORPHAN_RETRIES`] times.
    pub orphan: bool,
    /// A client's connection (Policy::lossy_client): once aborted, what it
    /// held is gone instead of going again on a new connection.
    pub lossy: bool,
}

impl Stall {
    pub fn new(link: (NodeId, NodeId), since: Time) -> Stall {
        Stall {
            link,
            since,
            held: Vec::new(),
            orphan: false,
            lossy: false,
        }
    }

    /// Hold a message, keeping send (id) order: a released message that met
    /// a new cut comes back behind messages held since.
    pub fn hold(&mut self, id: MsgId, msg: Arc<Message>) {
        let at = self.held.partition_point(|(i, _)| *i < id);
        self.held.insert(at, (id, msg));
    }

    /// Whether data sent at `now` still leaves the socket although its
    /// acknowledgements cannot come back ([`ACKLESS_WINDOW`]).
    pub fn window_open(&self, now: Time) -> bool {
        now < self.since.saturating_add(ACKLESS_WINDOW)
    }

    /// When what it holds reaches the other side if the link is whole from
    /// `now`: at the next retransmission, or never (None) for an orphan
    /// that gave up first; once the connection is aborted, at msgr's next
    /// connection attempt, or never on a lossy one.
    pub fn resumes(&self, now: Time) -> Option<Time> {
        let (k, at) = next_retransmission(self.since, now);
        if self.orphan && k > ORPHAN_RETRIES {
            return None;
        }
        let abort = aborted_at(self.since);
        if at < abort {
            Some(at)
        } else if self.lossy || self.orphan {
            None
        } else {
            Some(reconnection(abort, now))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retransmissions_back_off_from_the_first_held_segment() {
        assert_eq!(retransmission(0, 1), 215 * MS);
        assert_eq!(retransmission(0, 5), 31 * 215 * MS);
        assert_eq!(next_retransmission(0, 5 * SEC), (5, 6_665 * MS));
        assert_eq!(next_retransmission(0, 31 * 215 * MS), (5, 6_665 * MS));
        // Capped at TCP_RTO_MAX: after 0.215 s × 2^9 = 110 s the interval stays 120 s.
        let k10 = retransmission(0, 10);
        assert_eq!(retransmission(0, 11) - k10, RTO_MAX);
    }

    #[test]
    fn a_connection_is_aborted_after_tcp_retries2_and_msgr_reconnects_protocolv2_fault() {
        // 0.215 s doubling: the 16th timer, 939.9 s after the first send, is
        // the first past 924.6 s; the 15th retransmission was at 819.9 s.
        let abort = aborted_at(0);
        assert_eq!(abort, retransmission(0, 16));
        assert!(retransmission(0, 15) < RETRIES2_TIMEOUT && abort >= RETRIES2_TIMEOUT);
        // SYNs at once, 1, 3, 7 s; the attempt gives up at 10 s and the next
        // starts 0.2 s later (backoff doubling to 15 s).
        assert_eq!(reconnection(abort, abort), abort);
        assert_eq!(reconnection(abort, abort + 2 * SEC), abort + 3 * SEC);
        assert_eq!(reconnection(abort, abort + 8 * SEC), abort + 10_200 * MS);
        assert_eq!(reconnection(abort, abort + 18 * SEC), abort + 20_600 * MS);
        let mut s = Stall::new((0, 1), 0);
        assert_eq!(s.resumes(900 * SEC), Some(abort)); // the abort, whole: at once
        assert_eq!(s.resumes(abort + 2 * SEC), Some(abort + 3 * SEC));
        s.lossy = true;
        assert_eq!(s.resumes(900 * SEC), None);
        assert_eq!(s.resumes(800 * SEC), Some(retransmission(0, 15)));
    }

    #[test]
    fn an_orphaned_socket_gives_up_after_its_retries() {
        let mut s = Stall::new((0, 1), 0);
        s.orphan = true;
        assert_eq!(s.resumes(50 * SEC), Some(retransmission(0, 8)));
        assert_eq!(s.resumes(60 * SEC), None);
        s.orphan = false;
        assert_eq!(s.resumes(60 * SEC), Some(retransmission(0, 9)));
    }
}
