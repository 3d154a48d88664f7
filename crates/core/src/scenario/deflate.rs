//! Raw DEFLATE (RFC 1951) for share links, written for size: miniz_oxide's
//! compressor and decompressor were 16 kB of the page's gzipped transfer
//! (docs/performance.md, "Transfer"); this encoder and [`super::inflate`]
//! are about 3 kB of wasm. Pure integer code, so the CLI and the browser
//! produce the same link for the same text.
//!
//! One block: LZ77 with hash chains and zlib's lazy matching, then whichever
//! of the fixed and a dynamic Huffman code is shorter (scenario texts come out
//! within a few bytes of zlib -9).

/// Base length and extra bits of length codes 257..=285.
pub(super) const LEN_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
pub(super) const LEN_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
/// Base distance and extra bits of distance codes 0..=29.
pub(super) const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
pub(super) const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];
/// The order in which a dynamic block sends the code-length code's lengths.
pub(super) const CL_ORDER: [usize; 19] = [
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
];

/// The fixed Huffman code's lengths: 288 literal/length codes, then 30 distance codes.
pub(super) fn fixed_lengths() -> [u8; 318] {
    let mut l = [5u8; 318];
    for (i, x) in l.iter_mut().enumerate().take(288) {
        *x = match i {
            0..=143 => 8,
            144..=255 => 9,
            256..=279 => 7,
            _ => 8,
        };
    }
    l
}

const WINDOW: usize = 32 * 1024;
const MIN_MATCH: usize = 3;
const MAX_MATCH: usize = 258;
/// Candidates tried per position: zlib -9 tries 4096; 256 makes the built-in
/// scenarios' links no longer and bounds the work on a pathological text (64 KiB
/// of random `a`/`b`: a third of the time 1024 took, 1.5% larger).
const MAX_CHAIN: usize = 256;
const HASH_BITS: u32 = 15;

/// A literal byte, or a (length, distance) copy.
#[derive(Clone, Copy)]
enum Token {
    Lit(u8),
    Copy(u16, u16),
}

/// `data` as one final raw DEFLATE block.
pub fn compress(data: &[u8]) -> Vec<u8> {
    let tokens = lz77(data);
    let mut lit = [0u32; 286];
    let mut dist = [0u32; 30];
    lit[256] = 1;
    for t in &tokens {
        if let Token::Copy(l, d) = *t {
            lit[257 + code_of(&LEN_BASE, l)] += 1;
            dist[code_of(&DIST_BASE, d)] += 1;
        } else if let Token::Lit(b) = *t {
            lit[b as usize] += 1;
        }
    }
    let fixed = fixed_lengths();
    let (fixed_lit, fixed_dist) = fixed.split_at(288);
    let dyn_lit = huffman_lengths(&lit, 15);
    let dyn_dist = huffman_lengths(&dist, 15);
    let header = dynamic_header(&dyn_lit, &dyn_dist);
    let cost = |ll: &[u8], dl: &[u8]| -> u64 {
        let mut bits = 0u64;
        for (i, &f) in lit.iter().enumerate() {
            let extra = if i > 256 { LEN_EXTRA[i - 257] } else { 0 };
            bits += f as u64 * (ll[i] + extra) as u64;
        }
        for (i, &f) in dist.iter().enumerate() {
            bits += f as u64 * (dl[i] + DIST_EXTRA[i]) as u64;
        }
        bits
    };
    let mut w = BitWriter::default();
    w.put(1, 1); // BFINAL
    if cost(&dyn_lit, &dyn_dist) + header.bits < cost(fixed_lit, fixed_dist) {
        w.put(2, 2);
        header.write(&mut w);
        emit(&mut w, &tokens, &dyn_lit, &dyn_dist);
    } else {
        w.put(1, 2);
        emit(&mut w, &tokens, fixed_lit, fixed_dist);
    }
    w.finish()
}

/// The index of the code whose base is the largest not above `v`.
fn code_of(bases: &[u16], v: u16) -> usize {
    bases.iter().rposition(|&b| b <= v).unwrap_or(0)
}

fn hash(data: &[u8], i: usize) -> usize {
    let v = u32::from(data[i]) << 16 | u32::from(data[i + 1]) << 8 | u32::from(data[i + 2]);
    (v.wrapping_mul(0x9E37_79B1) >> (32 - HASH_BITS)) as usize
}

/// Greedy matching with zlib's one-step lazy evaluation: a match is taken
/// unless the next position starts a longer one.
fn lz77(data: &[u8]) -> Vec<Token> {
    let n = data.len();
    let mut head = vec![u32::MAX; 1 << HASH_BITS];
    let mut prev = vec![u32::MAX; n];
    let mut inserted = 0;
    let mut insert_to = |upto: usize, head: &mut Vec<u32>, prev: &mut Vec<u32>| {
        while inserted < upto && inserted + MIN_MATCH <= n {
            let h = hash(data, inserted);
            prev[inserted] = head[h];
            head[h] = inserted as u32;
            inserted += 1;
        }
    };
    let longest = |i: usize, head: &Vec<u32>, prev: &Vec<u32>| -> (usize, usize) {
        if i + MIN_MATCH > n {
            return (0, 0);
        }
        let max = (n - i).min(MAX_MATCH);
        let (mut best, mut best_d) = (0, 0);
        let mut cand = head[hash(data, i)];
        let mut chain = MAX_CHAIN;
        while cand != u32::MAX && chain > 0 {
            let c = cand as usize;
            if i - c > WINDOW {
                break;
            }
            if data[c + best] == data[i + best] || best == 0 {
                let len = data[c..c + max]
                    .iter()
                    .zip(&data[i..i + max])
                    .take_while(|(a, b)| a == b)
                    .count();
                if len > best {
                    (best, best_d) = (len, i - c);
                    if len == max {
                        break;
                    }
                }
            }
            cand = prev[c];
            chain -= 1;
        }
        if best >= MIN_MATCH {
            (best, best_d)
        } else {
            (0, 0)
        }
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        insert_to(i, &mut head, &mut prev);
        let (len, d) = longest(i, &head, &prev);
        if len > 0 && len < MAX_MATCH && i + 1 < n {
            insert_to(i + 1, &mut head, &mut prev);
            if longest(i + 1, &head, &prev).0 > len {
                out.push(Token::Lit(data[i]));
                i += 1;
                continue;
            }
        }
        if len > 0 {
            out.push(Token::Copy(len as u16, d as u16));
            i += len;
        } else {
            out.push(Token::Lit(data[i]));
            i += 1;
        }
    }
    out
}

/// Huffman code lengths for `freq`, none longer than `limit`: frequencies are
/// halved until the tree fits. At least two symbols get a code, as zlib does,
/// so every code is complete.
pub(super) fn huffman_lengths(freq: &[u32], limit: u8) -> Vec<u8> {
    let mut f: Vec<u32> = freq.to_vec();
    let mut used = f.iter().filter(|&&x| x > 0).count();
    for x in f.iter_mut() {
        if used >= 2 {
            break;
        }
        if *x == 0 {
            *x = 1;
            used += 1;
        }
    }
    loop {
        // (weight, node); leaves are 0..n, internal nodes after; parent links.
        let n = f.len();
        let mut weight: Vec<u64> = f.iter().map(|&x| x as u64).collect();
        let mut parent = vec![usize::MAX; n];
        let mut live: Vec<usize> = (0..n).filter(|&i| f[i] > 0).collect();
        while live.len() > 1 {
            let mut pick = || {
                let k = (0..live.len()).min_by_key(|&k| (weight[live[k]], live[k]));
                live.swap_remove(k.unwrap_or(0))
            };
            let (a, b) = (pick(), pick());
            let node = weight.len();
            weight.push(weight[a] + weight[b]);
            parent.push(usize::MAX);
            parent[a] = node;
            parent[b] = node;
            live.push(node);
        }
        let lengths: Vec<u8> = (0..n)
            .map(|i| {
                let (mut d, mut p) = (0u8, i);
                while f[i] > 0 && parent[p] != usize::MAX {
                    (d, p) = (d.saturating_add(1), parent[p]);
                }
                d
            })
            .collect();
        if lengths.iter().all(|&l| l <= limit) {
            return lengths;
        }
        for x in f.iter_mut().filter(|x| **x > 0) {
            *x = (*x >> 1).max(1);
        }
    }
}

/// Canonical codes (RFC 1951 3.2.2), bit-reversed for LSB-first output.
fn codes(lengths: &[u8]) -> Vec<u16> {
    let mut count = [0u16; 16];
    for &l in lengths {
        count[l as usize] += 1;
    }
    count[0] = 0;
    let mut next = [0u16; 16];
    for b in 1..16 {
        next[b] = (next[b - 1] + count[b - 1]) << 1;
    }
    lengths
        .iter()
        .map(|&l| {
            if l == 0 {
                return 0;
            }
            let c = next[l as usize];
            next[l as usize] += 1;
            c.reverse_bits() >> (16 - l)
        })
        .collect()
}

/// A dynamic block's header: the code lengths, run-length coded.
struct Header {
    hlit: usize,
    hdist: usize,
    hclen: usize,
    cl_lengths: Vec<u8>,
    /// (symbol 0..=18, extra bits value)
    runs: Vec<(u8, u8)>,
    bits: u64,
}

fn dynamic_header(lit: &[u8], dist: &[u8]) -> Header {
    let hlit = 257.max(lit.iter().rposition(|&l| l > 0).map_or(0, |p| p + 1));
    let hdist = 1.max(dist.iter().rposition(|&l| l > 0).map_or(0, |p| p + 1));
    let all: Vec<u8> = lit[..hlit].iter().chain(&dist[..hdist]).copied().collect();
    let mut runs = Vec::new();
    let mut i = 0;
    while i < all.len() {
        let v = all[i];
        let run = all[i..].iter().take_while(|&&x| x == v).count();
        if v == 0 && run >= 11 {
            let r = run.min(138);
            runs.push((18, (r - 11) as u8));
            i += r;
        } else if v == 0 && run >= 3 {
            runs.push((17, (run - 3) as u8));
            i += run;
        } else if v != 0 && run >= 4 {
            runs.push((v, 0));
            let r = (run - 1).min(6);
            runs.push((16, (r - 3) as u8));
            i += 1 + r;
        } else {
            runs.push((v, 0));
            i += 1;
        }
    }
    let mut freq = [0u32; 19];
    for &(s, _) in &runs {
        freq[s as usize] += 1;
    }
    let cl_lengths = huffman_lengths(&freq, 7);
    let hclen = 4.max(
        CL_ORDER
            .iter()
            .rposition(|&s| cl_lengths[s] > 0)
            .map_or(0, |p| p + 1),
    );
    let extra = |s: u8| match s {
        16 => 2,
        17 => 3,
        18 => 7,
        _ => 0,
    };
    let bits = 14
        + 3 * hclen as u64
        + runs
            .iter()
            .map(|&(s, _)| (cl_lengths[s as usize] + extra(s)) as u64)
            .sum::<u64>();
    Header {
        hlit,
        hdist,
        hclen,
        cl_lengths,
        runs,
        bits,
    }
}

impl Header {
    fn write(&self, w: &mut BitWriter) {
        w.put((self.hlit - 257) as u32, 5);
        w.put((self.hdist - 1) as u32, 5);
        w.put((self.hclen - 4) as u32, 4);
        for &s in &CL_ORDER[..self.hclen] {
            w.put(self.cl_lengths[s] as u32, 3);
        }
        let cl_codes = codes(&self.cl_lengths);
        for &(s, x) in &self.runs {
            w.put(cl_codes[s as usize] as u32, self.cl_lengths[s as usize]);
            match s {
                16 => w.put(x as u32, 2),
                17 => w.put(x as u32, 3),
                18 => w.put(x as u32, 7),
                _ => {}
            }
        }
    }
}

fn emit(w: &mut BitWriter, tokens: &[Token], lit_len: &[u8], dist_len: &[u8]) {
    let (lc, dc) = (codes(lit_len), codes(dist_len));
    for t in tokens {
        match *t {
            Token::Lit(b) => w.put(lc[b as usize] as u32, lit_len[b as usize]),
            Token::Copy(l, d) => {
                let i = code_of(&LEN_BASE, l);
                w.put(lc[257 + i] as u32, lit_len[257 + i]);
                w.put((l - LEN_BASE[i]) as u32, LEN_EXTRA[i]);
                let j = code_of(&DIST_BASE, d);
                w.put(dc[j] as u32, dist_len[j]);
                w.put((d - DIST_BASE[j]) as u32, DIST_EXTRA[j]);
            }
        }
    }
    w.put(lc[256] as u32, lit_len[256]);
}

#[derive(Default)]
struct BitWriter {
    out: Vec<u8>,
    acc: u32,
    n: u8,
}

impl BitWriter {
    /// The low `bits` bits of `v`, least significant first.
    fn put(&mut self, v: u32, bits: u8) {
        self.acc |= v << self.n;
        self.n += bits;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}
