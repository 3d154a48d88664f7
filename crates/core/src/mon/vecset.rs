//! A small ordered set in a vector, for the few ranks or timers a paxos
//! round tracks. A `BTreeSet` freed its node when it emptied and allocated
//! one on the next insert: several allocations per round (who accepted, who
//! acked the lease, which timers are armed). This one keeps its buffer.

/// The elements in ascending order, each once (what a `BTreeSet` iterates).
/// Also the monitors' and electors' small rank sets: one `BTreeSet` type is
/// about 6 kB of the page's wasm (`vecmap.rs` says more).
#[derive(Clone, PartialEq, Eq)]
pub struct VecSet<T>(Vec<T>);

impl<T> Default for VecSet<T> {
    fn default() -> Self {
        VecSet(Vec::new())
    }
}

impl<T: Ord> VecSet<T> {
    pub fn new() -> Self {
        Self::default()
    }
    /// Whether it was not there yet (as `BTreeSet::insert`).
    pub fn insert(&mut self, v: T) -> bool {
        match self.0.binary_search(&v) {
            Ok(_) => false,
            Err(i) => {
                self.0.insert(i, v);
                true
            }
        }
    }
    /// Whether it was there (as `BTreeSet::remove`).
    pub fn remove(&mut self, v: &T) -> bool {
        match self.0.binary_search(v) {
            Ok(i) => {
                self.0.remove(i);
                true
            }
            Err(_) => false,
        }
    }
    pub fn contains(&self, v: &T) -> bool {
        self.0.binary_search(v).is_ok()
    }
    /// Empty, keeping the buffer for the next round.
    pub fn clear(&mut self) {
        self.0.clear();
    }
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }
    /// The elements in ascending order.
    pub fn as_slice(&self) -> &[T] {
        &self.0
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Sorts a short slice (ranks of a quorum, a few names) in place by
/// insertion. `sort_unstable` is about 3 kB of the page's wasm for each
/// element type, and these lists hold at most a few dozen elements.
pub fn sort_small<T: Ord>(v: &mut [T]) {
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 && v[j] < v[j - 1] {
            v.swap(j, j - 1);
            j -= 1;
        }
    }
}

/// Built by inserting each (no sort: the sort's code is as large as the map's).
impl<T: Ord> FromIterator<T> for VecSet<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut s = VecSet::new();
        for v in iter {
            s.insert(v);
        }
        s
    }
}

impl<T> IntoIterator for VecSet<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// As a `BTreeSet` prints: `{a, b}`.
impl<T: std::fmt::Debug> std::fmt::Debug for VecSet<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::VecSet;

    #[test]
    fn it_keeps_each_element_once_in_order_as_a_btree_set_does() {
        let mut s = VecSet::new();
        assert!(s.insert(3));
        assert!(s.insert(1));
        assert!(!s.insert(3));
        assert!(s.insert(2));
        assert_eq!(s.iter().copied().collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(format!("{s:?}"), "{1, 2, 3}");
        let t: VecSet<i32> = [3, 1, 3, 2].into_iter().collect();
        assert_eq!(t, s);
        assert_eq!(t.into_iter().collect::<Vec<_>>(), [1, 2, 3]);
        let mut v = [5, -1, 3, 3, 0, 9, -7];
        super::sort_small(&mut v);
        assert_eq!(v, [-7, -1, 0, 3, 3, 5, 9]);
        assert!(s.remove(&2) && !s.remove(&2));
        assert!(s.contains(&1) && !s.contains(&2));
        s.clear();
        assert!(s.is_empty());
        assert_eq!(s.len(), 0);
    }
}
