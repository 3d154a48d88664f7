//! The pixels of the messages' canvas (`components::message_canvas`): dots
//! written in wasm and put on the canvas at once. Pure, so it is tested natively.

/// One moving dot: where it is in the ring's coordinates (its SVG's viewBox).
pub struct Mark {
    pub x: f64,
    pub y: f64,
    /// Index in `playback::PROTOCOLS`.
    pub proto: usize,
    /// The trace index of its send (what a click picks).
    pub ev: usize,
}

/// One row of a dot: the first column the circle touches, how much of each
/// pixel from there it covers (0–255, edges anti-aliased, trimmed of zeros),
/// and the run of `cover` it covers whole (written without a blend).
struct Row {
    first: usize,
    cover: Vec<u8>,
    solid: (usize, usize),
}

/// A dot's rows in a square of `side`, for a circle of radius `r` at its centre.
fn coverage(r: f64) -> (usize, Vec<Row>) {
    let side = (2.0 * r).ceil() as usize + 2;
    let c = side as f64 / 2.0;
    let rows = (0..side)
        .map(|j| {
            let row: Vec<u8> = (0..side)
                .map(|i| {
                    let (x, y) = (i as f64 + 0.5 - c, j as f64 + 0.5 - c);
                    let d = (x * x + y * y).sqrt();
                    (monscope_core::fixed::clamp(r + 0.5 - d, 0.0, 1.0) * 255.0) as u8
                })
                .collect();
            let first = row.iter().position(|&a| a != 0).unwrap_or(side);
            let last = row.iter().rposition(|&a| a != 0).map_or(first, |l| l + 1);
            let cover = row[first..last].to_vec();
            // A disc's row is whole in one run, between its rims.
            let s0 = cover.iter().position(|&a| a == 255).unwrap_or(cover.len());
            let s1 = cover.iter().rposition(|&a| a == 255).map_or(s0, |l| l + 1);
            Row {
                first,
                cover,
                solid: (s0, s1),
            }
        })
        .collect();
    (side, rows)
}

/// `a` × `b` / 255, rounded, without a division.
fn mul255(a: u32, b: u32) -> u32 {
    let x = a * b + 128;
    (x + (x >> 8)) >> 8
}

/// 65536 / n rounded up, for n from 0 to 255: `x / n` is `x * recip[n] >> 16`
/// for any x up to 255 × n (a division is tens of cycles in wasm, and a
/// dense ring blends a dot's rims over others' on every frame).
pub(crate) fn reciprocals() -> Vec<u32> {
    (0..256u32).map(|n| 65536u32.div_ceil(n.max(1))).collect()
}

/// One channel of source over destination: (sc·sa + dc·under) / total, the
/// division as `k`, total's reciprocal. Inlined: a call at opt-level z
/// passes its arguments through the stack in memory.
#[inline(always)]
fn mix(sc: u8, dc: u8, sa: u32, under: u32, k: u32) -> u8 {
    (((sc as u32 * sa + dc as u32 * under) * k) >> 16) as u8
}

/// Pixels `out` (RGBA) partly covered by a dot of colour `rgb` (`cover`),
/// source over destination, straight (not premultiplied) alpha. A pixel is
/// taken as a `[u8; 4]` (a slice's copy is a `memory.copy`, a call out of wasm).
pub(crate) fn blend(out: &mut [u8], cover: &[u8], rgb: [u8; 3], recip: &[u32]) {
    for (px, &a) in out.chunks_exact_mut(4).zip(cover) {
        if let Ok(px) = <&mut [u8; 4]>::try_from(px) {
            over(px, a as u32, rgb, recip);
        }
    }
}

/// One pixel `px` covered `sa` (0–255) by colour `rgb`, source over it.
/// Inlined, as `mix` is.
#[inline(always)]
pub(crate) fn over(px: &mut [u8; 4], sa: u32, [r, g, b]: [u8; 3], recip: &[u32]) {
    let da = px[3] as u32;
    if da == 0 || sa == 255 {
        // Nothing under it, or fully covered: the dot's colour.
        *px = [r, g, b, sa as u8];
        return;
    }
    let under = mul255(da, 255 - sa);
    let total = (sa + under).min(255);
    // (sc·sa + dc·under) / total: at most 255 × total, so within u32 and 255.
    let k = recip[total as usize];
    *px = [
        mix(r, px[0], sa, under, k),
        mix(g, px[1], sa, under, k),
        mix(b, px[2], sa, under, k),
        total as u8,
    ];
}

/// A rectangle of the canvas in pixels: left, top, right, bottom (exclusive).
pub type Rect = (usize, usize, usize, usize);

fn union(a: Option<Rect>, b: Option<Rect>) -> Option<Rect> {
    match (a, b) {
        (Some(a), Some(b)) => Some((a.0.min(b.0), a.1.min(b.1), a.2.max(b.2), a.3.max(b.3))),
        (a, b) => a.or(b),
    }
}

/// The pixels of the dots, drawn here and put on the canvas at once: a
/// software canvas (no GPU) spends far longer recording and replaying
/// thousands of anti-aliased arcs or image stamps than wasm takes to write
/// them. Reused from frame to frame.
#[derive(Default)]
pub struct Pixels {
    /// RGBA, straight alpha, row by row: what `ImageData` takes.
    pub buf: Vec<u8>,
    /// The scale the dot was made for, its side and rows.
    dot: (f64, usize, Vec<Row>),
    /// Where the last paint drew: the rest of `buf` is clear.
    drawn: Option<Rect>,
    /// `reciprocals()`, made once.
    recip: Vec<u32>,
}

impl Pixels {
    /// Every dot of `marks`, source-over onto a cleared `w` × `h` buffer, the
    /// later on top. Only the rectangle the last paint drew is cleared, and
    /// each dot's row is clipped once and walked as slices: its whole pixels
    /// stored, only its rims blended. Returns the rectangle that changed (the
    /// last dots' and these), for the canvas to take only that.
    pub fn paint(
        &mut self,
        marks: &[Mark],
        colours: &[[u8; 3]],
        w: usize,
        h: usize,
        at: impl Fn(f64, f64) -> (f64, f64),
        scale: f64,
    ) -> Option<Rect> {
        if self.dot.0 != scale {
            let (side, rows) = coverage(5.5 * scale);
            self.dot = (scale, side, rows);
        }
        if self.recip.is_empty() {
            self.recip = reciprocals();
        }
        let mut changed = if self.buf.len() == w * h * 4 {
            if let Some((x0, y0, x1, y1)) = self.drawn {
                // (`fill` is a memset; a loop would write byte by byte at opt-level z.)
                for row in self.buf[y0 * w * 4..y1 * w * 4].chunks_exact_mut(w * 4) {
                    row[x0 * 4..x1 * 4].fill(0);
                }
            }
            self.drawn
        } else {
            self.buf = vec![0; w * h * 4];
            Some((0, 0, w, h))
        };
        let (side, rows) = (self.dot.1 as isize, &self.dot.2);
        let (wi, hi) = (w as isize, h as isize);
        let mut drawn = None;
        for m in marks {
            let (x, y) = at(m.x, m.y);
            let (x0, y0) = (x.round() as isize - side / 2, y.round() as isize - side / 2);
            let clip = |v: isize, most: isize| v.max(0).min(most) as usize;
            let (l, t, r, b) = (
                clip(x0, wi),
                clip(y0, hi),
                clip(x0 + side, wi),
                clip(y0 + side, hi),
            );
            if l >= r || t >= b {
                continue;
            }
            drawn = union(drawn, Some((l, t, r, b)));
            let rgb = colours[m.proto.min(colours.len() - 1)];
            let [r, g, b] = rgb;
            for (py, row) in (y0..).zip(rows) {
                // The row's columns on the canvas, clipped to it.
                let left = x0 + row.first as isize;
                let (from, to) = (left.max(0), (left + row.cover.len() as isize).min(wi));
                if py < 0 || py >= hi || from >= to {
                    continue;
                }
                let o = (py * wi + from) as usize * 4;
                let out = &mut self.buf[o..o + (to - from) as usize * 4];
                let skip = (from - left) as usize;
                let cover = &row.cover[skip..skip + out.len() / 4];
                // The whole run, clipped as the row is.
                let s0 = row.solid.0.saturating_sub(skip).min(cover.len());
                let s1 = row.solid.1.saturating_sub(skip).max(s0).min(cover.len());
                let (rim, rest) = out.split_at_mut(s0 * 4);
                let (whole, rim2) = rest.split_at_mut((s1 - s0) * 4);
                blend(rim, &cover[..s0], rgb, &self.recip);
                // A store a pixel: a slice's copy is a call out of wasm.
                for px in whole.chunks_exact_mut(4) {
                    if let Ok(px) = <&mut [u8; 4]>::try_from(px) {
                        *px = [r, g, b, 255];
                    }
                }
                blend(rim2, &cover[s1..], rgb, &self.recip);
            }
        }
        self.drawn = drawn;
        changed = union(changed, drawn);
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pixel(p: &Pixels, w: usize, x: usize, y: usize) -> [u8; 4] {
        let o = (y * w + x) * 4;
        [p.buf[o], p.buf[o + 1], p.buf[o + 2], p.buf[o + 3]]
    }

    fn mark(x: f64, y: f64, proto: usize) -> Mark {
        Mark { x, y, proto, ev: 0 }
    }

    #[test]
    fn dots_are_drawn_in_their_protocols_colour_the_last_on_top() {
        let colours = [[200, 0, 0], [0, 0, 200]];
        let marks = [mark(20.0, 20.0, 0), mark(26.0, 20.0, 1), mark(-2.0, 3.0, 1)];
        let mut p = Pixels::default();
        p.paint(&marks, &colours, 60, 40, |x, y| (x, y), 1.0);
        // Each dot's centre is its colour, opaque; the later dot covers the earlier.
        assert_eq!(pixel(&p, 60, 20, 20), [200, 0, 0, 255]);
        assert_eq!(pixel(&p, 60, 26, 20), [0, 0, 200, 255]);
        assert_eq!(pixel(&p, 60, 23, 20), [0, 0, 200, 255]);
        // Outside every dot: transparent; on a dot's rim: partly covered.
        assert_eq!(pixel(&p, 60, 20, 30)[3], 0);
        let rim = pixel(&p, 60, 16, 16)[3];
        assert!(rim > 0 && rim < 255, "rim alpha {rim}");
        // A dot over the canvas's edge is clipped, not wrapped to the other side.
        assert_eq!(pixel(&p, 60, 0, 3), [0, 0, 200, 255]);
        assert_eq!(pixel(&p, 60, 59, 3)[3], 0);
        assert_eq!(pixel(&p, 60, 59, 2)[3], 0);
        // A rim over another dot's rim blends: opaquer than either alone.
        let (a, b) = (pixel(&p, 60, 23, 15)[3], pixel(&p, 60, 17, 15)[3]);
        assert!(a > b, "overlapping rims {a} against one rim {b}");
    }

    #[test]
    fn a_second_paint_clears_only_what_the_first_drew_and_says_what_changed() {
        let colours = [[200, 0, 0]];
        let mut p = Pixels::default();
        // The first paint of a size changes the whole canvas.
        assert_eq!(
            p.paint(&[mark(10.0, 10.0, 0)], &colours, 60, 40, |x, y| (x, y), 1.0),
            Some((0, 0, 60, 40))
        );
        assert_eq!(pixel(&p, 60, 10, 10), [200, 0, 0, 255]);
        // The dot moved: its old place is clear, and what changed is both places.
        let changed = p.paint(&[mark(40.0, 30.0, 0)], &colours, 60, 40, |x, y| (x, y), 1.0);
        assert_eq!(pixel(&p, 60, 10, 10), [0, 0, 0, 0]);
        assert_eq!(pixel(&p, 60, 40, 30), [200, 0, 0, 255]);
        let (l, t, r, b) = changed.expect("a change");
        assert!(
            l <= 4 && t <= 4 && r >= 46 && b >= 36 && r <= 60 && b <= 40,
            "{changed:?}"
        );
        assert!(p.buf.iter().skip(3).step_by(4).filter(|&&a| a != 0).count() < 200);
        // Nothing to draw: only the last dot's place changes, now clear.
        let changed = p
            .paint(&[], &colours, 60, 40, |x, y| (x, y), 1.0)
            .expect("a change");
        assert!(changed.0 >= 30 && changed.1 >= 20, "{changed:?}");
        assert!(p.buf.iter().all(|&v| v == 0));
        assert_eq!(p.paint(&[], &colours, 60, 40, |x, y| (x, y), 1.0), None);
    }

    #[test]
    fn a_blend_by_reciprocal_is_the_division_or_one_above() {
        let recip = reciprocals();
        for sa in (1..255u32).step_by(7) {
            for da in (1..=255u32).step_by(5) {
                for (sc, dc) in [(0u8, 255u8), (255, 0), (200, 13), (255, 255)] {
                    let mut px = [dc, dc, dc, da as u8];
                    blend(&mut px, &[sa as u8], [sc, sc, sc], &recip);
                    let under = mul255(da, 255 - sa);
                    let total = sa + under;
                    let exact = (sc as u32 * sa + dc as u32 * under) / total;
                    assert!(
                        px[0] as u32 >= exact && px[0] as u32 <= exact + 1,
                        "{sa} {da} {sc} {dc}: {} vs {exact}",
                        px[0]
                    );
                    assert_eq!(px[3] as u32, total);
                }
            }
        }
    }

    #[test]
    fn dots_painted_lower_down_are_the_same_dots() {
        let colours = [[200, 0, 0], [0, 0, 200]];
        let mut p = Pixels::default();
        const Y: usize = 32;
        let y = Y as f64;
        p.paint(
            &[mark(20.0, y, 0), mark(24.0, y + 3.0, 1)],
            &colours,
            60,
            80,
            |x, y| (x, y),
            1.0,
        );
        // The first dot where only it is, the later one (on top) where both are.
        assert_eq!(pixel(&p, 60, 18, Y - 3), [200, 0, 0, 255]);
        assert_eq!(pixel(&p, 60, 18, Y + 1), [200, 0, 0, 255]);
        assert_eq!(pixel(&p, 60, 22, Y - 1), [0, 0, 200, 255]);
        assert_eq!(pixel(&p, 60, 22, Y + 2), [0, 0, 200, 255]);
        assert_eq!(pixel(&p, 60, 20, Y - 7)[3], 0);
        // The same two dots painted higher up in a smaller buffer are the same
        // pixels, row for row.
        let mut q = Pixels::default();
        q.paint(
            &[mark(20.0, 8.0, 0), mark(24.0, 11.0, 1)],
            &colours,
            60,
            24,
            |x, y| (x, y),
            1.0,
        );
        for dy in 0..16 {
            for x in 0..60 {
                assert_eq!(
                    pixel(&p, 60, x, Y - 8 + dy),
                    pixel(&q, 60, x, dy),
                    "({x}, {dy})"
                );
            }
        }
    }
}
