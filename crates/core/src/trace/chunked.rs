//! A vector that is cheap to clone: its elements sit in chunks of
//! [`CHUNK`], shared between clones and copied only when one of them is
//! written. The properties' history grows with the run (a version, a
//! request, a value per write) and the page clones the simulator every few
//! seconds of a run for seeking: with plain vectors each clone copied the
//! whole history (100+ ms and a copy of it per snapshot in a one-hour run);
//! with these it copies a pointer per chunk and shares the rest.

use std::sync::Arc;

/// Elements per chunk.
const CHUNK: usize = 256;

#[derive(Clone, Debug)]
pub struct Chunked<T> {
    chunks: Vec<Arc<Vec<T>>>,
    len: usize,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T: Clone> Chunked<T> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        self.chunks.get(i / CHUNK)?.get(i % CHUNK)
    }

    /// Element `i`, its chunk copied first if a clone shares it.
    pub fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        Arc::make_mut(self.chunks.get_mut(i / CHUNK)?).get_mut(i % CHUNK)
    }

    pub fn push(&mut self, v: T) {
        match self.chunks.last_mut() {
            Some(last) if last.len() < CHUNK => Arc::make_mut(last).push(v),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(v);
                self.chunks.push(Arc::new(chunk));
            }
        }
        self.len += 1;
    }

    /// Element `i`, the vector grown with defaults up to it first.
    pub fn slot(&mut self, i: usize) -> &mut T
    where
        T: Default,
    {
        while self.len <= i {
            self.push(T::default());
        }
        self.get_mut(i).expect("grown up to i")
    }

    /// Insert `v` at `i` (at most `len`). Appending is the common case; an
    /// insert before the end moves each later element up one.
    pub fn insert(&mut self, i: usize, v: T) {
        let mut carry = v;
        for j in i..self.len {
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
            None => self.len,
        }
    }

    /// The elements from `i` on, in order.
    pub fn iter_from(&self, i: usize) -> impl Iterator<Item = &T> + '_ {
        (i..self.len).filter_map(move |k| self.get(k))
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.iter_from(0)
    }
}

impl<T: Clone> std::ops::Index<usize> for Chunked<T> {
    type Output = T;
    fn index(&self, i: usize) -> &T {
        self.get(i).expect("index within the vector")
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
