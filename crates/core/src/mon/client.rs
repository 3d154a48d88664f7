//! A MonClient-like client of the config-key service. Each request is one
//! `ceph` command: its own MonClient with one session at a time. When its
//! session fails (the monitor died, restarted or is cut off; looked at every
//! mon_client_hunt_interval) it hunts: it closes the
//! session (the monitor drops what it routed for it, Monitor::remove_session)
//! and resends the request on a new session with the next monitor (in rank
//! order here, where Ceph picks at random, so runs stay readable). It keeps
//! retrying until the request is answered, then closes its session.

use super::messages::{ClientOp, ClientResult, MClientReply, MClientRequest, MClose, Message};
use super::monmap::MonMap;
use super::out::{Out, Timer};
use super::{Addr, Rank};
use crate::time::Duration;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Clone, Debug)]
struct Pending {
    req: MClientRequest,
    /// The rank currently asked, over `req.session`.
    target: Rank,
}

#[derive(Clone, Debug)]
pub struct Client {
    monmap: Arc<MonMap>,
    hunt_interval: Duration,
    next_tid: u64,
    next_session: u64,
    pending: BTreeMap<u64, Pending>,
}

/// What the client learned from a reply, for the trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answered {
    pub tid: u64,
    pub text: String,
}

impl Client {
    pub fn new(monmap: Arc<MonMap>, hunt_interval: Duration) -> Client {
        Client {
            monmap,
            hunt_interval,
            next_tid: 1,
            next_session: 1,
            pending: BTreeMap::new(),
        }
    }

    /// Submit a request to the monitor of rank `target`; returns its tid.
    pub fn submit(&mut self, op: ClientOp, target: Rank, out: &mut Out) -> u64 {
        let tid = self.next_tid;
        self.next_tid += 1;
        let session = self.open_session();
        let req = MClientRequest { tid, session, op };
        self.pending.insert(tid, Pending { req, target });
        self.send(tid, out);
        tid
    }

    fn open_session(&mut self) -> u64 {
        let s = self.next_session;
        self.next_session += 1;
        s
    }

    /// Mark the session's connection down: the monitor removes the session.
    fn close(&self, p: &Pending, out: &mut Out) {
        if let Some(addr) = self.monmap.addr_of(p.target) {
            out.send(
                addr,
                Message::Close(MClose {
                    session: p.req.session,
                }),
            );
        }
    }

    fn send(&self, tid: u64, out: &mut Out) {
        let Some(p) = self.pending.get(&tid) else {
            return;
        };
        if let Some(addr) = self.monmap.addr_of(p.target) {
            out.send(addr, Message::Client(p.req.clone()));
        }
        out.set_timer(Timer::ClientRetry(tid), self.hunt_interval);
    }

    /// The rank `tid` is waiting on, and the session it was sent on.
    pub fn target_of(&self, tid: u64) -> Option<(Rank, u64)> {
        self.pending.get(&tid).map(|p| (p.target, p.req.session))
    }

    /// The hunt timer for `tid` fired. MonClient hunts only when its session
    /// fails (ms_handle_reset, or keepalives unanswered in MonClient::tick),
    /// never because a command is slow: a monitor that is up and reachable
    /// but does not answer yet (electing, or a peon waiting for a readable
    /// lease in PaxosService::dispatch) keeps the request, as librados'
    /// mon_command does without a timeout. `session_alive` says which.
    pub fn on_retry(&mut self, tid: u64, session_alive: bool, out: &mut Out) {
        let n = self.monmap.size() as Rank;
        let Some(p) = self.pending.get(&tid) else {
            return;
        };
        if session_alive {
            out.set_timer(Timer::ClientRetry(tid), self.hunt_interval);
            return;
        }
        self.close(p, out);
        let session = self.open_session();
        let Some(p) = self.pending.get_mut(&tid) else {
            return;
        };
        p.req.session = session;
        if n > 0 {
            p.target = (p.target + 1).rem_euclid(n);
        }
        let name = self.monmap.name_of(p.target).unwrap_or("?").to_string();
        out.log(format!(
            "request {tid}: no answer, hunting: trying mon.{name}"
        ));
        self.send(tid, out);
    }

    /// A reply arrived from `from`.
    pub fn on_reply(
        &mut self,
        from: Addr,
        reply: &MClientReply,
        out: &mut Out,
    ) -> Option<Answered> {
        let p = self.pending.remove(&reply.tid)?;
        out.cancel_timer(Timer::ClientRetry(reply.tid));
        // The command is done and its process exits, closing the session.
        self.close(&p, out);
        let who = self
            .monmap
            .name_of(self.monmap.rank_of_addr(from))
            .unwrap_or("?");
        let text = match (&p.req.op, &reply.result) {
            (ClientOp::Write { key, value }, ClientResult::Written { version }) => {
                format!("write {key}={value} committed at v{version} (answered by mon.{who})")
            }
            (
                ClientOp::Read { key },
                ClientResult::Value {
                    value: Some(v),
                    version,
                },
            ) => {
                format!("read {key} = {v} (mon.{who}, v{version})")
            }
            (
                ClientOp::Read { key },
                ClientResult::Value {
                    value: None,
                    version,
                },
            ) => {
                format!("read {key}: no such key (mon.{who}, v{version})")
            }
            (ClientOp::MonAdd { name, .. }, ClientResult::Command { text, .. }) => {
                format!("mon add {name}: {text} (answered by mon.{who})")
            }
            (ClientOp::MonRemove { name }, ClientResult::Command { text, .. }) => {
                format!("mon remove {name}: {text} (answered by mon.{who})")
            }
            (_, r) => format!("unexpected reply {r:?} from mon.{who}"),
        };
        Some(Answered {
            tid: reply.tid,
            text,
        })
    }

    /// Requests still waiting for an answer.
    pub fn outstanding(&self) -> usize {
        self.pending.len()
    }
}
