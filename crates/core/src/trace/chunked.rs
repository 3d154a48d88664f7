//! A vector that never copies itself to grow and is cheap to clone: its
//! elements sit in chunks of [`CHUNK`], the full ones shared between clones
//! and copied only when one of them is written, the last one (the tail)
//! written in place.
//!
//! - The simulator's trace grows to millions of events. As one `Vec` each
//!   growth copied the whole trace (in wasm, where memory cannot be remapped
//!   as glibc's `realloc` does natively, the copies were 4-7% of node's
//!   profile of the benchmark), and the old and the new buffer were both
//!   held at its peak.
//!   In chunks, growing allocates one more chunk.
//! - The properties' history grows with the run (a version, a request, a
//!   value per write) and the page clones the simulator every few seconds of
//!   a run for seeking: with plain vectors each clone copied the whole
//!   history (100+ ms and a copy of it per snapshot in a one-hour run); with
//!   these it copies a pointer per full chunk and the tail.

use std::sync::Arc;

/// Elements per chunk.
const CHUNK: usize = 256;

#[derive(Clone, Debug)]
pub struct Chunked<T> {
    /// Full chunks of exactly [`CHUNK`] elements.
    chunks: Vec<Arc<Vec<T>>>,
    /// The elements after them (fewer than [`CHUNK`]): a push writes here
    /// without asking whether a clone shares it.
    tail: Vec<T>,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: Vec::new(),
            tail: Vec::new(),
        }
    }
}

impl<T: Clone> Chunked<T> {
    pub fn len(&self) -> usize {
        self.chunks.len() * CHUNK + self.tail.len()
    }

    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty() && self.tail.is_empty()
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        match self.chunks.get(i / CHUNK) {
            Some(chunk) => chunk.get(i % CHUNK),
            None if i / CHUNK == self.chunks.len() => self.tail.get(i % CHUNK),
            None => None,
        }
    }

    /// Element `i`, its chunk copied first if a clone shares it.
    pub fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        let n = self.chunks.len();
        match self.chunks.get_mut(i / CHUNK) {
            Some(chunk) => Arc::make_mut(chunk).get_mut(i % CHUNK),
            None if i / CHUNK == n => self.tail.get_mut(i % CHUNK),
            None => None,
        }
    }

    pub fn last(&self) -> Option<&T> {
        match self.tail.last() {
            Some(v) => Some(v),
            None => self.chunks.last()?.last(),
        }
    }

    pub fn push(&mut self, v: T) {
        if self.tail.len() == CHUNK {
            let full = std::mem::replace(&mut self.tail, Vec::with_capacity(CHUNK));
            self.chunks.push(Arc::new(full));
        } else if self.tail.capacity() == 0 {
            self.tail.reserve_exact(CHUNK);
        }
        self.tail.push(v);
    }

    /// Element `i`, the vector grown with defaults up to it first.
    pub fn slot(&mut self, i: usize) -> &mut T
    where
        T: Default,
    {
        while self.len() <= i {
            self.push(T::default());
        }
        self.get_mut(i).expect("grown up to i")
    }

    /// Insert `v` at `i` (at most `len`). Appending is the common case; an
    /// insert before the end moves each later element up one.
    pub fn insert(&mut self, i: usize, v: T) {
        let mut carry = v;
        for j in i..self.len() {
            if let Some(x) = self.get_mut(j) {
                carry = std::mem::replace(x, carry);
            }
        }
        self.push(carry);
    }

    /// The first index whose element does not satisfy `pred`, for elements
    /// partitioned by it (as [`slice::partition_point`]).
    pub fn partition_point(&self, mut pred: impl FnMut(&T) -> bool) -> usize {
        // Whole chunks first, then within the chunk that holds the point.
        let c = self
            .chunks
            .partition_point(|chunk| chunk.last().is_some_and(&mut pred));
        match self.chunks.get(c) {
            Some(chunk) => c * CHUNK + chunk.partition_point(pred),
            None => c * CHUNK + self.tail.partition_point(pred),
        }
    }

    /// The elements in runs that sit together, in order.
    fn slices(&self) -> impl Iterator<Item = &[T]> + '_ {
        let full = self.chunks.iter().map(|c| c.as_slice());
        full.chain(std::iter::once(self.tail.as_slice()))
    }

    /// The elements from `i` on, in order.
    pub fn iter_from(&self, i: usize) -> Iter<'_, T> {
        let (c, k) = (i / CHUNK, i % CHUNK);
        let mut it = Iter {
            chunks: self.chunks.get(c..).unwrap_or(&[]).iter(),
            tail: (c <= self.chunks.len()).then_some(self.tail.as_slice()),
            cur: [].iter(),
        };
        // The chunk that holds `i`, from `i` on.
        it.cur = match it.chunks.next() {
            Some(chunk) => chunk.get(k..).unwrap_or(&[]).iter(),
            None => it
                .tail
                .take()
                .and_then(|t| t.get(k..))
                .unwrap_or(&[])
                .iter(),
        };
        it
    }

    pub fn iter(&self) -> Iter<'_, T> {
        self.iter_from(0)
    }

    /// The elements in `from..to` (clamped to the vector), in order.
    pub fn range(&self, from: usize, to: usize) -> impl Iterator<Item = &T> + '_ {
        self.iter_from(from).take(to.saturating_sub(from))
    }

    /// A copy in one vector (clones of the elements).
    pub fn to_vec(&self) -> Vec<T> {
        let mut v = Vec::with_capacity(self.len());
        for s in self.slices() {
            v.extend_from_slice(s);
        }
        v
    }

    /// The elements in one vector, moved where no clone shares their chunk.
    pub fn into_vec(self) -> Vec<T> {
        if self.chunks.is_empty() {
            return self.tail;
        }
        let mut v = Vec::with_capacity(self.len());
        for chunk in self.chunks {
            match Arc::try_unwrap(chunk) {
                Ok(mut c) => v.append(&mut c),
                Err(shared) => v.extend_from_slice(&shared),
            }
        }
        v.extend(self.tail);
        v
    }

    /// Give back the tail's room not used (a finished run keeps what it holds).
    pub fn shrink_to_fit(&mut self) {
        self.tail.shrink_to_fit();
    }
}

impl<T: Clone> std::ops::Index<usize> for Chunked<T> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        self.get(i).expect("index within the vector")
    }
}

impl<'a, T: Clone> IntoIterator for &'a Chunked<T> {
    type Item = &'a T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// The elements of a [`Chunked`] in order, a chunk at a time.
pub struct Iter<'a, T> {
    chunks: std::slice::Iter<'a, Arc<Vec<T>>>,
    tail: Option<&'a [T]>,
    cur: std::slice::Iter<'a, T>,
}

impl<'a, T> Iterator for Iter<'a, T> {
    type Item = &'a T;
    fn next(&mut self) -> Option<&'a T> {
        loop {
            if let Some(x) = self.cur.next() {
                return Some(x);
            }
            self.cur = match self.chunks.next() {
                Some(chunk) => chunk.iter(),
                None => self.tail.take()?.iter(),
            };
        }
    }
}

impl<T: Clone> From<Vec<T>> for Chunked<T> {
    fn from(v: Vec<T>) -> Self {
        let mut c = Chunked::default();
        for x in v {
            c.push(x);
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_reads_as_the_vector_it_was_built_like() {
        let mut v = Vec::new();
        let mut c = Chunked::default();
        for i in 0..1000u32 {
            v.push(i * 2);
            c.push(i * 2);
        }
        // Inserts at the front, in the middle, at a chunk's edge and at the end.
        for (i, x) in [(0, 1), (500, 999), (CHUNK, 7), (1003, 5000)] {
            v.insert(i, x);
            c.insert(i, x);
        }
        assert_eq!(c.len(), v.len());
        assert_eq!(c.iter().copied().collect::<Vec<_>>(), v);
        assert_eq!(
            c.iter_from(300).copied().collect::<Vec<_>>(),
            v[300..].to_vec()
        );
        assert_eq!(c.iter_from(5000).count(), 0);
        for x in [0, 1, 2, 777, 1998, 5000, 9999] {
            assert_eq!(c.partition_point(|&y| y < x), v.partition_point(|&y| y < x));
        }
        *c.slot(1200) = 3;
        assert_eq!((c.len(), c[1200], c[1100]), (1201, 3, 0));
    }

    #[test]
    fn it_reads_the_same_from_every_index_at_every_length() {
        // Lengths at and around a chunk's edge, reads from every index.
        for n in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 2 * CHUNK + 3] {
            let v: Vec<usize> = (0..n).collect();
            let c = Chunked::from(v.clone());
            assert_eq!((c.len(), c.is_empty(), c.last()), (n, n == 0, v.last()));
            for i in 0..=n + 1 {
                let from: Vec<usize> = c.iter_from(i).copied().collect();
                assert_eq!(from, v.get(i..).unwrap_or(&[]), "n {n}, from {i}");
                assert_eq!(c.get(i), v.get(i));
            }
            let (a, b) = (n / 3, n / 2 + 1);
            let range: Vec<usize> = c.range(a, b).copied().collect();
            assert_eq!(range, v[a.min(n)..b.min(n)].to_vec());
            assert_eq!((&c).into_iter().count(), n);
            assert_eq!(c.to_vec(), v);
            // Moved out where nothing shares a chunk, copied where a clone does.
            let shared = c.clone();
            assert_eq!(c.into_vec(), v);
            assert_eq!(shared.clone().into_vec(), v);
            assert_eq!(shared.to_vec(), v);
        }
    }

    #[test]
    fn a_clone_keeps_what_it_was_when_the_original_is_written() {
        let mut a = Chunked::default();
        for i in 0..600u32 {
            a.push(i);
        }
        let b = a.clone();
        *a.get_mut(10).unwrap() = 0;
        a.push(600);
        a.insert(300, 1);
        assert_eq!(b.len(), 600);
        assert_eq!(
            b.iter().copied().collect::<Vec<_>>(),
            (0..600).collect::<Vec<_>>()
        );
        assert_eq!((a[10], a[300], a.len()), (0, 1, 602));
    }
}
