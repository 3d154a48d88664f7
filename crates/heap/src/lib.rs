//! The allocator of both wasm builds: the page (and its simulation worker)
//! and the wasm CLI that `cargo xtask bench` runs, so the benchmark's wasm
//! is the simulator users get (docs/performance.md, "Twenty-first round
//! ... (`wasmheap22`)"). Natively the CLI keeps the system's.
//!
//! Why not dlmalloc: its code is bytes in the page's transfer, and each
//! call walks headers and bins. Here a block has no header (Rust hands
//! `dealloc` and `realloc` the size it asked for), its size is rounded up to
//! a class, and a freed block waits on its class's free list for the next
//! allocation of that class; a new block is cut from the top of the heap,
//! which grows the wasm memory. Nothing is merged; a class with no free
//! block cuts the smallest free large block that holds it (a small class
//! takes it whole, in blocks of its size), so freed memory serves other
//! sizes too.
//!
//! Classes: every 16 bytes up to [`SMALL`] (most blocks: messages, statuses,
//! short strings), then four per power of two (a block wastes under 25% of
//! its size; a Vec doubling its capacity stays on whole classes). The block
//! at the top grows and shrinks in place, and a block freed at the top
//! lowers it, so a Vec growing last, or a block allocated and freed at
//! once, does not leave a copy behind.

#![no_std]

use core::alloc::Layout;

/// Every block's alignment (and the step of the small classes).
const ALIGN: usize = 16;
/// The largest block of the 16-byte classes.
const SMALL: usize = 512;
/// 32 classes of 16 bytes, then 4 per power of two up to 2^31 (wasm32's
/// largest layout is under 2^31 bytes).
const CLASSES: usize = 120;

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

/// Where a heap gets more memory: `grow(need)` adds at least `need` bytes
/// and says where they start and how many there are. They follow the old
/// end unless something else grew the memory in between.
pub trait Grow: FnMut(usize) -> Option<(usize, usize)> {}
impl<G: FnMut(usize) -> Option<(usize, usize)>> Grow for G {}

/// The size of large class `c`'s blocks (`class`'s inverse).
fn bytes(c: usize) -> usize {
    ((c % 4) + 5) << ((c + 4) / 4 - 2)
}

/// The heap's state: one thread's (wasm's single thread) or a test's.
pub struct Heap {
    /// The first free block of each class; a free block holds the next.
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
    /// (its rest listed: a large block freed is not kept for its class
    /// alone, e.g. the simulation worker's passing buffers), else from the
    /// top.
    #[inline(never)]
    unsafe fn take(&mut self, l: Layout, grow: &mut impl Grow) -> *mut u8 {
        let (c, size) = class(l.size());
        // Listed blocks are 16-aligned; rarer alignments come from the top.
        let fit = self.large & (!0 << c);
        if fit == 0 || l.align() > ALIGN {
            return self.cut(size, l.align(), grow);
        }
        let b = fit.trailing_zeros() as usize;
        let p = self.free[b];
        self.free[b] = *(p as *const usize);
        if self.free[b] == 0 {
            self.large &= !(1 << b);
        }
        let all = bytes(b);
        let mut at = p + size;
        if size <= SMALL {
            // A small block's class gets the whole block, in blocks of its
            // size: pieces of other small sizes would wait for blocks of
            // those sizes, maybe for ever (the simulation worker's memory
            // for the hour was 2.7 times what it held).
            while at + size <= p + all {
                self.list(at, c);
                at += size;
            }
        }
        self.pieces(at, p + all - at);
        p as *mut u8
    }

    /// Lists `len` bytes from `p` (a multiple of 16) as free blocks of the
    /// largest classes they hold.
    unsafe fn pieces(&mut self, mut p: usize, mut len: usize) {
        while len > 0 {
            let piece = if len <= SMALL {
                len
            } else {
                let k = usize::BITS - 3 - len.leading_zeros();
                len >> k << k
            };
            self.park(p, class(piece).0);
            p += piece;
            len -= piece;
        }
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
            self.give(p as usize, l.size());
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
    unsafe fn give(&mut self, p: usize, size: usize) {
        let (c, size) = class(size);
        if p + size == self.top {
            self.top = p;
        } else {
            self.park(p, c);
        }
    }

    /// Lists a free block of class `c`, noting a large one in `large`.
    unsafe fn park(&mut self, p: usize, c: usize) {
        self.list(p, c);
        if c >= SMALL / ALIGN {
            self.large |= 1 << c;
        }
    }

    /// The block at `p` (allocated for `l`) resized to `new` bytes: in place
    /// within its class or at the top, else moved.
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
        let (c, size) = class(l.size());
        let (d, to) = class(new);
        if c == d {
            return p;
        }
        let at = p as usize;
        if at + size == self.top && self.fits(at, to, grow) {
            self.top = at + to;
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
