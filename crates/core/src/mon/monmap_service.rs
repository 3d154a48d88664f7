//! The monmap service: MonmapMonitor.cc on top of PaxosService.cc (§4).
//! Versions live under prefix "monmap"; version `v` is the whole encoded
//! monmap of epoch `v` (MonmapMonitor::encode_pending puts the full map at
//! `pending_map.epoch`), and "last_committed" is the newest epoch.
//!
//! `mon add NAME ADDR` and `mon remove NAME` are monitor commands: the leader
//! edits its pending map and proposes it; once committed, every monitor's
//! refresh sees a version newer than its in-memory monmap, adopts it and
//! bootstraps (update_from_paxos sets need_bootstrap), which recomputes ranks.

use super::consensus::{Fx, Origin, PaxosCtx, PaxosEffect, Waiter};
use super::messages::{ClientOp, ClientResult, MClientReply, MClientRequest};
use super::monmap::{MonInfo, MonMap, Strategy};
use super::out::Timer;
use super::paxos::Paxos;
use super::status::PaxosState;
use super::store::{MonitorDBStore, Transaction};
use super::{Addr, Version};
use crate::time::Duration;
use std::sync::Arc;

/// The service's store prefix.
pub const MONMAP: &str = "monmap";

/// Encode a monmap for the store (MonMap::encode): one text line per field.
pub fn encode_monmap(m: &MonMap) -> Vec<u8> {
    let mut s = format!("epoch {}\nstrategy {}\n", m.epoch, m.strategy as u8);
    for d in &m.disallowed_leaders {
        s.push_str(&format!("disallow {d}\n"));
    }
    for mon in &m.mons {
        s.push_str(&format!("mon {} {}\n", mon.name, mon.addr.0));
    }
    s.into_bytes()
}

/// Decode what [`encode_monmap`] wrote. Malformed input is an error, never a panic.
pub fn decode_monmap(bytes: &[u8]) -> Result<MonMap, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "monmap is not UTF-8".to_string())?;
    let mut m = MonMap {
        epoch: 0,
        mons: Vec::new(),
        strategy: Strategy::Classic,
        disallowed_leaders: Vec::new(),
    };
    for line in text.lines() {
        let mut w = line.split(' ');
        match (w.next(), w.next(), w.next(), w.next()) {
            (Some("epoch"), Some(e), None, None) => {
                m.epoch = e.parse().map_err(|_| format!("bad epoch {e:?}"))?
            }
            (Some("strategy"), Some(s), None, None) => {
                m.strategy = match s {
                    "1" => Strategy::Classic,
                    "2" => Strategy::Disallow,
                    "3" => Strategy::Connectivity,
                    _ => return Err(format!("bad strategy {s:?}")),
                }
            }
            (Some("disallow"), Some(n), None, None) => m.disallowed_leaders.push(n.to_string()),
            (Some("mon"), Some(n), Some(a), None) => m.mons.push(MonInfo {
                name: n.to_string(),
                addr: Addr(a.parse().map_err(|_| format!("bad address {a:?}"))?),
            }),
            _ => return Err(format!("bad monmap line {line:?}")),
        }
    }
    Ok(m)
}

/// The newest committed monmap in a store (MonmapMonitor::get_monmap), if any.
pub fn latest_in_store(store: &MonitorDBStore) -> Option<MonMap> {
    let lc = store.get_u64(MONMAP, "last_committed");
    if lc == 0 {
        return None;
    }
    let bytes = store.get(MONMAP, &lc.to_string())?;
    decode_monmap(bytes).ok()
}

/// Write a monmap straight into the service's keys, as the Elector does when
/// an election message carries a newer monmap (§2.2).
pub fn persist_monmap(t: &mut Transaction, m: &MonMap) {
    t.put(MONMAP, &m.epoch.to_string(), encode_monmap(m));
    t.put_u64(MONMAP, "last_committed", m.epoch as u64);
}

#[derive(Clone, Debug)]
pub struct MonmapService {
    pub first_committed: Version,
    pub last_committed: Version,
    have_pending: bool,
    pending_map: Option<MonMap>,
    pub proposing: bool,
    proposal_timer: bool,
    waiting_for_finished_proposal: Vec<Waiter>,
    /// Commands in the pending/proposed map: (origin, tid, what to answer).
    waiting_for_commit: Vec<(Origin, u64, String)>,
}

impl MonmapService {
    pub fn init(store: &MonitorDBStore) -> MonmapService {
        MonmapService {
            first_committed: store.get_u64(MONMAP, "first_committed"),
            last_committed: store.get_u64(MONMAP, "last_committed"),
            have_pending: false,
            pending_map: None,
            proposing: false,
            proposal_timer: false,
            waiting_for_finished_proposal: Vec::new(),
            waiting_for_commit: Vec::new(),
        }
    }

    fn paxos_auw(paxos: &Paxos) -> bool {
        matches!(
            paxos.state,
            PaxosState::Active | PaxosState::Updating | PaxosState::Writing
        )
    }
    pub fn is_active(&self, paxos: &Paxos) -> bool {
        !self.proposing && Self::paxos_auw(paxos)
    }
    fn is_readable(&self, ctx: &PaxosCtx, paxos: &Paxos) -> bool {
        paxos.is_readable(0, ctx.now, ctx.quorum.len(), ctx.is_leader || ctx.is_peon)
            && self.last_committed > 0
    }
    fn is_write_ready(&self, paxos: &Paxos) -> bool {
        self.is_active(paxos) && self.have_pending
    }
    fn is_writeable(&self, paxos: &Paxos) -> bool {
        !self.proposing && self.is_write_ready(paxos) && Self::paxos_auw(paxos)
    }
    fn wait_for_active(&mut self, paxos: &mut Paxos, w: Waiter) {
        if self.proposing {
            self.waiting_for_finished_proposal.push(w);
        } else {
            paxos.wait_for_active(w);
        }
    }

    /// PaxosService::dispatch for a `mon add` / `mon remove` command.
    pub fn dispatch(
        &mut self,
        ctx: &mut PaxosCtx,
        fx: &mut Fx,
        paxos: &mut Paxos,
        origin: Origin,
        req: MClientRequest,
    ) {
        if !self.is_readable(ctx, paxos) {
            ctx.out.log(format!(
                "monmap tid {}: waiting for paxos -> readable",
                req.tid
            ));
            let w = Waiter::MonmapRetry { origin, req };
            if self.proposing || self.last_committed == 0 {
                self.waiting_for_finished_proposal.push(w);
            } else {
                paxos.wait_for_readable(w);
            }
            return;
        }
        // Both commands are updates (preprocess_command answers neither).
        if !ctx.is_leader {
            fx.effects.push(PaxosEffect::Forward { origin, req });
            return;
        }
        if !self.is_writeable(paxos) {
            ctx.out.log(format!(
                "monmap tid {}: waiting for paxos -> writeable",
                req.tid
            ));
            let w = Waiter::MonmapRetry { origin, req };
            if self.proposing {
                self.waiting_for_finished_proposal.push(w);
            } else if !self.is_write_ready(paxos) {
                self.wait_for_active(paxos, w);
            } else {
                paxos.wait_for_writeable(w);
            }
            return;
        }
        if !self.prepare_command(ctx, fx, origin, &req) {
            return;
        }
        let delay = self.should_propose(ctx, paxos);
        if delay == 0 {
            self.propose_pending(ctx, fx, paxos);
        } else if !self.proposal_timer {
            ctx.out.log(format!(
                "monmap: proposal timer in {}",
                crate::time::format_duration(delay)
            ));
            self.proposal_timer = true;
            ctx.out.set_timer(Timer::MonmapProposeTimer, delay);
        }
    }

    fn reply(fx: &mut Fx, origin: Origin, tid: u64, ok: bool, text: String) {
        fx.effects.push(PaxosEffect::Reply {
            origin,
            reply: MClientReply {
                tid,
                result: ClientResult::Command { ok, text },
            },
        });
    }

    /// MonmapMonitor::prepare_command: edit the pending map, or answer at once
    /// (an add of a monitor already there, a remove of one already gone).
    fn prepare_command(
        &mut self,
        ctx: &mut PaxosCtx,
        fx: &mut Fx,
        origin: Origin,
        req: &MClientRequest,
    ) -> bool {
        let Some(pending) = self.pending_map.as_mut() else {
            ctx.out
                .log("monmap prepare_command without a pending map, dropped");
            return false;
        };
        match &req.op {
            ClientOp::MonAdd { name, addr } => {
                let by_name = pending.rank_of_name(name);
                let by_addr = pending.rank_of_addr(*addr);
                if by_name >= 0 && by_name == by_addr {
                    let text = format!("mon.{name} at addr {} already exists", addr.0);
                    Self::reply(fx, origin, req.tid, true, text);
                    return false;
                }
                if by_name >= 0 || by_addr >= 0 {
                    let text = format!(
                        "mon.{name} or addr {} already in use by another monitor",
                        addr.0
                    );
                    Self::reply(fx, origin, req.tid, false, text);
                    return false;
                }
                pending.mons.push(MonInfo {
                    name: name.clone(),
                    addr: *addr,
                });
                ctx.out.log(format!(
                    "adding mon.{name} at addr {}, e{}: there will be {} monitors",
                    addr.0,
                    pending.epoch,
                    pending.size()
                ));
                let text = format!("adding mon.{name} at addr {}", addr.0);
                self.waiting_for_commit.push((origin, req.tid, text));
                true
            }
            ClientOp::MonRemove { name } => {
                let rank = pending.rank_of_name(name);
                if rank < 0 {
                    let text = format!("mon.{name} does not exist or has already been removed");
                    Self::reply(fx, origin, req.tid, true, text);
                    return false;
                }
                if pending.size() == 1 {
                    let text = "error: refusing removal of last monitor".to_string();
                    Self::reply(fx, origin, req.tid, false, text);
                    return false;
                }
                pending.mons.retain(|m| m.name != *name);
                pending.disallowed_leaders.retain(|n| n != name);
                ctx.out.log(format!(
                    "removing mon.{name} (rank {rank}), e{}: there will be {} monitors",
                    pending.epoch,
                    pending.size()
                ));
                let text = format!(
                    "removing mon.{name}, there will be {} monitors",
                    pending.size()
                );
                self.waiting_for_commit.push((origin, req.tid, text));
                true
            }
            _ => false,
        }
    }

    fn should_propose(&self, ctx: &PaxosCtx, paxos: &Paxos) -> Duration {
        if self.last_committed <= 1 {
            0
        } else if ctx.now.saturating_sub(paxos.last_commit_time) > ctx.cfg.paxos_propose_interval {
            ctx.cfg.paxos_min_wait
        } else {
            (paxos.last_commit_time + ctx.cfg.paxos_propose_interval).saturating_sub(ctx.now)
        }
    }

    pub fn proposal_timer_fired(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx, paxos: &mut Paxos) {
        if !self.proposal_timer {
            ctx.out.log("stale monmap proposal timer ignored");
            return;
        }
        self.proposal_timer = false;
        self.propose_pending(ctx, fx, paxos);
    }

    /// PaxosService::propose_pending.
    fn propose_pending(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx, paxos: &mut Paxos) {
        if !self.have_pending || self.proposing || !ctx.is_leader || !self.is_active(paxos) {
            ctx.out.log("monmap propose_pending: not ready, dropped");
            return;
        }
        if self.proposal_timer {
            self.proposal_timer = false;
            ctx.out.cancel_timer(Timer::MonmapProposeTimer);
        }
        let Some(map) = self.pending_map.take() else {
            return;
        };
        // MonmapMonitor::encode_pending: the whole map at its epoch.
        let t = paxos.get_pending_transaction();
        t.put(MONMAP, &map.epoch.to_string(), encode_monmap(&map));
        t.put_u64(MONMAP, "last_committed", map.epoch as u64);
        if self.first_committed == 0 {
            t.put_u64(MONMAP, "first_committed", map.epoch as u64);
        }
        ctx.out.log(format!("monmap encode_pending e{}", map.epoch));
        self.have_pending = false;
        self.proposing = true;
        paxos.queue_pending_finisher(Waiter::MonmapCommitted);
        paxos.trigger_propose(ctx, fx);
    }

    /// PaxosService::_active, then MonmapMonitor::on_active.
    pub fn active(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx, paxos: &mut Paxos) {
        if self.proposing {
            return;
        }
        if !self.is_active(paxos) {
            self.wait_for_active(paxos, Waiter::MonmapActive);
            return;
        }
        if ctx.is_leader {
            if !self.have_pending {
                // create_pending: the current map, next epoch.
                let mut m = ctx.monmap.clone();
                m.epoch += 1;
                self.pending_map = Some(m);
                self.have_pending = true;
            }
            if self.last_committed == 0 {
                // create_initial: the current monmap as epoch 1.
                ctx.out.log("monmap create_initial using current monmap");
                let mut m = ctx.monmap.clone();
                m.epoch = 1;
                self.pending_map = Some(m);
                self.propose_pending(ctx, fx, paxos);
                return;
            }
        }
        fx.finish(
            std::mem::take(&mut self.waiting_for_finished_proposal),
            true,
        );
        // MonmapMonitor::on_active: has_ever_joined once paxos lc >= 1.
        fx.effects.push(PaxosEffect::Active);
    }

    pub fn election_finished(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx, paxos: &mut Paxos) {
        self.fail_waiters(ctx, fx);
        self.active(ctx, fx, paxos);
    }

    fn fail_waiters(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx) {
        fx.finish(
            std::mem::take(&mut self.waiting_for_finished_proposal),
            false,
        );
        for (_, tid, _) in std::mem::take(&mut self.waiting_for_commit) {
            ctx.out
                .log(format!("dropping monmap command tid {tid} (EAGAIN)"));
        }
    }

    /// PaxosService::restart.
    pub fn restart(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx) {
        if self.proposal_timer {
            self.proposal_timer = false;
            ctx.out.cancel_timer(Timer::MonmapProposeTimer);
        }
        self.fail_waiters(ctx, fx);
        self.have_pending = false;
        self.pending_map = None;
        self.proposing = false;
    }

    /// PaxosService::refresh + MonmapMonitor::update_from_paxos: answers the
    /// commands whose map committed, and returns the committed map when it is
    /// newer than the monitor's (need_bootstrap).
    pub fn refresh(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx) -> Option<Arc<MonMap>> {
        let fc = ctx.store.get_u64(MONMAP, "first_committed");
        let lc = ctx.store.get_u64(MONMAP, "last_committed");
        if lc > self.last_committed {
            for (origin, tid, text) in std::mem::take(&mut self.waiting_for_commit) {
                Self::reply(fx, origin, tid, true, format!("{text} (monmap e{lc})"));
            }
        }
        self.first_committed = fc;
        self.last_committed = lc;
        if lc <= ctx.monmap.epoch as Version {
            return None;
        }
        let Some(bytes) = ctx.store.get(MONMAP, &lc.to_string()) else {
            ctx.out
                .log(format!("monmap v{lc} missing from the store, ignored"));
            return None;
        };
        match decode_monmap(bytes) {
            Ok(m) => {
                ctx.out.log(format!(
                    "update_from_paxos version {lc}, my v {}: need bootstrap",
                    ctx.monmap.epoch
                ));
                Some(Arc::new(m))
            }
            Err(e) => {
                ctx.out
                    .log(format!("monmap v{lc} malformed ({e}), ignored"));
                None
            }
        }
    }

    /// PaxosService::post_refresh: a peon fails its waiters.
    pub fn post_refresh(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx) {
        if ctx.is_peon {
            self.fail_waiters(ctx, fx);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_monmap_survives_encoding_and_garbage_is_an_error() {
        let m = MonMap {
            epoch: 7,
            mons: vec![
                MonInfo {
                    name: "a".into(),
                    addr: Addr(0),
                },
                MonInfo {
                    name: "d".into(),
                    addr: Addr(3),
                },
            ],
            strategy: Strategy::Disallow,
            disallowed_leaders: vec!["d".into()],
        };
        assert_eq!(decode_monmap(&encode_monmap(&m)), Ok(m));
        assert!(decode_monmap(b"epoch x").is_err());
        assert!(decode_monmap(&[0xff, 0xfe]).is_err());
        assert!(decode_monmap(b"mon a").is_err());
    }
}
