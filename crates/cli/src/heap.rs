//! The CLI's global allocator: the system one, counting the bytes it holds
//! once [`start`] was called, so `monscope bench` can report the heap a run
//! takes (natively and in wasm, where there is no /proc). Other commands do
//! not count: `explore --jobs` allocates from several threads, and shared
//! counters would make them wait on each other.

#[cfg(not(target_arch = "wasm32"))]
use std::alloc::System;
use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering::Relaxed};

pub struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
/// Bytes allocated minus bytes freed since [`start`] (frees of older blocks
/// can take it below zero).
static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

/// Count from now on.
pub fn start() {
    COUNTING.store(true, Relaxed);
}

/// Whether allocations are counted: after [`start`], and always in wasm,
/// where there are no threads.
fn counting() -> bool {
    cfg!(target_arch = "wasm32") || COUNTING.load(Relaxed)
}

fn grew(n: usize) {
    if !counting() {
        return;
    }
    let live = LIVE.fetch_add(n as isize, Relaxed) + n as isize;
    PEAK.fetch_max(live, Relaxed);
}

fn shrank(n: usize) {
    if counting() {
        LIVE.fetch_sub(n as isize, Relaxed);
    }
}

/// The allocator under the counters: natively the system's; in wasm the
/// page's own (crates/heap), so the benchmark's wasm allocates as the page
/// does. It grows the memory by its size again (at least 16 MB, at most 256
/// MB, as wasm32 has 4 GB in all): V8 runs its garbage collector at every
/// `memory.grow` (node's profile of the benchmark once spent 11% there and
/// 17% in sbrk growing the memory in small steps; docs/performance.md,
/// `wasmtrace16`).
#[cfg(not(target_arch = "wasm32"))]
static INNER: System = System;
#[cfg(target_arch = "wasm32")]
static INNER: monscope_heap::Wasm<0, 256, 4096> = monscope_heap::Wasm::new();

// SAFETY: every call is forwarded to `INNER` unchanged; only the counters are ours.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = INNER.alloc(l);
        if !p.is_null() {
            grew(l.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        let p = INNER.alloc_zeroed(l);
        if !p.is_null() {
            grew(l.size());
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        INNER.dealloc(p, l);
        shrank(l.size());
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = INNER.realloc(p, l, new);
        if !q.is_null() {
            shrank(l.size());
            grew(new);
        }
        q
    }
}

/// Bytes the program took on the heap since [`start`] and holds now (as
/// requested, without the allocator's own overhead).
pub fn live() -> usize {
    LIVE.load(Relaxed).max(0) as usize
}

/// The most bytes it held at once since the last [`reset_peak`].
pub fn peak() -> usize {
    PEAK.load(Relaxed).max(0) as usize
}

pub fn reset_peak() {
    PEAK.store(LIVE.load(Relaxed), Relaxed);
}

/// The process's peak resident memory (VmHWM of /proc/self/status), in bytes:
/// what the OS saw, allocator slack and code included. Linux only.
pub fn peak_resident() -> Option<usize> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
