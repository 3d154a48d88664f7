//! A small, fast LZ77 byte compressor for the trace's blocks (src/packed.rs):
//! the one-hour run's binary trace is 308 MB, mostly repeats (a store
//! transaction repeats its paxos value and key names, pings their
//! reports), and the page keeps it compressed. Greedy matching on a hash
//! of four bytes, as LZ4 does; speed over ratio, since the simulation
//! worker compresses every event once. Share links use DEFLATE
//! (`scenario::deflate`), slower and tighter.
//!
//! The stream: repeated (literal count, literals, match length − MIN,
//! distance back), every number LEB128, ending after some literals.

/// The shortest match written.
const MIN: usize = 4;
/// The longest: a match is at least three bytes of the stream, so a stream
/// inflates at most about 22,000 times, whatever length its chunk claims
/// (a damaged one cannot ask for gigabytes in a few bytes).
const MAX: usize = 1 << 16;
/// Bytes reserved up front per byte of the stream (the trace's blocks
/// inflate about six times); the rest, if any, as it comes.
const RESERVE: usize = 16;
/// Hash table: 2^BITS positions.
const BITS: u32 = 13;

fn uleb(out: &mut Vec<u8>, mut v: usize) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn read_uleb(b: &[u8], at: &mut usize) -> Option<usize> {
    let mut v = 0usize;
    for shift in (0..usize::BITS).step_by(7) {
        let byte = *b.get(*at)?;
        *at += 1;
        v |= ((byte & 0x7f) as usize).checked_shl(shift)?;
        if byte < 0x80 {
            return Some(v);
        }
    }
    None
}

fn word(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

/// `data`, compressed, appended to `out`.
pub fn compress(data: &[u8], out: &mut Vec<u8>) {
    let mut table = vec![0u32; 1 << BITS];
    let (mut i, mut lit) = (0, 0);
    while i + MIN <= data.len() {
        let w = word(data, i);
        let h = (w.wrapping_mul(2_654_435_761) >> (32 - BITS)) as usize;
        // Positions are stored plus one: 0 is an empty slot.
        let cand = table[h] as usize;
        table[h] = i as u32 + 1;
        if cand == 0 || word(data, cand - 1) != w {
            i += 1;
            continue;
        }
        let from = cand - 1;
        let mut len = MIN;
        // Eight bytes at a time, then the last few.
        while i + len + 8 <= data.len() && len < MAX {
            let a = u64::from_le_bytes(
                data[from + len..from + len + 8]
                    .try_into()
                    .unwrap_or([0; 8]),
            );
            let b = u64::from_le_bytes(data[i + len..i + len + 8].try_into().unwrap_or([0; 8]));
            if a != b {
                len += ((a ^ b).trailing_zeros() / 8) as usize;
                break;
            }
            len += 8;
        }
        if i + len + 8 > data.len() {
            while i + len < data.len() && data[from + len] == data[i + len] {
                len += 1;
            }
        }
        let len = len.min(MAX);
        uleb(out, i - lit);
        out.extend_from_slice(&data[lit..i]);
        uleb(out, len - MIN);
        uleb(out, i - from);
        i += len;
        lit = i;
    }
    uleb(out, data.len() - lit);
    out.extend_from_slice(&data[lit..]);
}

/// What [`compress`] wrote in `b`, expected to be `len` bytes; None if it
/// is not such a stream.
pub fn decompress(b: &[u8], len: usize) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(len.min(b.len().saturating_mul(RESERVE)));
    let mut at = 0;
    loop {
        let lit = read_uleb(b, &mut at)?;
        let end = at.checked_add(lit)?;
        if out.len() + lit > len {
            return None;
        }
        out.extend_from_slice(b.get(at..end)?);
        at = end;
        if at == b.len() {
            return (out.len() == len).then_some(out);
        }
        let n = read_uleb(b, &mut at)?.checked_add(MIN)?;
        let dist = read_uleb(b, &mut at)?;
        if dist == 0 || dist > out.len() || n > MAX || out.len() + n > len {
            return None;
        }
        let from = out.len() - dist;
        if dist >= n {
            out.extend_from_within(from..from + n);
        } else {
            // Byte by byte: the match overlaps what it copies.
            for k in 0..n {
                out.push(out[from + k]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(data: &[u8]) -> usize {
        let mut packed = Vec::new();
        compress(data, &mut packed);
        assert_eq!(decompress(&packed, data.len()).as_deref(), Some(data));
        packed.len()
    }

    #[test]
    fn what_is_compressed_decompresses_to_itself() {
        assert_eq!(round_trip(b""), 1);
        round_trip(b"abc");
        round_trip(b"abcdabcdabcdabcdabcdx");
        // Repeats shrink; noise survives.
        let text = b"paxos begin v42 store logm full 17 ".repeat(300);
        assert!(round_trip(&text) < text.len() / 20);
        let mut x = 12_345u32;
        let noise: Vec<u8> = (0..20_000)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                (x >> 16) as u8
            })
            .collect();
        round_trip(&noise);
    }

    #[test]
    fn a_damaged_stream_is_refused_not_a_panic() {
        let data = b"monitor a calls an election, monitor a calls an election".repeat(20);
        let mut packed = Vec::new();
        compress(&data, &mut packed);
        assert!(decompress(&packed, data.len() + 1).is_none());
        assert!(decompress(&packed[..packed.len() / 2], data.len()).is_none());
        for i in 0..packed.len() {
            let mut bad = packed.clone();
            bad[i] ^= 0x5a;
            // Wrong or refused, never a panic or a runaway allocation.
            let _ = decompress(&bad, data.len());
        }
        assert!(decompress(&[0xff; 12], 10).is_none());
    }

    #[test]
    fn a_length_past_what_the_stream_can_hold_reserves_nothing_and_is_refused() {
        // Claimed lengths of a damaged chunk header: nothing reserved for
        // them (a terabyte natively, or all of wasm's 4 GB, would abort the
        // page), and refused when short.
        assert!(decompress(&[0], usize::MAX / 2).is_none());
        assert!(decompress(&[3, b'a', b'b', b'c'], usize::MAX).is_none());
        // A match longer than any written: refused, not inflated.
        let mut bomb = vec![1, b'a'];
        uleb(&mut bomb, 1 << 30);
        uleb(&mut bomb, 1);
        bomb.push(0);
        assert!(decompress(&bomb, (1 << 30) + 1).is_none());
        // Long runs are written as matches of at most MAX, and read back.
        let run = vec![7u8; 5 * MAX + 3];
        assert!(round_trip(&run) < 40);
        // Random damage to every byte of a stream of many matches.
        let mut r = 0x9e37_79b9u32;
        let mut next = || {
            r ^= r << 13;
            r ^= r >> 17;
            r ^= r << 5;
            r
        };
        let data = b"lease_ack paxos 12 accept 12 lease_ack paxos 13 ".repeat(200);
        let mut packed = Vec::new();
        compress(&data, &mut packed);
        for _ in 0..5_000 {
            let mut bad = packed.clone();
            for _ in 0..=next() % 3 {
                let i = next() as usize % bad.len();
                bad[i] = next() as u8;
            }
            let len = [data.len(), next() as usize, usize::MAX][next() as usize % 3];
            if let Some(out) = decompress(&bad, len) {
                assert_eq!(out.len(), len);
            }
        }
    }
}
