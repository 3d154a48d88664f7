//! Copies of a few bytes whose count is known only at run time (a store
//! key, a short value, a key's last partial word) done as fixed-size loads
//! and stores. LLVM turns any such copy (`copy_from_slice`,
//! `extend_from_slice`) into a `memcpy`, which in wasm is `memory.copy`,
//! and V8 (node 20's, TurboFan) compiles every `memory.copy` to a call out
//! of the wasm code into C: the hour made about 7.7 M of them, four in five
//! of 8 bytes or fewer (docs/performance.md, "Seventeenth round
//! (`wasmratio5`)"). Natively a short `memcpy` is cheap, and these ran
//! 0.35% more instructions than glibc's: there the plain copies stay (the
//! fixed-size forms are compiled natively for their tests only), except
//! [`word_le`], fewer instructions everywhere (`simspeed18`).

/// `t`'s bytes (at most 8) as a little-endian word, zero above them. The
/// fixed-size loads natively too: there the copy into a word was a call
/// to `memcpy` for every key hashed (`WordHash`), 14 instructions a key more.
#[inline]
pub fn word_le(t: &[u8]) -> u64 {
    fixed::word_le(t)
}

/// `dst[..src.len()]` = `src` (`src` no longer than `dst`, the rest of
/// `dst` zero already, as the inline buffers are).
#[inline]
pub fn copy_into_zeroed(dst: &mut [u8], src: &[u8]) {
    if cfg!(target_arch = "wasm32") {
        fixed::copy_into_zeroed(dst, src)
    } else {
        dst[..src.len()].copy_from_slice(src)
    }
}

/// `b.extend_from_slice(t)`.
#[inline]
pub fn extend(b: &mut Vec<u8>, t: &[u8]) {
    if cfg!(target_arch = "wasm32") {
        fixed::extend(b, t)
    } else {
        b.extend_from_slice(t)
    }
}

/// `b.push(head); b.extend_from_slice(t)`: a packed text's length byte and
/// its bytes (`store_tx.rs`'s `text`), in wasm one check of the room.
#[inline]
pub fn push_extend(b: &mut Vec<u8>, head: u8, t: &[u8]) {
    if cfg!(target_arch = "wasm32") {
        fixed::push_extend(b, head, t)
    } else {
        b.push(head);
        b.extend_from_slice(t)
    }
}

/// The copies as fixed-size loads and stores.
mod fixed {
    /// `t`'s bytes (at most 8) as a little-endian word, zero above them:
    /// two overlapping 4-byte loads, or three single bytes, never a loop.
    #[inline]
    pub fn word_le(t: &[u8]) -> u64 {
        let n = t.len();
        debug_assert!(n <= 8);
        if n >= 4 {
            let lo = u32::from_le_bytes([t[0], t[1], t[2], t[3]]) as u64;
            let hi = u32::from_le_bytes([t[n - 4], t[n - 3], t[n - 2], t[n - 1]]) as u64;
            // The bytes the two loads share are the same bytes in the same place.
            lo | hi << (8 * (n - 4))
        } else if n > 0 {
            t[0] as u64 | (t[n / 2] as u64) << (8 * (n / 2)) | (t[n - 1] as u64) << (8 * (n - 1))
        } else {
            0
        }
    }

    /// `dst[..src.len()]` = `src` (`src` no longer than `dst`; the rest of
    /// `dst` is written only where it is zero already, as the inline buffers
    /// are: up to 8 bytes a whole word of `dst` is written, the bytes above
    /// `src` zero).
    #[inline]
    pub fn copy_into_zeroed(dst: &mut [u8], src: &[u8]) {
        let n = src.len();
        if n <= 8 && dst.len() >= 8 {
            dst[..8].copy_from_slice(&word_le(src).to_le_bytes());
        } else if (8..=16).contains(&n) {
            // Two overlapping words: the bytes they share are the same bytes.
            dst[..8].copy_from_slice(&src[..8]);
            dst[n - 8..n].copy_from_slice(&src[n - 8..]);
        } else {
            dst[..n].copy_from_slice(src);
        }
    }

    /// `b.extend_from_slice(t)`, a short `t` as fixed-size writes into
    /// `b`'s room when it has 16 bytes of it (never grown further than for
    /// `t` alone: a buffer sized exactly stays so). Written in place, not
    /// through a 16-byte `extend_from_slice` and a `truncate`: that was 61
    /// instructions a call in node (the `wasmratio7` round).
    #[inline]
    pub fn extend(b: &mut Vec<u8>, t: &[u8]) {
        let len = b.len();
        if t.len() <= 16 && b.capacity() - len >= 16 {
            // SAFETY: 16 bytes of room after `len`; the length covers
            // only `t`'s bytes, all written.
            unsafe {
                write_short(b.as_mut_ptr().add(len), t);
                b.set_len(len + t.len());
            }
        } else {
            b.extend_from_slice(t);
        }
    }

    /// `b.push(head); b.extend_from_slice(t)`, as [`extend`].
    #[inline]
    pub fn push_extend(b: &mut Vec<u8>, head: u8, t: &[u8]) {
        let len = b.len();
        if t.len() <= 16 && b.capacity() - len >= 17 {
            // SAFETY: 17 bytes of room after `len`; the length covers
            // only `head` and `t`'s bytes, all written.
            unsafe {
                let at = b.as_mut_ptr().add(len);
                at.write(head);
                write_short(at.add(1), t);
                b.set_len(len + 1 + t.len());
            }
        } else {
            b.push(head);
            extend(b, t);
        }
    }

    /// `t` (16 bytes or fewer) at `at`: up to 8 as one word (the bytes
    /// above `t` are written too, zero), 9–16 as two overlapping words.
    ///
    /// # Safety
    /// `at` is writable for 16 bytes.
    #[inline]
    unsafe fn write_short(at: *mut u8, t: &[u8]) {
        let n = t.len();
        debug_assert!(n <= 16);
        let put = |i: usize, w: [u8; 8]| at.add(i).cast::<[u8; 8]>().write_unaligned(w);
        if n <= 8 {
            put(0, word_le(t).to_le_bytes());
        } else {
            // The bytes the two words share are the same bytes.
            let word = |w: &[u8]| <[u8; 8]>::try_from(w).unwrap_or_default();
            put(0, word(&t[..8]));
            put(n - 8, word(&t[n - 8..]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixed::*;

    #[test]
    fn every_short_length_copies_exactly_its_bytes() {
        let src: Vec<u8> = (1..=40).collect();
        for n in 0..=40 {
            let t = &src[..n];
            if n <= 8 {
                let mut w = [0u8; 8];
                w[..n].copy_from_slice(t);
                assert_eq!(word_le(t), u64::from_le_bytes(w), "{n}");
            }
            let mut dst = [0u8; 40];
            copy_into_zeroed(&mut dst, t);
            assert_eq!(&dst[..n], t, "{n}");
            assert!(dst[n..].iter().all(|&x| x == 0), "{n}");
            let mut small = [0u8; 10];
            if n <= 10 {
                copy_into_zeroed(&mut small, t);
                assert_eq!(&small[..n], t);
                assert!(small[n..].iter().all(|&x| x == 0));
            }
            for room in [0, 1, 15, 16, 17, 64] {
                let mut b = Vec::with_capacity(2 + room);
                b.extend_from_slice(&[9u8, 9]);
                let cap = b.capacity();
                extend(&mut b, t);
                assert_eq!(&b[..2], &[9, 9]);
                assert_eq!(&b[2..], t, "{n}");
                if cap >= 2 + n {
                    assert_eq!(b.capacity(), cap, "{n} {room}");
                }
                let mut b = Vec::with_capacity(2 + room);
                b.extend_from_slice(&[9u8, 9]);
                let cap = b.capacity();
                push_extend(&mut b, 7, t);
                assert_eq!(&b[..3], &[9, 9, 7]);
                assert_eq!(&b[3..], t, "{n}");
                if cap >= 3 + n {
                    assert_eq!(b.capacity(), cap, "{n} {room}");
                }
            }
        }
    }
}
