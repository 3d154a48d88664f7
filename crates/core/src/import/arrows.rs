//! Messages between monitors matched from their send line (`-->`) in the
//! sender's log to their receive line (`<==`) in the receiver's.
//!
//! A message's printed form is the key (sender, receiver, text): the text
//! carries its type, op and versions, but repeats (a lease ack while nothing
//! commits). Messages between two monitors travel on one connection, in
//! order, so the receives of one key are matched in order, each to the
//! latest send not yet matched that precedes it once clocks are corrected;
//! a send skipped over was lost (a cut, a dead peer, a reset connection).

use std::collections::BTreeMap;

/// A send or a receive: (sender, receiver, wall µs on its writer's clock, text).
pub type End<'a> = (usize, usize, i64, &'a str);

#[derive(Clone, Debug, PartialEq)]
pub struct Arrow<'a> {
    pub from: usize,
    pub to: usize,
    /// On the sender's and the receiver's own clocks.
    pub send_wall: i64,
    pub recv_wall: i64,
    pub text: &'a str,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Matched<'a> {
    pub arrows: Vec<Arrow<'a>>,
    pub unreceived: usize,
    pub unsent: usize,
    /// The sends never received: (sender, receiver, send wall µs).
    pub lost: Vec<(usize, usize, i64)>,
}

type Groups<'a> = BTreeMap<(usize, usize, &'a str), (Vec<i64>, Vec<i64>)>;

fn group<'a>(sends: &[End<'a>], recvs: &[End<'a>]) -> Groups<'a> {
    let mut g: Groups = BTreeMap::new();
    for &(f, t, w, m) in sends {
        g.entry((f, t, m)).or_default().0.push(w);
    }
    for &(f, t, w, m) in recvs {
        g.entry((f, t, m)).or_default().1.push(w);
    }
    for (s, r) in g.values_mut() {
        s.sort_unstable();
        r.sort_unstable();
    }
    g
}

/// Matches that hold whatever the clocks, for estimating them: the texts
/// sent as often as they were received on their link, paired in order
/// (none of them lost, so the n-th receive is the n-th send).
pub fn sure_pairs(sends: &[End], recvs: &[End]) -> Vec<(usize, usize, i64, i64)> {
    group(sends, recvs)
        .into_iter()
        .filter(|(_, (s, r))| s.len() == r.len())
        .flat_map(|((f, t, _), (s, r))| s.into_iter().zip(r).map(move |(s, r)| (f, t, s, r)))
        .collect()
}

/// Match every receive, with clock offsets `off` (µs, per monitor).
pub fn match_all<'a>(sends: &[End<'a>], recvs: &[End<'a>], off: &[i64]) -> Matched<'a> {
    let mut out = Matched::default();
    for ((from, to, text), (s, r)) in group(sends, recvs) {
        let sc: Vec<i64> = s.iter().map(|w| w - off[from]).collect();
        let mut next = 0;
        for &rw in &r {
            let rc = rw - off[to];
            // The latest unmatched send at or before the receive.
            let upto = next + sc[next..].partition_point(|&x| x <= rc);
            if upto == next {
                out.unsent += 1;
                continue;
            }
            let j = upto - 1;
            out.unreceived += j - next;
            out.lost.extend(s[next..j].iter().map(|&w| (from, to, w)));
            out.arrows.push(Arrow {
                from,
                to,
                send_wall: s[j],
                recv_wall: rw,
                text,
            });
            next = j + 1;
        }
        out.unreceived += s.len() - next;
        out.lost.extend(s[next..].iter().map(|&w| (from, to, w)));
    }
    out.lost.sort_by_key(|&(f, _, w)| w - off[f]);
    out.arrows
        .sort_by_key(|a| (a.send_wall - off[a.from], a.from, a.to));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEASE: &str = "paxos(lease_ack lc 5 fc 1 pn 0 opn 0) v4";

    #[test]
    fn a_lost_repeat_is_skipped_not_matched_late() {
        // Three identical lease acks sent at 0, 2 s and 4 s; the one of 2 s
        // is lost; the others arrive 1 ms later.
        let sends = [
            (1, 0, 0, LEASE),
            (1, 0, 2_000_000, LEASE),
            (1, 0, 4_000_000, LEASE),
        ];
        let recvs = [(1, 0, 1_000, LEASE), (1, 0, 4_001_000, LEASE)];
        let m = match_all(&sends, &recvs, &[0, 0]);
        let pairs: Vec<(i64, i64)> = m
            .arrows
            .iter()
            .map(|a| (a.send_wall, a.recv_wall))
            .collect();
        assert_eq!(pairs, [(0, 1_000), (4_000_000, 4_001_000)]);
        assert_eq!(m.unreceived, 1);
        assert_eq!(m.unsent, 0);
    }

    #[test]
    fn a_receive_before_every_send_is_unsent() {
        let m = match_all(&[(0, 1, 5_000, LEASE)], &[(0, 1, 1_000, LEASE)], &[0, 0]);
        assert!(m.arrows.is_empty());
        assert_eq!((m.unsent, m.unreceived), (1, 1));
    }
}
