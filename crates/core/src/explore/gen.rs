//! Random schedules, drawn from the simulator's own PCG: the same (seed,
//! index) gives the same schedule on every platform and in any order.

use super::schedule::Schedule;
use crate::mon::monmap::Strategy;
use crate::scenario::ast::{Action, Latency, LinkRule, LinkSetting, Ppb};
use crate::sim::rng::Pcg32;
use crate::time::{Duration, Time, MS, SEC};
use std::collections::BTreeSet;

/// What kind of schedules to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Monitors in the initial monmap (3, 5 or 7).
    pub mons: usize,
    pub strategy: Strategy,
    /// How long faults and client operations go on.
    pub faults_for: Duration,
    /// How long the quiet period after them lasts.
    pub quiet: Duration,
    /// Message loss. Off by default: Ceph's monitor links are TCP, which
    /// does not drop single messages; a lost connection is a cut.
    pub loss: Ppb,
    /// One fixed latency for every link. Off by default: perfectly
    /// symmetric timings are what real networks never have.
    pub fixed_latency: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            mons: 5,
            strategy: Strategy::Classic,
            faults_for: 60 * SEC,
            quiet: 60 * SEC,
            loss: 0,
            fixed_latency: false,
        }
    }
}

/// When the first fault may happen: the cluster has formed by then.
const WARM_UP: Time = 2 * SEC;
/// Keys the client writes and reads.
const KEYS: [&str; 3] = ["k1", "k2", "k3"];
/// Clock offsets a skew draws from (microseconds): from harmless to past a lease.
const SKEWS: [i64; 6] = [5_000, 50_000, 200_000, 1_000_000, 3_000_000, 8_000_000];

/// The seed of schedule `index` of a run seeded `seed` (splitmix64).
pub fn schedule_seed(seed: u64, index: u64) -> u64 {
    let mut z = seed.wrapping_add(index.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn below(r: &mut Pcg32, n: usize) -> usize {
    r.range_inclusive(0, n.saturating_sub(1) as u64) as usize
}

fn pick<T: Clone>(r: &mut Pcg32, v: &[T]) -> Option<T> {
    if v.is_empty() {
        None
    } else {
        Some(v[below(r, v.len())].clone())
    }
}

fn chance(r: &mut Pcg32, percent: u32) -> bool {
    r.chance_ppb(percent * 10_000_000)
}

/// The cluster as the generator tracks it, so each drawn action makes sense.
struct World {
    running: Vec<String>,
    killed: Vec<String>,
    /// Names `add` may still use.
    spare: Vec<String>,
    cuts: Vec<(String, String, bool)>,
    /// Monitors whose store is gone or never was (wiped, added) or that left
    /// (removed): at most a minority of the initial monmap, so a majority
    /// always keeps every committed value.
    spent: BTreeSet<String>,
    budget: usize,
    disallow: Vec<String>,
    writes: u32,
    written: Vec<String>,
}

impl World {
    fn present(&self) -> Vec<String> {
        let mut v = self.running.clone();
        v.extend(self.killed.iter().cloned());
        v
    }
    fn can_spend(&self, n: &str) -> bool {
        self.spent.contains(n) || self.spent.len() < self.budget
    }
    fn via(&self, r: &mut Pcg32) -> Option<String> {
        if chance(r, 50) {
            pick(r, &self.present())
        } else {
            None
        }
    }

    /// One action of kind `k`, if it makes sense now (and its effect).
    fn draw(&mut self, r: &mut Pcg32, k: Kind) -> Option<Action> {
        Some(match k {
            Kind::Write => {
                self.writes += 1;
                let key = pick(r, &KEYS)?.to_string();
                if !self.written.contains(&key) {
                    self.written.push(key.clone());
                }
                Action::Write {
                    key,
                    value: format!("v{}", self.writes),
                    via: self.via(r),
                }
            }
            Kind::Read => {
                let key = pick(r, &self.written).or_else(|| pick(r, &KEYS).map(String::from))?;
                Action::Read {
                    key,
                    via: self.via(r),
                }
            }
            Kind::Kill => {
                let n = pick(r, &self.running)?;
                self.running.retain(|m| *m != n);
                self.killed.push(n.clone());
                Action::Kill(vec![n])
            }
            Kind::Revive => {
                let n = pick(r, &self.killed)?;
                self.killed.retain(|m| *m != n);
                self.running.push(n.clone());
                Action::Revive(vec![n])
            }
            Kind::Wipe => {
                let can: Vec<String> = self
                    .killed
                    .iter()
                    .filter(|n| self.can_spend(n))
                    .cloned()
                    .collect();
                let n = pick(r, &can)?;
                self.spent.insert(n.clone());
                Action::Wipe(vec![n])
            }
            Kind::Cut => {
                let p = self.present();
                let a = pick(r, &p)?;
                let others: Vec<String> = p.into_iter().filter(|m| *m != a).collect();
                let b = pick(r, &others)?;
                let one_way = chance(r, 40);
                self.cuts.push((a.clone(), b.clone(), one_way));
                Action::Cut { a, b, one_way }
            }
            Kind::Restore => {
                let i = below(r, self.cuts.len());
                let (a, b, one_way) = self.cuts.get(i)?.clone();
                self.cuts.remove(i);
                Action::Restore { a, b, one_way }
            }
            Kind::Partition => {
                let mut p = self.present();
                if p.len() < 2 {
                    return None;
                }
                // Shuffle (Fisher-Yates), maybe leave one out, then split.
                for i in (1..p.len()).rev() {
                    p.swap(i, below(r, i + 1));
                }
                if p.len() > 2 && chance(r, 20) {
                    p.pop();
                }
                let groups = if p.len() >= 3 && chance(r, 25) { 3 } else { 2 };
                let mut cuts: Vec<usize> = (1..p.len()).collect();
                for i in (1..cuts.len()).rev() {
                    cuts.swap(i, below(r, i + 1));
                }
                let mut at: Vec<usize> = cuts[..groups - 1].to_vec();
                at.sort_unstable();
                let mut out = Vec::new();
                let mut from = 0;
                for &c in at.iter().chain(std::iter::once(&p.len())) {
                    out.push(p[from..c].to_vec());
                    from = c;
                }
                Action::Partition(out)
            }
            Kind::Isolate => Action::Isolate(pick(r, &self.present())?),
            Kind::Heal => {
                self.cuts.clear();
                Action::Heal
            }
            Kind::Skew => {
                let n = pick(r, &self.present())?;
                let off = pick(r, &SKEWS)?;
                Action::Skew(n, if chance(r, 50) { -off } else { off })
            }
            Kind::CallElection => Action::CallElection(pick(r, &self.running)?),
            Kind::Add => {
                if self.spare.is_empty() || self.spent.len() >= self.budget {
                    return None;
                }
                let n = self.spare.remove(0);
                self.spent.insert(n.clone());
                self.running.push(n.clone());
                Action::Add(n)
            }
            Kind::Remove => {
                let p = self.present();
                if p.len() <= 2 {
                    return None;
                }
                let allowed: Vec<&String> =
                    p.iter().filter(|n| !self.disallow.contains(n)).collect();
                let can: Vec<String> = p
                    .iter()
                    .filter(|n| self.can_spend(n))
                    // Never the last monitor allowed to lead.
                    .filter(|n| allowed.len() > 1 || !allowed.contains(n))
                    .cloned()
                    .collect();
                let n = pick(r, &can)?;
                self.spent.insert(n.clone());
                self.running.retain(|m| *m != n);
                self.killed.retain(|m| *m != n);
                Action::Remove(n)
            }
        })
    }
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Write,
    Read,
    Kill,
    Revive,
    Wipe,
    Cut,
    Restore,
    Partition,
    Isolate,
    Heal,
    Skew,
    CallElection,
    Add,
    Remove,
}

/// How often each kind is drawn (out of the sum).
const WEIGHTS: [(Kind, u32); 14] = [
    (Kind::Write, 20),
    (Kind::Read, 10),
    (Kind::Kill, 12),
    (Kind::Revive, 10),
    (Kind::Wipe, 3),
    (Kind::Cut, 10),
    (Kind::Restore, 5),
    (Kind::Partition, 5),
    (Kind::Isolate, 5),
    (Kind::Heal, 7),
    (Kind::Skew, 5),
    (Kind::CallElection, 3),
    (Kind::Add, 3),
    (Kind::Remove, 2),
];

fn kind(r: &mut Pcg32) -> Kind {
    let total: u32 = WEIGHTS.iter().map(|w| w.1).sum();
    let mut x = r.range_inclusive(0, total as u64 - 1) as u32;
    for (k, w) in WEIGHTS {
        if x < w {
            return k;
        }
        x -= w;
    }
    Kind::Write
}

fn ms(r: &mut Pcg32, lo: u64, hi: u64) -> Duration {
    r.range_inclusive(lo, hi) * MS
}

/// Schedule `index` of a run seeded `seed`.
pub fn generate(cfg: &Config, seed: u64, index: u64) -> Schedule {
    let mut r = Pcg32::new(schedule_seed(seed, index));
    let mons: Vec<String> = ["a", "b", "c", "d", "e", "f", "g"]
        .iter()
        .take(cfg.mons.clamp(1, 7))
        .map(|s| s.to_string())
        .collect();
    let disallow = match cfg.strategy {
        Strategy::Classic => Vec::new(),
        _ if chance(&mut r, 50) => pick(&mut r, &mons).into_iter().collect(),
        _ => Vec::new(),
    };
    let sim_seed = r.next_u32() as u64;
    let latency = if cfg.fixed_latency {
        Latency::Fixed(ms(&mut r, 1, 10))
    } else {
        let lo = ms(&mut r, 1, 5);
        Latency::Uniform(lo, lo + ms(&mut r, 1, 15))
    };
    let mut links = Vec::new();
    for _ in 0..r.range_inclusive(0, 2) {
        let a = pick(&mut r, &mons).unwrap_or_default();
        let others: Vec<String> = mons.iter().filter(|m| **m != a).cloned().collect();
        let Some(b) = pick(&mut r, &others) else {
            break;
        };
        let lo = ms(&mut r, 5, 30);
        let l = if cfg.fixed_latency {
            Latency::Fixed(lo)
        } else {
            Latency::Uniform(lo, lo + ms(&mut r, 1, 30))
        };
        links.push(LinkRule {
            a,
            b,
            one_way: chance(&mut r, 50),
            setting: LinkSetting::Latency(l),
        });
    }
    let mut world = World {
        running: mons.clone(),
        killed: Vec::new(),
        spare: ["x1", "x2", "x3"].map(String::from).to_vec(),
        cuts: Vec::new(),
        spent: BTreeSet::new(),
        budget: (mons.len().saturating_sub(1)) / 2,
        disallow: disallow.clone(),
        writes: 0,
        written: Vec::new(),
    };
    // About one action every five seconds, at least two.
    let span = cfg.faults_for.max(SEC);
    let n = r.range_inclusive(2, 2 + span / (5 * SEC));
    let mut times: Vec<Time> = (0..n)
        .map(|_| WARM_UP + r.range_inclusive(0, span / MS - 1) * MS)
        .collect();
    times.sort_unstable();
    let mut faults = Vec::new();
    for t in times {
        for _ in 0..8 {
            let k = kind(&mut r);
            if let Some(a) = world.draw(&mut r, k) {
                faults.push((t, a));
                break;
            }
        }
    }
    Schedule {
        title: None,
        describe: None,
        mons,
        strategy: cfg.strategy,
        disallow,
        seed: sim_seed,
        latency,
        loss: cfg.loss,
        links,
        faults,
        quiet_at: WARM_UP + span,
        quiet: cfg.quiet,
    }
}
