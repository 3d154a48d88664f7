//! The simulator's one [`Out`]: what the monitor or the client handling an
//! input asked for, drained by `Sim::flush_out` before the simulator goes on.

use crate::mon::out::Out;
use std::ops::{Deref, DerefMut};

/// Empty between two inputs, so a copy of the simulator (the page's seek
/// snapshots) starts with an empty one instead of copying it: the derived
/// copy linked a deep copy of every message type into the page, for lists
/// that are always empty there. The decode memo (`Out::decode_value`) is a
/// cache: the copy decodes the first value it commits again.
#[derive(Debug, Default)]
pub(super) struct Outbox(Out);

impl Clone for Outbox {
    fn clone(&self) -> Self {
        debug_assert!(self.0.is_drained(), "a simulator is copied between inputs");
        Outbox::default()
    }
}

impl Deref for Outbox {
    type Target = Out;
    fn deref(&self) -> &Out {
        &self.0
    }
}

impl DerefMut for Outbox {
    fn deref_mut(&mut self) -> &mut Out {
        &mut self.0
    }
}
