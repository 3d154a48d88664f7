//! The running cluster: one slot per monitor (its process, store, clock and
//! what was last observed of it), the operations the scenario's statements
//! map to, and one observation round of every monitor.
//!
//! Consistency between the poller and the operations: a slot's `gen` grows
//! whenever its process is started or ended, under the slots' lock; a poll
//! records its answer only if the generation did not change while it asked,
//! and every recording happens under that lock, so a `Down` recorded by a
//! kill is never followed by a stale answer of the killed process.

use crate::asok;
use crate::client::{Client, Reply, Via};
use crate::conf::MonAddr;
use crate::mon_log::{self, LogFact, LogView};
use crate::mon_status::{self, MonStatusJson};
use crate::netns;
use crate::preflight::FAKETIME_LIB;
use crate::procs;
use crate::record::Recorder;
use crate::store_dump::{self, Op};
use monscope_core::mon::messages::{ClientOp, ClientResult};
use monscope_core::mon::status::{MonState, MonStatus};
use monscope_core::mon::store::Transaction;
use monscope_core::mon::{Addr, Rank};
use monscope_core::time::Time;
use monscope_core::trace::state::{KV_PREFIX, PAXOS_PREFIX};
use monscope_core::trace::{ClientAnswer, EventKind, NodeId, SmallNode};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Seek, SeekFrom};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// How long an admin-socket question may take before the poll moves on.
const ASOK_TIMEOUT: Duration = Duration::from_millis(500);
/// An added monitor's store is made this long before its `add` statement
/// (`ceph mon getmap` and `ceph-mon --mkfs` take 0.3–1 s on two busy cores),
/// so that it starts at the statement's time.
pub const ADD_PREPARE: Duration = Duration::from_secs(3);
/// `ceph mon add` waits at most this long for the added monitor to probe.
const ADD_WAITS_FOR_PROBING: Duration = Duration::from_secs(5);
/// At most this much new log is read per monitor per poll.
const LOG_CHUNK: u64 = 8 << 20;

pub struct Slot {
    pub name: String,
    pub ip: Ipv4Addr,
    pub child: Option<Child>,
    gen: u64,
    /// The monitor exists in the cluster (initial, or since its `add`).
    pub present: bool,
    has_store: bool,
    /// Started under libfaketime (the scenario skews its clock at some time).
    faketime: bool,
    skew_us: i64,
    /// The offset before the latest `skew`: libfaketime re-reads its file at
    /// most every FAKETIME_CACHE_DURATION, so lines just after a change can
    /// still carry this one.
    prev_skew_us: i64,
    /// The run time of its latest log line: a log's lines come in order.
    log_at: Time,
    log_pos: u64,
    /// What its log has said (state, epochs, quorum, leader, paxos).
    view: LogView,
    /// The highest last_committed seen in its log since its store was made,
    /// and the time of the line that showed it and its election epoch.
    lc_seen: u64,
    lc_at: u64,
    lc_epoch: u32,
    /// How far its store's transaction dump was read (see
    /// [`crate::store_dump`]); None once it failed to decode.
    dump_pos: Option<u64>,
    pub status: Arc<MonStatus>,
    kv: BTreeMap<String, String>,
}

pub struct Cluster {
    pub dir: PathBuf,
    pub conf: PathBuf,
    keyring: PathBuf,
    pub initial_monmap: PathBuf,
    pub rec: Arc<Recorder>,
    slots: Mutex<Vec<Slot>>,
    pub client: Client,
    /// Check names of the cluster's health, as the leaders' logs raised
    /// and cleared them.
    health: Mutex<Vec<String>>,
    cuts: Mutex<BTreeSet<(String, String)>>,
    next_tid: AtomicU64,
    /// Every poll round's duration and gap, for the noise report (µs).
    pub poll_gaps: Mutex<Vec<u64>>,
    /// Added monitors whose store is being made before their `add`.
    preparing: Mutex<BTreeMap<String, std::thread::JoinHandle<()>>>,
}

impl Cluster {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        dir: PathBuf,
        conf: PathBuf,
        keyring: PathBuf,
        initial_monmap: PathBuf,
        mons: &[MonAddr],
        initial: usize,
        skewed: &BTreeSet<String>,
        client: Client,
    ) -> Cluster {
        let slots = mons
            .iter()
            .enumerate()
            .map(|(i, m)| Slot {
                name: m.name.clone(),
                ip: m.ip,
                child: None,
                gen: 0,
                present: i < initial,
                has_store: false,
                faketime: skewed.contains(&m.name),
                skew_us: 0,
                prev_skew_us: 0,
                log_at: 0,
                log_pos: 0,
                view: LogView::new(&m.name, i as Rank),
                lc_seen: 0,
                lc_at: 0,
                lc_epoch: 0,
                dump_pos: Some(0),
                status: Arc::new(MonStatus::down(i as Rank)),
                kv: BTreeMap::new(),
            })
            .collect();
        Cluster {
            dir,
            conf,
            keyring,
            initial_monmap,
            rec: Arc::new(Recorder::new()),
            slots: Mutex::new(slots),
            client,
            health: Mutex::new(Vec::new()),
            cuts: Mutex::new(BTreeSet::new()),
            next_tid: AtomicU64::new(1),
            poll_gaps: Mutex::new(Vec::new()),
            preparing: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn slots(&self) -> MutexGuard<'_, Vec<Slot>> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn node(&self, name: &str) -> Option<NodeId> {
        self.slots()
            .iter()
            .position(|s| s.name == name)
            .map(|i| i as NodeId)
    }

    pub fn ip_of(&self, name: &str) -> Option<Ipv4Addr> {
        if name == crate::plan::CLIENT {
            return Some(crate::plan::CLIENT_IP);
        }
        self.slots().iter().find(|s| s.name == name).map(|s| s.ip)
    }

    /// Names of the monitors that exist now.
    pub fn present(&self) -> Vec<String> {
        self.slots()
            .iter()
            .filter(|s| s.present)
            .map(|s| s.name.clone())
            .collect()
    }

    /// The one monitor observed in state leader, if exactly one.
    pub fn leader(&self) -> Option<(NodeId, String)> {
        let slots = self.slots();
        let mut it = slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.status.state == MonState::Leader);
        match (it.next(), it.next()) {
            (Some((i, s)), None) => Some((i as NodeId, s.name.clone())),
            _ => None,
        }
    }

    /// The quorum of the one leader, by name.
    pub fn leader_quorum(&self) -> Vec<String> {
        let Some((l, _)) = self.leader() else {
            return Vec::new();
        };
        self.slots()[l as usize].status.quorum.to_vec()
    }

    fn asok(&self, name: &str) -> PathBuf {
        self.dir.join(format!("mon.{name}.asok"))
    }

    fn faketime_file(&self, name: &str) -> PathBuf {
        self.dir.join(format!("mon.{name}.faketime"))
    }

    /// `ceph-mon --mkfs` with `monmap`; blocking.
    fn mkfs(&self, name: &str, monmap: &Path) -> Result<(), String> {
        let data = self.dir.join(format!("mon.{name}"));
        let _ = std::fs::remove_dir_all(&data);
        let out = Command::new("ceph-mon")
            .args(["--mkfs", "-i", name, "-c"])
            .arg(&self.conf)
            .arg("--monmap")
            .arg(monmap)
            .arg("--keyring")
            .arg(&self.keyring)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run ceph-mon --mkfs: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "ceph-mon --mkfs -i {name} failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        if let Some(s) = self.slots().iter_mut().find(|s| s.name == name) {
            s.has_store = true;
        }
        Ok(())
    }

    /// Make the initial monitors' stores.
    pub fn mkfs_initial(&self) -> Result<(), String> {
        let names: Vec<String> = self.present();
        for n in names {
            self.mkfs(&n, &self.initial_monmap.clone())?;
        }
        Ok(())
    }

    /// Start `name` (mkfs'ed with the initial monmap if it has no store yet).
    pub fn start(&self, name: &str) -> Result<(), String> {
        self.start_many(&[name.to_string()])
    }

    /// Start the monitors of one statement as nearly at once as the machine
    /// allows, as the scenario says: every command is made first (and any
    /// missing store), then the processes are spawned back to back, and
    /// only then recorded (the poller, which holds the slots while it reads
    /// logs, cannot come between two spawns).
    pub fn start_many(&self, names: &[String]) -> Result<(), String> {
        let mut ready = Vec::new();
        for name in names {
            if let Some(cmd) = self.command_for(name)? {
                ready.push((name, cmd));
            }
        }
        let mut started = Vec::new();
        let mut failed = None;
        for (name, mut cmd) in ready {
            // The log is read from here: what is in it was written by mkfs
            // or by an earlier process, already read at its end.
            let len = |f: String| std::fs::metadata(self.dir.join(f)).map_or(0, |m| m.len());
            let log_len = len(format!("mon.{name}.log"));
            let dump_len = len(format!("mon.{name}.tdump"));
            match procs::spawn(&mut cmd) {
                Ok(child) => started.push((name, child, log_len, dump_len)),
                Err(e) => failed = Some(format!("cannot start ceph-mon: {e}")),
            }
        }
        let mut slots = self.slots();
        for (name, child, log_len, dump_len) in started {
            if let Some(s) = slots.iter_mut().find(|s| s.name == *name) {
                s.log_pos = log_len;
                s.dump_pos = s.dump_pos.map(|_| dump_len);
                s.child = Some(child);
                s.gen += 1;
                s.present = true;
                s.view.started();
            }
        }
        failed.map_or(Ok(()), Err)
    }

    /// The `ceph-mon -f` command of `name`, None if it runs already.
    fn command_for(&self, name: &str) -> Result<Option<Command>, String> {
        let (has_store, faketime, ip, running) = {
            let slots = self.slots();
            let Some(s) = slots.iter().find(|s| s.name == name) else {
                return Err(format!("unknown monitor {name}"));
            };
            (s.has_store, s.faketime, s.ip, s.child.is_some())
        };
        if running {
            return Ok(None);
        }
        if !has_store {
            self.mkfs(name, &self.initial_monmap.clone())?;
        }
        let out = std::fs::File::create(self.dir.join(format!("mon.{name}.out")))
            .map_err(|e| format!("{}: {e}", self.dir.display()))?;
        let mut cmd = Command::new("ceph-mon");
        cmd.args(["-f", "-i", name, "-c"])
            .arg(&self.conf)
            // Exactly the monmap's address vector: with `--public-addr IP` an
            // added monitor binds v2 and v1, finds its monmap entry (v2
            // only) different, and respawns ("monmap addrs for rank N
            // changed ... respawning") over and over.
            .args([
                "--public-addrv",
                &format!("[v2:{ip}:{}]", crate::conf::PORT),
            ])
            .stdin(Stdio::null())
            .stdout(out.try_clone().map_err(|e| e.to_string())?)
            .stderr(out);
        if faketime {
            let f = self.faketime_file(name);
            if !f.exists() {
                std::fs::write(&f, "+0\n").map_err(|e| format!("{}: {e}", f.display()))?;
            }
            // The offset is read from the file at most a second old, so a
            // later `skew` moves this clock without restarting the monitor.
            // Only the wall clock is faked: Ceph's timers run on the
            // monotonic clock, its leases and timecheck on the wall clock.
            cmd.env("LD_PRELOAD", FAKETIME_LIB)
                .env("FAKETIME_TIMESTAMP_FILE", &f)
                .env("FAKETIME_CACHE_DURATION", "1")
                .env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
        }
        Ok(Some(cmd))
    }

    /// SIGKILL `name`; records its Down status.
    pub fn kill(&self, name: &str) {
        let mut slots = self.slots();
        if let Some((i, s)) = slots.iter_mut().enumerate().find(|(_, s)| s.name == name) {
            if let Some(mut c) = s.child.take() {
                s.gen += 1;
                procs::kill(&mut c);
                // What it logged and stored before it died, then its end.
                self.read_log(i, s);
                self.read_dump(i, s);
                self.record_down(i, s);
            }
        }
    }

    /// Record a slot's Down status (it keeps its epoch and paxos range, as
    /// the simulator's stopped monitor shows what its store holds).
    fn record_down(&self, i: usize, s: &mut Slot) {
        let mut d = MonStatus::down(s.status.rank);
        d.election_epoch = s.status.election_epoch;
        d.paxos.first_committed = s.view.paxos.1;
        d.paxos.last_committed = s.view.paxos.2;
        if d != *s.status {
            s.status = Arc::new(d);
            self.rec.record(EventKind::Status {
                node: i as NodeId,
                status: s.status.clone(),
            });
        }
    }

    /// A new store for a killed monitor: its data is deleted and
    /// `ceph-mon --mkfs` makes it again, with the cluster's current monmap
    /// (`ceph mon getmap`) if a quorum answers, else the initial one.
    pub fn wipe(&self, name: &str) -> Result<(), String> {
        let node = self.node(name).ok_or(format!("unknown monitor {name}"))?;
        if self.slots()[node as usize].child.is_some() {
            return Err(format!("wipe {name}: it is running"));
        }
        let map = self.current_monmap(name);
        self.mkfs(name, &map)?;
        // The whole store is new, as the simulator's wipe records it: its
        // paxos versions, its data and the election epoch it keeps.
        let mut tx = Transaction::new();
        tx.erase_prefix(PAXOS_PREFIX)
            .erase_prefix(KV_PREFIX)
            .erase_prefix("monitor");
        let mut slots = self.slots();
        let s = &mut slots[node as usize];
        s.view.wiped();
        s.lc_seen = 0;
        s.kv.clear();
        self.rec.record(EventKind::Store {
            node,
            tx: tx.into(),
        });
        // Its epoch too: a status taken from this slot before the new
        // process is first polled (a sync start read in its log) must not
        // show the old store's epoch (found by `cargo xtask real` as a false
        // "election epoch went back from 4 to 1" on wipe-and-rebuild).
        let mut st = (*s.status).clone();
        st.election_epoch = 0;
        s.status = Arc::new(st);
        self.record_down(node as usize, s);
        Ok(())
    }

    /// The cluster's monmap in a file for `name`'s mkfs.
    fn current_monmap(&self, name: &str) -> PathBuf {
        let path = self.dir.join(format!("monmap.{name}"));
        // Asked of the leader where there is one: a hunting MonClient whose
        // session was with a monitor just killed would first hunt.
        let leader = self.leader().map(|(_, l)| l);
        let via = leader.as_deref().map_or(Via::Any, Via::Mon);
        let r = self.client.call(
            via,
            json!({"prefix": "mon getmap"}),
            Duration::from_secs(3),
            Some(&path),
        );
        if r.rc == 0 && path.exists() {
            path
        } else {
            self.initial_monmap.clone()
        }
    }

    /// The store of a monitor the scenario adds, made shortly before the
    /// `add` statement (see [`ADD_PREPARE`]) with the cluster's monmap then
    /// (`ceph mon getmap`), which does not list it.
    pub fn prepare_add(&self, name: &str) -> Result<(), String> {
        let map = self.current_monmap(name);
        self.mkfs(name, &map)
    }

    /// `handle` makes `name`'s store before its `add` (which waits for it).
    pub fn preparing(&self, name: String, handle: std::thread::JoinHandle<()>) {
        self.preparing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name, handle);
    }

    /// Wait for the stores still being made (the run ended or stopped).
    pub fn join_preparing(&self) {
        let all = std::mem::take(&mut *self.preparing.lock().unwrap_or_else(|e| e.into_inner()));
        for (_, h) in all {
            let _ = h.join();
        }
    }

    /// `add NAME` at the statement's time, as the scenario language says
    /// (NAME starts with an empty store at that time, and the monmap gains
    /// it through a commit) and in the simulator's order: the monitor is
    /// started at once, with the store [`Cluster::prepare_add`] made (a
    /// monmap that does not list it), and `ceph mon add NAME ADDR` is sent
    /// once its log shows it probing, as an operator's new monitor is
    /// running when the cluster learns of it. A ceph-mon takes 0.1–0.3 s
    /// to open its store; sent at once, the add commits before the new
    /// monitor's first probe, which then learns its rank from the first
    /// reply, where the simulator's (started in no time) probes first and
    /// learns it only at its probe timeout.
    pub fn add(self: &Arc<Self>, name: &str) -> Result<(), String> {
        let ip = self.ip_of(name).ok_or(format!("unknown monitor {name}"))?;
        let handle = self
            .preparing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(name);
        if let Some(h) = handle {
            let _ = h.join();
        }
        let prepared = self.slots().iter().any(|s| s.name == name && s.has_store);
        if !prepared {
            self.prepare_add(name)?;
        }
        self.start(name)?;
        let c = self.clone();
        let name = name.to_string();
        std::thread::spawn(move || {
            let deadline = std::time::Instant::now() + ADD_WAITS_FOR_PROBING;
            while std::time::Instant::now() < deadline && !procs::stopping() {
                let probing = c
                    .slots()
                    .iter()
                    .any(|s| s.name == name && s.status.state != MonState::Down);
                if probing {
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            let op = ClientOp::MonAdd {
                name: name.clone(),
                addr: Addr(c.node(&name).unwrap_or(0)),
            };
            c.client_command(
                op,
                None,
                json!({"prefix": "mon add", "name": name, "addr": format!("{ip}:{}", crate::conf::PORT)}),
            );
        });
        Ok(())
    }

    pub fn remove(&self, name: &str) {
        self.client_command(
            ClientOp::MonRemove {
                name: name.to_string(),
            },
            None,
            json!({"prefix": "mon remove", "name": name}),
        );
    }

    /// The monitor's clock offset, through its libfaketime file.
    pub fn skew(&self, name: &str, us: i64) -> Result<(), String> {
        let f = self.faketime_file(name);
        let text = format!("{:+}.{:06}\n", us / 1_000_000, (us % 1_000_000).abs());
        // "-0.300000": the sign of a sub-second negative offset is kept.
        let text = if us < 0 && us > -1_000_000 {
            format!("-0.{:06}\n", -us)
        } else {
            text
        };
        std::fs::write(&f, text).map_err(|e| format!("{}: {e}", f.display()))?;
        if let Some(s) = self.slots().iter_mut().find(|s| s.name == name) {
            s.prev_skew_us = std::mem::replace(&mut s.skew_us, us);
        }
        Ok(())
    }

    /// Admin socket `quorum enter`: the monitor calls an election.
    pub fn call_election(&self, name: &str) -> Result<(), String> {
        asok::command(
            &self.asok(name),
            r#"{"prefix":"quorum enter"}"#,
            Duration::from_secs(2),
        )
        .map(|_| ())
        .map_err(|e| format!("call-election {name}: {e}"))
    }

    /// Add the cuts not already in place.
    pub fn cut(&self, pairs: &[(String, String)]) -> Result<(), String> {
        let mut cuts = self.cuts.lock().unwrap_or_else(|e| e.into_inner());
        for (a, b) in pairs {
            if cuts.contains(&(a.clone(), b.clone())) {
                continue;
            }
            let (Some(x), Some(y)) = (self.ip_of(a), self.ip_of(b)) else {
                continue;
            };
            netns::iptables(&crate::plan::iptables_rule("-A", x, y))?;
            cuts.insert((a.clone(), b.clone()));
        }
        Ok(())
    }

    pub fn restore(&self, pairs: &[(String, String)]) -> Result<(), String> {
        let mut cuts = self.cuts.lock().unwrap_or_else(|e| e.into_inner());
        for (a, b) in pairs {
            if !cuts.remove(&(a.clone(), b.clone())) {
                continue;
            }
            let (Some(x), Some(y)) = (self.ip_of(a), self.ip_of(b)) else {
                continue;
            };
            netns::iptables(&crate::plan::iptables_rule("-D", x, y))?;
        }
        Ok(())
    }

    pub fn heal(&self) -> Result<(), String> {
        self.cuts.lock().unwrap_or_else(|e| e.into_inner()).clear();
        netns::iptables(&["-F".to_string(), "INPUT".to_string()])
    }

    /// A client request, recorded as ClientRequest now and ClientReply when
    /// answered. `via`: through that monitor only; else a MonClient that
    /// hunts, as the `ceph` CLI's does, and retries until it is answered.
    pub fn client_command(self: &Cluster, op: ClientOp, via: Option<&str>, cmd: serde_json::Value) {
        let tid = self.next_tid.fetch_add(1, Ordering::SeqCst);
        let target = via.and_then(|v| self.node(v));
        let text = op.text();
        self.rec.record(EventKind::ClientRequest {
            tid,
            // The monitors are a handful: a node past 255 is not named.
            target: target.and_then(|t| SmallNode::try_from(t).ok()),
            op: Arc::new(op),
        });
        let mons = self.present();
        let handle = match via {
            Some(name) => Via::First { name, mons: &mons },
            None => Via::Any,
        };
        let asked = self.rec.now();
        let reply_to = ReplyTo {
            tid,
            text,
            target,
            asked,
        };
        // The reply is recorded by the client's reader thread, which has
        // no access to the cluster: what it needs travels in `reply_to`
        // and the leader is looked up when the reply is recorded.
        let leader = self.leader().map(|(n, _)| n);
        let rec = self.rec_handle();
        self.client
            .send(handle, cmd, Duration::ZERO, None, move |r: Reply| {
                rec.reply(&reply_to, leader, &r)
            });
    }

    fn rec_handle(&self) -> RecHandle {
        RecHandle {
            rec: self.rec.clone(),
        }
    }

    /// Every monitor's committed config-key data as of now: the store
    /// writes each running monitor dumped since the last poll (nothing is
    /// asked of it; see [`crate::store_dump`]), for an expectation that
    /// needs committed data.
    pub fn observe_kv(&self) {
        let mut slots = self.slots();
        for (i, s) in slots.iter_mut().enumerate() {
            if s.child.is_some() {
                self.read_dump(i, s);
            }
        }
    }

    /// New transactions of the monitor's store dump, folded into its
    /// config-key data: a Store event of what changed, at the time its log
    /// showed that version committed if it did already, else now.
    fn read_dump(&self, i: usize, s: &mut Slot) {
        let Some(pos) = s.dump_pos else { return };
        let path = self.dir.join(format!("mon.{}.tdump", s.name));
        let Ok(mut f) = std::fs::File::open(&path) else {
            return;
        };
        let mut buf = Vec::new();
        if f.seek(SeekFrom::Start(pos)).is_err()
            || (&mut f).take(LOG_CHUNK).read_to_end(&mut buf).is_err()
        {
            return;
        }
        let txs = match store_dump::parse(&buf) {
            Ok((txs, used)) => {
                s.dump_pos = Some(pos + used as u64);
                txs
            }
            Err(e) => {
                s.dump_pos = None;
                self.rec.record(EventKind::Log {
                    node: i as NodeId,
                    text: format!(
                        "{}: {e}; its committed config-key data is not known from here on",
                        path.display()
                    )
                    .into(),
                });
                return;
            }
        };
        for ops in txs {
            let t = kv_changes(&mut s.kv, &ops);
            if t.is_empty() {
                continue;
            }
            let event = EventKind::Store {
                node: i as NodeId,
                tx: t.into(),
            };
            match committed_version(&ops) {
                Some(v) if v == s.lc_seen => self.rec.record_logged(s.lc_at, s.lc_epoch, event),
                _ => {
                    self.rec.record(event);
                }
            }
        }
    }

    /// One observation round: every monitor's process and its new log lines.
    /// Nothing is asked of the monitors: each question would be an audit
    /// line that the cluster commits (see [`crate::mon_log`]).
    pub fn poll(&self) {
        let mut slots = self.slots();
        for i in 0..slots.len() {
            let s = &mut slots[i];
            let Some(c) = s.child.as_mut() else { continue };
            let exited = c.try_wait();
            self.read_log(i, s);
            self.read_dump(i, s);
            if let Ok(Some(status)) = exited {
                // It ended by itself (e.g. "removed from monmap, suicide").
                if let Some(c) = s.child.take() {
                    procs::forget(c.id());
                }
                s.gen += 1;
                self.rec.record(EventKind::Log {
                    node: i as NodeId,
                    text: format!("ceph-mon exited ({status})").into(),
                });
                self.record_down(i, s);
            }
        }
    }

    /// New lines of the monitor's log, folded into its view: a Status at
    /// each line that changes what `mon_status` would say, a Commit for each
    /// version its last_committed passed, the health checks the leader
    /// raised or cleared, its sync and store clearing. Each at the line's
    /// time, corrected for the monitor's skew.
    fn read_log(&self, i: usize, s: &mut Slot) {
        let path = self.dir.join(format!("mon.{}.log", s.name));
        let Ok(mut f) = std::fs::File::open(&path) else {
            return;
        };
        if f.seek(SeekFrom::Start(s.log_pos)).is_err() {
            return;
        }
        let mut buf = Vec::new();
        if (&mut f).take(LOG_CHUNK).read_to_end(&mut buf).is_err() {
            return;
        }
        // Only whole lines; the rest is read next time.
        let Some(end) = buf.iter().rposition(|&b| b == b'\n') else {
            return;
        };
        s.log_pos += end as u64 + 1;
        let text = String::from_utf8_lossy(&buf[..=end]);
        let now = self.rec.now();
        let mut health = self.health.lock().unwrap_or_else(|e| e.into_inner());
        for line in text.lines() {
            let Some(l) = mon_log::parse_line(line) else {
                continue;
            };
            // A line that would lie in the future or before the log's
            // previous one was stamped with the offset before the latest
            // `skew` (libfaketime's cache): a clock set back by 6 s otherwise
            // showed c's last_committed going back (clock-skew). 50 ms: the
            // wall clock and the run's monotonic one may differ a little.
            let fits = |t: Time| t + 50_000 >= s.log_at && t <= now + 50_000;
            let mut at = self.rec.from_wall(l.wall_us - s.skew_us);
            if !fits(at) {
                let before = self.rec.from_wall(l.wall_us - s.prev_skew_us);
                if fits(before) {
                    at = before;
                }
            }
            let at = at.max(s.log_at).min(now);
            s.log_at = at;
            s.view.apply(&l);
            let epoch = s.view.election_epoch();
            for fact in &l.facts {
                match fact {
                    LogFact::Paxos { last_committed, .. } => {
                        if *last_committed > s.lc_seen {
                            for version in s.lc_seen + 1..=*last_committed {
                                // The value is not observable: 0 (see README).
                                self.rec.record_logged(
                                    at,
                                    epoch,
                                    EventKind::Commit {
                                        node: i as NodeId,
                                        version,
                                        value_hash: 0,
                                    },
                                );
                            }
                            s.lc_seen = *last_committed;
                            s.lc_at = at;
                            s.lc_epoch = epoch;
                        }
                    }
                    LogFact::Health { code, raised } => {
                        health.retain(|c| c != code);
                        if *raised {
                            health.push(code.clone());
                            health.sort();
                        }
                    }
                    // A recent sync of a few versions takes a few ms: the
                    // monitor was synchronizing from this line.
                    LogFact::SyncStart => s.view.synchronizing(),
                    // As the simulator records a store cleared for a full
                    // sync: the fold then knows its last_committed restarts.
                    LogFact::StoreCleared => {
                        let mut tx = Transaction::new();
                        tx.erase_prefix(PAXOS_PREFIX).erase_prefix(KV_PREFIX);
                        s.kv.clear();
                        self.rec.record_logged(
                            at,
                            epoch,
                            EventKind::Store {
                                node: i as NodeId,
                                tx: tx.into(),
                            },
                        );
                    }
                }
            }
            let status = s.view.status(&health);
            if status != *s.status {
                s.status = Arc::new(status);
                self.rec.record_logged(
                    at,
                    epoch,
                    EventKind::Status {
                        node: i as NodeId,
                        status: s.status.clone(),
                    },
                );
            }
        }
    }

    /// mon_status of a running monitor, straight from its admin socket.
    pub fn mon_status(&self, name: &str) -> Option<MonStatusJson> {
        let text =
            asok::command(&self.asok(name), r#"{"prefix":"mon_status"}"#, ASOK_TIMEOUT).ok()?;
        mon_status::parse(&text).ok()
    }

    /// End every monitor process (the run is over).
    pub fn stop_all(&self) {
        let mut slots = self.slots();
        for s in slots.iter_mut() {
            if let Some(mut c) = s.child.take() {
                s.gen += 1;
                procs::kill(&mut c);
            }
        }
    }
}

/// Apply a transaction's config-key writes to `kv` (KVMonitor's
/// `KV_PREFIX`, "mon_config_key", the simulator's name too; its own
/// versions are under the service name, `kv`); what changed, as a monscope
/// store transaction.
fn kv_changes(kv: &mut BTreeMap<String, String>, ops: &[Op]) -> Transaction {
    let mut t = Transaction::new();
    for op in ops {
        match op {
            Op::Put { prefix, key, value } if prefix == KV_PREFIX => {
                let v = String::from_utf8_lossy(value).into_owned();
                if kv.get(key) != Some(&v) {
                    t.put(KV_PREFIX, key, value.clone());
                    kv.insert(key.clone(), v);
                }
            }
            Op::Erase { prefix, key } if prefix == KV_PREFIX && kv.remove(key).is_some() => {
                t.erase(KV_PREFIX, key);
            }
            Op::EraseRange { prefix, start, end } if prefix == KV_PREFIX && start < end => {
                let gone: Vec<String> = kv
                    .range(start.clone()..end.clone())
                    .map(|(k, _)| k.clone())
                    .collect();
                for k in gone {
                    kv.remove(&k);
                    t.erase(KV_PREFIX, &k);
                }
            }
            _ => {}
        }
    }
    t
}

/// The paxos version a transaction commits (`paxos`/`last_committed`, an
/// encoded u64: Paxos::commit_start on the leader, Paxos::store_state on a
/// peon), if it does.
fn committed_version(ops: &[Op]) -> Option<u64> {
    ops.iter().find_map(|op| match op {
        Op::Put { prefix, key, value } if prefix == PAXOS_PREFIX && key == "last_committed" => {
            let b: [u8; 8] = value.get(..8)?.try_into().ok()?;
            Some(u64::from_le_bytes(b))
        }
        _ => None,
    })
}

/// What a client reply is recorded with.
struct ReplyTo {
    tid: u64,
    text: String,
    target: Option<NodeId>,
    asked: u64,
}

/// The recorder, shared with the client's reader thread.
struct RecHandle {
    rec: Arc<Recorder>,
}

impl RecHandle {
    fn reply(&self, to: &ReplyTo, leader: Option<NodeId>, r: &Reply) {
        let at = self.rec.now();
        let ms = at.saturating_sub(to.asked) / 1000;
        let text = reply_text(&to.text, r, ms);
        self.rec.record(EventKind::ClientReply {
            tid: to.tid,
            // Who answered is not reported by librados: the monitor it was
            // sent through, else the leader when it was sent.
            from: to.target.or(leader).unwrap_or(0),
            // What the CLI prints; the version a write committed at is
            // not in a config-key reply, so no write counts as acknowledged
            // at a version (the properties then have nothing to check it by).
            answer: Arc::new(ClientAnswer {
                text: text.into(),
                result: ClientResult::Command {
                    ok: r.rc == 0,
                    text: if r.rc == 0 {
                        r.out.clone()
                    } else {
                        r.status.clone()
                    },
                },
            }),
        });
    }
}

/// The reply in the simulator's words where they apply
/// (`write k=v committed`, `read k = v`, `read k: no such key`).
pub fn reply_text(request: &str, r: &Reply, ms: u64) -> String {
    let ok = r.rc == 0;
    if let Some(kv) = request.strip_prefix("write ") {
        if ok {
            return format!("write {kv} committed ({ms} ms)");
        }
    } else if let Some(key) = request.strip_prefix("read ") {
        if ok {
            return format!("read {key} = {} ({ms} ms)", r.out);
        }
        if r.rc == -2 {
            return format!("read {key}: no such key ({ms} ms)");
        }
    } else if ok {
        let what = if r.status.is_empty() {
            "done"
        } else {
            &r.status
        };
        return format!("{request}: {what} ({ms} ms)");
    }
    format!("{request} failed: rc {} {} ({ms} ms)", r.rc, r.status)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(rc: i64, out: &str, status: &str) -> Reply {
        Reply {
            rc,
            out: out.into(),
            status: status.into(),
        }
    }

    fn put(prefix: &str, key: &str, value: &[u8]) -> Op {
        Op::Put {
            prefix: prefix.into(),
            key: key.into(),
            value: value.to_vec(),
        }
    }

    #[test]
    fn a_commit_transaction_paxos_store_state_gives_its_version_and_config_key_writes() {
        let mut kv = BTreeMap::new();
        let commit = [
            put(PAXOS_PREFIX, "last_committed", &7u64.to_le_bytes()),
            // Pacific's names, as `ceph-monstore-tool dump-keys` lists them.
            put("mon_config_key", "colour", b"blue"),
            put("mon_config_key", "size", b"9"),
            put("logm", "last_committed", &3u64.to_le_bytes()),
            put("kv", "last_committed", &2u64.to_le_bytes()),
        ];
        assert_eq!(committed_version(&commit), Some(7));
        let mut store = monscope_core::mon::store::MonitorDBStore::new();
        store.apply(&kv_changes(&mut kv, &commit));
        assert_eq!(store.get(KV_PREFIX, "colour"), Some(&b"blue"[..]));
        assert_eq!(
            store.get("logm", "last_committed"),
            None,
            "only config-key data"
        );
        assert_eq!(
            store.get("kv", "last_committed"),
            None,
            "not the kv service's own"
        );
        // Written again with the same value (a resent set): nothing changes.
        assert!(kv_changes(&mut kv, &commit[1..2]).is_empty());
        let erase = [
            Op::Erase {
                prefix: KV_PREFIX.into(),
                key: "colour".into(),
            },
            Op::EraseRange {
                prefix: KV_PREFIX.into(),
                start: "s".into(),
                end: "t".into(),
            },
            // An inverted range erases nothing (and does not panic).
            Op::EraseRange {
                prefix: KV_PREFIX.into(),
                start: "z".into(),
                end: "a".into(),
            },
        ];
        assert_eq!(committed_version(&erase), None);
        store.apply(&kv_changes(&mut kv, &erase));
        assert_eq!(store.get(KV_PREFIX, "colour"), None);
        assert_eq!(store.get(KV_PREFIX, "size"), None);
        assert!(kv.is_empty());
    }

    #[test]
    fn replies_use_the_simulators_words() {
        assert_eq!(
            reply_text("write k=v", &reply(0, "", "set k"), 12),
            "write k=v committed (12 ms)"
        );
        assert_eq!(
            reply_text("read k", &reply(0, "v", ""), 3),
            "read k = v (3 ms)"
        );
        assert_eq!(
            reply_text("read k", &reply(-2, "", "error"), 3),
            "read k: no such key (3 ms)"
        );
        assert_eq!(
            reply_text("mon remove c", &reply(0, "", "removing mon.c"), 40),
            "mon remove c: removing mon.c (40 ms)"
        );
        assert_eq!(
            reply_text("write k=v", &reply(-110, "", "timed out"), 3000),
            "write k=v failed: rc -110 timed out (3000 ms)"
        );
    }
}
