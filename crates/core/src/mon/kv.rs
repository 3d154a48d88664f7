//! The config-key service: KVMonitor.cc, a [`Service`] of PaxosService (§4).
//! Versions live under prefix "kv" ("<v>" increments, first/last_committed);
//! the data itself under "mon_config_key" (key → UTF-8 value).

use super::consensus::{Fx, Origin, PaxosCtx, PaxosEffect};
use super::messages::{ClientOp, ClientResult, MClientReply, MClientRequest};
use super::out::Timer;
use super::paxos::Paxos;
use super::paxos_service::{put_last_committed, Service, ServiceClass, ServiceId, ServiceMeta};
use super::store::{version_key, Transaction};
use super::Version;
use std::sync::Arc;

/// The service's store prefix.
pub const KV: &str = "kv";
/// Where the committed user data lives (KVMonitor.cc's KV_PREFIX; Pacific's
/// `ceph-monstore-tool dump-keys` lists it as "mon_config_key").
pub const KV_PREFIX: &str = "mon_config_key";
/// How many increments KVMonitor keeps ("we don't need that many old states, but keep a few").
pub const MAX_HISTORY: Version = 50;

/// KVMonitor: every `config-key set` ends with force_immediate_propose(), so
/// each write is its own Paxos version, whether writes come one after the
/// other or at once (ceph-mon 16.2.15: five sets, five kv versions). A write
/// that arrives while one is proposing waits for that commit
/// (wait_for_finished_proposal) and is then proposed on its own.
#[derive(Clone, Debug, Default)]
pub struct KvService {
    /// The pending increment (KVMonitor's pending map, key → value): the
    /// writes in key order, a later one of a key in place of the earlier,
    /// each shared with its request (a map node and two strings copied
    /// per write before).
    pending: Vec<Arc<ClientOp>>,
}

/// The key and value a pending write sets.
fn write_of(op: &ClientOp) -> (&str, &str) {
    match op {
        ClientOp::Write { key, value } => (key, value),
        _ => ("", ""),
    }
}

impl ServiceClass for KvService {
    const META: ServiceMeta = ServiceMeta {
        id: ServiceId::Kv,
        name: KV,
        propose_timer: Timer::ProposeTimer,
        retry_waiter: "request",
        // KVMonitor::prepare_command: "force_immediate_propose(); // faster response".
        force_immediate_propose: true,
        reply_at_once: false,
    };
    /// KVMonitor never asks for a bootstrap.
    type Update = ();
    /// KVMonitor::update_from_paxos: the data is read from the store as it is.
    fn update_from_paxos(&mut self, _ctx: &mut PaxosCtx, _last_committed: Version) {}
}

impl Service for KvService {
    /// KVMonitor::create_initial: nothing but the empty pending increment.
    fn create_initial(&mut self, ctx: &mut PaxosCtx) {
        ctx.out.log(&"kv create_initial");
    }

    fn create_pending(&mut self, _ctx: &PaxosCtx) {
        self.pending.clear();
    }

    fn discard_pending(&mut self) {
        self.pending.clear();
    }

    /// KVMonitor::encode_pending: the increment at lc+1, then the data itself.
    fn encode_pending(
        &mut self,
        _ctx: &mut PaxosCtx,
        t: &mut Transaction,
        first_committed: Version,
        last_committed: Version,
    ) {
        let v = last_committed + 1;
        let mut inc = Transaction::with_capacity(self.pending.len());
        for op in &self.pending {
            let (k, val) = write_of(op);
            inc.put(KV_PREFIX, k, val.as_bytes());
        }
        t.put(KV, &version_key(v), inc.encode());
        put_last_committed(t, KV, first_committed, v);
        t.append(inc);
        self.pending.clear();
    }

    /// KVMonitor::preprocess_query: reads answer from the committed data.
    fn preprocess_query(
        &self,
        ctx: &mut PaxosCtx,
        fx: &mut Fx,
        paxos: &Paxos,
        origin: &Origin,
        req: &MClientRequest,
    ) -> bool {
        let ClientOp::Read { key } = &*req.op else {
            return false;
        };
        let value = ctx.store.get_str(KV_PREFIX, key);
        let version = paxos.last_committed;
        ctx.out.log(format!("config-key get {key} at v{version}"));
        fx.effects.push(PaxosEffect::Reply {
            origin: origin.clone(),
            reply: MClientReply {
                tid: req.tid,
                result: ClientResult::Value { value, version },
            },
        });
        true
    }

    /// KVMonitor::prepare_command ("config-key set"): put into pending and
    /// wait for the commit (proposed at once: force_immediate_propose).
    fn prepare_update(
        &mut self,
        ctx: &mut PaxosCtx,
        _fx: &mut Fx,
        _origin: &Origin,
        req: &MClientRequest,
    ) -> bool {
        let ClientOp::Write { key, .. } = &*req.op else {
            return false;
        };
        ctx.out.log(["config-key set ", key.as_str()].concat());
        let at = self
            .pending
            .binary_search_by(|op| write_of(op).0.cmp(key.as_str()));
        match at {
            Ok(i) => self.pending[i] = req.op.clone(),
            Err(i) => self.pending.insert(i, req.op.clone()),
        }
        true
    }

    fn committed(&self, _last_committed: Version, paxos_v: Version) -> ClientResult {
        ClientResult::Written { version: paxos_v }
    }

    /// KVMonitor::get_trim_to: keep the last MAX_HISTORY (50) increments.
    fn get_trim_to(&self, _ctx: &PaxosCtx, last_committed: Version) -> Version {
        last_committed.saturating_sub(MAX_HISTORY)
    }
}
