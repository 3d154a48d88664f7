//! The heap's logic on a fake memory: a buffer handed out in pages, as
//! `memory.grow` does, sometimes with another allocator's growth between.

extern crate std;

use super::*;
use std::vec::Vec;

const PAGE: usize = 4096;

/// A fake wasm memory: `pages` of PAGE bytes, grown from the start.
struct Memory {
    buf: Vec<u128>,
    used: usize,
    /// Pages taken by "another allocator" before every fourth growth.
    foreign: usize,
    grown: usize,
}

impl Memory {
    fn new(bytes: usize, foreign: usize) -> Memory {
        Memory {
            buf: std::vec![0; bytes / 16],
            // As in wasm, where the heap starts above the statics: the
            // word before its first block is memory (a freed block reads it).
            used: PAGE,
            foreign,
            grown: 0,
        }
    }

    fn base(&self) -> usize {
        self.buf.as_ptr() as usize
    }

    /// `memory.grow`: at least `need` bytes, whole pages, or None when full.
    fn grow(&mut self, need: usize) -> Option<(usize, usize)> {
        self.grown += 1;
        if self.grown.is_multiple_of(4) {
            self.used += self.foreign * PAGE;
        }
        let len = need.div_ceil(PAGE) * PAGE;
        if self.used + len > self.buf.len() * 16 {
            return None;
        }
        let start = self.base() + self.used;
        self.used += len;
        Some((start, len))
    }
}

/// A tiny deterministic generator (xorshift) for the mixed workload.
struct Rng(u64);

impl Rng {
    fn next(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// A block in use: where, its layout, and the byte it was filled with.
type Block = (*mut u8, Layout, u8);

/// No two blocks share a byte (each holds its size in 16-byte steps).
fn disjoint(blocks: &[Block]) {
    let mut spans: Vec<(usize, usize)> = blocks
        .iter()
        .map(|b| (b.0 as usize, b.0 as usize + steps(b.1.size())))
        .collect();
    spans.sort();
    for w in spans.windows(2) {
        assert!(w[0].1 <= w[1].0, "{:x?} and {:x?} overlap", w[0], w[1]);
    }
}

unsafe fn check(b: &Block) {
    let (p, l, byte) = *b;
    assert!((p as usize).is_multiple_of(l.align()), "{l:?} at {p:?}");
    assert!(
        (0..l.size()).all(|k| *p.add(k) == byte),
        "{l:?} at {p:?} lost its bytes"
    );
}

#[test]
fn classes_hold_their_sizes_and_grow_with_them() {
    let mut last = class(1);
    for size in (1..=1 << 20).chain([(1 << 31) - 1, 1 << 31]) {
        let (c, bytes) = class(size);
        assert!(
            c < CLASSES && bytes >= size && bytes.is_multiple_of(ALIGN),
            "{size}"
        );
        // One size per class, in order; a large block wastes under 25%.
        assert!(
            c == last.0 && bytes == last.1 || c == last.0 + 1 && bytes > last.1 || size > 1 << 20,
            "{size}"
        );
        assert!(size <= SMALL || bytes - size < size / 4, "{size}: {bytes}");
        assert!(size <= SMALL || floor(bytes) == c, "{size}");
        last = (c, bytes);
    }
    // A Vec doubling its capacity (of 24-, 40- and 56-byte items) stays on whole classes.
    for item in [24, 40, 56, 64] {
        assert_eq!(class(item << 20).1, item << 20);
    }
    // wasm32's largest layout, just under 2 GB, has the last class.
    assert_eq!(class((1 << 31) - 1).0, CLASSES - 1);
}

#[test]
fn blocks_keep_their_bytes_and_freed_ones_are_reused() {
    let mut memory = Memory::new(64 << 20, 0);
    let grow = &mut |need| memory.grow(need);
    let mut heap = Heap::new();
    let mut blocks: Vec<Block> = Vec::new();
    unsafe {
        let sizes = (1..=700).chain([1000, 4096, 65537, 300_000, 1 << 20]);
        for (i, size) in sizes.enumerate() {
            let l = Layout::from_size_align(size, 1 << (i % 7)).unwrap();
            let p = heap.alloc(l, grow);
            p.write_bytes(i as u8, size);
            blocks.push((p, l, i as u8));
        }
        blocks.iter().for_each(|b| check(b));
        // Freed, a block serves its class again (the 40-byte class here).
        let (p, l, _) = blocks[40];
        heap.dealloc(p, l);
        let q = heap.alloc(Layout::from_size_align(33, 8).unwrap(), grow);
        assert_eq!(q, p);
        q.write_bytes(40, 33);
        blocks[40].1 = Layout::from_size_align(33, 8).unwrap();
        // Within its class a block stays; beyond, it moves with its bytes.
        let (p, l, _) = blocks[16];
        assert_eq!(heap.realloc(p, l, 32, grow), p);
        let q = heap.realloc(
            p,
            Layout::from_size_align(32, l.align()).unwrap(),
            600,
            grow,
        );
        assert_ne!(q, p);
        assert!((0..17).all(|k| *q.add(k) == 16));
        q.write_bytes(16, 600);
        blocks[16] = (q, Layout::from_size_align(600, l.align()).unwrap(), 16);
        blocks.iter().for_each(|b| check(b));
    }
}

#[test]
fn the_top_block_grows_and_is_given_back_in_place() {
    let mut memory = Memory::new(64 << 20, 0);
    let grow = &mut |need| memory.grow(need);
    let mut heap = Heap::new();
    unsafe {
        let small = heap.alloc(Layout::from_size_align(10, 1).unwrap(), grow);
        small.write_bytes(7, 10);
        let mut l = Layout::from_size_align(1000, 8).unwrap();
        let p = heap.alloc(l, grow);
        p.write_bytes(1, 1000);
        // A Vec growing at the top keeps its place, through many growths
        // of the memory.
        for size in [2000, 5000, 100_000, 3 << 20, 10 << 20] {
            assert_eq!(heap.realloc(p, l, size, grow), p, "{size}");
            p.add(l.size()).write_bytes(1, size - l.size());
            l = Layout::from_size_align(size, 8).unwrap();
        }
        assert!((0..l.size()).all(|k| *p.add(k) == 1));
        // Freed at the top, and allocated again (a large block at once
        // freed, as the CLI's bench does), it takes the same place.
        heap.dealloc(p, l);
        assert_eq!(
            heap.alloc(Layout::from_size_align(20 << 20, 16).unwrap(), grow),
            p
        );
        check(&(small, Layout::from_size_align(10, 1).unwrap(), 7));
    }
}

#[test]
fn a_freed_large_block_serves_smaller_ones() {
    let mut memory = Memory::new(64 << 20, 0);
    let grow = &mut |need| memory.grow(need);
    let mut heap = Heap::new();
    unsafe {
        let big = Layout::from_size_align(1 << 20, 8).unwrap();
        let p = heap.alloc(big, grow) as usize;
        heap.alloc(Layout::from_size_align(8, 8).unwrap(), grow);
        let top = heap.top;
        heap.dealloc(p as *mut u8, big);
        // The freed megabyte serves 64 blocks of 10,000 bytes (10,240 each)
        // and 100 of 100 bytes: it is cut, and its pieces serve the rest.
        let mut blocks = Vec::new();
        for (i, size) in [10_000; 64].into_iter().chain([100; 100]).enumerate() {
            let l = Layout::from_size_align(size, 8).unwrap();
            let q = heap.alloc(l, grow);
            assert!((p..p + (1 << 20)).contains(&(q as usize)), "{i}");
            q.write_bytes(i as u8, size);
            blocks.push((q, l, i as u8));
        }
        // A small class took a slab, not the rest: a large block still fits.
        let l = Layout::from_size_align(200_000, 8).unwrap();
        let q = heap.alloc(l, grow);
        assert!((p..p + (1 << 20)).contains(&(q as usize)));
        q.write_bytes(7, 200_000);
        blocks.push((q, l, 7));
        assert_eq!(heap.top, top);
        blocks.iter().for_each(|b| check(b));
        disjoint(&blocks);
    }
}

#[test]
fn a_freed_large_block_merges_with_its_free_neighbours() {
    let mut memory = Memory::new(64 << 20, 0);
    let grow = &mut |need| memory.grow(need);
    let mut heap = Heap::new();
    unsafe {
        let l = Layout::from_size_align(100_000, 8).unwrap();
        let mut blocks: Vec<Block> = (0..4)
            .map(|i| {
                let p = heap.alloc(l, grow);
                p.write_bytes(i, l.size());
                (p, l, i)
            })
            .collect();
        let guard = Layout::from_size_align(8, 8).unwrap();
        blocks.push((heap.alloc(guard, grow), guard, 9));
        blocks[4].0.write_bytes(9, 8);
        let top = heap.top;
        // Freed out of order: the third merges with the second before it,
        // the first with both after it.
        for i in [1, 2, 0] {
            heap.dealloc(blocks[i].0, l);
        }
        // Three blocks' room serves a block none of them held, from the first's place.
        let big = Layout::from_size_align(250_000, 16).unwrap();
        let p = heap.alloc(big, grow);
        assert_eq!(p, blocks[0].0);
        p.write_bytes(5, big.size());
        // Its rest (50 kB) serves a smaller one.
        let rest = Layout::from_size_align(10_000, 8).unwrap();
        let q = heap.alloc(rest, grow);
        assert!(q > p && q < blocks[3].0);
        q.write_bytes(6, rest.size());
        assert_eq!(heap.top, top);
        blocks.splice(0..3, [(p, big, 5), (q, rest, 6)]);
        blocks.iter().for_each(|b| check(b));
        disjoint(&blocks);
    }
}

#[test]
fn a_free_block_merged_at_the_top_lowers_it() {
    let mut memory = Memory::new(64 << 20, 0);
    let grow = &mut |need| memory.grow(need);
    let mut heap = Heap::new();
    unsafe {
        let small = heap.alloc(Layout::from_size_align(40, 8).unwrap(), grow);
        small.write_bytes(3, 40);
        let l = Layout::from_size_align(50_000, 8).unwrap();
        let a = heap.alloc(l, grow);
        let b = heap.alloc(l, grow);
        heap.dealloc(a, l);
        assert_ne!(heap.top, a as usize);
        // b is at the top, a free before it: both go back to the top.
        heap.dealloc(b, l);
        assert_eq!(heap.top, a as usize);
        assert_eq!(heap.large, 0, "no free large block is left listed");
        check(&(small, Layout::from_size_align(40, 8).unwrap(), 3));
    }
}

#[test]
fn a_mixed_workload_keeps_every_block_and_reuses_memory() {
    for foreign in [0, 1] {
        let mut memory = Memory::new(256 << 20, foreign);
        let base = memory.base();
        let grow = &mut |need| memory.grow(need);
        let mut heap = Heap::new();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut live: Vec<Block> = Vec::new();
        unsafe {
            for i in 0..200_000 {
                let size = match rng.next(50) {
                    0 => 1 + rng.next(100_000),
                    1..5 => 1 + rng.next(4000),
                    _ => 1 + rng.next(300),
                };
                let wide = rng.next(50) == 0;
                let align = 1 << rng.next(if wide { 8 } else { 5 });
                let byte = i as u8;
                match rng.next(6) {
                    0..3 => {
                        let l = Layout::from_size_align(size, align).unwrap();
                        let p = heap.alloc(l, grow);
                        assert!(!p.is_null());
                        p.write_bytes(byte, size);
                        live.push((p, l, byte));
                    }
                    3 | 4 if !live.is_empty() => {
                        let b = live.swap_remove(rng.next(live.len()));
                        check(&b);
                        heap.dealloc(b.0, b.1);
                    }
                    _ if !live.is_empty() => {
                        let k = rng.next(live.len());
                        let (p, l, old) = live[k];
                        check(&live[k]);
                        let q = heap.realloc(p, l, size, grow);
                        assert!(!q.is_null());
                        assert!((0..l.size().min(size)).all(|j| *q.add(j) == old));
                        q.write_bytes(byte, size);
                        live[k] = (q, Layout::from_size_align(size, l.align()).unwrap(), byte);
                    }
                    _ => {}
                }
                if i % 20_000 == 0 {
                    disjoint(&live);
                }
            }
            live.iter().for_each(|b| check(b));
            disjoint(&live);
        }
        // About 33k blocks of ~1.5 kB on average are live at the end: the
        // memory holds them with the classes' rounding and free lists,
        // not much more.
        let held: usize = live.iter().map(|b| b.1.size()).sum();
        let top = heap.top - base;
        assert!(top < held * 2, "{top} bytes of memory for {held} held");
    }
}

#[test]
fn a_full_memory_gives_null() {
    let mut memory = Memory::new(1 << 20, 0);
    let grow = &mut |need| memory.grow(need);
    let mut heap = Heap::new();
    unsafe {
        let p = heap.alloc(Layout::from_size_align(600_000, 16).unwrap(), grow);
        assert!(!p.is_null());
        assert!(heap
            .alloc(Layout::from_size_align(600_000, 16).unwrap(), grow)
            .is_null());
        assert!(heap
            .realloc(
                p,
                Layout::from_size_align(600_000, 16).unwrap(),
                2 << 20,
                grow
            )
            .is_null());
        // The old block is still there, and small blocks still come.
        assert!(!heap
            .alloc(Layout::from_size_align(64, 8).unwrap(), grow)
            .is_null());
    }
}
