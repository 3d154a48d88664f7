//! The allocator of both wasm builds: the page (and its simulation worker)
//! and the wasm CLI that `cargo xtask bench` runs, so the benchmark's wasm
//! is the simulator users get (docs/performance.md, "The page's and the
//! wasm CLI's allocator (`wasmheap22`)"). Natively the CLI keeps the system's.
//!
//! Why not dlmalloc: its code is bytes in the page's transfer, and each
//! call walks headers and bins. Here a block has no header (Rust hands
//! `dealloc` and `realloc` the size it asked for): it takes its size in
//! whole 16-byte steps, cut from the top of the heap, which grows the wasm
//! memory. A freed block waits on a free list: a small one (up to
//! [`SMALL`] bytes: messages, statuses, short strings, most blocks) on its
//! size's, for the next block of that size, a few instructions inlined
//! where Rust allocates; a large one on its class's (four per power of
//! two), its length in it, and serves any block it holds, its rest listed
//! again. Nothing is merged: the simulator keeps most of what it allocates
//! (the trace), and what it frees is mostly asked for again. The block at
//! the top grows and shrinks in place, and a block freed at the top lowers
//! it, so a Vec growing last, or a block allocated and freed at once, does
//! not leave a copy behind.

#![no_std]

use core::alloc::Layout;

/// Every block's alignment, and the step of its size.
const ALIGN: usize = 16;
/// The largest small block.
const SMALL: usize = 512;
/// Small blocks under this many bytes do not cut a free large block (large
/// blocks want those), only a piece left over from one.
const CRUMB: usize = 16 << 10;
/// A class per 16 bytes up to SMALL, then 4 per power of two up to 2^31
/// (wasm32's largest layout is under 2^31 bytes).
const CLASSES: usize = 120;

/// The bytes a block of `size` takes.
#[inline]
fn whole(size: usize) -> usize {
    (size + ALIGN - 1) & !(ALIGN - 1)
}

/// The class of a block of `size` bytes (not 0: `GlobalAlloc`'s contract)
/// and the bytes that class holds: the smallest class that holds it.
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

/// The list a free block of `len` bytes (a multiple of 16) waits on: the
/// largest class it holds.
fn floor(len: usize) -> usize {
    let (c, bytes) = class(len);
    c - (bytes != len) as usize
}

/// Where a heap gets more memory: `grow(need)` adds at least `need` bytes
/// and says where they start and how many there are. They follow the old
/// end unless something else grew the memory in between.
pub trait Grow: FnMut(usize) -> Option<(usize, usize)> {}
impl<G: FnMut(usize) -> Option<(usize, usize)>> Grow for G {}

/// The heap's state: one thread's (wasm's single thread) or a test's.
pub struct Heap {
    /// The first free block of each class; a free block holds the next,
    /// and a large one its length after it.
    free: [usize; CLASSES],
    /// Which large classes have free blocks (bit c for class c).
    large: u128,
    /// The heap's unused top: [top, end) is free memory.
    top: usize,
    end: usize,
}

impl Heap {
    pub const fn new() -> Heap {
        Heap {
            free: [0; CLASSES],
            large: 0,
            top: 0,
            end: 0,
        }
    }

    /// A block for `l`, or null if the memory cannot grow.
    ///
    /// # Safety
    /// `l.size()` is not 0; the memory `grow` hands out is this heap's alone.
    #[inline]
    pub unsafe fn alloc(&mut self, l: Layout, grow: &mut impl Grow) -> *mut u8 {
        // Most blocks are small, and their size's list has one: a few
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

    /// A block for `l` from a free large block that holds it (the first of
    /// its floor class's list if it does, else one of the smallest class
    /// above), else from the top.
    #[inline(never)]
    unsafe fn take(&mut self, l: Layout, grow: &mut impl Grow) -> *mut u8 {
        let len = whole(l.size());
        let c = class(len).0;
        let f = c.wrapping_sub(1);
        // Listed blocks are 16-aligned; rarer alignments come from the top.
        if l.align() <= ALIGN {
            if len > SMALL
                && self.large >> f & 1 != 0
                && *(self.free[f] as *const usize).add(1) >= len
            {
                return self.unlist(f, len);
            }
            let mut fit = self.large & (!0 << c);
            if len <= SMALL {
                fit &= (1 << class(CRUMB).0) - 1;
            }
            if fit != 0 {
                return self.unlist(fit.trailing_zeros() as usize, len);
            }
        }
        self.cut(len, l.align(), grow)
    }

    /// The first block of large class `c`'s list, cut to `len` bytes.
    unsafe fn unlist(&mut self, c: usize, len: usize) -> *mut u8 {
        let p = self.free[c];
        let has = *(p as *const usize).add(1);
        self.free[c] = *(p as *const usize);
        if self.free[c] == 0 {
            self.large &= !(1 << c);
        }
        self.keep(p + len, has - len);
        p as *mut u8
    }

    /// Lists the `len` free bytes at `p` (a multiple of 16, maybe none).
    unsafe fn keep(&mut self, p: usize, len: usize) {
        if len == 0 {
            return;
        }
        let c = floor(len);
        self.list(p, c);
        // (A block of 513 to 639 bytes waits with the 512-byte ones.)
        if c >= SMALL / ALIGN {
            *(p as *mut usize).add(1) = len;
            self.large |= 1 << c;
        }
    }

    /// A new block of `len` bytes cut from the top.
    #[inline(never)]
    unsafe fn cut(&mut self, len: usize, align: usize, grow: &mut impl Grow) -> *mut u8 {
        for _ in 0..2 {
            let p = (self.top + align.max(ALIGN) - 1) & !(align.max(ALIGN) - 1);
            if self.fits(p, len, grow) {
                self.top = p + len;
                return p as *mut u8;
            }
            // The memory grew elsewhere (wasi-libc's malloc, for libc's own
            // needs): try again from the new part's start.
        }
        core::ptr::null_mut()
    }

    /// Whether `len` bytes from `p` (at or above the top) are in the heap,
    /// growing it if they are not; false if it cannot, or if it grew
    /// elsewhere (the old top's rest is then left unused).
    fn fits(&mut self, p: usize, len: usize, grow: &mut impl Grow) -> bool {
        match p.checked_add(len) {
            Some(e) if e <= self.end => return true,
            Some(e) => match grow(e - self.end) {
                Some((start, more)) if start == self.end => {
                    self.end += more;
                    return e <= self.end;
                }
                Some((start, more)) => (self.top, self.end) = (start, start + more),
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
            self.give(p as usize, whole(l.size()));
        }
    }

    #[inline]
    unsafe fn list(&mut self, p: usize, c: usize) {
        *(p as *mut usize) = self.free[c];
        self.free[c] = p;
    }

    /// A large block given back: at the top it lowers the top (a block
    /// allocated and freed at once is not kept aside), else it is listed.
    #[inline(never)]
    unsafe fn give(&mut self, p: usize, len: usize) {
        if p + len == self.top {
            self.top = p;
        } else {
            self.keep(p, len);
        }
    }

    /// The block at `p` (allocated for `l`) resized to `new` bytes: in place
    /// if it shrinks (its rest listed) or is at the top, else moved.
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
        let (at, has, len) = (p as usize, whole(l.size()), whole(new));
        let top = at + has == self.top;
        if len <= has && !top {
            self.keep(at + len, has - len);
            return p;
        }
        if top && self.fits(at, len, grow) {
            self.top = at + len;
            return p;
        }
        let q = self.alloc(Layout::from_size_align_unchecked(new, l.align()), grow);
        if !q.is_null() {
            core::ptr::copy_nonoverlapping(p, q, l.size());
            self.dealloc(p, l);
        }
        q
    }
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
