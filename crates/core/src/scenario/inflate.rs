//! Raw DEFLATE decoding (RFC 1951) for share links: stored, fixed and dynamic
//! blocks, so a link from any compressor opens (the spec asks for that), with
//! the output bounded so a hostile link cannot make it allocate more. Canonical
//! Huffman codes are decoded a bit at a time, as zlib's `puff` does: links are
//! a few kilobytes, and this is the smallest code.

use super::deflate::{fixed_lengths, CL_ORDER, DIST_BASE, DIST_EXTRA, LEN_BASE, LEN_EXTRA};

#[derive(Debug, PartialEq, Eq)]
pub enum InflateError {
    /// Not valid DEFLATE data, or cut short.
    Bad,
    /// It inflates past the limit.
    TooLarge,
}

use InflateError::{Bad, TooLarge};

/// The bytes `data` inflates to, if at most `limit` of them.
pub fn decompress(data: &[u8], limit: usize) -> Result<Vec<u8>, InflateError> {
    let mut r = BitReader {
        data,
        pos: 0,
        acc: 0,
        n: 0,
    };
    let mut out = Vec::new();
    loop {
        let last = r.bits(1)?;
        match r.bits(2)? {
            0 => {
                (r.acc, r.n) = (0, 0); // to a byte boundary
                let len = r.bits(16)? as usize;
                if r.bits(16)? as usize != !len & 0xffff {
                    return Err(Bad);
                }
                let bytes = data.get(r.pos..r.pos + len).ok_or(Bad)?;
                if out.len() + len > limit {
                    return Err(TooLarge);
                }
                out.extend_from_slice(bytes);
                r.pos += len;
            }
            1 => {
                let l = fixed_lengths();
                codes(
                    &mut r,
                    &mut out,
                    limit,
                    &Code::new(&l[..288])?,
                    &Code::new(&l[288..])?,
                )?;
            }
            2 => {
                let hlit = r.bits(5)? as usize + 257;
                let hdist = r.bits(5)? as usize + 1;
                let hclen = r.bits(4)? as usize + 4;
                let mut cl = [0u8; 19];
                for &s in &CL_ORDER[..hclen] {
                    cl[s] = r.bits(3)? as u8;
                }
                let cl = Code::new(&cl)?;
                let mut lengths = Vec::with_capacity(hlit + hdist);
                while lengths.len() < hlit + hdist {
                    let (v, times) = match cl.decode(&mut r)? {
                        s @ 0..=15 => (s as u8, 1),
                        16 => (*lengths.last().ok_or(Bad)?, 3 + r.bits(2)?),
                        17 => (0, 3 + r.bits(3)?),
                        _ => (0, 11 + r.bits(7)?),
                    };
                    if lengths.len() + times as usize > hlit + hdist {
                        return Err(Bad);
                    }
                    lengths.extend(std::iter::repeat_n(v, times as usize));
                }
                if lengths[256] == 0 {
                    return Err(Bad); // no end-of-block code
                }
                let (lit, dist) = lengths.split_at(hlit);
                codes(&mut r, &mut out, limit, &Code::new(lit)?, &Code::new(dist)?)?;
            }
            _ => return Err(Bad),
        }
        if last == 1 {
            return Ok(out);
        }
    }
}

/// One Huffman-coded block's symbols, up to its end-of-block code.
fn codes(
    r: &mut BitReader,
    out: &mut Vec<u8>,
    limit: usize,
    lit: &Code,
    dist: &Code,
) -> Result<(), InflateError> {
    loop {
        let s = lit.decode(r)? as usize;
        if s < 256 {
            if out.len() >= limit {
                return Err(TooLarge);
            }
            out.push(s as u8);
        } else if s == 256 {
            return Ok(());
        } else {
            let i = s - 257;
            let len = *LEN_BASE.get(i).ok_or(Bad)? as usize + r.bits(LEN_EXTRA[i])? as usize;
            let j = dist.decode(r)? as usize;
            let d = *DIST_BASE.get(j).ok_or(Bad)? as usize + r.bits(DIST_EXTRA[j])? as usize;
            if d > out.len() {
                return Err(Bad);
            }
            if out.len() + len > limit {
                return Err(TooLarge);
            }
            for _ in 0..len {
                out.push(out[out.len() - d]);
            }
        }
    }
}

/// A canonical Huffman code: how many codes of each length, and the symbols
/// in code order.
struct Code {
    count: [u16; 16],
    symbols: Vec<u16>,
}

impl Code {
    /// Refuses an over-subscribed set of lengths (an incomplete one is
    /// allowed, as zlib allows a single distance code).
    fn new(lengths: &[u8]) -> Result<Code, InflateError> {
        let mut count = [0u16; 16];
        for &l in lengths {
            count[l as usize] += 1;
        }
        count[0] = 0;
        let mut left: i32 = 1;
        for &c in &count[1..] {
            left = 2 * left - c as i32;
            if left < 0 {
                return Err(Bad);
            }
        }
        let mut symbols = Vec::with_capacity(lengths.len());
        for len in 1..16u8 {
            symbols.extend((0..lengths.len() as u16).filter(|&s| lengths[s as usize] == len));
        }
        Ok(Code { count, symbols })
    }

    fn decode(&self, r: &mut BitReader) -> Result<u16, InflateError> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for &count in &self.count[1..] {
            code |= r.bits(1)? as i32;
            let count = count as i32;
            if code - first < count {
                return self
                    .symbols
                    .get((index + code - first) as usize)
                    .copied()
                    .ok_or(Bad);
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        Err(Bad)
    }
}

struct BitReader<'a> {
    data: &'a [u8],
    /// The next byte not yet in `acc`.
    pos: usize,
    acc: u32,
    n: u8,
}

impl BitReader<'_> {
    /// The next `need` bits (at most 16), least significant first.
    fn bits(&mut self, need: u8) -> Result<u32, InflateError> {
        while self.n < need {
            let b = *self.data.get(self.pos).ok_or(Bad)?;
            self.acc |= u32::from(b) << self.n;
            self.pos += 1;
            self.n += 8;
        }
        let v = self.acc & ((1u32 << need) - 1);
        self.acc >>= need;
        self.n -= need;
        Ok(v)
    }
}
