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
//! - **Membership** ([`Property::MembershipKept`]): a monmap change (a
//!   monitor added or removed) is one a client asked for, and never an older
//!   request coming back: a commit that adds x again after a `mon remove x`,
//!   sent once every `mon add x` had been answered, had removed it (or the
//!   other way round) is a request that outlived its session. An answered
//!   request that never commits is *not* flagged: Pacific's
//!   MonmapMonitor::prepare_command answers `mon add`/`mon remove` before its
//!   proposal commits, and an election in between discards the pending map.
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

use super::chunked::Chunked;
use super::event::NodeId;
use crate::mon::messages::{ClientOp, ClientResult};
use crate::mon::monmap_service::{decode_monmap, MONMAP};
use crate::mon::store::{StoreOp, Transaction};
use crate::mon::{Epoch, Version};
use crate::sim::fnv1a;
use crate::time::{format_secs, Time};
use serde::Serialize;
use std::sync::Arc;

use super::state::KV_PREFIX;

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
    /// A monmap change no client asked for, or an older request coming back.
    MembershipKept,
    /// A monitor's election epoch went back.
    EpochKept,
}

impl Property {
    /// The short name used in reports and file names.
    pub fn name(self) -> &'static str {
        match self {
            Property::OneValuePerVersion => "one-value-per-version",
            Property::LastCommittedKept => "last-committed-kept",
            Property::WriteKept => "write-kept",
            Property::ReadLatest => "read-latest",
            Property::OneLeaderPerEpoch => "one-leader-per-epoch",
            Property::MembershipKept => "membership-kept",
            Property::EpochKept => "epoch-kept",
        }
    }
}

fn mix(h: u64, x: u64) -> u64 {
    (h ^ x).rotate_left(5).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// The hash of what a store transaction (a paxos value) does to a store:
/// the prefixes it erases and the last write of each key, in any order (the
/// entries' hashes are added up). Two values with the same effect leave any
/// store the same.
pub fn effect_hash(tx: &Transaction) -> u64 {
    let mut erased: Vec<&str> = Vec::new();
    // Per key written: its entry hash (prefix and key), prefix, key, last value.
    // The hash is compared first, so the strings are compared only on a match.
    let mut last: Vec<(u64, &str, &str, Option<&[u8]>)> = Vec::new();
    for op in &tx.ops {
        let (prefix, key, value) = match op {
            StoreOp::Put { prefix, key, value } => (prefix, key, Some(value.as_slice())),
            StoreOp::Erase { prefix, key } => (prefix, key, None),
            StoreOp::ErasePrefix { prefix } => {
                last.retain(|e| e.1 != prefix);
                if !erased.contains(&&**prefix) {
                    erased.push(prefix);
                }
                continue;
            }
        };
        let e = mix(mix(2, fnv1a(prefix.as_bytes())), fnv1a(key.as_bytes()));
        // The hashes searched first, the strings compared apart: a search
        // with the strings' comparison in its loop (a call) had V8 reload the
        // loop's values from the stack at every entry, 69% of this function's
        // instructions in node (`wasmratio7`).
        let mut from = 0;
        let found = loop {
            match last[from..].iter().position(|x| x.0 == e) {
                Some(i) if last[from + i].1 == prefix && last[from + i].2 == key => {
                    break Some(from + i)
                }
                Some(i) => from += i + 1,
                None => break None,
            }
        };
        match found {
            Some(i) => last[i].3 = value,
            None => last.push((e, prefix, key, value)),
        }
    }
    let mut h: u64 = 0;
    for p in erased {
        h = h.wrapping_add(mix(1, fnv1a(p.as_bytes())));
    }
    for (e, _, _, v) in last {
        h = h.wrapping_add(mix(e, v.map_or(0, |v| fnv1a(v) | 1)));
    }
    h
}

/// What is known of a version from its first commit: the leader then and
/// its election epoch, and its value (once a commit carried one that
/// decodes). What the value does to a store ([`effect_hash`]) is computed
/// only when another commit of the version carries other bytes
/// ([`History::same_effect`]), which runs seldom: hashed at every first
/// commit it was 2% of the benchmark. The value is the allocation the
/// monitors' stores and the trace's store transactions share.
#[derive(Clone, Debug)]
struct Committed {
    epoch: Epoch,
    leader: NodeId,
    value: Option<Arc<[u8]>>,
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
    version: Version,
}

/// Writes of one value of a key: how many are unanswered, and the latest answer.
#[derive(Clone, Copy, Debug, Default)]
struct Writes {
    pending: u32,
    last_ack: Time,
}

/// All that is known of one config-key key.
#[derive(Clone, Debug, Default)]
struct Key {
    name: String,
    /// Its value after each committed version that set it, in version order.
    versions: Chunked<(Version, Option<String>)>,
    /// Acknowledged writes, in the order their answers came.
    acked: Chunked<Acked>,
    /// The latest sending time of an acknowledged write, and its value.
    latest: Option<(Time, String)>,
    /// Per value (by its FNV-1a hash: two values that collide share one
    /// entry, which can only hide a violation, never invent one), sorted.
    writes: Vec<(u64, Writes)>,
    /// Where in `writes` the entry [`Key::writes_of_mut`] found or added
    /// last is: a write's request, its commit and its answer look up the
    /// same value in turn, and a search of hundreds of entries, not read
    /// since the key's last write, missed the cache at most of its steps.
    last_write: usize,
}

impl Key {
    /// The entry of the value hashed `h` in `writes`, or where it would go.
    fn write_index(&self, h: u64) -> Result<usize, usize> {
        match self.writes.get(self.last_write) {
            Some(w) if w.0 == h => Ok(self.last_write),
            _ => self.writes.binary_search_by_key(&h, |w| w.0),
        }
    }

    fn writes_of(&self, value: &str) -> Option<&Writes> {
        let i = self.write_index(fnv1a(value.as_bytes())).ok()?;
        Some(&self.writes[i].1)
    }

    fn writes_of_mut(&mut self, value: &str) -> &mut Writes {
        let h = fnv1a(value.as_bytes());
        let i = match self.write_index(h) {
            Ok(i) => i,
            Err(i) => {
                self.writes.insert(i, (h, Writes::default()));
                i
            }
        };
        self.last_write = i;
        &mut self.writes[i].1
    }

    /// How many of `versions` are at or before `v` (their `partition_point`):
    /// all of them, without a search, when the newest is (a commit and its
    /// answer name the newest version).
    fn versions_upto(&self, v: Version) -> usize {
        let n = self.versions.len();
        match n.checked_sub(1).and_then(|i| self.versions.get(i)) {
            Some((newest, _)) if *newest <= v => n,
            _ => self.versions.partition_point(|(ver, _)| *ver <= v),
        }
    }

    /// Its value as of version `v` (None: absent).
    fn at(&self, v: Version) -> Option<&str> {
        let i = self.versions_upto(v);
        if i == 0 {
            None
        } else {
            self.versions[i - 1].1.as_deref()
        }
    }

    /// Version `version` set it to `value` (None: erased it).
    fn set(&mut self, version: Version, value: Option<String>) {
        let i = self.versions_upto(version);
        let h = &mut self.versions;
        match i.checked_sub(1) {
            Some(last) if h[last].0 == version => {
                if let Some(e) = h.get_mut(last) {
                    e.1 = value;
                }
            }
            _ => h.insert(i, (version, value)),
        }
    }

    /// `version` sets it to `value`: a value no client wrote, or an older
    /// write coming back after a newer one was acknowledged, loses a write.
    fn overwrite(&self, at: Time, version: Version, value: &str) -> Option<Found> {
        if self.writes_of(value).is_none() {
            let key = &self.name;
            return Some((
                Property::WriteKept,
                format!(
                    "v{version} set {key}={value} at {}s, a value no client wrote",
                    format_secs(at)
                ),
            ));
        }
        let (sent, newer) = self.latest.as_ref()?;
        let text = self.older(value, version, *sent, newer)?;
        Some((Property::WriteKept, text))
    }

    /// If every write of `value` was answered before the acknowledged write
    /// of `newer` was sent at `sent`, `value` set again in `version` loses
    /// that write: the explanation.
    fn older(&self, value: &str, version: Version, sent: Time, newer: &str) -> Option<String> {
        let w = self.writes_of(value)?;
        let key = &self.name;
        (w.pending == 0 && w.last_ack < sent).then(|| {
            format!(
                "v{version} set {key}={value} again, a write answered at {}s, before the acknowledged write {key}={newer} was sent at {}s: {key}={newer} is lost",
                format_secs(w.last_ack),
                format_secs(sent)
            )
        })
    }
}

/// The client's `mon add x` / `mon remove x` requests about one monitor, and
/// the last committed change of its membership.
#[derive(Clone, Debug, Default)]
struct Member {
    name: String,
    /// Requests to add (`[1]`) and to remove (`[0]`) it.
    asks: [Writes; 2],
    /// When the latest request of each kind was sent.
    latest_sent: [Time; 2],
    /// Whether any request of each kind was sent.
    asked: [bool; 2],
    /// The last committed change: whether it made the monitor a member, and
    /// when the latest request for that was sent.
    last_change: Option<(bool, Time)>,
}

/// The committed history and the client's, folded event by event.
#[derive(Clone, Debug, Default)]
pub struct History {
    names: Vec<String>,
    /// Per version (index v - 1), from its first commit.
    versions: Chunked<Option<Committed>>,
    /// What every version in 1..=contiguous does is known.
    contiguous: Version,
    /// Per config-key key, sorted by name.
    keys: Vec<Key>,
    /// Where the key [`History::key_mut`] found last is in `keys`: a
    /// write's request, commit and answer name the same key in turn.
    last_key: usize,
    /// The newest committed monmap: (epoch, members in rank order).
    monmap: Option<(u32, Vec<String>)>,
    /// Per monitor named in a `mon add`/`mon remove` or a monmap, sorted by name.
    members: Vec<Member>,
    /// Client requests by tid (index tid - 1); None once answered.
    requests: Chunked<Option<Request>>,
    /// Read answers sent to the client: (tid, monitor, where it stood).
    served: Vec<(u64, NodeId, Standing)>,
    /// Per monitor: the last standing in a quorum, and the highest epoch seen.
    followed: Vec<Option<Standing>>,
    epoch_floor: Vec<Epoch>,
}

/// A property violated, in words.
pub type Found = (Property, String);

/// Client tids are dense from 1; one far beyond those seen is not tracked.
const MAX_TID_GAP: u64 = 1 << 20;

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

    fn slot<T: Clone + Default>(v: &mut Vec<T>, i: usize) -> &mut T {
        if v.len() <= i {
            v.resize(i + 1, T::default());
        }
        &mut v[i]
    }

    fn key(&self, name: &str) -> Option<&Key> {
        let i = self
            .keys
            .binary_search_by(|k| k.name.as_str().cmp(name))
            .ok()?;
        Some(&self.keys[i])
    }

    fn key_mut(&mut self, name: &str) -> &mut Key {
        let found = match self.keys.get(self.last_key) {
            Some(k) if k.name == name => Ok(self.last_key),
            _ => self.keys.binary_search_by(|k| k.name.as_str().cmp(name)),
        };
        let i = match found {
            Ok(i) => i,
            Err(i) => {
                let key = Key {
                    name: name.to_string(),
                    ..Key::default()
                };
                self.keys.insert(i, key);
                i
            }
        };
        self.last_key = i;
        &mut self.keys[i]
    }

    fn member_mut(&mut self, name: &str) -> &mut Member {
        let i = match self.members.binary_search_by(|m| m.name.as_str().cmp(name)) {
            Ok(i) => i,
            Err(i) => {
                let m = Member {
                    name: name.to_string(),
                    ..Member::default()
                };
                self.members.insert(i, m);
                i
            }
        };
        &mut self.members[i]
    }

    /// Monmap epoch `epoch` committed in `version` with `names`: each change
    /// of membership against the previous monmap must be one a client asked
    /// for, and not an older request coming back.
    fn on_monmap(
        &mut self,
        at: Time,
        (version, epoch): (Version, u32),
        names: Vec<String>,
        out: &mut Vec<Found>,
    ) {
        let before = match &self.monmap {
            Some((e, _)) if epoch <= *e => return,
            Some((_, m)) => m.clone(),
            // The first committed monmap is the one the cluster was made with.
            None => {
                self.monmap = Some((epoch, names));
                return;
            }
        };
        let joined = names
            .iter()
            .filter(|n| !before.contains(n))
            .map(|n| (n, true));
        let left = before
            .iter()
            .filter(|n| !names.contains(n))
            .map(|n| (n, false));
        for (name, now_member) in joined.chain(left).collect::<Vec<_>>() {
            let m = self.member_mut(name);
            let k = now_member as usize;
            let verb = if now_member { "adds" } else { "removes" };
            let (asked, other) = if now_member {
                ("mon add", "mon remove")
            } else {
                ("mon remove", "mon add")
            };
            if !m.asked[k] {
                out.push((
                    Property::MembershipKept,
                    format!(
                        "monmap e{epoch} (v{version}, {}s) {verb} mon.{name}, which no client asked for",
                        format_secs(at)
                    ),
                ));
            } else if let Some((prev, prev_sent)) = m.last_change {
                let w = m.asks[k];
                if prev != now_member && w.pending == 0 && w.last_ack < prev_sent {
                    out.push((
                        Property::MembershipKept,
                        format!(
                            "monmap e{epoch} (v{version}, {}s) {verb} mon.{name} again: every `{asked} {name}` was answered by {}s, before the `{other} {name}` sent at {}s had taken effect",
                            format_secs(at),
                            format_secs(w.last_ack),
                            format_secs(prev_sent)
                        ),
                    ));
                }
            }
            m.last_change = Some((now_member, m.latest_sent[k]));
        }
        self.monmap = Some((epoch, names));
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
        let floor = Self::slot(&mut self.epoch_floor, node as usize);
        let was = std::mem::replace(floor, now.epoch);
        if now.epoch < was {
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
        let Some(leader) = now.leader else {
            return;
        };
        let prev = Self::slot(&mut self.followed, node as usize).replace(now);
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

    /// `node`'s "monitor" prefix was erased (a wipe): the epoch it kept is
    /// gone. The caller reads the store transactions ([`super::state`]).
    pub fn on_monitor_erased(&mut self, node: NodeId) {
        *Self::slot(&mut self.epoch_floor, node as usize) = 0;
        *Self::slot(&mut self.followed, node as usize) = None;
    }

    /// Whether a commit of `version` would read its value: none of its
    /// commits carried one yet. The simulator hands over the value already
    /// decoded then ([`History::on_commit`]'s `decoded`).
    pub fn wants_value(&self, version: Version) -> bool {
        let Some(i) = (version as usize).checked_sub(1) else {
            return false;
        };
        !matches!(self.versions.get(i), Some(Some(c)) if c.value.is_some())
    }

    /// Whether `value`, committed for `version` with other bytes than the
    /// first commit's, has the same effect on a store (Ceph's Paxos::begin
    /// prepends `first_committed = 1` to a version-1 value each time it
    /// begins it). False when either is not known.
    pub fn same_effect(&self, version: Version, value: Option<&[u8]>) -> bool {
        let effect = |v: &[u8]| Transaction::decode(v).ok().map(|t| effect_hash(&t));
        let first = self
            .versions
            .get((version as usize).wrapping_sub(1))
            .and_then(|c| effect(c.as_ref()?.value.as_deref()?));
        let this = value.and_then(effect);
        matches!((first, this), (Some(f), Some(t)) if f == t)
    }

    /// A commit of `version` by `node`, standing `by`. The first commit of
    /// a version names its committer; the first that carries the value
    /// writes the history (a different value later is a
    /// [`Property::OneValuePerVersion`] violation, found by the caller).
    /// `decoded`: the value's transaction if the caller has it already (the
    /// simulator: the monitors decoded it), else it is decoded here.
    pub fn on_commit(
        &mut self,
        at: Time,
        version: Version,
        by: (NodeId, Standing),
        value: Option<&Arc<[u8]>>,
        decoded: Option<&Transaction>,
        out: &mut Vec<Found>,
    ) {
        let Some(i) = (version as usize).checked_sub(1) else {
            return;
        };
        // Read first: the four later commits of a version change nothing,
        // and writing would copy a chunk a snapshot shares.
        if !self.wants_value(version) {
            return;
        }
        let (node, standing) = by;
        let c = self.versions.slot(i).get_or_insert(Committed {
            epoch: standing.epoch,
            leader: standing.leader.unwrap_or(node),
            value: None,
        });
        let Some(value) = value else {
            return;
        };
        let own = match decoded {
            Some(_) => None,
            None => Transaction::decode(value).ok(),
        };
        let Some(tx) = decoded.or(own.as_ref()) else {
            return;
        };
        c.value = Some(value.clone());
        while self
            .versions
            .get(self.contiguous as usize)
            .is_some_and(|c| c.as_ref().is_some_and(|c| c.value.is_some()))
        {
            self.contiguous += 1;
        }
        for op in &tx.ops {
            match op {
                StoreOp::Put { prefix, key, value } if prefix == KV_PREFIX => {
                    let value = String::from_utf8_lossy(value).into_owned();
                    // Found once for the check and the write (an absent
                    // key, added first, has no writes: the same finding).
                    let k = self.key_mut(key);
                    out.extend(k.overwrite(at, version, &value));
                    k.set(version, Some(value));
                }
                StoreOp::Erase { prefix, key } if prefix == KV_PREFIX => {
                    self.key_mut(key).set(version, None)
                }
                StoreOp::Put { prefix, key, value } if prefix == MONMAP => {
                    if let (Ok(epoch), Ok(m)) = (key.parse::<u32>(), decode_monmap(value)) {
                        let names = m.mons.into_iter().map(|i| i.name).collect();
                        self.on_monmap(at, (version, epoch), names, out);
                    }
                }
                _ => {}
            }
        }
    }

    /// The value of `key` as of committed version `v` (None: absent), if
    /// what every version up to `v` does is known.
    pub fn value_at(&self, key: &str, v: Version) -> Option<Option<&str>> {
        if v > self.contiguous {
            return None;
        }
        Some(self.key(key).and_then(|k| k.at(v)))
    }

    /// The newest committed monmap: its epoch and members, in rank order.
    pub fn monmap(&self) -> Option<(u32, &[String])> {
        self.monmap.as_ref().map(|(e, m)| (*e, m.as_slice()))
    }

    pub fn on_request(&mut self, at: Time, tid: u64, op: &Arc<ClientOp>) {
        let Some(i) = (tid as usize).checked_sub(1) else {
            return;
        };
        if tid > self.requests.len() as u64 + MAX_TID_GAP {
            return;
        }
        let acked_before = match &**op {
            ClientOp::Read { key } => self.key(key).map_or(0, |k| k.acked.len()),
            ClientOp::Write { key, value } => {
                self.key_mut(key).writes_of_mut(value).pending += 1;
                0
            }
            ClientOp::MonAdd { name, .. } | ClientOp::MonRemove { name } => {
                let k = matches!(&**op, ClientOp::MonAdd { .. }) as usize;
                let m = self.member_mut(name);
                m.asks[k].pending += 1;
                m.latest_sent[k] = at;
                m.asked[k] = true;
                0
            }
        };
        *self.requests.slot(i) = Some(Request {
            at,
            op: op.clone(),
            acked_before,
        });
    }

    /// A monitor sent the client the answer to read `tid`, standing `standing`.
    pub fn on_read_served(&mut self, tid: u64, node: NodeId, standing: Standing) {
        let is_read = self
            .request(tid)
            .is_some_and(|r| matches!(*r.op, ClientOp::Read { .. }));
        if is_read {
            self.served.retain(|s| (s.0, s.1) != (tid, node));
            self.served.push((tid, node, standing));
        }
    }

    fn request(&self, tid: u64) -> Option<&Request> {
        self.requests.get((tid as usize).checked_sub(1)?)?.as_ref()
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
        let Some(req) = (tid as usize)
            .checked_sub(1)
            .and_then(|i| self.requests.get_mut(i)?.take())
        else {
            return;
        };
        let standing = self
            .served
            .iter()
            .find(|s| (s.0, s.1) == (tid, from))
            .map(|s| s.2);
        self.served.retain(|s| s.0 != tid);
        match (&*req.op, result) {
            (ClientOp::Write { key, value }, ClientResult::Written { version }) => {
                self.on_write_acked(at, &req, key, value, *version, out)
            }
            (ClientOp::MonAdd { name, .. } | ClientOp::MonRemove { name }, _) => {
                let k = matches!(&*req.op, ClientOp::MonAdd { .. }) as usize;
                let w = &mut self.member_mut(name).asks[k];
                w.pending = w.pending.saturating_sub(1);
                w.last_ack = w.last_ack.max(at);
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
        let known = version <= self.contiguous;
        let k = self.key_mut(key);
        let w = k.writes_of_mut(value);
        w.pending = w.pending.saturating_sub(1);
        w.last_ack = w.last_ack.max(at);
        let from = k.versions_upto(version);
        let set = from > 0 && k.versions[from - 1].0 == version;
        if known && !set {
            out.push((
                Property::WriteKept,
                format!(
                    "write {key}={value} was acknowledged at {}s as committed in v{version}, but v{version} does not set {key}",
                    format_secs(at)
                ),
            ));
        }
        // A later version that already brought back an older value loses this write.
        for (v, x) in k.versions.iter_from(from) {
            if let Some(text) = x.as_deref().and_then(|x| k.older(x, *v, req.at, value)) {
                out.push((Property::WriteKept, text));
            }
        }
        k.acked.push(Acked {
            value: value.to_string(),
            version,
        });
        if k.latest.as_ref().is_none_or(|l| req.at >= l.0) {
            k.latest = Some((req.at, value.to_string()));
        }
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
        // Writes acknowledged before the read was sent that the answer lacks;
        // a monitor of an older quorum may lag (see the module comment).
        let (Some(k), Some(s)) = (self.key(key), standing) else {
            return;
        };
        let committed = |v: Version| {
            self.versions
                .get((v as usize).wrapping_sub(1))?
                .as_ref()
                .map(|c| (c.epoch, c.leader))
        };
        let missed = k
            .acked
            .iter()
            .take(req.acked_before)
            .filter(|w| w.version > version)
            .find_map(|w| {
                let (epoch, leader) = committed(w.version)?;
                let same_or_newer =
                    s.epoch > epoch || (s.epoch == epoch && s.leader == Some(leader));
                same_or_newer.then_some((w, epoch))
            });
        if let Some((w, epoch)) = missed {
            out.push((
                Property::ReadLatest,
                format!(
                    "read {tid} of {key} answered by {who} in election epoch {} lacks {key}={}, acknowledged in v{} of epoch {} before the read was sent: it read v{version}",
                    s.epoch, w.value, w.version, epoch
                ),
            ));
        }
    }

    /// Client requests not answered yet: (tid, when sent, what).
    pub fn unanswered(&self) -> impl Iterator<Item = (u64, Time, &ClientOp)> + '_ {
        self.requests
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.as_ref().map(|r| (i as u64 + 1, r.at, &*r.op)))
    }
}

#[cfg(test)]
#[path = "properties_tests.rs"]
mod tests;
