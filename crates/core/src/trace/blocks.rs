//! A vector that grows by a block at a time and never moves what it holds:
//! a finished run's trace ([`super::compact::Trace`]) keeps its bytes and
//! side lists in these. A `Vec` grown to 100 MB copies itself at every
//! growth in wasm (a `realloc` off the heap's top, crates/heap; natively
//! glibc remaps the pages), about 3% of the wasm hour's main thread
//! (docs/performance.md, `wasmtrace16`). The first block grows as a `Vec` does, so a short run
//! holds no more than before; past [`BLOCK_BYTES`] each new block is a
//! fresh allocation of that size.

/// A full block's size in bytes.
pub const BLOCK_BYTES: usize = 1 << 18;

#[derive(Clone, Debug)]
pub struct Blocks<T> {
    /// Blocks of exactly [`Blocks::LEN`] items.
    full: Vec<Vec<T>>,
    /// The block being filled.
    last: Vec<T>,
}

impl<T> Default for Blocks<T> {
    #[inline]
    fn default() -> Self {
        Blocks {
            full: Vec::new(),
            last: Vec::new(),
        }
    }
}

impl<T> Blocks<T> {
    /// Items per full block.
    const LEN: usize = {
        let n = BLOCK_BYTES / std::mem::size_of::<T>();
        if n == 0 {
            1
        } else {
            n
        }
    };

    #[inline]
    pub fn len(&self) -> usize {
        self.full.len() * Self::LEN + self.last.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.full.is_empty() && self.last.is_empty()
    }

    #[inline]
    pub fn push(&mut self, v: T) {
        if self.last.len() == Self::LEN {
            self.next_block();
        }
        self.last.push(v);
    }

    /// The last block kept as full, and a new one begun.
    #[cold]
    #[inline(never)]
    fn next_block(&mut self) {
        let new = Vec::with_capacity(Self::LEN);
        let mut full = std::mem::replace(&mut self.last, new);
        // The first block, grown by doubling, may have passed LEN.
        full.shrink_to_fit();
        self.full.push(full);
    }

    #[inline]
    pub fn get(&self, i: usize) -> Option<&T> {
        let (b, j) = (i / Self::LEN, i % Self::LEN);
        match self.full.get(b) {
            Some(block) => block.get(j),
            None if b == self.full.len() => self.last.get(j),
            None => None,
        }
    }

    /// Give back the room the last block was grown to and not used.
    #[inline]
    pub fn shrink_to_fit(&mut self) {
        self.last.shrink_to_fit();
        self.full.shrink_to_fit();
    }
}

/// Bytes in blocks of about [`BLOCK_BYTES`], each written record whole in one
/// block (a reader reads a block as one slice): a record begins a new block
/// when fewer than `room` bytes are left in the last ([`ByteBlocks::room`]).
#[derive(Clone, Debug, Default)]
pub struct ByteBlocks {
    full: Vec<Vec<u8>>,
    last: Vec<u8>,
}

impl ByteBlocks {
    /// The block to write the next record into, with at least `room` bytes
    /// free: the last, grown by half while under [`BLOCK_BYTES`] (the room
    /// a doubling leaves is mostly never used), then a new one.
    #[inline]
    pub fn room(&mut self, room: usize) -> Room<'_> {
        if self.last.capacity() - self.last.len() < room {
            self.grow(room);
        }
        let v = &mut self.last;
        let spare = v.spare_capacity_mut().as_mut_ptr().cast::<u8>();
        Room {
            at: spare,
            // SAFETY: within the spare capacity, `room` bytes or more.
            end: unsafe { spare.add(room) },
            start: spare,
            v,
        }
    }

    #[cold]
    #[inline(never)]
    fn grow(&mut self, room: usize) {
        let cap = self.last.capacity();
        if cap + room <= BLOCK_BYTES {
            let more = (cap / 2).max(4096).min(BLOCK_BYTES - cap).max(room);
            self.last.reserve_exact(more);
        } else {
            let new = Vec::with_capacity(BLOCK_BYTES.max(room));
            self.full.push(std::mem::replace(&mut self.last, new));
        }
    }

    /// Block `i` (the blocks in order, each a run of whole records).
    #[inline]
    pub fn block(&self, i: usize) -> Option<&[u8]> {
        match self.full.get(i) {
            Some(block) => Some(block),
            None if i == self.full.len() => Some(&self.last),
            None => None,
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.full.iter().map(Vec::len).sum::<usize>() + self.last.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Give back the room the last block was grown to and not used.
    #[inline]
    pub fn shrink_to_fit(&mut self) {
        self.last.shrink_to_fit();
        self.full.shrink_to_fit();
    }
}

/// Room reserved at a block's end, written a byte at a time without a
/// `Vec::push` each (its length stored and a call to grow kept ready at
/// every byte); the block's length is set once, when it is dropped.
pub struct Room<'a> {
    at: *mut u8,
    end: *mut u8,
    start: *mut u8,
    v: &'a mut Vec<u8>,
}

impl Room<'_> {
    #[inline]
    pub fn push(&mut self, b: u8) {
        if self.at == self.end {
            overflow();
        }
        // SAFETY: `at` is below `end`, within the vector's spare capacity.
        unsafe {
            self.at.write(b);
            self.at = self.at.add(1);
        }
    }

    #[inline]
    pub fn extend_from_slice(&mut self, bs: &[u8]) {
        for &b in bs {
            self.push(b);
        }
    }
}

impl Drop for Room<'_> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: the bytes from `start` to `at` were written, within the
        // spare capacity.
        unsafe {
            let n = self.at.offset_from(self.start) as usize;
            self.v.set_len(self.v.len() + n);
        }
    }
}

#[cold]
#[inline(never)]
fn overflow() -> ! {
    panic!("a record wrote past the room reserved for it")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_read_back_by_index_across_blocks() {
        let mut b = Blocks::<u64>::default();
        let n = 3 * Blocks::<u64>::LEN + 5;
        for i in 0..n {
            b.push(i as u64 * 3);
        }
        assert_eq!(b.len(), n);
        assert_eq!(b.full.len(), 3);
        for i in 0..n {
            assert_eq!(b.get(i), Some(&(i as u64 * 3)));
        }
        assert_eq!(b.get(n), None);
        assert_eq!(b.get(n + 10 * Blocks::<u64>::LEN), None);
        b.shrink_to_fit();
        assert_eq!(b.get(n - 1), Some(&((n - 1) as u64 * 3)));
    }

    #[test]
    fn full_blocks_are_never_moved() {
        let mut b = Blocks::<u32>::default();
        for i in 0..Blocks::<u32>::LEN + 1 {
            b.push(i as u32);
        }
        let first = b.full[0].as_ptr();
        for i in 0..2 * Blocks::<u32>::LEN {
            b.push(i as u32);
        }
        assert_eq!(b.full[0].as_ptr(), first);
        assert_eq!(b.full.len(), 3);
    }

    #[test]
    #[should_panic(expected = "past the room")]
    fn a_write_past_the_room_reserved_panics() {
        let mut b = ByteBlocks::default();
        let mut room = b.room(2);
        room.extend_from_slice(&[1, 2, 3]);
    }

    #[test]
    fn byte_records_never_straddle_two_blocks() {
        let mut b = ByteBlocks::default();
        let mut written = Vec::new();
        for i in 0..200_000u32 {
            let rec = [i as u8; 7];
            b.room(rec.len()).extend_from_slice(&rec);
            written.extend_from_slice(&rec);
            if i % 1000 == 0 {
                // Less than the room: only what was written is kept.
                b.room(16).push(0xee);
                written.push(0xee);
            }
        }
        let blocks: Vec<&[u8]> = (0..).map_while(|i| b.block(i)).collect();
        assert!(blocks.len() > 2);
        assert!(blocks.iter().all(|k| k.len() <= BLOCK_BYTES));
        assert!(blocks.concat() == written);
        assert_eq!(b.len(), written.len());
    }
}
