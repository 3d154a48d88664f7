//! The properties every run is checked against as its trace is folded, on top
//! of the scenario's own expectations: what `expect safe`, `monscope check`,
//! `monscope explore` and the page report as violations.
//!
//! What Ceph guarantees, and so what is checked (and what is not):
//!
//! - **Paxos** ([`Property::OneValuePerVersion`], [`Property::LastCommittedKept`]):
//!   one value per version; a monitor's last_committed never goes back
//!   (checked in [`super::state`]).
//! - **Acknowledged writes** ([`Property::WriteKept`]): a `config-key set`
//!   acknowledged at version v is in version v, and no later version sets its
//!   key to a value whose every write was acknowledged before this write was
//!   even sent (an older write coming back). A write never acknowledged may
//!   land any time after it was sent, as in any linearizable register.
//! - **Reads** ([`Property::ReadLatest`]): a `config-key get` answered "value
//!   x at version v" returns the key's value at v, and it has every write
//!   acknowledged before the read was sent, *unless the monitor that served it
//!   was in an older quorum than the one that committed that write*. Within one
//!   quorum a readable monitor is never behind: a peon stops serving reads at
//!   BEGIN (Paxos::handle_begin clears lease_expire) and serves again only
//!   after the LEASE that follows the COMMIT, and the leader commits only once
//!   every quorum member accepted. Across a leader change Ceph has no fence: a
//!   peon cut off from a newer quorum keeps serving reads from its committed
//!   state until its lease (given by the old leader) runs out, while the new
//!   quorum may already commit. Those stale reads are allowed.
//! - **Elections** ([`Property::OneLeaderPerEpoch`], [`Property::EpochKept`]):
//!   a monitor follows (or is) at most one leader per election epoch, and its
//!   election epoch never goes back while its store lasts. Two monitors *can*
//!   both be leader of one epoch in Ceph: in ElectionLogic a monitor acks a
//!   lower-ranked candidate after a higher one within an epoch
//!   (propose_classic_handler), so two candidates whose proposals do not reach
//!   each other can both collect a majority; a monitor that hears a second
//!   VICTORY for its epoch restarts the election (receive_victory_claim's
//!   "funny epoch"). That is not flagged; a monitor accepting both is.
//!
//! The committed history comes from the values of the first commit of each
//! version (the Commit event carries the value); the client's history from the
//! ClientRequest and ClientReply events, and from the replies the monitors send.

use super::event::NodeId;
use crate::mon::messages::{ClientOp, ClientResult};
use crate::mon::monmap_service::{decode_monmap, MONMAP};
use crate::mon::store::{StoreOp, Transaction};
use crate::mon::{Epoch, Version};
use crate::sim::fnv1a;
use crate::time::{format_secs, Time};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The store prefix of the config-key service's data.
const KV_PREFIX: &str = "config-key";

/// A property a run can violate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Property {
    /// Two monitors committed different values for one paxos version.
    OneValuePerVersion,
    /// A monitor's paxos last_committed went back.
    LastCommittedKept,
    /// An acknowledged write was lost or overwritten by an older one.
    WriteKept,
    /// A read returned something other than the latest acknowledged value
    /// that its monitor's quorum had.
    ReadLatest,
    /// A monitor followed two leaders in one election epoch.
    OneLeaderPerEpoch,
    /// A monitor's election epoch went back.
    EpochKept,
}

impl Property {
    pub const ALL: [Property; 6] = [
        Property::OneValuePerVersion,
        Property::LastCommittedKept,
        Property::WriteKept,
        Property::ReadLatest,
        Property::OneLeaderPerEpoch,
        Property::EpochKept,
    ];

    /// The short name used in reports and file names.
    pub fn name(self) -> &'static str {
        match self {
            Property::OneValuePerVersion => "one-value-per-version",
            Property::LastCommittedKept => "last-committed-kept",
            Property::WriteKept => "write-kept",
            Property::ReadLatest => "read-latest",
            Property::OneLeaderPerEpoch => "one-leader-per-epoch",
            Property::EpochKept => "epoch-kept",
        }
    }

    /// What holds when the property does, in a sentence.
    pub fn meaning(self) -> &'static str {
        match self {
            Property::OneValuePerVersion => {
                "no two monitors commit different values for one paxos version"
            }
            Property::LastCommittedKept => "a monitor's paxos last_committed never goes back",
            Property::WriteKept => {
                "an acknowledged write is never lost or overwritten by an older one"
            }
            Property::ReadLatest => {
                "a read returns the latest acknowledged value its monitor's quorum had"
            }
            Property::OneLeaderPerEpoch => {
                "a monitor follows at most one leader per election epoch"
            }
            Property::EpochKept => {
                "a monitor's election epoch never goes back while its store lasts"
            }
        }
    }
}

/// The hash of what a paxos value (an encoded store transaction) does to a
/// store: the prefixes it erases and the last write of each key, in order.
/// Two values with the same effect hash leave any store the same.
pub fn effect_hash(value: &[u8]) -> Option<u64> {
    let tx = Transaction::decode(value).ok()?;
    let mut erased: BTreeSet<String> = BTreeSet::new();
    let mut last: BTreeMap<(String, String), Option<Vec<u8>>> = BTreeMap::new();
    for op in tx.ops {
        match op {
            StoreOp::Put { prefix, key, value } => {
                last.insert((prefix, key), Some(value));
            }
            StoreOp::Erase { prefix, key } => {
                last.insert((prefix, key), None);
            }
            StoreOp::ErasePrefix { prefix } => {
                last.retain(|(p, _), _| *p != prefix);
                erased.insert(prefix);
            }
        }
    }
    let mut canon = Transaction::new();
    for p in &erased {
        canon.erase_prefix(p);
    }
    for ((p, k), v) in last {
        match v {
            Some(v) => canon.put(&p, &k, v),
            None => canon.erase(&p, &k),
        };
    }
    Some(fnv1a(&canon.encode()))
}

/// Who committed a version first: the leader then, and its election epoch;
/// and whether what it commits is known.
#[derive(Clone, Copy, Debug)]
struct Committer {
    epoch: Epoch,
    leader: NodeId,
    known: bool,
}

/// Where a monitor stood: its election epoch and the leader it followed
/// (itself when leading; None outside a quorum).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standing {
    pub epoch: Epoch,
    pub leader: Option<NodeId>,
}

#[derive(Clone, Debug)]
struct Request {
    at: Time,
    op: Arc<ClientOp>,
    /// For a read: how many writes of its key were acknowledged when it was sent.
    acked_before: usize,
}

/// An acknowledged write.
#[derive(Clone, Debug)]
struct Acked {
    value: String,
    at: Time,
    version: Version,
}

/// Writes of one (key, value): how many are unanswered, and the latest answer.
#[derive(Clone, Copy, Debug, Default)]
struct Writes {
    pending: u32,
    last_ack: Time,
}

/// The committed history and the client's, folded event by event.
#[derive(Clone, Debug, Default)]
pub struct History {
    names: Vec<String>,
    /// Per version, from its first commit.
    committers: BTreeMap<Version, Committer>,
    /// What every version in 1..=contiguous commits is known.
    contiguous: Version,
    /// Per config-key key: its value after each version that set it.
    kv: BTreeMap<String, Vec<(Version, Option<String>)>>,
    /// The newest committed monmap: (epoch, members in rank order).
    monmap: Option<(u32, Vec<String>)>,
    requests: BTreeMap<u64, Request>,
    /// Per key, acknowledged writes in the order their answers came.
    acked: BTreeMap<String, Vec<Acked>>,
    /// Per key, the latest sending time of an acknowledged write.
    latest_acked_sent: BTreeMap<String, (Time, String)>,
    /// Per key, per value (by its FNV-1a hash: two values that collide
    /// share one entry, which can only hide a violation, never invent one):
    /// the writes of it.
    writes: BTreeMap<String, BTreeMap<u64, Writes>>,
    /// Read answers sent to the client, by (tid, monitor): where it stood.
    served: BTreeMap<(u64, NodeId), Standing>,
    /// Per monitor: the last standing in a quorum, and the highest epoch seen.
    followed: Vec<Option<Standing>>,
    epoch_floor: Vec<Epoch>,
}

/// A property violated, in words.
pub type Found = (Property, String);

impl History {
    /// `names`: the monitors in node order (the client is the next node).
    pub fn new(names: Vec<String>) -> History {
        let n = names.len();
        History {
            names,
            followed: vec![None; n],
            epoch_floor: vec![0; n],
            ..History::default()
        }
    }

    fn name(&self, node: NodeId) -> String {
        match self.names.get(node as usize) {
            Some(n) => format!("mon.{n}"),
            None => format!("node{node}"),
        }
    }

    fn slot<T: Clone + Default>(v: &mut Vec<T>, node: NodeId) -> &mut T {
        let i = node as usize;
        if v.len() <= i {
            v.resize(i + 1, T::default());
        }
        &mut v[i]
    }

    /// A monitor's new status: its epoch (and, in a quorum, its leader).
    pub fn on_status(
        &mut self,
        at: Time,
        node: NodeId,
        now: Standing,
        running: bool,
        out: &mut Vec<Found>,
    ) {
        // Epoch 0 is "not known yet" (a fresh monitor, or a status that does
        // not say); a stopped monitor's status shows what its store keeps.
        if !running || now.epoch == 0 {
            return;
        }
        let floor = Self::slot(&mut self.epoch_floor, node);
        if now.epoch < *floor {
            let was = *floor;
            *floor = now.epoch;
            out.push((
                Property::EpochKept,
                format!(
                    "{}'s election epoch went back from {was} to {} at {}s",
                    self.name(node),
                    now.epoch,
                    format_secs(at)
                ),
            ));
        }
        *Self::slot(&mut self.epoch_floor, node) = now.epoch;
        let Some(leader) = now.leader else {
            return;
        };
        let prev = Self::slot(&mut self.followed, node).replace(now);
        if let Some(Standing {
            epoch,
            leader: Some(before),
        }) = prev
        {
            if epoch == now.epoch && before != leader {
                out.push((
                    Property::OneLeaderPerEpoch,
                    format!(
                        "{} followed {} and then {} in election epoch {epoch} (at {}s)",
                        self.name(node),
                        self.name(before),
                        self.name(leader),
                        format_secs(at)
                    ),
                ));
            }
        }
    }

    /// A store transaction on `node`: a wipe of its "monitor" prefix resets
    /// the epoch it keeps.
    pub fn on_store(&mut self, node: NodeId, tx: &Transaction) {
        for op in &tx.ops {
            if let StoreOp::ErasePrefix { prefix } = op {
                if prefix == "monitor" {
                    *Self::slot(&mut self.epoch_floor, node) = 0;
                    *Self::slot(&mut self.followed, node) = None;
                }
            }
        }
    }

    /// A commit of `version` by `node`, standing `by`. The first commit of
    /// a version names its committer; the first that carries the value
    /// writes the history (a different value later is a
    /// [`Property::OneValuePerVersion`] violation, found elsewhere).
    pub fn on_commit(
        &mut self,
        at: Time,
        version: Version,
        by: (NodeId, Standing),
        value: Option<&[u8]>,
        out: &mut Vec<Found>,
    ) {
        let (node, standing) = by;
        let c = self.committers.entry(version).or_insert(Committer {
            epoch: standing.epoch,
            leader: standing.leader.unwrap_or(node),
            known: false,
        });
        if c.known {
            return;
        }
        let Some(tx) = value.and_then(|v| Transaction::decode(v).ok()) else {
            return;
        };
        c.known = true;
        while self
            .committers
            .get(&(self.contiguous + 1))
            .is_some_and(|c| c.known)
        {
            self.contiguous += 1;
        }
        for op in tx.ops {
            match op {
                StoreOp::Put { prefix, key, value } if prefix == KV_PREFIX => {
                    let value = String::from_utf8_lossy(&value).into_owned();
                    self.check_overwrite(at, version, &key, &value, out);
                    self.set_kv(key, version, Some(value));
                }
                StoreOp::Erase { prefix, key } if prefix == KV_PREFIX => {
                    self.set_kv(key, version, None)
                }
                StoreOp::Put { prefix, key, value } if prefix == MONMAP => {
                    if let (Ok(epoch), Ok(m)) = (key.parse::<u32>(), decode_monmap(&value)) {
                        if self.monmap.as_ref().is_none_or(|(e, _)| epoch > *e) {
                            let names = m.mons.into_iter().map(|i| i.name).collect();
                            self.monmap = Some((epoch, names));
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn set_kv(&mut self, key: String, version: Version, value: Option<String>) {
        let h = self.kv.entry(key).or_default();
        let i = h.partition_point(|(v, _)| *v <= version);
        if i > 0 && h[i - 1].0 == version {
            h[i - 1].1 = value;
        } else {
            h.insert(i, (version, value));
        }
    }

    /// `version` sets `key` to `value`: a value no client wrote, or an older
    /// write coming back after a newer one was acknowledged, loses a write.
    fn check_overwrite(
        &self,
        at: Time,
        version: Version,
        key: &str,
        value: &str,
        out: &mut Vec<Found>,
    ) {
        if self.write_of(key, value).is_none() {
            out.push((
                Property::WriteKept,
                format!(
                    "v{version} set {key}={value} at {}s, a value no client wrote",
                    format_secs(at)
                ),
            ));
        } else if let Some((sent, newer)) = self.latest_acked_sent.get(key) {
            if let Some(text) = self.older(key, value, version, *sent, newer) {
                out.push((Property::WriteKept, text));
            }
        }
    }

    /// If every write of `key`=`value` was answered before the acknowledged
    /// write of `newer` was sent at `sent`, `value` coming back in `version`
    /// loses that write: the explanation.
    fn older(
        &self,
        key: &str,
        value: &str,
        version: Version,
        sent: Time,
        newer: &str,
    ) -> Option<String> {
        let w = self.write_of(key, value)?;
        (w.pending == 0 && w.last_ack < sent).then(|| {
            format!(
                "v{version} set {key}={value} again, a write answered at {}s, before the acknowledged write {key}={newer} was sent at {}s: {key}={newer} is lost",
                format_secs(w.last_ack),
                format_secs(sent)
            )
        })
    }

    fn write_of(&self, key: &str, value: &str) -> Option<&Writes> {
        self.writes.get(key)?.get(&fnv1a(value.as_bytes()))
    }

    fn write_of_mut(&mut self, key: &str, value: &str) -> &mut Writes {
        if !self.writes.contains_key(key) {
            self.writes.insert(key.to_string(), BTreeMap::new());
        }
        let per_value = self.writes.get_mut(key).expect("inserted above");
        per_value.entry(fnv1a(value.as_bytes())).or_default()
    }

    /// The value of `key` as of committed version `v` (None: absent), if
    /// every version up to `v` is known.
    pub fn value_at(&self, key: &str, v: Version) -> Option<Option<&str>> {
        if v > self.contiguous {
            return None;
        }
        let h = match self.kv.get(key) {
            Some(h) => h,
            None => return Some(None),
        };
        let i = h.partition_point(|(ver, _)| *ver <= v);
        Some(if i == 0 { None } else { h[i - 1].1.as_deref() })
    }

    /// The newest committed monmap: its epoch and members, in rank order.
    pub fn monmap(&self) -> Option<(u32, &[String])> {
        self.monmap.as_ref().map(|(e, m)| (*e, m.as_slice()))
    }

    pub fn on_request(&mut self, at: Time, tid: u64, op: &Arc<ClientOp>) {
        let acked_before = match &**op {
            ClientOp::Read { key } => self.acked.get(key).map_or(0, Vec::len),
            ClientOp::Write { key, value } => {
                self.write_of_mut(key, value).pending += 1;
                0
            }
            _ => 0,
        };
        self.requests.insert(
            tid,
            Request {
                at,
                op: op.clone(),
                acked_before,
            },
        );
    }

    /// A monitor sent the client the answer to read `tid`, standing `standing`.
    pub fn on_read_served(&mut self, tid: u64, node: NodeId, standing: Standing) {
        if self
            .requests
            .get(&tid)
            .is_some_and(|r| matches!(*r.op, ClientOp::Read { .. }))
        {
            self.served.insert((tid, node), standing);
        }
    }

    /// The client took `from`'s answer to `tid`.
    pub fn on_reply(
        &mut self,
        at: Time,
        tid: u64,
        from: NodeId,
        result: &ClientResult,
        out: &mut Vec<Found>,
    ) {
        let Some(req) = self.requests.remove(&tid) else {
            return;
        };
        let served: Vec<(u64, NodeId)> = self
            .served
            .range((tid, 0)..=(tid, NodeId::MAX))
            .map(|(k, _)| *k)
            .collect();
        let standing = self.served.get(&(tid, from)).copied();
        for k in served {
            self.served.remove(&k);
        }
        match (&*req.op, result) {
            (ClientOp::Write { key, value }, ClientResult::Written { version }) => {
                self.on_write_acked(at, &req, key, value, *version, out)
            }
            (ClientOp::Read { key }, ClientResult::Value { value, version }) => self.check_read(
                at,
                tid,
                &req,
                key,
                (value.as_deref(), *version),
                (from, standing),
                out,
            ),
            _ => {}
        }
    }

    fn on_write_acked(
        &mut self,
        at: Time,
        req: &Request,
        key: &str,
        value: &str,
        version: Version,
        out: &mut Vec<Found>,
    ) {
        let w = self.write_of_mut(key, value);
        w.pending = w.pending.saturating_sub(1);
        w.last_ack = w.last_ack.max(at);
        if version <= self.contiguous && !self.sets(key, version) {
            out.push((
                Property::WriteKept,
                format!(
                    "write {key}={value} was acknowledged at {}s as committed in v{version}, but v{version} does not set {key}",
                    format_secs(at)
                ),
            ));
        }
        // A later version that already brought back an older value loses this write.
        let later: Vec<(Version, String)> = self
            .kv
            .get(key)
            .map(|h| {
                h[h.partition_point(|(v, _)| *v <= version)..]
                    .iter()
                    .filter_map(|(v, x)| Some((*v, x.clone()?)))
                    .collect()
            })
            .unwrap_or_default();
        for (v, x) in later {
            if let Some(text) = self.older(key, &x, v, req.at, value) {
                out.push((Property::WriteKept, text));
            }
        }
        let acked = Acked {
            value: value.to_string(),
            at,
            version,
        };
        match self.acked.get_mut(key) {
            Some(list) => list.push(acked),
            None => {
                self.acked.insert(key.to_string(), vec![acked]);
            }
        }
        match self.latest_acked_sent.get_mut(key) {
            Some(latest) if req.at < latest.0 => {}
            Some(latest) => *latest = (req.at, value.to_string()),
            None => {
                self.latest_acked_sent
                    .insert(key.to_string(), (req.at, value.to_string()));
            }
        }
    }

    /// Whether committed version `v` sets `key`.
    fn sets(&self, key: &str, v: Version) -> bool {
        self.kv
            .get(key)
            .is_some_and(|h| h.binary_search_by_key(&v, |(ver, _)| *ver).is_ok())
    }

    #[allow(clippy::too_many_arguments)]
    fn check_read(
        &self,
        at: Time,
        tid: u64,
        req: &Request,
        key: &str,
        (value, version): (Option<&str>, Version),
        (from, standing): (NodeId, Option<Standing>),
        out: &mut Vec<Found>,
    ) {
        let shown = |v: Option<&str>| v.map_or("absent".to_string(), |v| format!("={v}"));
        let who = self.name(from);
        if let Some(truth) = self.value_at(key, version) {
            if truth != value {
                out.push((
                    Property::ReadLatest,
                    format!(
                        "read {tid} of {key} answered by {who} at {}s: {key}{} at v{version}, but v{version} has {key}{}",
                        format_secs(at),
                        shown(value),
                        shown(truth)
                    ),
                ));
                return;
            }
        }
        // Writes acknowledged before the read was sent that the answer lacks.
        let Some(acked) = self.acked.get(key) else {
            return;
        };
        let missed = acked[..req.acked_before.min(acked.len())]
            .iter()
            .filter(|w| w.version > version && w.at < req.at)
            .find(|w| {
                let Some(c) = self.committers.get(&w.version) else {
                    return false;
                };
                // A monitor of an older quorum may lag (see the module comment).
                match standing {
                    Some(s) => {
                        s.epoch > c.epoch || (s.epoch == c.epoch && s.leader == Some(c.leader))
                    }
                    None => false,
                }
            });
        if let (Some(w), Some(s)) = (missed, standing) {
            out.push((
                Property::ReadLatest,
                format!(
                    "read {tid} of {key} sent at {}s was answered by {who} (election epoch {}) with {key}{} at v{version}, missing {key}={} acknowledged at {}s in v{} (committed by {} in epoch {})",
                    format_secs(req.at),
                    s.epoch,
                    shown(value),
                    w.value,
                    format_secs(w.at),
                    w.version,
                    self.committers
                        .get(&w.version)
                        .map_or("?".into(), |c| self.name(c.leader)),
                    self.committers.get(&w.version).map_or(0, |c| c.epoch)
                ),
            ));
        }
    }

    /// Client requests not answered yet: (tid, when sent, what).
    pub fn unanswered(&self) -> impl Iterator<Item = (u64, Time, &ClientOp)> + '_ {
        self.requests.iter().map(|(t, r)| (*t, r.at, &*r.op))
    }
}

#[cfg(test)]
#[path = "properties_tests.rs"]
mod tests;
