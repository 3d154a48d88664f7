//! The CLI's global allocator: the system one, counting the bytes it holds,
//! so `monscope bench` can report the heap a run takes (natively and in wasm,
//! where there is no /proc). Two relaxed atomic adds per allocation.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

pub struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(n: usize) {
    let live = LIVE.fetch_add(n, Relaxed) + n;
    PEAK.fetch_max(live, Relaxed);
    #[cfg(target_arch = "wasm32")]
    grow_ahead(live);
}

/// What the heap has been grown to ahead of need (wasm only).
#[cfg(target_arch = "wasm32")]
static RESERVED: AtomicUsize = AtomicUsize::new(0);

/// In wasm the system allocator (dlmalloc) grows the memory in small steps,
/// and that is costly in V8 (node's profile of the benchmark: 17% in sbrk,
/// and 11% in V8's garbage collector). So once the
/// live heap passes what was reserved, reserve as much again (at least 16 MB):
/// a block allocated and freed at once stays with dlmalloc, which cannot give
/// wasm memory back, and serves the next allocations.
#[cfg(target_arch = "wasm32")]
fn grow_ahead(live: usize) {
    let reserved = RESERVED.load(Relaxed);
    if live <= reserved {
        return;
    }
    let step = reserved.max(16 << 20);
    RESERVED.store(reserved + step, Relaxed);
    if let Ok(l) = Layout::from_size_align(step, 16) {
        // SAFETY: a fresh block of layout `l`, freed with the same layout.
        unsafe {
            let p = System.alloc(l);
            if !p.is_null() {
                System.dealloc(p, l);
            }
        }
    }
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
        LIVE.fetch_sub(l.size(), Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = System.realloc(p, l, new);
        if !q.is_null() {
            LIVE.fetch_sub(l.size(), Relaxed);
            grew(new);
        }
        q
    }
}

/// Bytes the program holds on the heap now (as requested, without the
/// allocator's own overhead).
pub fn live() -> usize {
    LIVE.load(Relaxed)
}

/// The most bytes it held at once since the last [`reset_peak`].
pub fn peak() -> usize {
    PEAK.load(Relaxed)
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
