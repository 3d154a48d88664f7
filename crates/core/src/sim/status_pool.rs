//! The recorded statuses' allocations, used again (a finished run's
//! simulator only: `Sim::run_until_stepwise`).
//!
//! A status change is a new `Arc<MonStatus>` for the trace's event. A
//! finished run's trace keeps a status as its numbers (`trace::compact`),
//! so once a step's events are moved out the statuses they held are freed:
//! a `malloc` and a `free` each, about one an input. Kept here instead, the
//! status a monitor's next change retires is written over for a later one.
//! A status anything still holds (the page's trace, the fold's last one) is
//! never written over: only an `Arc` held here alone is used again.

use crate::mon::status::MonStatus;
use std::sync::Arc;

#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
pub(super) use pooled::StatusPool;

/// Not in the page (`wasm32-unknown-unknown`): its simulator keeps every
/// event, so no status it records is ever let go; there the pool is
/// nothing and a status is a new allocation, as before (the pool's code
/// cost the page's transfer about 600 bytes). The wasm CLI (`wasm32-wasip1`)
/// and native builds keep it.
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
#[derive(Clone, Debug, Default)]
pub(super) struct StatusPool {}

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
impl StatusPool {
    pub(super) fn enable(&mut self) {}
    #[inline]
    pub(super) fn make(&mut self, s: &MonStatus) -> Arc<MonStatus> {
        Arc::new(s.clone())
    }
    #[inline]
    pub(super) fn retire(&mut self, _old: Arc<MonStatus>) {}
    pub(super) fn collect(&mut self) {}
}

#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
mod pooled {
    use super::{Arc, MonStatus};
    use std::fmt;

    #[derive(Default)]
    pub(in crate::sim) struct StatusPool {
        /// Whether retired statuses are kept (else they are dropped at once).
        on: bool,
        /// Statuses replaced since the last step ended, perhaps still held.
        retired: Vec<Arc<MonStatus>>,
        /// Statuses held here alone: written over by [`StatusPool::make`].
        spare: Vec<Arc<MonStatus>>,
    }

    /// A snapshot's pool starts empty: the spares are only a cache, and a
    /// status shared with the snapshot could not be written over anyway.
    impl Clone for StatusPool {
        fn clone(&self) -> Self {
            StatusPool {
                on: self.on,
                ..StatusPool::default()
            }
        }
    }

    /// Only how many: the statuses themselves are the trace's.
    impl fmt::Debug for StatusPool {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "StatusPool({} spare)", self.spare.len())
        }
    }

    impl StatusPool {
        pub(in crate::sim) fn enable(&mut self) {
            self.on = true;
        }

        /// A status equal to `s`, in a spare allocation if there is one.
        #[inline]
        pub(in crate::sim) fn make(&mut self, s: &MonStatus) -> Arc<MonStatus> {
            while let Some(mut a) = self.spare.pop() {
                if let Some(slot) = Arc::get_mut(&mut a) {
                    slot.clone_from(s);
                    return a;
                }
            }
            Arc::new(s.clone())
        }

        /// `old` was the recorded status until now.
        #[inline]
        pub(in crate::sim) fn retire(&mut self, old: Arc<MonStatus>) {
            if self.on {
                self.retired.push(old);
            }
        }

        /// After a step's events were moved out: the retired statuses nothing
        /// else holds become spares, the others are let go. Not inlined:
        /// inlined, it ran in the loop that a run calls once, and so in
        /// wasm in V8's baseline code to the end (docs/performance.md,
        /// "Seventeenth round (`wasmratio5`)").
        #[inline(never)]
        pub(in crate::sim) fn collect(&mut self) {
            for mut a in self.retired.drain(..) {
                if Arc::get_mut(&mut a).is_some() {
                    self.spare.push(a);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_statuses_held_here_alone_are_written_over() {
        let mut pool = StatusPool::default();
        pool.enable();
        let a = pool.make(&MonStatus::down(1));
        let held = a.clone();
        pool.retire(a);
        let b = pool.make(&MonStatus::down(2));
        pool.retire(b);
        pool.collect();
        // `a` is still held: only `b`'s allocation is a spare.
        let c = pool.make(&MonStatus::down(3));
        assert_eq!(*c, MonStatus::down(3));
        assert_eq!(*held, MonStatus::down(1));
        let d = pool.make(&MonStatus::down(4));
        assert!(!Arc::ptr_eq(&c, &d));
        assert!(!Arc::ptr_eq(&held, &c) && !Arc::ptr_eq(&held, &d));
    }

    #[test]
    fn retired_statuses_are_dropped_unless_enabled() {
        let mut pool = StatusPool::default();
        let a = Arc::new(MonStatus::down(1));
        pool.retire(a.clone());
        pool.collect();
        assert_eq!(Arc::strong_count(&a), 1);
    }
}
