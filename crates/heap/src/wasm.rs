//! [`Heap`] as a wasm module's global allocator, growing its memory.

use crate::Heap;
use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32::{memory_grow, memory_size};
use core::cell::UnsafeCell;

// The heap is not shared: one thread per module instance.
#[cfg(target_feature = "atomics")]
compile_error!("monscope-heap serves single-threaded wasm only");

const PAGE: usize = 65536;

/// The heap of a wasm module. When full, it grows the memory by what it
/// needs and at least the memory's pages >> `SHIFT`, within `MIN..=MAX`
/// pages of 64 kB: V8 runs its garbage collector at each `memory.grow`
/// (docs/performance.md, `wasmtrace16`), so the CLI grows in large steps;
/// the page, whose memory is measured, in smaller ones. (Constants, not
/// fields: the static is then all zeros, in no data segment of the page.)
pub struct Wasm<const SHIFT: u32, const MIN: usize, const MAX: usize>(UnsafeCell<Heap>);

impl<const SHIFT: u32, const MIN: usize, const MAX: usize> Wasm<SHIFT, MIN, MAX> {
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        Wasm(UnsafeCell::new(Heap::new()))
    }

    /// The heap, and where it grows.
    #[inline]
    #[allow(clippy::mut_from_ref)]
    unsafe fn parts(&self) -> (&mut Heap, impl FnMut(usize) -> Option<(usize, usize)>) {
        let grow = |need: usize| {
            let need = need.div_ceil(PAGE);
            let mut pages = need.max((memory_size(0) >> SHIFT).clamp(MIN, MAX));
            let mut old = memory_grow(0, pages);
            if old == usize::MAX {
                pages = need;
                old = memory_grow(0, pages);
            }
            (old != usize::MAX).then_some((old * PAGE, pages * PAGE))
        };
        // SAFETY (the caller's): one thread, and no call below re-enters.
        (&mut *self.0.get(), grow)
    }
}

// SAFETY: wasm without atomics has one thread (checked above).
unsafe impl<const S: u32, const A: usize, const B: usize> Sync for Wasm<S, A, B> {}

// SAFETY: the heap hands out each block once until it is given back (its
// tests), aligned as asked, and only this module's allocator grows its part
// of the memory (another allocator's growth is skipped over).
unsafe impl<const S: u32, const A: usize, const B: usize> GlobalAlloc for Wasm<S, A, B> {
    #[inline]
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let (heap, mut grow) = self.parts();
        heap.alloc(l, &mut grow)
    }

    #[inline]
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        self.parts().0.dealloc(p, l)
    }

    #[inline]
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let (heap, mut grow) = self.parts();
        heap.realloc(p, l, new, &mut grow)
    }
}
