//! Monitor store synchronization (Monitor.cc's sync_* functions, MMonSync,
//! reference §1.5 step 5 and §1.6). A monitor that finds its peers too far
//! ahead copies their store: a **full** sync (every sync prefix, from a
//! snapshot, when the peers trimmed past my last_committed) or a **recent**
//! sync (only the paxos versions I lack). Both end in a bootstrap.
//!
//! [`MonSync`] holds both sides of the protocol: the requester's
//! (provider, cookie, full, start version) and the provider's cookies. Like
//! Paxos and the Elector it never touches the Monitor: it takes a
//! [`SyncCtx`] and returns [`SyncEffect`]s the Monitor applies in order.

use super::auth_service::AUTH;
use super::config::Config;
use super::health_service::HEALTH;
use super::kv::{KV, KV_PREFIX};
use super::log_service::LOGM;
use super::messages::{MMonSync, Message, SyncOp};
use super::monmap::MonMap;
use super::monmap_service::{decode_monmap, encode_monmap, MONMAP};
use super::out::{apply_tx, Note, Out, Timer};
use super::paxos::PAXOS;
use super::store::{MonitorDBStore, Transaction};
use super::{Addr, Epoch, Version};
use crate::mon::vecmap::VecMap;
use crate::text_escape::Quoted;
use crate::time::Time;
use std::sync::Arc;

/// The store prefix of the sync bookkeeping (in_sync, latest_monmap, ...).
pub const MON_SYNC: &str = "mon_sync";

/// Monitor::get_sync_targets_names: "paxos" plus every service's
/// get_store_prefixes, in the sorted order of Ceph's `std::set`. A service's
/// prefixes are its name (PaxosService's default), except KVMonitor's, which
/// adds its data prefix. ceph-mon 16.2.15 logs the same set at sync_start
/// ("clearing prefixes auth,config,health,kv,logm,...,osdmap,paxos"), with
/// the prefixes of the services not modelled here (mgr, mgrstat, config,
/// their metadata, osd_pg_creating, ...) besides. (A test checks them
/// against the services' names.)
pub const SYNC_TARGETS: [&str; 9] = [
    AUTH, HEALTH, KV, LOGM, "mdsmap", KV_PREFIX, MONMAP, "osdmap", PAXOS,
];

/// obtain_monmap's first choice: a store left mid-sync has lost its monmap
/// prefix, so the monmap backed up when the sync started is the one to use.
pub fn backup_monmap(store: &MonitorDBStore) -> Option<MonMap> {
    if !store.exists(MON_SYNC, "in_sync") {
        return None;
    }
    decode_monmap(store.get(MON_SYNC, "latest_monmap")?).ok()
}

/// Everything sync needs from its Monitor for one call.
pub struct SyncCtx<'a> {
    /// This monitor's own clock.
    pub now: Time,
    pub cfg: &'a Config,
    pub store: &'a mut MonitorDBStore,
    pub out: &'a mut Out,
    /// Monitor state SYNCHRONIZING.
    pub synchronizing: bool,
    pub election_epoch: Epoch,
    /// paxos first_committed / last_committed (get_version()).
    pub paxos_fc: Version,
    pub paxos_lc: Version,
    pub monmap: &'a MonMap,
}

/// What the Monitor must do after a sync call, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum SyncEffect {
    /// state = SYNCHRONIZING.
    Synchronizing,
    /// paxos->init(): re-read the paxos variables from the store (what waits
    /// on Paxos stays queued).
    InitPaxos,
    /// init_paxos(): paxos->init() and every service's init (Consensus::reinit).
    InitPaxosAndServices,
    /// Monitor::bootstrap().
    Bootstrap { reason: String },
}

/// A provider's state for one requester (Monitor::SyncProvider).
#[derive(Clone, Debug)]
pub struct SyncProvider {
    pub cookie: u64,
    pub addr: Addr,
    /// Expiry on my clock: now + 2 × mon_sync_timeout, refreshed per chunk.
    pub timeout: Time,
    pub last_committed: Version,
    pub full: bool,
    /// The synchronizer: the sync prefixes as they were when the cookie was
    /// made (the store iterator's snapshot), and how far we copied.
    snapshot: Arc<Vec<(String, String, Vec<u8>)>>,
    next: usize,
    pub last_key: (String, String),
}

impl SyncProvider {
    fn has_next_chunk(&self) -> bool {
        self.full && self.next < self.snapshot.len()
    }
}

#[derive(Clone, Debug, Default)]
pub struct MonSync {
    // ---- requester ----
    pub provider: Option<Addr>,
    pub cookie: u64,
    pub full: bool,
    pub start_version: Version,
    /// sync_last_committed_floor: never sync from a peer behind this.
    pub last_committed_floor: Version,
    // ---- provider ----
    pub providers: VecMap<u64, SyncProvider>,
    provider_count: u64,
}

fn send(ctx: &mut SyncCtx, to: Addr, m: MMonSync) {
    ctx.out.send(to, Message::Sync(m.into()));
}

fn mon_name(ctx: &SyncCtx, addr: Addr) -> String {
    let r = ctx.monmap.rank_of_addr(addr);
    ctx.monmap
        .name_of(r)
        .map_or_else(|| format!("{addr:?}"), |n| format!("mon.{n}"))
}

/// Paxos::read_and_prepare_transactions: the stored values of versions
/// [first, last], decoded and appended. Ceph asserts that each exists; a
/// missing or malformed one is logged and skipped here.
fn read_and_prepare_transactions(
    ctx: &mut SyncCtx,
    tx: &mut Transaction,
    first: Version,
    last: Version,
) {
    for v in first.max(1)..=last {
        let Some(value) = ctx.store.get(PAXOS, &v.to_string()).map(<[u8]>::to_vec) else {
            ctx.out
                .log(format!("read_and_prepare_transactions: no paxos v{v}"));
            continue;
        };
        match Transaction::decode(&value) {
            Ok(t) => tx.append(t),
            Err(e) => ctx.out.log(format!("malformed paxos v{v} ignored: {e}")),
        }
        ctx.out.notes.push(Note::Commit {
            version: v,
            value: value.into(),
        });
    }
}

impl MonSync {
    /// Preinit: a store left half-synced (`mon_sync/in_sync`), or a forced
    /// sync, loses every sync prefix, so the next bootstrap must sync in
    /// full. Loads sync_last_committed_floor. Returns whether it cleared.
    pub fn on_startup(&mut self, store: &mut MonitorDBStore, out: &mut Out) -> bool {
        let mut clear = false;
        if store.exists(MON_SYNC, "in_sync") {
            out.log(&"clean up potentially inconsistent store state");
            clear = true;
        }
        if store.get_u64(MON_SYNC, "force_sync") > 0 {
            out.log(&"force sync by clearing store state");
            clear = true;
        }
        if clear {
            let mut t = Transaction::new();
            for p in SYNC_TARGETS {
                t.erase_prefix(p);
            }
            apply_tx(store, out, t);
        }
        self.last_committed_floor = store.get_u64(MON_SYNC, "last_committed_floor");
        if self.last_committed_floor > 0 {
            out.log(format!(
                "sync_last_committed_floor {}",
                self.last_committed_floor
            ));
        }
        clear
    }

    /// sync_reset_requester (from bootstrap).
    pub fn reset_requester(&mut self, out: &mut Out) {
        out.cancel_timer(Timer::SyncTimeout);
        self.provider = None;
        self.cookie = 0;
        self.full = false;
        self.start_version = 0;
    }

    fn reset_timeout(&self, ctx: &mut SyncCtx) {
        ctx.out
            .set_timer(Timer::SyncTimeout, ctx.cfg.mon_sync_timeout);
    }

    /// The §1.5 step 5 decision for one probe reply: Some(full) if I must
    /// sync from this peer.
    pub fn needs_sync(
        &self,
        ctx: &mut SyncCtx,
        peer: &str,
        first: Version,
        last: Version,
    ) -> Option<bool> {
        let mine = ctx.paxos_lc;
        if last < self.last_committed_floor {
            ctx.out.log(format!(
                "mon.{peer} paxos versions [{first},{last}] < my sync_last_committed_floor {}, ignoring",
                self.last_committed_floor
            ));
            return None;
        }
        if mine < first && first > 1 {
            ctx.out.log(format!(
                "mon.{peer} paxos first version {first} > my version {mine}: they trimmed past me, full sync"
            ));
            return Some(true);
        }
        if mine + ctx.cfg.paxos_max_join_drift < last {
            ctx.out.log(format!(
                "mon.{peer} paxos last version {last} vs my version {mine} (too far ahead): recent sync"
            ));
            return Some(false);
        }
        None
    }

    /// sync_start(peer, full).
    pub fn start(&mut self, ctx: &mut SyncCtx, peer: Addr, full: bool) -> Vec<SyncEffect> {
        let mut fx = vec![SyncEffect::Synchronizing];
        ctx.out.log(format!(
            "sync_start from {} {}",
            mon_name(ctx, peer),
            if full { "full" } else { "recent" }
        ));
        // make sure we are not a provider for anyone
        self.providers.clear();
        self.full = full;
        if full {
            // stash key state, and mark that we are syncing
            let mut t = Transaction::new();
            t.put(MON_SYNC, "latest_monmap", encode_monmap(ctx.monmap));
            t.put_u64(MON_SYNC, "in_sync", 1);
            self.last_committed_floor = self.last_committed_floor.max(ctx.paxos_lc);
            t.put_u64(MON_SYNC, "last_committed_floor", self.last_committed_floor);
            ctx.out.log(format!(
                "marking sync in progress, sync_last_committed_floor {}",
                self.last_committed_floor
            ));
            apply_tx(ctx.store, ctx.out, t);
            // clear the underlying store, and make paxos see it (version 0)
            let mut t = Transaction::new();
            for p in SYNC_TARGETS {
                t.erase_prefix(p);
            }
            ctx.out
                .log(format!("clearing prefixes {:?}", SYNC_TARGETS.map(Quoted)));
            apply_tx(ctx.store, ctx.out, t);
            fx.push(SyncEffect::InitPaxos);
        }
        self.provider = Some(peer);
        self.cookie = 0;
        self.reset_timeout(ctx);
        let mut m = MMonSync::new(
            if full {
                SyncOp::GetCookieFull
            } else {
                SyncOp::GetCookieRecent
            },
            0,
        );
        if !full {
            m.last_committed = ctx.paxos_lc;
        }
        send(ctx, peer, m);
        fx
    }

    /// The sync timeout fired: give up and bootstrap.
    pub fn timeout(&mut self, ctx: &mut SyncCtx) -> Vec<SyncEffect> {
        if !ctx.synchronizing {
            // Ceph asserts; a stale timer is ignored here.
            ctx.out
                .log(&"sync timeout while not synchronizing, ignored");
            return Vec::new();
        }
        vec![SyncEffect::Bootstrap {
            reason: "sync timeout".into(),
        }]
    }

    /// Monitor::handle_sync.
    pub fn handle(&mut self, ctx: &mut SyncCtx, from: Addr, m: &MMonSync) -> Vec<SyncEffect> {
        match m.op {
            SyncOp::GetCookieFull | SyncOp::GetCookieRecent => {
                self.handle_get_cookie(ctx, from, m);
                Vec::new()
            }
            SyncOp::GetChunk => {
                self.handle_get_chunk(ctx, from, m);
                Vec::new()
            }
            SyncOp::Cookie => self.handle_cookie(ctx, from, m),
            SyncOp::Chunk | SyncOp::LastChunk => self.handle_chunk(ctx, from, m),
            SyncOp::NoCookie => {
                ctx.out
                    .log(format!("sync: NO_COOKIE from {}", mon_name(ctx, from)));
                vec![SyncEffect::Bootstrap {
                    reason: "sync: no cookie".into(),
                }]
            }
        }
    }

    // ---- provider ----

    fn no_cookie(ctx: &mut SyncCtx, to: Addr, cookie: u64) {
        send(ctx, to, MMonSync::new(SyncOp::NoCookie, cookie));
    }

    fn handle_get_cookie(&mut self, ctx: &mut SyncCtx, from: Addr, m: &MMonSync) {
        if ctx.synchronizing {
            ctx.out.log(format!(
                "{} asks for a sync cookie but I am synchronizing: NO_COOKIE",
                mon_name(ctx, from)
            ));
            Self::no_cookie(ctx, from, m.cookie);
            return;
        }
        // Unique per process: the election epoch (persisted) and a counter.
        self.provider_count += 1;
        let cookie = ((ctx.election_epoch as u64) << 24).wrapping_add(self.provider_count);
        let full = m.op == SyncOp::GetCookieFull;
        let (last_committed, snapshot) = if full {
            let mut snap = Vec::new();
            for p in SYNC_TARGETS {
                for (k, v) in ctx.store.iter_prefix(p) {
                    snap.push((p.to_string(), k.to_string(), v.to_vec()));
                }
            }
            (ctx.paxos_lc, snap)
        } else {
            (m.last_committed, Vec::new())
        };
        ctx.out.log(format!(
            "sync cookie {cookie} for {} ({}), will sync from version {last_committed}",
            mon_name(ctx, from),
            if full { "full" } else { "recent" }
        ));
        self.providers.insert(
            cookie,
            SyncProvider {
                cookie,
                addr: from,
                timeout: ctx
                    .now
                    .saturating_add(ctx.cfg.mon_sync_timeout.saturating_mul(2)),
                last_committed,
                full,
                snapshot: Arc::new(snapshot),
                next: 0,
                last_key: (String::new(), String::new()),
            },
        );
        let mut reply = MMonSync::new(SyncOp::Cookie, cookie);
        reply.last_committed = last_committed;
        send(ctx, from, reply);
    }

    fn handle_get_chunk(&mut self, ctx: &mut SyncCtx, from: Addr, m: &MMonSync) {
        let Some(sp) = self.providers.get_mut(&m.cookie) else {
            ctx.out.log(format!("sync: no cookie {}", m.cookie));
            Self::no_cookie(ctx, from, m.cookie);
            return;
        };
        sp.timeout = ctx
            .now
            .saturating_add(ctx.cfg.mon_sync_timeout.saturating_mul(2));
        if sp.last_committed < ctx.paxos_fc && ctx.paxos_fc > 1 {
            ctx.out.log(format!(
                "sync requester fell behind paxos, their lc {} < our fc {}",
                sp.last_committed, ctx.paxos_fc
            ));
            self.providers.remove(&m.cookie);
            Self::no_cookie(ctx, from, m.cookie);
            return;
        }
        let mut tx = Transaction::new();
        let max_bytes = ctx.cfg.mon_sync_max_payload_size;
        let max_keys = ctx.cfg.mon_sync_max_payload_keys;
        let mut bytes: u64 = 0;
        let mut keys: u64 = 0;
        // First the paxos versions committed since the requester's lc.
        while sp.last_committed < ctx.paxos_lc && bytes < max_bytes && keys < max_keys {
            sp.last_committed += 1;
            let v = sp.last_committed;
            let value = ctx
                .store
                .get(PAXOS, &v.to_string())
                .map(<[u8]>::to_vec)
                .unwrap_or_default();
            bytes += value.len() as u64;
            keys += 1;
            tx.put(PAXOS, &v.to_string(), value);
        }
        // Then, for a full sync, the snapshot's keys (at least one per chunk).
        if sp.full && bytes < max_bytes && keys < max_keys {
            while let Some((p, k, v)) = sp.snapshot.get(sp.next) {
                let size = (p.len() + k.len() + v.len()) as u64;
                if !tx.is_empty() && (bytes + size > max_bytes || keys >= max_keys) {
                    break;
                }
                tx.put(p, k, v.clone());
                bytes += size;
                keys += 1;
                sp.last_key = (p.clone(), k.clone());
                sp.next += 1;
            }
        }
        let last = !(sp.has_next_chunk() || sp.last_committed < ctx.paxos_lc);
        let mut reply = MMonSync::new(
            if last {
                SyncOp::LastChunk
            } else {
                SyncOp::Chunk
            },
            sp.cookie,
        );
        reply.last_committed = sp.last_committed;
        reply.last_key = sp.last_key.clone();
        reply.chunk_bl = tx.encode();
        ctx.out.log(format!(
            "sync {} through version {}, {} keys{}",
            if last { "last chunk" } else { "chunk" },
            sp.last_committed,
            keys,
            if sp.full {
                format!(", key {}/{}", sp.last_key.0, sp.last_key.1)
            } else {
                String::new()
            }
        ));
        if last {
            self.providers.remove(&m.cookie);
        }
        send(ctx, from, reply);
    }

    /// sync_trim_providers (from tick): forget cookies past their timeout.
    pub fn trim_providers(&mut self, now: Time, out: &mut Out) {
        let expired: Vec<u64> = self
            .providers
            .values()
            .filter(|sp| now > sp.timeout)
            .map(|sp| sp.cookie)
            .collect();
        for c in expired {
            out.log(format!("expiring sync cookie {c}"));
            self.providers.remove(&c);
        }
    }

    // ---- requester ----

    fn is_my_provider(&self, ctx: &mut SyncCtx, from: Addr) -> bool {
        if self.provider != Some(from) {
            ctx.out.log(&"sync: source does not match, discarding");
            return false;
        }
        true
    }

    fn handle_cookie(&mut self, ctx: &mut SyncCtx, from: Addr, m: &MMonSync) -> Vec<SyncEffect> {
        if self.cookie != 0 {
            ctx.out.log(&"sync: already have a cookie, ignoring");
            return Vec::new();
        }
        if !self.is_my_provider(ctx, from) {
            return Vec::new();
        }
        self.cookie = m.cookie;
        self.start_version = m.last_committed;
        ctx.out.log(format!(
            "sync cookie {} from {}, start version {}",
            m.cookie,
            mon_name(ctx, from),
            m.last_committed
        ));
        self.reset_timeout(ctx);
        send(ctx, from, MMonSync::new(SyncOp::GetChunk, self.cookie));
        Vec::new()
    }

    fn handle_chunk(&mut self, ctx: &mut SyncCtx, from: Addr, m: &MMonSync) -> Vec<SyncEffect> {
        if m.cookie != self.cookie || self.cookie == 0 {
            ctx.out.log(&"sync: cookie does not match, discarding");
            return Vec::new();
        }
        if !self.is_my_provider(ctx, from) {
            return Vec::new();
        }
        if !ctx.synchronizing {
            // Ceph asserts.
            ctx.out
                .log(&"sync chunk while not synchronizing, discarding");
            return Vec::new();
        }
        let mut fx = Vec::new();
        match Transaction::decode(&m.chunk_bl) {
            Ok(tx) => apply_tx(ctx.store, ctx.out, tx),
            Err(e) => ctx.out.log(format!("malformed sync chunk ignored: {e}")),
        }
        if !self.full {
            // applying recent paxos transactions as we go
            let mut tx = Transaction::new();
            read_and_prepare_transactions(ctx, &mut tx, ctx.paxos_lc + 1, m.last_committed);
            tx.put_u64(PAXOS, "last_committed", m.last_committed);
            apply_tx(ctx.store, ctx.out, tx);
            ctx.paxos_lc = m.last_committed;
            fx.push(SyncEffect::InitPaxos);
        }
        match m.op {
            SyncOp::Chunk => {
                self.reset_timeout(ctx);
                send(ctx, from, MMonSync::new(SyncOp::GetChunk, self.cookie));
            }
            _ => fx.extend(self.finish(ctx, m.last_committed)),
        }
        fx
    }

    /// sync_finish(lc): replay a full sync's versions, forget in_sync,
    /// re-init paxos and the services, bootstrap.
    fn finish(&mut self, ctx: &mut SyncCtx, last_committed: Version) -> Vec<SyncEffect> {
        ctx.out.log(format!(
            "sync_finish lc {last_committed} ({})",
            if self.full { "full" } else { "recent" }
        ));
        if self.full {
            let mut tx = Transaction::new();
            read_and_prepare_transactions(ctx, &mut tx, self.start_version, last_committed);
            tx.put_u64(PAXOS, "last_committed", last_committed);
            apply_tx(ctx.store, ctx.out, tx);
        }
        let mut t = Transaction::new();
        t.erase(MON_SYNC, "in_sync")
            .erase(MON_SYNC, "force_sync")
            .erase(MON_SYNC, "last_committed_floor");
        apply_tx(ctx.store, ctx.out, t);
        vec![
            SyncEffect::InitPaxosAndServices,
            SyncEffect::Bootstrap {
                reason: "sync finished".into(),
            },
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mon::monmap::{MonInfo, Strategy};
    use crate::time::SEC;

    fn monmap() -> MonMap {
        MonMap {
            epoch: 1,
            mons: ["a", "b"]
                .iter()
                .enumerate()
                .map(|(i, n)| MonInfo {
                    name: n.to_string(),
                    addr: Addr(i as u32),
                })
                .collect(),
            strategy: Strategy::Classic,
            disallowed_leaders: Vec::new(),
        }
    }

    /// A provider at paxos [fc, lc] with every version stored.
    fn provider_store(fc: Version, lc: Version) -> MonitorDBStore {
        let mut s = MonitorDBStore::new();
        let mut t = Transaction::new();
        t.put_u64(PAXOS, "first_committed", fc)
            .put_u64(PAXOS, "last_committed", lc);
        for v in fc..=lc {
            t.put(PAXOS, &v.to_string(), Transaction::new().encode());
        }
        s.apply(&t);
        s
    }

    fn call<R>(
        s: &mut MonSync,
        store: &mut MonitorDBStore,
        now: Time,
        (fc, lc): (Version, Version),
        f: impl FnOnce(&mut MonSync, &mut SyncCtx) -> R,
    ) -> (R, Out) {
        let cfg = Config::default();
        let map = monmap();
        let mut out = Out::new();
        let mut ctx = SyncCtx {
            now,
            cfg: &cfg,
            store,
            out: &mut out,
            synchronizing: false,
            election_epoch: 6,
            paxos_fc: fc,
            paxos_lc: lc,
            monmap: &map,
        };
        let r = f(s, &mut ctx);
        (r, out)
    }

    fn replies(out: &Out) -> Vec<MMonSync> {
        out.sends
            .iter()
            .filter_map(|(_, m)| match m {
                Message::Sync(s) => Some((**s).clone()),
                _ => None,
            })
            .collect()
    }

    fn get_cookie(op: SyncOp, lc: Version) -> MMonSync {
        let mut m = MMonSync::new(op, 0);
        m.last_committed = lc;
        m
    }

    #[test]
    fn the_sync_targets_are_paxos_and_every_services_prefixes_sorted() {
        use crate::mon::mds_service::{MdsService, OsdService};
        use crate::mon::paxos_service::ServiceClass;
        let mut want = [
            PAXOS,
            AUTH,
            HEALTH,
            KV,
            KV_PREFIX,
            LOGM,
            MdsService::META.name,
            MONMAP,
            OsdService::META.name,
        ];
        want.sort_unstable();
        assert_eq!(SYNC_TARGETS, want);
    }

    #[test]
    fn a_cookie_is_the_election_epoch_shifted_24_plus_a_counter() {
        let mut s = MonSync::default();
        let mut st = provider_store(1, 5);
        for n in 1..=2 {
            let m = get_cookie(SyncOp::GetCookieRecent, 2);
            let (_, out) = call(&mut s, &mut st, 0, (1, 5), |s, c| s.handle(c, Addr(1), &m));
            let r = replies(&out);
            assert_eq!(r[0].op, SyncOp::Cookie);
            assert_eq!(r[0].cookie, (6 << 24) + n);
            assert_eq!(r[0].last_committed, 2);
        }
    }

    #[test]
    fn a_requester_behind_the_providers_trim_point_gets_no_cookie() {
        let mut s = MonSync::default();
        let mut st = provider_store(1, 20);
        let m = get_cookie(SyncOp::GetCookieRecent, 3);
        let (_, out) = call(&mut s, &mut st, 0, (1, 20), |s, c| s.handle(c, Addr(1), &m));
        let cookie = replies(&out)[0].cookie;
        // Meanwhile the provider trimmed to 8 > 3 (and > 1).
        let m = MMonSync::new(SyncOp::GetChunk, cookie);
        let (_, out) = call(&mut s, &mut st, SEC, (8, 20), |s, c| {
            s.handle(c, Addr(1), &m)
        });
        assert_eq!(replies(&out)[0].op, SyncOp::NoCookie);
        assert!(s.providers.is_empty());
    }

    #[test]
    fn a_recent_chunk_carries_the_missing_versions_and_the_last_erases_the_cookie() {
        let mut s = MonSync::default();
        let mut st = provider_store(1, 20);
        let m = get_cookie(SyncOp::GetCookieRecent, 3);
        let (_, out) = call(&mut s, &mut st, 0, (1, 20), |s, c| s.handle(c, Addr(1), &m));
        let cookie = replies(&out)[0].cookie;
        let m = MMonSync::new(SyncOp::GetChunk, cookie);
        let (_, out) = call(&mut s, &mut st, 0, (1, 20), |s, c| s.handle(c, Addr(1), &m));
        let r = &replies(&out)[0];
        assert_eq!(r.op, SyncOp::LastChunk);
        assert_eq!(r.last_committed, 20);
        let t = Transaction::decode(&r.chunk_bl).unwrap();
        assert_eq!(t.ops.len(), 17);
        assert!(s.providers.is_empty());
        // An unknown cookie: NO_COOKIE.
        let (_, out) = call(&mut s, &mut st, 0, (1, 20), |s, c| s.handle(c, Addr(1), &m));
        assert_eq!(replies(&out)[0].op, SyncOp::NoCookie);
    }

    #[test]
    fn a_provider_cookie_expires_after_twice_mon_sync_timeout() {
        let mut s = MonSync::default();
        let mut st = provider_store(1, 5);
        let m = get_cookie(SyncOp::GetCookieFull, 0);
        call(&mut s, &mut st, 0, (1, 5), |s, c| s.handle(c, Addr(1), &m));
        let mut out = Out::new();
        s.trim_providers(120 * SEC, &mut out);
        assert_eq!(s.providers.len(), 1);
        s.trim_providers(120 * SEC + 1, &mut out);
        assert!(s.providers.is_empty());
    }
}
