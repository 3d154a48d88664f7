//! The monmap service: MonmapMonitor.cc, a [`Service`] of PaxosService (§4).
//! Versions live under prefix "monmap"; version `v` is the whole encoded
//! monmap of epoch `v` (MonmapMonitor::encode_pending puts the full map at
//! `pending_map.epoch`), and "last_committed" is the newest epoch.
//!
//! `mon add NAME ADDR` and `mon remove NAME` are monitor commands: the leader
//! edits its pending map and proposes it; once committed, every monitor's
//! refresh sees a version newer than its in-memory monmap, adopts it and
//! bootstraps (update_from_paxos sets need_bootstrap), which recomputes ranks.

use super::consensus::{Fx, Origin, PaxosCtx, PaxosEffect};
use super::messages::{ClientOp, ClientResult, MClientReply, MClientRequest};
use super::monmap::{MonInfo, MonMap, Strategy};
use super::out::Timer;
use super::paxos::Paxos;
use super::paxos_service::{put_last_committed, Service, ServiceClass, ServiceId, ServiceMeta};
use super::store::{MonitorDBStore, Transaction};
use super::{Addr, Version};
use crate::text_escape::Quoted;
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
                m.epoch = e.parse().map_err(|_| format!("bad epoch {}", Quoted(e)))?
            }
            (Some("strategy"), Some(s), None, None) => {
                m.strategy = match s {
                    "1" => Strategy::Classic,
                    "2" => Strategy::Disallow,
                    "3" => Strategy::Connectivity,
                    _ => return Err(format!("bad strategy {}", Quoted(s))),
                }
            }
            (Some("disallow"), Some(n), None, None) => m.disallowed_leaders.push(n.to_string()),
            (Some("mon"), Some(n), Some(a), None) => m.mons.push(MonInfo {
                name: n.to_string(),
                addr: Addr(
                    a.parse()
                        .map_err(|_| format!("bad address {}", Quoted(a)))?,
                ),
            }),
            _ => return Err(format!("bad monmap line {}", Quoted(line))),
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

#[derive(Clone, Debug, Default)]
pub struct MonmapService {
    /// The pending map (pending_map); Some exactly while have_pending.
    pending_map: Option<MonMap>,
}

impl MonmapService {
    fn reply(fx: &mut Fx, origin: &Origin, tid: u64, ok: bool, text: String) {
        fx.effects.push(PaxosEffect::Reply {
            origin: origin.clone(),
            reply: MClientReply {
                tid,
                result: ClientResult::Command { ok, text },
            },
        });
    }
}

impl ServiceClass for MonmapService {
    const META: ServiceMeta = ServiceMeta {
        id: ServiceId::Monmap,
        name: MONMAP,
        propose_timer: Timer::MonmapProposeTimer,
        retry_waiter: "monmap command",
        force_immediate_propose: false,
        // Pacific's MonmapMonitor::prepare_command answers "adding ..." /
        // "removing ..." at once and then proposes: the reply does not wait for
        // the commit (ceph-mon 16.2.15 answered `mon remove` of a cut-off monitor
        // at once; the new monmap committed 13 s later, in the next quorum's
        // recovery).
        reply_at_once: true,
    };
    /// A committed monmap newer than the monitor's: adopt it and bootstrap.
    type Update = Option<Arc<MonMap>>;
    /// MonmapMonitor::update_from_paxos: the committed map when it is newer
    /// than the monitor's (need_bootstrap).
    fn update_from_paxos(&mut self, ctx: &mut PaxosCtx, lc: Version) -> Option<Arc<MonMap>> {
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
}

impl Service for MonmapService {
    /// MonmapMonitor::create_initial: the current monmap as epoch 1.
    fn create_initial(&mut self, ctx: &mut PaxosCtx) {
        ctx.out.log(&"monmap create_initial using current monmap");
        let mut m = ctx.monmap.clone();
        m.epoch = 1;
        self.pending_map = Some(m);
    }

    /// MonmapMonitor::create_pending: the current map, next epoch.
    fn create_pending(&mut self, ctx: &PaxosCtx) {
        let mut m = ctx.monmap.clone();
        m.epoch += 1;
        self.pending_map = Some(m);
    }

    fn discard_pending(&mut self) {
        self.pending_map = None;
    }

    /// MonmapMonitor::encode_pending: the whole map at its epoch.
    fn encode_pending(
        &mut self,
        ctx: &mut PaxosCtx,
        t: &mut Transaction,
        first_committed: Version,
        _last_committed: Version,
    ) {
        let Some(map) = self.pending_map.take() else {
            return;
        };
        t.put(MONMAP, &map.epoch.to_string(), encode_monmap(&map));
        put_last_committed(t, MONMAP, first_committed, map.epoch as Version);
        ctx.out.log(format!("monmap encode_pending e{}", map.epoch));
    }

    /// MonmapMonitor::prepare_command (`mon add` / `mon remove`; preprocess_command
    /// answers neither): edit the pending map, or answer at once (an add of a
    /// monitor already there, a remove of one already gone).
    fn prepare_update(
        &mut self,
        ctx: &mut PaxosCtx,
        fx: &mut Fx,
        origin: &Origin,
        req: &MClientRequest,
    ) -> bool {
        let Some(pending) = self.pending_map.as_mut() else {
            ctx.out
                .log(&"monmap prepare_command without a pending map, dropped");
            return false;
        };
        match &*req.op {
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
                Self::reply(fx, origin, req.tid, true, text);
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
                Self::reply(fx, origin, req.tid, true, text);
                true
            }
            _ => false,
        }
    }

    /// MonmapMonitor::should_propose: always at once ("we do not collate
    /// proposals on the MonmapMonitor"), never PaxosService's batching.
    fn should_propose(&self, _ctx: &PaxosCtx, _paxos: &Paxos, _lc: Version) -> Duration {
        0
    }

    /// MonmapMonitor::on_active: the Monitor sets has_ever_joined once paxos lc >= 1.
    fn on_active(&mut self, _ctx: &mut PaxosCtx, fx: &mut Fx) {
        fx.effects.push(PaxosEffect::Active);
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
