//! monscope-core: Ceph's monitor consensus as pure state machines, driven by a
//! deterministic simulator and described by the scenario language.
//!
//! No browser code, no I/O, no clocks, no ambient randomness: the simulator
//! ([`sim`]) owns virtual time and the one seeded generator.

pub mod explore;
pub mod fixed;
pub mod import;
pub mod mon;
pub mod scenario;
mod short_copy;
pub mod sim;
pub mod text_escape;
pub mod time;
pub mod trace;
#[cfg(any(target_arch = "wasm32", test))]
mod wasm_memcmp;
