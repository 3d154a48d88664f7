//! A MonClient-like client of the config-key service. Each request is one
//! `ceph` command: its own MonClient with one session at a time. When its
//! session's connection is reset (the monitor died or marked it down:
//! MonClient::ms_handle_reset reopens at once), or fails otherwise (a lost
//! message; looked at every mon_client_hunt_interval), or its keepalives go
//! unanswered for mon_client_ping_timeout (a cut link: MonClient::tick), it
//! hunts: it closes the session (the monitor drops what it routed for it,
//! Monitor::remove_session) and resends the request on a new session with a
//! monitor it can reach, picked at random among those it has not tried
//! ([`Hunt`], MonClient::_add_conns). A session whose handshake never
//! completed (its monitor was down, cut off or out of quorum when it
//! opened) is still hunting: the next tick, mon_client_hunt_interval later
//! (longer each time once a session had opened), moves on ("continuing
//! hunt"); between two ticks its messenger keeps trying the monitors it
//! connected to, and the first that answers opens the session ("found
//! mon.X"). It keeps retrying until the request is answered, then closes
//! its session.

use super::hunt::{Hunt, HuntOptions, Reach};
use super::logline::put_u64;
use super::messages::{ClientOp, ClientResult, MClientReply, MClientRequest, MClose, Message};
use super::monmap::MonMap;
use super::out::{Out, Timer};
use super::{Addr, Rank};
use crate::mon::vecmap::VecMap;
use crate::time::{format_secs, Duration, Time};
use std::sync::Arc;

#[derive(Clone, Debug)]
struct Pending {
    req: MClientRequest,
    /// The rank currently asked, over `req.session`.
    target: Rank,
    /// When the session's connection last answered a keepalive (at first:
    /// when it opened), as MonClient::tick reads get_last_keepalive_ack.
    last_ack: Time,
    /// Whether its keepalives run: from the session's first tick on.
    keepalive: bool,
    /// Whether the session's handshake completed (MonClient::_finish_hunting):
    /// its monitor could be reached when it opened, or the request got
    /// through later. Until then the client is hunting.
    established: bool,
    /// Its MonClient has a global_id: a session of it once opened
    /// (MonClient::_finish_auth); it keeps it through every reopen.
    global_id: bool,
    /// Its MonClient's hunting state.
    hunt: Hunt,
    /// When its MonClient ticks next (schedule_tick): the session check.
    tick_at: Time,
    /// When its current session opened (or was first tried).
    opened: Time,
}

/// What a session's connection is doing when the client looks at it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conn {
    /// Data flows both ways, since the given time (when TCP last resumed
    /// it after a cut; 0 if it never stalled): keepalives are answered.
    Flowing { since: Time },
    /// Cut, or TCP still holds what a cut stopped: nothing is answered,
    /// and only the keepalives notice (no error reaches the client).
    Stalled,
    /// The session failed: the monitor died, restarted or removed the
    /// session, or a message of the request was lost (ms_handle_reset).
    Failed,
}

/// The MonClient options the client follows.
#[derive(Clone, Copy, Debug)]
pub struct ClientTimers {
    /// mon_client_hunt_interval: the session check, and a new session's first tick.
    pub hunt: Duration,
    /// mon_client_ping_interval: keepalives on a connected session.
    pub ping: Duration,
    /// mon_client_ping_timeout: unanswered keepalives for this long end the
    /// session (0: never).
    pub ping_timeout: Duration,
    /// mon_client_hunt_parallel and the hunt interval's backoff.
    pub hunting: HuntOptions,
}

#[derive(Clone, Debug)]
pub struct Client {
    monmap: Arc<MonMap>,
    timers: ClientTimers,
    next_tid: u64,
    next_session: u64,
    pending: VecMap<u64, Pending>,
}

/// What the client learned from a reply, for the trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answered {
    pub tid: u64,
    pub text: String,
}

impl Client {
    pub fn new(monmap: Arc<MonMap>, timers: ClientTimers) -> Client {
        Client {
            monmap,
            timers,
            next_tid: 1,
            next_session: 1,
            pending: VecMap::new(),
        }
    }

    /// Submit a request to the monitor of rank `target` at `now`; returns its
    /// tid. `via`: the command named that monitor (`mon priority`).
    /// `reach`: what a connection to each monitor meets now (the session
    /// opens if `target` answers). `draw(n)`: the simulator's chance,
    /// uniform in [0, n).
    #[allow(clippy::too_many_arguments)]
    pub fn submit(
        &mut self,
        op: Arc<ClientOp>,
        target: Rank,
        via: bool,
        now: Time,
        reach: &dyn Fn(Rank) -> Reach,
        draw: &mut dyn FnMut(u32) -> u32,
        out: &mut Out,
    ) -> u64 {
        let tid = self.next_tid;
        self.next_tid += 1;
        let session = self.open_session();
        let req = MClientRequest { tid, session, op };
        let mut hunt = Hunt::new(self.timers.hunting, target, via, self.monmap.size(), draw);
        // A new MonClient: no global_id yet.
        let reach = |r| reach(r).for_client(false);
        let reachable = reach(target) == Reach::Answers;
        if reachable {
            hunt.finish();
        } else {
            hunt.connect(now, &reach);
        }
        self.pending.insert(
            tid,
            Pending {
                req,
                target,
                last_ack: now,
                keepalive: false,
                established: reachable,
                global_id: reachable,
                hunt,
                tick_at: now,
                opened: now,
            },
        );
        self.send(tid, now, out);
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

    fn send(&mut self, tid: u64, now: Time, out: &mut Out) {
        let Some(p) = self.pending.get_mut(&tid) else {
            return;
        };
        // An open session is looked at every mon_client_hunt_interval; a
        // hunting MonClient ticks after that times its multiplier, and its
        // connection attempts may open a session before. The command goes
        // only on an open session (MonClient::_send_command; a hunting
        // client sends it from _finish_auth).
        if p.established {
            if let Some(addr) = self.monmap.addr_of(p.target) {
                out.send(addr, Message::Client(p.req.clone()));
            }
            p.tick_at = now + self.timers.hunt;
            out.set_timer(Timer::ClientRetry(tid), self.timers.hunt);
            return;
        }
        p.tick_at = now + p.hunt.interval(self.timers.hunt);
        Self::arm_hunting(tid, p, now, out);
    }

    /// A hunting request's timer: its next tick, or a connection attempt
    /// due before it.
    fn arm_hunting(tid: u64, p: &Pending, now: Time, out: &mut Out) {
        let at = p
            .hunt
            .next_attempt()
            .map_or(p.tick_at, |a| a.min(p.tick_at));
        out.set_timer(Timer::ClientRetry(tid), at.saturating_sub(now));
    }

    /// The rank `tid` is waiting on, the session it was sent on and when
    /// that session opened.
    pub fn target_of(&self, tid: u64) -> Option<(Rank, u64, Time)> {
        self.pending
            .get(&tid)
            .map(|p| (p.target, p.req.session, p.opened))
    }

    /// The requests with an open session to `rank`: (tid, session).
    pub fn open_sessions_with(&self, rank: Rank) -> Vec<(u64, u64)> {
        self.pending
            .iter()
            .filter(|(_, p)| p.established && p.target == rank)
            .map(|(tid, p)| (*tid, p.req.session))
            .collect()
    }

    /// MonClient::ms_handle_reset for the current monitor: the session's
    /// connection was reset (its monitor died, or marked the connection
    /// down), and `_reopen_session` runs at once, between two ticks; the
    /// tick stays where it was (a reopen that reached nobody is still
    /// hunting then: "continuing hunt", backed off again). ceph-mon 16.2.15,
    /// debug_monc 20: "ms_handle_reset current mon" and "found mon.X" in the
    /// same millisecond. A request still hunting ignores it (its messenger
    /// keeps trying: [`Hunt`]).
    pub fn on_reset(
        &mut self,
        tid: u64,
        now: Time,
        reach: &dyn Fn(Rank) -> Reach,
        draw: &mut dyn FnMut(u32) -> u32,
        out: &mut Out,
    ) {
        let Some(p) = self.pending.get(&tid) else {
            return;
        };
        if !p.established {
            return;
        }
        let tick_at = p.tick_at.max(now);
        self.hunt(tid, now, reach, draw, "ms_handle_reset current mon", out);
        if let Some(p) = self.pending.get_mut(&tid) {
            p.tick_at = tick_at;
            if p.established {
                out.set_timer(Timer::ClientRetry(tid), tick_at - now);
            } else {
                Self::arm_hunting(tid, p, now, out);
            }
        }
    }

    /// A client timer fired: the session check of `tid`
    /// (`Timer::ClientRetry`, every mon_client_hunt_interval) or its
    /// keepalive (`Timer::ClientKeepalive`). MonClient hunts only when its
    /// session fails (ms_handle_reset, or keepalives unanswered in
    /// MonClient::tick), never because a command is slow: a monitor that is
    /// up and reachable but does not answer yet (electing, or a peon waiting
    /// for a readable lease in PaxosService::dispatch) keeps the request, as
    /// librados' mon_command does without a timeout. `conn` says which.
    /// `reach` says which ranks a new session can open with
    /// (MonClient::_add_conns connects to mon_client_hunt_parallel monitors
    /// at once and keeps the first to answer: one that is down or cut off
    /// never does).
    pub fn on_timer(
        &mut self,
        timer: Timer,
        conn: Conn,
        now: Time,
        reach: &dyn Fn(Rank) -> Reach,
        draw: &mut dyn FnMut(u32) -> u32,
        out: &mut Out,
    ) {
        let (tid, check) = match timer {
            Timer::ClientRetry(tid) => (tid, true),
            Timer::ClientKeepalive(tid) => (tid, false),
            _ => return,
        };
        let Some(p) = self.pending.get_mut(&tid) else {
            return;
        };
        if check && !p.established && now < p.tick_at {
            // Between two ticks: the messenger's connection attempts.
            let has = p.global_id;
            match p.hunt.poll(now, &|r| reach(r).for_client(has)) {
                Some(rank) => self.found(tid, rank, now, out),
                None => Self::arm_hunting(tid, p, now, out),
            }
            return;
        }
        if check && !p.established {
            // MonClient::tick while _hunting(): "continuing hunt" →
            // _reopen_session, every mon_client_hunt_interval times the
            // multiplier (grown only once the MonClient had a connection).
            self.hunt(tid, now, reach, draw, "continuing hunt", out);
            return;
        }
        if check && conn == Conn::Failed {
            // A failure the client was not told of when it happened (a lost
            // message; a reset that a cut held back): ms_handle_reset's
            // reopen, then, if nobody could answer, this tick's ("continuing
            // hunt"), backing off twice, as after a reset between two ticks
            // ([`Client::on_reset`]).
            self.hunt(tid, now, reach, draw, "no answer, hunting", out);
            if self.pending.get(&tid).is_some_and(|p| !p.established) {
                self.hunt(tid, now, reach, draw, "continuing hunt", out);
            }
            return;
        }
        if check && p.keepalive {
            p.tick_at = now + self.timers.hunt;
            out.set_timer(Timer::ClientRetry(tid), self.timers.hunt);
            return;
        }
        // A keepalive: the session's first comes at its first tick (a new
        // MonClient ticks after mon_client_hunt_interval), then one every
        // mon_client_ping_interval.
        p.keepalive = true;
        if self.keepalive_gives_up(tid, conn, now, out) {
            self.hunt(tid, now, reach, draw, "no answer, hunting", out);
            return;
        }
        out.set_timer(Timer::ClientKeepalive(tid), self.timers.ping);
        if check {
            if let Some(p) = self.pending.get_mut(&tid) {
                p.tick_at = now + self.timers.hunt;
            }
            out.set_timer(Timer::ClientRetry(tid), self.timers.hunt);
        }
    }

    /// MonClient::tick sends a keepalive on a connected session every
    /// mon_client_ping_interval and, first, compares the last answer with
    /// mon_client_ping_timeout: "no keepalive since ..., reconnecting"
    /// (`_reopen_session`). Ceph's tick drifts a little later each second,
    /// so the third unanswered keepalive after an answered one is past a 30 s
    /// timeout (ceph-mon 16.2.15: 30.01 s): hence `>=` here.
    fn keepalive_gives_up(&mut self, tid: u64, conn: Conn, now: Time, out: &mut Out) -> bool {
        let timeout = self.timers.ping_timeout;
        let Some(p) = self.pending.get_mut(&tid) else {
            return false;
        };
        if let Conn::Flowing { since } = conn {
            // Keepalives that waited in TCP were answered when it resumed.
            p.last_ack = p.last_ack.max(since.min(now));
        }
        if timeout > 0 && now.saturating_sub(p.last_ack) >= timeout {
            out.log(format!(
                "request {tid}: no keepalive since {} ({} seconds), reconnecting",
                format_secs(p.last_ack),
                format_secs(now - p.last_ack)
            ));
            return true;
        }
        if matches!(conn, Conn::Flowing { .. }) {
            p.last_ack = now;
        }
        // tick: a keepalive sent without giving up un-backs off.
        p.hunt.un_backoff();
        false
    }

    /// Close the session and resend the request on a new one
    /// (MonClient::_reopen_session, [`Hunt::reopen`]): with a monitor that
    /// can be reached, or, if none can, one that cannot (that session is
    /// still hunting). `why` leads the log line.
    fn hunt(
        &mut self,
        tid: u64,
        now: Time,
        reach: &dyn Fn(Rank) -> Reach,
        draw: &mut dyn FnMut(u32) -> u32,
        why: &str,
        out: &mut Out,
    ) {
        let n = self.monmap.size();
        let Some(p) = self.pending.get(&tid) else {
            return;
        };
        if p.established {
            // A handshake that never completed left no session to close.
            self.close(p, out);
        }
        let Some(p) = self.new_session(tid, now) else {
            return;
        };
        out.cancel_timer(Timer::ClientKeepalive(tid));
        let has = p.global_id;
        let (target, opened) = p.hunt.reopen(n, now, &|r| reach(r).for_client(has), draw);
        p.target = target;
        p.established = n > 0 && opened;
        if p.established {
            p.global_id = true;
            p.hunt.finish();
        }
        let target = p.target;
        let name = self.monmap.name_of(target).unwrap_or("?");
        out.log(format!("request {tid}: {why}: trying mon.{name}"));
        self.send(tid, now, out);
    }

    /// Request `tid` on a new session (a new connection: its keepalives
    /// are timed from `now`); None if it is no longer pending.
    fn new_session(&mut self, tid: u64, now: Time) -> Option<&mut Pending> {
        let session = self.open_session();
        let p = self.pending.get_mut(&tid)?;
        p.req.session = session;
        p.keepalive = false;
        p.last_ack = now;
        p.opened = now;
        Some(p)
    }

    /// A connection attempt between two ticks reached `rank`: the session
    /// opens with it (MonClient::_finish_hunting, "found mon.X") and the
    /// request goes there. The tick stays where it was scheduled.
    fn found(&mut self, tid: u64, rank: Rank, now: Time, out: &mut Out) {
        let name = self.monmap.name_of(rank).unwrap_or("?").to_string();
        let addr = self.monmap.addr_of(rank);
        let Some(p) = self.new_session(tid, now) else {
            return;
        };
        p.target = rank;
        p.established = true;
        p.global_id = true;
        p.hunt.finish();
        out.log(format!("request {tid}: found mon.{name}"));
        if let Some(addr) = addr {
            out.send(addr, Message::Client(p.req.clone()));
        }
        out.set_timer(Timer::ClientRetry(tid), p.tick_at.saturating_sub(now));
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
        if p.keepalive {
            out.cancel_timer(Timer::ClientKeepalive(reply.tid));
        }
        // The command is done and its process exits, closing the session.
        self.close(&p, out);
        let who = self
            .monmap
            .name_of(self.monmap.rank_of_addr(from))
            .unwrap_or("?");
        let text = match (&*p.req.op, &reply.result) {
            (ClientOp::Write { key, value }, ClientResult::Written { version }) => {
                written(key, value, *version, who)
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

/// What the client prints for a write committed at `version`, built in
/// one allocation of its length: an answer to every write of the
/// benchmark is one, and `format!` cost it about 1,200 instructions and a
/// second allocation when the trace made it a `Box<str>` (the page's
/// simulation worker answers the same writes).
fn written(key: &str, value: &str, version: u64, who: &str) -> String {
    let head = ["write ", key, "=", value, " committed at v"];
    let tail = [" (answered by mon.", who, ")"];
    let digits = version.checked_ilog10().map_or(1, |d| d as usize + 1);
    let len = head.iter().chain(&tail).map(|p| p.len()).sum::<usize>() + digits;
    let mut s = String::with_capacity(len);
    head.iter().for_each(|p| s.push_str(p));
    put_u64(&mut s, version, 1);
    tail.iter().for_each(|p| s.push_str(p));
    s
}

#[cfg(test)]
mod tests {
    use super::written;

    #[test]
    fn a_written_answer_is_its_parts_at_their_length() {
        for n in [0, 7, 9, 10, 99, 100, 12_345, u64::MAX] {
            let s = written("k", "v", n, "a");
            assert_eq!(
                s,
                format!("write k=v committed at v{n} (answered by mon.a)")
            );
            assert_eq!(s.capacity(), s.len());
        }
    }
}
