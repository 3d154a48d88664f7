//! `memcmp` a word at a time, the one wasm links (the page's and the
//! `wasm32-wasip1` CLI's): compiler_builtins' and wasi-libc's compare a byte
//! at a time, and every `==` of strings, byte slices and integer slices
//! (the store's keys, the properties' keys, a status's names) calls it.
//! Natively libc's is vectorized already; there [`compare`] only runs in
//! the tests.

/// `memcmp(a, b, n)`: the difference of the first bytes that differ, or 0.
/// Eight bytes at a time, the last word overlapping the one before (its
/// bytes that overlap are equal); the first differing byte of a word is
/// its lowest differing one (wasm is little-endian, as the tests' targets).
///
/// # Safety
/// `a` and `b` are readable for `n` bytes.
#[inline(always)]
pub unsafe fn compare(a: *const u8, b: *const u8, n: usize) -> i32 {
    let byte = |i: usize| i32::from(*a.add(i)) - i32::from(*b.add(i));
    if n >= 8 {
        let word = |p: *const u8, i: usize| p.add(i).cast::<u64>().read_unaligned();
        let mut i = 0;
        while i < n {
            let at = i.min(n - 8);
            let x = word(a, at) ^ word(b, at);
            if x != 0 {
                return byte(at + x.trailing_zeros() as usize / 8);
            }
            i = at + 8;
        }
        return 0;
    }
    if n >= 4 {
        let word = |p: *const u8, i: usize| p.add(i).cast::<u32>().read_unaligned();
        for at in [0, n - 4] {
            let x = word(a, at) ^ word(b, at);
            if x != 0 {
                return byte(at + x.trailing_zeros() as usize / 8);
            }
        }
        return 0;
    }
    for i in 0..n {
        if *a.add(i) != *b.add(i) {
            return byte(i);
        }
    }
    0
}

/// The symbol: defined here, it takes the place of the library's. Not
/// inlined: LTO would otherwise copy it into its 400 callers. A third of
/// the benchmark's calls compare bytes with themselves (the same static
/// name, the same shared string): those are equal without a load.
///
/// # Safety
/// As [`compare`].
#[cfg(target_arch = "wasm32")]
#[no_mangle]
#[inline(never)]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    if a == b {
        return 0;
    }
    compare(a, b, n)
}

#[cfg(test)]
mod tests {
    use super::compare;

    fn sign(x: i32) -> i32 {
        x.signum()
    }

    #[test]
    fn compare_orders_as_slices_do() {
        // Every length to 40, a byte larger or smaller at every position.
        for n in 0..40usize {
            let a: Vec<u8> = (0..n as u8)
                .map(|i| i.wrapping_mul(37).wrapping_add(3))
                .collect();
            // SAFETY: both slices hold n bytes.
            assert_eq!(unsafe { compare(a.as_ptr(), a.clone().as_ptr(), n) }, 0);
            for at in 0..n {
                for d in [1u8, 0x80, 0xff] {
                    let mut b = a.clone();
                    b[at] = b[at].wrapping_add(d);
                    let want = i32::from(a[at]) - i32::from(b[at]);
                    // SAFETY: both slices hold n bytes.
                    let got = unsafe { compare(a.as_ptr(), b.as_ptr(), n) };
                    assert_eq!(got, want, "length {n}, byte {at}");
                    assert_eq!(sign(got), a.cmp(&b) as i32);
                    // A later difference does not matter.
                    if at + 1 < n {
                        b[n - 1] ^= 0x55;
                        // SAFETY: as above.
                        let got = unsafe { compare(a.as_ptr(), b.as_ptr(), n) };
                        assert_eq!(got, want, "length {n}, byte {at}, and the last");
                    }
                }
            }
        }
    }
}
