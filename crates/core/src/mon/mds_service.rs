//! The map services of daemons this cluster does not run: MDSMonitor.cc
//! (the FSMap) and OSDMonitor.cc (the OSDMap), each a [`Service`] of
//! PaxosService as far as a cluster without metadata servers or OSDs sees
//! it: its first version, and the map's line in the leader's log. Versions
//! live under the service's prefix ("mdsmap", "osdmap"; each `<v>` holds
//! map epoch v as a short text where Ceph stores its encoding).
//!
//! create_initial sets nothing that matters here, but PaxosService::_active
//! proposes a service with no version (lc 0) at once, in Ceph's service
//! order: MDSMonitor (PAXOS_MDSMAP) is the first after the monmap's, so at
//! a fresh cluster's second quorum its FSMap e1 goes alone with the
//! leader's metadata, and every other service's first version waits for
//! the next one (ceph-mon 16.2.15, `ceph-monstore-tool dump-paxos`: v2
//! metadata and mdsmap, v3 osdmap, logm, auth, health, kv and the
//! unmodelled mgr, mgrstat and config). When an election comes between the
//! two, OSDMonitor (PAXOS_OSDMAP) is the first of the next round and goes
//! alone with the new leader's metadata (measured: v3 metadata and osdmap,
//! v4 the rest). After that neither commits on its own (no daemon to
//! report); each time one goes active on the leader it logs its map
//! (MDSMonitor::on_active: "fsmap ", OSDMonitor::on_active: "osdmap e1: 0
//! total, 0 up, 0 in").

use super::clog::Prio;
use super::consensus::{Fx, PaxosCtx, PaxosEffect};
use super::out::Timer;
use super::paxos_service::{put_last_committed, Service, ServiceClass, ServiceId, ServiceMeta};
use super::store::Transaction;
use super::Version;
use std::fmt::Debug;
use std::marker::PhantomData;

/// What differs between the two services.
pub trait DaemonMap: Clone + Debug + Default {
    const ID: ServiceId;
    /// get_service_name(): the store prefix.
    const NAME: &'static str;
    /// The proposal timer (never set: the first version is proposed at once).
    const PROPOSE_TIMER: Timer;
    /// The empty map at `epoch`, as stored here.
    fn text(epoch: Version) -> String;
    /// The leader's line at on_active, for the map at `epoch`.
    fn clog_line(epoch: Version) -> String;
}

/// MDSMonitor: the FSMap.
#[derive(Clone, Debug, Default)]
pub struct Fs;

impl DaemonMap for Fs {
    const ID: ServiceId = ServiceId::Mds;
    const NAME: &'static str = "mdsmap";
    const PROPOSE_TIMER: Timer = Timer::MdsProposeTimer;
    /// FSMap::print's words for a map without filesystems.
    fn text(epoch: Version) -> String {
        format!("e{epoch}\nNo filesystems configured\n")
    }
    /// "fsmap " and the empty map's summary (FSMap::print_summary).
    fn clog_line(_epoch: Version) -> String {
        "fsmap ".into()
    }
}

/// OSDMonitor: the OSDMap.
#[derive(Clone, Debug, Default)]
pub struct Osd;

impl DaemonMap for Osd {
    const ID: ServiceId = ServiceId::Osd;
    const NAME: &'static str = "osdmap";
    const PROPOSE_TIMER: Timer = Timer::OsdProposeTimer;
    fn text(epoch: Version) -> String {
        format!("epoch {epoch}\nmax_osd 0\n")
    }
    /// OSDMap::print_summary with no OSDs.
    fn clog_line(epoch: Version) -> String {
        format!("osdmap e{epoch}: 0 total, 0 up, 0 in")
    }
}

/// One map service; nothing of the map is kept, as nothing changes it.
#[derive(Clone, Debug, Default)]
pub struct DaemonMapService<M: DaemonMap>(PhantomData<M>);

/// MDSMonitor.
pub type MdsService = DaemonMapService<Fs>;
/// OSDMonitor.
pub type OsdService = DaemonMapService<Osd>;

impl<M: DaemonMap> ServiceClass for DaemonMapService<M> {
    const META: ServiceMeta = ServiceMeta {
        id: M::ID,
        name: M::NAME,
        propose_timer: M::PROPOSE_TIMER,
        retry_waiter: M::NAME,
        force_immediate_propose: false,
        reply_at_once: false,
    };
    type Update = ();
    /// update_from_paxos: the map is decoded; nothing of it is used here.
    fn update_from_paxos(&mut self, _ctx: &mut PaxosCtx, _last_committed: Version) {}
}

impl<M: DaemonMap> Service for DaemonMapService<M> {
    /// create_initial: the pending map as it is (empty); the proposal
    /// comes from PaxosService::_active.
    fn create_initial(&mut self, ctx: &mut PaxosCtx) {
        ctx.out.log(format!("{} create_initial", M::NAME));
    }

    /// create_pending: the committed map, epoch + 1.
    fn create_pending(&mut self, _ctx: &PaxosCtx) {}

    fn discard_pending(&mut self) {}

    /// encode_pending: map epoch lc+1 as version lc+1.
    fn encode_pending(
        &mut self,
        _ctx: &mut PaxosCtx,
        t: &mut Transaction,
        first_committed: Version,
        last_committed: Version,
    ) {
        let v = last_committed + 1;
        t.put(M::NAME, &v.to_string(), M::text(v).into_bytes());
        put_last_committed(t, M::NAME, first_committed, v);
    }

    /// on_active: tick() (no daemon: nothing to propose), and the leader
    /// logs the map (DBG).
    fn on_active(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx) {
        if ctx.is_leader {
            let epoch = ctx.store.get_u64(M::NAME, "last_committed");
            fx.effects.push(PaxosEffect::Clog {
                prio: Prio::Dbg,
                msg: M::clog_line(epoch),
            });
        }
    }
}
