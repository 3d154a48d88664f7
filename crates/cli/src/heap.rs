//! The CLI's global allocator: the system one, counting the bytes it holds
//! once [`start`] was called, so `monscope bench` can report the heap a run
//! takes (natively and in wasm, where there is no /proc). Other commands do
//! not count: `explore --jobs` allocates from several threads, and shared
//! counters would make them wait on each other.

use std::alloc::{GlobalAlloc, Layout, System};
#[cfg(target_arch = "wasm32")]
use std::sync::atomic::AtomicUsize;
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
/// where there are no threads and the count drives [`grow_ahead`].
fn counting() -> bool {
    cfg!(target_arch = "wasm32") || COUNTING.load(Relaxed)
}

fn grew(n: usize) {
    if !counting() {
        return;
    }
    let live = LIVE.fetch_add(n as isize, Relaxed) + n as isize;
    PEAK.fetch_max(live, Relaxed);
    #[cfg(target_arch = "wasm32")]
    grow_ahead();
}

fn shrank(n: usize) {
    if counting() {
        LIVE.fetch_sub(n as isize, Relaxed);
    }
}

/// The wasm memory's size when [`grow_ahead`] last looked (wasm only).
#[cfg(target_arch = "wasm32")]
static SEEN: AtomicUsize = AtomicUsize::new(0);

/// In wasm the system allocator (dlmalloc) grows the memory in small steps,
/// and that is costly in V8 (node's profile of the benchmark: 17% in sbrk,
/// and 11% in V8's garbage collector, which runs at every `memory.grow`).
/// So once dlmalloc has grown the memory, grow it as much again (at least
/// 16 MB, at most 256 MB, since wasm32 has 4 GB in all): a block allocated
/// and freed at once stays with dlmalloc, which cannot give wasm memory
/// back, and serves the next allocations. Watched by the memory's size, not
/// by the bytes counted live: dlmalloc's headers and rounding put its
/// footprint well above the live count, and a reserve by the count ran out
/// between reserves (the trace's blocks then grew the memory in 64 kB
/// steps, docs/performance.md, `wasmtrace16`).
#[cfg(target_arch = "wasm32")]
fn grow_ahead() {
    const PAGE: usize = 65536;
    let size = core::arch::wasm32::memory_size(0) * PAGE;
    if size <= SEEN.load(Relaxed) {
        return;
    }
    if let Ok(l) = Layout::from_size_align(size.clamp(16 << 20, 256 << 20), 16) {
        // SAFETY: a fresh block of layout `l`, freed with the same layout.
        unsafe {
            let p = System.alloc(l);
            if !p.is_null() {
                System.dealloc(p, l);
            }
        }
    }
    SEEN.store(core::arch::wasm32::memory_size(0) * PAGE, Relaxed);
}

// SAFETY: every call is forwarded to `System` unchanged; only the counters are ours.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = System.alloc(l);
        if !p.is_null() {
            grew(l.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(l);
        if !p.is_null() {
            grew(l.size());
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l);
        shrank(l.size());
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = System.realloc(p, l, new);
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
