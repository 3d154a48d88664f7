//! Each log's clock offset, estimated from matched messages: a message is
//! received after it is sent, so for monitors A and B, with `m_AB` the least
//! (receive on B's clock − send on A's clock) over A→B messages,
//! `off_B − off_A ≤ m_AB` and `off_A − off_B ≤ m_BA`. The estimate is the
//! middle of that interval (the least latency taken as equal both ways),
//! spread from the first monitor (offset 0) over the pairs that exchanged
//! messages, then any bound still broken (a cycle of three or more) is
//! restored by relaxing it (Bellman-Ford on the difference constraints).
//! Log stamps are milliseconds, so estimates are too.

/// The least (receive − send), in µs, of the messages from `from` to `to`,
/// on their own clocks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bound {
    pub from: usize,
    pub to: usize,
    pub min_us: i64,
}

/// Per monitor: its clock's offset from the reference monitor's (µs; a
/// line's corrected time is its stamp minus this), and the interval the
/// messages allow it in, when they bound it both ways.
#[derive(Clone, Debug, PartialEq)]
pub struct Offset {
    pub us: i64,
    pub bounds: Option<(i64, i64)>,
}

/// Least latency per ordered pair from matched (from, to, send, receive).
pub fn bounds(pairs: impl Iterator<Item = (usize, usize, i64, i64)>) -> Vec<Bound> {
    let mut out: Vec<Bound> = Vec::new();
    for (from, to, send, recv) in pairs {
        let d = recv - send;
        match out.iter_mut().find(|b| b.from == from && b.to == to) {
            Some(b) => b.min_us = b.min_us.min(d),
            None => out.push(Bound {
                from,
                to,
                min_us: d,
            }),
        }
    }
    out.sort_by_key(|b| (b.from, b.to));
    out
}

/// Offsets of `n` monitors (monitor 0 is the reference).
pub fn estimate(n: usize, bounds: &[Bound]) -> Vec<Offset> {
    let m = |a: usize, b: usize| {
        bounds
            .iter()
            .find(|x| x.from == a && x.to == b)
            .map(|x| x.min_us)
    };
    let mut off: Vec<Option<i64>> = vec![None; n];
    let mut out: Vec<Offset> = (0..n)
        .map(|_| Offset {
            us: 0,
            bounds: None,
        })
        .collect();
    // Spread from each monitor not yet reached (monitor 0 first).
    for root in 0..n {
        if off[root].is_some() {
            continue;
        }
        off[root] = Some(0);
        let mut queue = vec![root];
        while let Some(a) = queue.pop() {
            let oa = off[a].unwrap_or(0);
            for b in 0..n {
                if off[b].is_some() {
                    continue;
                }
                // off_b - off_a within [-m_ba, m_ab].
                let d = match (m(a, b), m(b, a)) {
                    (Some(ab), Some(ba)) => {
                        out[b].bounds = Some((oa - ba, oa + ab));
                        (ab - ba).div_euclid(2)
                    }
                    (Some(ab), None) => ab.min(0),
                    (None, Some(ba)) => (-ba).max(0),
                    (None, None) => continue,
                };
                off[b] = Some(oa + d);
                queue.push(b);
            }
        }
    }
    let mut off: Vec<i64> = off.into_iter().map(|o| o.unwrap_or(0)).collect();
    for _ in 0..n {
        let mut changed = false;
        for b in bounds {
            if off[b.to] - off[b.from] > b.min_us {
                off[b.to] = off[b.from] + b.min_us;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    for (o, us) in out.iter_mut().zip(off) {
        o.us = us;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clock_ahead_is_found_between_its_least_latencies_both_ways() {
        // b's clock is 300 ms ahead; latency 1 ms one way, 3 ms the other.
        let b = [
            Bound {
                from: 0,
                to: 1,
                min_us: 301_000,
            },
            Bound {
                from: 1,
                to: 0,
                min_us: -297_000,
            },
        ];
        let o = estimate(2, &b);
        assert_eq!(o[0].us, 0);
        assert_eq!(o[1].us, 299_000);
        assert_eq!(o[1].bounds, Some((297_000, 301_000)));
    }

    #[test]
    fn every_bound_holds_after_the_estimate() {
        // Three monitors whose pairwise midpoints disagree around the cycle.
        let b = [
            Bound {
                from: 0,
                to: 1,
                min_us: 10,
            },
            Bound {
                from: 1,
                to: 0,
                min_us: 10,
            },
            Bound {
                from: 1,
                to: 2,
                min_us: 10,
            },
            Bound {
                from: 2,
                to: 1,
                min_us: 10,
            },
            Bound {
                from: 0,
                to: 2,
                min_us: -5,
            },
            Bound {
                from: 2,
                to: 0,
                min_us: 30,
            },
        ];
        let o = estimate(3, &b);
        for x in &b {
            assert!(o[x.to].us - o[x.from].us <= x.min_us, "{x:?} {o:?}");
        }
    }
}
