//! The allocator of both wasm builds: the page (and its simulation worker)
//! and the wasm CLI that `cargo xtask bench` runs, so the benchmark's wasm
//! is the simulator users get (docs/performance.md, "Twenty-first round
//! ... (`wasmheap22`)"). Natively the CLI keeps the system's.
//!
//! Why not dlmalloc: its code is bytes in the page's transfer, and each
//! call walks headers and bins. Here a block has no header (Rust hands
//! `dealloc` and `realloc` the size it asked for), its size is rounded up to
//! a class, and a freed small block waits on its class's free list for the
//! next allocation of that class; a new block is cut from the top of the
//! heap, which grows the wasm memory.
//!
//! A freed large block is merged with the free large blocks beside it (and
//! given back to the top when it reaches it): without that, the page's
//! passing buffers were left in pieces that no later request fitted, 8–11 MB
//! of its memory for the hour (docs/performance.md, "Twenty-third round
//! ... (`mem23`)"). Free large blocks are found by address in a small hash
//! table chained through the blocks (a freed block's header is the only
//! room it has), and by size in lists by class. A class with no free block
//! cuts the smallest free large block that holds it.
//!
//! Classes: every 16 bytes up to [`SMALL`] (most blocks: messages, statuses,
//! short strings), then four per power of two (a block wastes under 25% of
//! its size; a Vec doubling its capacity stays on whole classes). The block
//! at the top grows and shrinks in place.

#![no_std]

use core::alloc::Layout;

/// Every block's alignment (and the step of the small classes).
const ALIGN: usize = 16;
/// The largest block of the 16-byte classes.
const SMALL: usize = 512;
/// 32 classes of 16 bytes, then 4 per power of two up to 2^31 (wasm32's
/// largest layout is under 2^31 bytes).
const CLASSES: usize = 120;
/// The smallest free large block: the first large class's size. A smaller
/// rest is listed in small blocks.
const LARGE: usize = 640;
/// Buckets of the free large blocks' table by address.
const BUCKETS: usize = 1024;
/// A small class cutting a free large block takes this much of it at most
/// (in blocks of its size); the rest stays free for any size.
const SLAB: usize = 4096;
const W: usize = core::mem::size_of::<usize>();

/// The class of a block of `size` bytes (not 0: `GlobalAlloc`'s contract)
/// and the bytes that class holds.
#[inline]
fn class(size: usize) -> (usize, usize) {
    let n = size - 1;
    if n < SMALL {
        return (n / ALIGN, (n | (ALIGN - 1)) + 1);
    }
    // 2^k <= n < 2^(k+1), k >= 9; q is n's top three bits (4..=7).
    let k = (usize::BITS - 1 - n.leading_zeros()) as usize;
    let q = n >> (k - 2);
    (4 * k + q - 8, (q + 1) << (k - 2))
}

/// The bytes a block of `size` takes: whole 16-byte steps (the small
/// classes' sizes; a large block is cut to its length, not its class's).
#[inline]
fn steps(size: usize) -> usize {
    (size + ALIGN - 1) & !(ALIGN - 1)
}

/// The largest class whose blocks a free block of `len` bytes (at least
/// LARGE) holds.
fn floor(len: usize) -> usize {
    let (c, size) = class(len);
    c - (size > len) as usize
}

/// Where a heap gets more memory: `grow(need)` adds at least `need` bytes
/// and says where they start and how many there are. They follow the old
/// end unless something else grew the memory in between.
pub trait Grow: FnMut(usize) -> Option<(usize, usize)> {}
impl<G: FnMut(usize) -> Option<(usize, usize)>> Grow for G {}

/// A word of a free block: a free large block holds its class list's next
/// and previous, its length, and the next in its bucket; its last word is
/// its start (so the block after it finds it).
#[inline]
unsafe fn word(p: usize, i: usize) -> *mut usize {
    (p + i * W) as *mut usize
}
const NEXT: usize = 0;
const PREV: usize = 1;
const LEN: usize = 2;
const CHAIN: usize = 3;

/// The heap's state: one thread's (wasm's single thread) or a test's.
pub struct Heap {
    /// The first free block of each class; a free block holds the next.
    free: [usize; CLASSES],
    /// Which large classes have free blocks (bit c for class c).
    large: u128,
    /// The heap's unused top: [top, end) is free memory.
    top: usize,
    end: usize,
    /// The free large blocks by address (a hash of it), chained.
    at: [usize; BUCKETS],
}

impl Heap {
    pub const fn new() -> Heap {
        Heap {
            free: [0; CLASSES],
            large: 0,
            top: 0,
            end: 0,
            at: [0; BUCKETS],
        }
    }

    /// A block for `l`, or null if the memory cannot grow.
    ///
    /// # Safety
    /// `l.size()` is not 0; the memory `grow` hands out is this heap's alone.
    #[inline]
    pub unsafe fn alloc(&mut self, l: Layout, grow: &mut impl Grow) -> *mut u8 {
        // Most blocks are small, and their class's list has one: a few
        // instructions where Rust allocates; the rest out of line, so that
        // the code stays small (the page's bytes, V8's compile).
        if l.size() <= SMALL && l.align() <= ALIGN {
            let c = (l.size() - 1) / ALIGN;
            let p = self.free[c];
            if p != 0 {
                self.free[c] = *(p as *const usize);
                return p as *mut u8;
            }
        }
        self.take(l, grow)
    }

    /// A block for `l` from the smallest free large block that holds it
    /// (the rest stays free), else from the top.
    #[inline(never)]
    unsafe fn take(&mut self, l: Layout, grow: &mut impl Grow) -> *mut u8 {
        let (c, size) = (class(l.size()).0, steps(l.size()));
        // Free blocks are 16-aligned; rarer alignments come from the top.
        let fit = self.large & (!0 << c);
        if fit == 0 || l.align() > ALIGN {
            return self.cut(size, l.align(), grow);
        }
        let p = self.free[fit.trailing_zeros() as usize];
        let len = *word(p, LEN);
        self.unlink(p, len);
        // A small class takes a slab (a whole small rest too), in blocks of
        // its size: one block at a time, each would come this slow way.
        let mut at = p + size;
        if size <= SMALL {
            let slab = if len < SLAB + LARGE { len } else { SLAB };
            while at + size <= p + slab {
                self.list(at, c);
                at += size;
            }
        }
        self.keep(at, p + len - at);
        p as *mut u8
    }

    /// The free large block at `p`, if there is one: its length.
    unsafe fn find(&self, p: usize) -> Option<usize> {
        let mut q = self.at[bucket(p)];
        while q != 0 {
            if q == p {
                return Some(*word(p, LEN));
            }
            q = *word(q, CHAIN);
        }
        None
    }

    /// Keeps `len` free bytes from `p` (a multiple of 16): a large block
    /// in its class's list and the table, else small blocks.
    unsafe fn keep(&mut self, p: usize, len: usize) {
        if len < LARGE {
            let mut at = p;
            while at < p + len {
                let piece = (p + len - at).min(SMALL);
                self.list(at, piece / ALIGN - 1);
                at += piece;
            }
            return;
        }
        let c = floor(len);
        let next = self.free[c];
        *word(p, NEXT) = next;
        *word(p, PREV) = 0;
        if next != 0 {
            *word(next, PREV) = p;
        }
        self.free[c] = p;
        self.large |= 1 << c;
        *word(p, LEN) = len;
        let b = bucket(p);
        *word(p, CHAIN) = self.at[b];
        self.at[b] = p;
        *((p + len - W) as *mut usize) = p;
    }

    /// Takes the free large block at `p` (of `len` bytes) out of its list
    /// and the table.
    unsafe fn unlink(&mut self, p: usize, len: usize) {
        let c = floor(len);
        let (next, prev) = (*word(p, NEXT), *word(p, PREV));
        if prev == 0 {
            self.free[c] = next;
            if next == 0 {
                self.large &= !(1 << c);
            }
        } else {
            *word(prev, NEXT) = next;
        }
        if next != 0 {
            *word(next, PREV) = prev;
        }
        let mut link: *mut usize = &mut self.at[bucket(p)];
        while *link != p {
            link = word(*link, CHAIN);
        }
        *link = *word(p, CHAIN);
    }

    /// A new block of `size` bytes cut from the top.
    #[inline(never)]
    unsafe fn cut(&mut self, size: usize, align: usize, grow: &mut impl Grow) -> *mut u8 {
        for _ in 0..2 {
            let p = (self.top + align.max(ALIGN) - 1) & !(align.max(ALIGN) - 1);
            if self.fits(p, size, grow) {
                self.top = p + size;
                return p as *mut u8;
            }
            // The memory grew elsewhere (wasi-libc's malloc, for libc's own
            // needs): try again from the new part's start.
        }
        core::ptr::null_mut()
    }

    /// Whether `size` bytes from `p` (at or above the top) are in the heap,
    /// growing it if they are not; false if it cannot, or if it grew
    /// elsewhere (the old top's rest is then left unused).
    fn fits(&mut self, p: usize, size: usize, grow: &mut impl Grow) -> bool {
        match p.checked_add(size) {
            Some(e) if e <= self.end => return true,
            Some(e) => match grow(e - self.end) {
                Some((start, len)) if start == self.end => {
                    self.end += len;
                    return e <= self.end;
                }
                Some((start, len)) => (self.top, self.end) = (start, start + len),
                None => {}
            },
            None => {}
        }
        false
    }

    /// Gives back the block at `p`, allocated for `l`.
    ///
    /// # Safety
    /// `p` came from this heap for a layout of `l`'s size and is not used again.
    #[inline]
    pub unsafe fn dealloc(&mut self, p: *mut u8, l: Layout) {
        if l.size() <= SMALL {
            self.list(p as usize, (l.size() - 1) / ALIGN);
        } else {
            self.give(p as usize, steps(l.size()));
        }
    }

    #[inline]
    unsafe fn list(&mut self, p: usize, c: usize) {
        *(p as *mut usize) = self.free[c];
        self.free[c] = p;
    }

    /// `len` bytes from `p` given back (a large block, or a block's tail),
    /// merged with the free large blocks before and after them; at the top
    /// they lower the top.
    #[inline(never)]
    unsafe fn give(&mut self, mut p: usize, mut len: usize) {
        if let Some(n) = self.find(p + len) {
            self.unlink(p + len, n);
            len += n;
        }
        // The word before `p` is a free block's start if one ends there
        // (below the heap's first block is other memory: still readable).
        let before = *((p - W) as *const usize);
        if let Some(n) = self.find(before).filter(|n| before + n == p) {
            self.unlink(before, n);
            (p, len) = (before, len + n);
        }
        if p + len == self.top {
            self.top = p;
        } else {
            self.keep(p, len);
        }
    }

    /// The block at `p` (allocated for `l`) resized to `new` bytes: in place
    /// at the top or when it shrinks (a large block gives its tail back),
    /// else moved.
    ///
    /// # Safety
    /// As [`Heap::dealloc`]; `new` is not 0.
    #[inline(never)]
    pub unsafe fn realloc(
        &mut self,
        p: *mut u8,
        l: Layout,
        new: usize,
        grow: &mut impl Grow,
    ) -> *mut u8 {
        let (size, to) = (steps(l.size()), steps(new));
        if size == to {
            return p;
        }
        let at = p as usize;
        if at + size == self.top && self.fits(at, to, grow) {
            self.top = at + to;
            return p;
        }
        if to < size && size > SMALL {
            self.give(at + to, size - to);
            return p;
        }
        let q = self.alloc(Layout::from_size_align_unchecked(new, l.align()), grow);
        if !q.is_null() {
            core::ptr::copy_nonoverlapping(p, q, l.size().min(new));
            self.dealloc(p, l);
        }
        q
    }
}

/// The bucket of a free large block at `p`.
fn bucket(p: usize) -> usize {
    ((p / ALIGN) as u32).wrapping_mul(0x9e37_79b9) as usize >> (32 - BUCKETS.trailing_zeros())
}

impl Default for Heap {
    fn default() -> Heap {
        Heap::new()
    }
}

#[cfg(target_arch = "wasm32")]
mod wasm;
#[cfg(target_arch = "wasm32")]
pub use wasm::Wasm;

#[cfg(test)]
mod tests;
