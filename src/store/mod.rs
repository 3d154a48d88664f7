//! Persistence in the browser: each monitor's store, the session and the
//! user's own scenarios live in IndexedDB, so closing the tab loses nothing.
//!
//! How this fits the run model (src/playback.rs): the scenario text is the
//! source of truth and the simulator runs it to the end once, synchronously,
//! in memory. What a real monitor has on disk is its store *at the playhead*:
//! the stores on the browser's "disk" are those of the run at the playhead.
//! [`journal::Journal`] keeps them in memory (every read comes from memory)
//! and journals each store transaction behind the core's `KeyValueDB` trait:
//! playing forward appends the run's store transactions in trace order, each
//! as one journal record (its [`Transaction::encode`]); a new text or a seek
//! backwards compacts the journal to one rebuilding transaction per monitor.
//! `persist.rs` drains the journal into IndexedDB: one IndexedDB read-write
//! transaction per batch, holding the records in order with the session and
//! the journal's position, so the disk is always a prefix-consistent state:
//! never reordered, never partly applied. A reload reads the journal back,
//! replays it into stores, and checks them against the replayed run at the
//! restored playhead; any difference is reported, never ignored.
//!
//! The database's schema and migrations are in `db.rs`; records it cannot
//! read are moved to a quarantine store and reported.
//!
//! [`Transaction::encode`]: monscope_core::mon::store::Transaction::encode

pub mod journal;
pub mod power_cycle;
pub mod session;

#[cfg(target_arch = "wasm32")]
pub mod db;
#[cfg(target_arch = "wasm32")]
pub mod mon_file;
#[cfg(target_arch = "wasm32")]
pub mod persist;
