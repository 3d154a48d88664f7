//! Keys for a list that shows a window of a long sequence (the event log's
//! rows, `components::event_log`), so that yew keeps the DOM's elements.

/// The rows last shown (their items' indices) and their keys, and the last
/// key made.
#[derive(Default)]
pub struct RowKeys {
    rows: Vec<(usize, u64)>,
    made: u64,
}

impl RowKeys {
    /// The keys of the rows `shown` (their items' indices, in order). An
    /// item shown before keeps its key, so its element (and a focus on it)
    /// moves along as the run plays on; when none of them was shown (a
    /// seek), the rows take the last rows' keys in order, so their elements
    /// are kept and only their text changes (keyed by item, a seek made all
    /// 60 rows' elements anew).
    pub fn keys(&mut self, shown: impl Iterator<Item = usize>) -> Vec<u64> {
        let shown: Vec<usize> = shown.collect();
        let was = |i: usize| self.rows.iter().find(|r| r.0 == i).map(|r| r.1);
        let seek = !shown.iter().any(|&i| was(i).is_some());
        let mut rows = Vec::with_capacity(shown.len());
        for (at, &i) in shown.iter().enumerate() {
            let key = match seek {
                true => self.rows.get(at).map(|r| r.1),
                false => was(i),
            };
            rows.push((i, key));
        }
        let rows = rows
            .into_iter()
            .map(|(i, key)| {
                let key = key.unwrap_or_else(|| {
                    self.made += 1;
                    self.made
                });
                (i, key)
            })
            .collect();
        self.rows = rows;
        self.rows.iter().map(|r| r.1).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::RowKeys;

    #[test]
    fn a_logged_event_keeps_its_row_while_playing_and_a_seek_reuses_the_rows() {
        let mut k = RowKeys::default();
        let first = k.keys([12, 11, 9, 8].into_iter());
        // Playing on: two new events on top, the oldest out of sight; the
        // events still shown keep their rows.
        let on = k.keys([14, 13, 12, 11].into_iter());
        assert_eq!(on[2..], first[..2]);
        assert!(!first.contains(&on[0]) && !first.contains(&on[1]) && on[0] != on[1]);
        // A seek far back: none of those events is shown, so the rows are
        // reused in order, each showing another event.
        let back = k.keys([5, 3, 2, 1, 0].into_iter());
        assert_eq!(back[..4], on[..]);
        assert!(!on.contains(&back[4]));
    }
}
