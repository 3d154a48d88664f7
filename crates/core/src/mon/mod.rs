//! Ceph's monitor, re-implemented as pure state machines.
//!
//! A [`monitor::Monitor`] takes one input at a time (boot, message, timer,
//! client request) with its own clock's `now`, and writes what it wants done
//! into an [`out::Out`]: messages to send, timers to set or cancel, store
//! transactions and trace notes. It never sends, sleeps or reads a clock.

pub mod auth_service;
pub mod client;
pub mod clog;
pub mod config;
pub mod consensus;
pub mod elector;
pub mod health_service;
pub mod hunt;
pub mod kv;
pub mod log_service;
pub mod logline;
pub mod mds_service;
pub mod messages;
pub mod monitor;
pub mod monmap;
pub mod monmap_service;
#[cfg(test)]
mod monmap_tests;
pub mod out;
pub mod paxos;
pub mod paxos_service;
pub mod session;
pub mod small;
pub mod status;
pub mod store;
mod store_keys;
pub mod sync;
pub mod timecheck;
pub mod vecmap;
pub mod vecset;

/// A monitor's rank in the monmap, as Ceph's `int rank`: negative means none.
pub type Rank = i32;
/// An election epoch (Ceph's `epoch_t`): odd while electing, even when stable.
pub type Epoch = u32;
/// A paxos version (Ceph's `version_t`).
pub type Version = u64;

/// A network address. In the simulator every node (monitor or client) has one,
/// fixed for the whole run; monmaps map ranks to addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Addr(pub u32);
