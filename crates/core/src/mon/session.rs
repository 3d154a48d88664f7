//! Client sessions on a monitor (MonSession, Monitor::remove_session) and the
//! requests a peon routed to its leader on their behalf (RoutedRequest).
//!
//! A client talks to one monitor at a time over one session. A request that
//! a peon forwards stays with that session until the leader's MRoute answers
//! it, and is resent to each new leader (resend_routed_requests). When the
//! session goes away its routed requests go with it: the client closed it
//! (it hunted to another monitor, or the command finished: ms_handle_reset),
//! it was idle past mon_session_timeout, or the monitor has been out of
//! quorum for more than 2 × mon_lease (both trimmed in Monitor::tick).

use super::messages::MClientRequest;
use super::out::Out;
use super::Addr;
use crate::mon::vecmap::VecMap;
use crate::time::{Duration, Time};

/// A session: the client's address and the session it numbered.
pub type SessionId = (Addr, u64);

#[derive(Clone, Debug, Default)]
pub struct Sessions {
    /// Open sessions: when each times out (session_timeout), and when its
    /// last message came.
    open: VecMap<SessionId, (Time, Time)>,
    /// Requests forwarded to the leader, by (client, tid), not answered yet.
    routed: VecMap<(Addr, u64), MClientRequest>,
}

impl Sessions {
    /// A message came on session `id`: open it, or push its timeout on.
    pub fn touch(&mut self, id: SessionId, now: Time, timeout: Duration) {
        self.open.insert(id, (now.saturating_add(timeout), now));
    }

    /// forward_request_leader: keep the request until the leader answers.
    pub fn route(&mut self, client: Addr, req: MClientRequest) {
        self.routed.insert((client, req.tid), req);
    }

    /// handle_route: the leader answered; the request is done. False if it
    /// was not routed (any more): its session went away.
    pub fn routed_answered(&mut self, client: Addr, tid: u64) -> bool {
        self.routed.remove(&(client, tid)).is_some()
    }

    /// The requests to resend to a new leader (resend_routed_requests).
    pub fn routed(&self) -> impl Iterator<Item = (Addr, &MClientRequest)> {
        self.routed.iter().map(|((client, _), req)| (*client, req))
    }

    /// The routed requests, taken out: a new leader serves them itself.
    pub fn take_routed(&mut self) -> Vec<(Addr, MClientRequest)> {
        let all = self.routed().map(|(c, r)| (c, r.clone())).collect();
        self.routed.clear();
        all
    }

    /// Monitor::remove_session: the session and its routed requests go.
    pub fn remove(&mut self, id: SessionId, out: &mut Out) {
        self.open.remove(&id);
        let (client, session) = id;
        let dropped: Vec<u64> = self
            .routed
            .iter()
            .filter(|((c, _), req)| *c == client && req.session == session)
            .map(|((_, tid), _)| *tid)
            .collect();
        for tid in dropped {
            out.log(format!("remove_session: dropping routed request {tid}"));
            self.routed.remove(&(client, tid));
        }
    }

    /// Monitor::tick's session trim: idle sessions whose timeout passed, and
    /// every session once out of quorum for too long. `zap_before`, while
    /// out of quorum: Monitor::waitlist_or_zap_client, as the tick retries
    /// what waits for a quorum, keeps a client's message only while it is
    /// younger than mon_lease, then marks the connection down and removes
    /// the session ("sending client elsewhere": the client hunts).
    pub fn trim(
        &mut self,
        now: Time,
        out_for_too_long: bool,
        zap_before: Option<Time>,
        out: &mut Out,
    ) {
        let gone: Vec<(SessionId, bool)> = self
            .open
            .iter()
            .filter_map(|(id, (timeout, last))| {
                let zap = zap_before.is_some_and(|z| *last < z);
                (*timeout < now || out_for_too_long || zap).then_some((*id, zap))
            })
            .collect();
        for (id, zap) in gone {
            out.log(if out_for_too_long {
                format!(
                    "trimming session {} because we've been out of quorum too long",
                    id.1
                )
            } else if zap {
                format!(
                    "discarding message from session {} and sending client elsewhere",
                    id.1
                )
            } else {
                format!("trimming session {} (idle past mon_session_timeout)", id.1)
            });
            self.remove(id, out);
            // Monitor::tick marks its connection down: the client sees the reset.
            out.mark_down_session(id);
        }
    }

    pub fn is_open(&self, id: SessionId) -> bool {
        self.open.contains_key(&id)
    }
}
