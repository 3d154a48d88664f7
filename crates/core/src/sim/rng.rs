//! The run's one source of chance: PCG32 (XSH RR), seeded by the scenario.
//! Only the simulator draws from it, and only as u32/u64, never usize or
//! floats, so a seed means the same run natively and in wasm.

#[derive(Clone, Debug)]
pub struct Pcg32 {
    state: u64,
    inc: u64,
}

const MULT: u64 = 6364136223846793005;

impl Pcg32 {
    pub fn new(seed: u64) -> Self {
        // The reference seeding routine (pcg32_srandom_r) with a fixed stream.
        let mut r = Pcg32 {
            state: 0,
            inc: (0xda3e_39cb_94b9_5bdb_u64 << 1) | 1,
        };
        r.next_u32();
        r.state = r.state.wrapping_add(seed);
        r.next_u32();
        r
    }

    pub fn next_u32(&mut self) -> u32 {
        let old = self.state;
        self.state = old.wrapping_mul(MULT).wrapping_add(self.inc);
        let xorshifted = (((old >> 18) ^ old) >> 27) as u32;
        let rot = (old >> 59) as u32;
        xorshifted.rotate_right(rot)
    }

    pub fn next_u64(&mut self) -> u64 {
        ((self.next_u32() as u64) << 32) | self.next_u32() as u64
    }

    /// A uniform draw in [lo, hi] (inclusive), without modulo bias.
    pub fn range_inclusive(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        let span = hi - lo;
        if span == u64::MAX {
            return self.next_u64();
        }
        let n = span + 1;
        loop {
            let v = self.next_u64();
            // Accepted up to the zone `MAX - MAX % n - 1`. Since `MAX % n < n`,
            // every `v <= MAX - n` is inside it: the zone's own remainder (a
            // 64-bit division, a message's latency draws one) is worked out
            // only for the rare draw above that.
            if v <= u64::MAX - n || v < u64::MAX - (u64::MAX % n) {
                return lo + v % n;
            }
        }
    }

    /// True with probability `ppb` parts per billion.
    pub fn chance_ppb(&mut self, ppb: u32) -> bool {
        ppb > 0 && self.range_inclusive(0, 999_999_999) < ppb as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence_and_ranges_hold() {
        let mut a = Pcg32::new(7);
        let mut b = Pcg32::new(7);
        for _ in 0..100 {
            assert_eq!(a.next_u32(), b.next_u32());
        }
        let mut c = Pcg32::new(8);
        assert_ne!(Pcg32::new(7).next_u64(), c.next_u64());
        for _ in 0..1000 {
            let v = a.range_inclusive(2000, 10000);
            assert!((2000..=10000).contains(&v));
        }
        assert!(!a.chance_ppb(0));
        assert!(a.chance_ppb(1_000_000_000));
    }

    /// The draws a seed gives are the seed's for good (digests and share
    /// links replay them): the same as rejecting above the zone
    /// `MAX - MAX % n - 1` outright, for small spans and for spans where
    /// half the draws are rejected.
    #[test]
    fn range_draws_are_the_zones_rejection_sampling() {
        fn zone_draw(r: &mut Pcg32, lo: u64, hi: u64) -> u64 {
            let n = hi - lo + 1;
            let zone = u64::MAX - (u64::MAX % n) - 1;
            loop {
                let v = r.next_u64();
                if v <= zone {
                    return lo + v % n;
                }
            }
        }
        for (lo, hi) in [
            (2000, 10000),
            (0, 999_999_999),
            (5, 6),
            (0, 1 << 63),
            (1, u64::MAX - 1),
            (0, (u64::MAX / 3) * 2),
        ] {
            let (mut a, mut b) = (Pcg32::new(11), Pcg32::new(11));
            for _ in 0..2000 {
                assert_eq!(a.range_inclusive(lo, hi), zone_draw(&mut b, lo, hi));
            }
        }
    }
}
