//! The pixels of the timeline's canvas arrows (`components::arrow_canvas`),
//! written in wasm and put on the canvas at once, as the dots are (`dots`).
//! Drawn with the canvas's paths, a thousand 1.4 px strokes and their heads
//! were rasterised by Chromium's software canvas (no GPU) when the frame
//! committed: 30–40 ms of the main thread each time a playing timeline's
//! window moved on, the frames that missed. Pure, so it is tested natively.

use crate::dots::{blend, over, reciprocals};
use monscope_core::fixed::clamp;

/// One arrow: x as a fraction of the diagram's width, y in pixels (as
/// `Plot::arrow` gives them for a width of 1), and its protocol's index in
/// `playback::PROTOCOLS`.
pub struct Line {
    pub at: (f64, f64, f64, f64),
    pub proto: usize,
}

/// `.arrow line`'s stroke width and `.arrowhead`'s colour (monscope.css).
const WIDTH: f64 = 1.4;
const HEAD_GREY: [u8; 3] = [0x8a, 0x90, 0x99];

/// An edge of a convex polygon: the signed distance from it, positive
/// inside, is `nx·x + ny·y + c` (a unit normal).
type Edge = (f64, f64, f64);

/// The edges of the convex polygon `pts` (3 or 4 corners), turned inwards;
/// a triangle's first edge twice (a pixel's distance is the least of the
/// four, so the loops below have a fixed length). None if it has no area.
fn edges(pts: &[(f64, f64)]) -> Option<[Edge; 4]> {
    let n = pts.len();
    let (mut mx, mut my) = (0.0, 0.0);
    for p in pts {
        mx += p.0 / n as f64;
        my += p.1 / n as f64;
    }
    let mut es = [(0.0, 0.0, 0.0); 4];
    for (k, e) in es.iter_mut().enumerate() {
        let ((ax, ay), (bx, by)) = (pts[k % n], pts[(k + 1) % n]);
        let len = ((bx - ax) * (bx - ax) + (by - ay) * (by - ay)).sqrt();
        if len == 0.0 {
            return None;
        }
        let (nx, ny) = ((ay - by) / len, (bx - ax) / len);
        let c = -(nx * ax + ny * ay);
        // Turned inwards: the middle is inside.
        let s = if nx * mx + ny * my + c < 0.0 {
            -1.0
        } else {
            1.0
        };
        *e = (s * nx, s * ny, s * c);
    }
    Some(es)
}

/// The convex polygon `pts` in colour `rgb`, source over `buf` (`w` × `h`
/// RGBA), anti-aliased: a pixel is covered by its centre's distance inside
/// the nearest edge plus half a pixel (exact along a straight edge). Row by
/// row, each row's span found from the edges, so only the pixels it touches
/// are visited, and the distances stepped along the row (plain loops: at
/// opt-level z a closure a pixel is a call a pixel).
fn fill(
    buf: &mut [u8],
    (w, h): (usize, usize),
    pts: &[(f64, f64)],
    rgb: [u8; 3],
    recip: &[u32],
    cover: &mut Vec<u8>,
) {
    let Some(es) = edges(pts) else {
        return;
    };
    let (mut y0, mut y1) = (f64::MAX, f64::MIN);
    for p in pts {
        (y0, y1) = (y0.min(p.1), y1.max(p.1));
    }
    let top = (y0 - 1.0).max(0.0) as usize;
    let bottom = ((y1 + 1.0).max(0.0) as usize).min(h);
    for j in top..bottom {
        let y = j as f64 + 0.5;
        // The row's span: where every edge's distance is above -0.5.
        let (mut l, mut r) = (0.0, w as f64);
        for &(nx, ny, c) in &es {
            let k = -0.5 - ny * y - c;
            if nx > 1e-9 {
                l = f64::max(l, k / nx - 0.5);
            } else if nx < -1e-9 {
                r = f64::min(r, k / nx + 0.5);
            } else if k > 0.0 {
                r = 0.0;
            }
        }
        let (from, to) = (
            l.max(0.0).floor() as usize,
            (r.max(0.0).ceil() as usize).min(w),
        );
        if from >= to {
            continue;
        }
        // Each edge's distance at the span's first pixel, then a step a pixel.
        let x = from as f64 + 0.5;
        let mut d = [0.0; 4];
        for (d, &(nx, ny, c)) in d.iter_mut().zip(&es) {
            *d = nx * x + ny * y + c;
        }
        cover.clear();
        cover.resize(to - from, 0);
        for a in cover.iter_mut() {
            let m = d[0].min(d[1]).min(d[2].min(d[3]));
            *a = (clamp(m + 0.5, 0.0, 1.0) * 255.0) as u8;
            for (d, e) in d.iter_mut().zip(&es) {
                *d += e.0;
            }
        }
        blend(
            &mut buf[(j * w + from) * 4..(j * w + to) * 4],
            cover,
            rgb,
            recip,
        );
    }
}

/// A stroke steps in fixed point, this many bits of a pixel's fraction:
/// integer steps instead of a float's conversions in each of the million
/// columns of a busy window (a quarter less of the worker's CPU). Its error
/// after a thousand steps is about a billionth of a pixel, so its coverage
/// is floating point's (the same pixels in the frame test's windows).
const FRAC: u32 = 40;
const ONE: i64 = 1 << FRAC;

/// Pixel `k`, covered `cover` (a fraction of `ONE`) by a line of colour
/// `rgb`: source over it. Inlined (a call a pixel at opt-level z passes
/// its arguments through memory).
#[inline(always)]
fn rim(px: &mut [[u8; 4]], k: usize, cover: i64, rgb: [u8; 3], recip: &[u32]) {
    let a = ((cover * 255 + ONE / 2) >> FRAC) as u32;
    if let (Some(p), true) = (px.get_mut(k), a != 0) {
        over(p, a, rgb, recip);
    }
}

/// A line along (a) and across (b) its longer axis, from the lesser a: whether
/// it is steep (a is y), its ends `(a0, b0, a1, b1)` and the canvas's pixels
/// along and across.
type Axes = (bool, (f64, f64, f64, f64), (usize, usize));
fn axes((w, h): (usize, usize), (x0, y0, x1, y1): (f64, f64, f64, f64)) -> Axes {
    let steep = (y1 - y0).abs() > (x1 - x0).abs();
    let (a0, b0, a1, b1, na, nb) = if steep {
        (y0, x0, y1, x1, h, w)
    } else {
        (x0, y0, x1, y1, w, h)
    };
    let ends = if a0 > a1 {
        (a1, b1, a0, b0)
    } else {
        (a0, b0, a1, b1)
    };
    (steep, ends, (na, nb))
}

/// A line `width` pixels wide from `(x0, y0)` to `(x1, y1)` in colour `rgb`,
/// source over `buf`, stepped along its longer axis: at each column (or row,
/// if steep) the line is a band `width` / cos wide across, and a pixel is
/// covered by its overlap with the band (anti-aliased); butt ends. The
/// window's arrows often cross the whole timeline at a shallow slope, so
/// this loop is most of the drawing: no polygon here, a few pixels a step.
fn stroke(
    buf: &mut [u8],
    (w, h): (usize, usize),
    (x0, y0, x1, y1): (f64, f64, f64, f64),
    width: f64,
    rgb: [u8; 3],
    recip: &[u32],
) {
    let (steep, (a0, b0, a1, b1), (na, nb)) = axes((w, h), (x0, y0, x1, y1));
    if a1 <= a0 {
        return;
    }
    let slope = (b1 - b0) / (a1 - a0);
    let half = width * (1.0 + slope * slope).sqrt() / 2.0;
    // The steps whose middle is on the line.
    let first = (a0 - 0.5).ceil().max(0.0) as usize;
    let last = ((a1 - 0.5).ceil().max(0.0) as usize).min(na);
    let c = b0 + slope * (first as f64 + 0.5 - a0);
    // Its slope is at most 1, so a line this far off the canvas at its
    // first step stays off it (and a NaN is never drawn): what is drawn is
    // well within the fixed point's range.
    let reach = (na + nb) as f64 + 2.0 * half;
    if !(c.abs() <= reach && half < reach && reach < (1 << 20) as f64) {
        return;
    }
    let fixed = |v: f64| (v * ONE as f64) as i64;
    let (mut c, slope, half) = (fixed(c), fixed(slope), fixed(half));
    // A step along is `along` pixels of the buffer, a row across `across`.
    let (along, across) = if steep { (w, 1) } else { (1, w) };
    let px = buf.as_chunks_mut::<4>().0;
    for i in first..last {
        let (lo, hi) = (c - half, c + half);
        c += slope;
        // Rows r0..r1 (the band's, on the canvas).
        let r0 = (lo.max(0) >> FRAC) as usize;
        let r1 = (((hi.max(0) + ONE - 1) >> FRAC) as usize).min(nb);
        if r0 >= r1 {
            continue;
        }
        let at = i * along;
        // A pixel is covered by its overlap with the band, `hi.min(r + 1) -
        // lo.max(r)` in row r: at most 1, and at least 0 since the band is
        // in rows r0..r1. So the rows between the first and the last are
        // covered whole (stored, not blended), the first from the band's
        // top (or the canvas's) to its next row, the last from its top to
        // the band's bottom (or the canvas's).
        let (top, bottom) = ((r0 as i64) << FRAC, ((r1 - 1) as i64) << FRAC);
        let (lo, hi) = (lo.max(top), hi.min(bottom + ONE));
        if r1 - 1 == r0 {
            rim(px, at + r0 * across, hi - lo, rgb, recip);
            continue;
        }
        rim(px, at + r0 * across, top + ONE - lo, rgb, recip);
        for r in r0 + 1..r1 - 1 {
            if let Some(p) = px.get_mut(at + r * across) {
                *p = [rgb[0], rgb[1], rgb[2], 255];
            }
        }
        rim(px, at + (r1 - 1) * across, hi - bottom, rgb, recip);
    }
}

/// `lines` as `.arrow line` and `#arrowhead` draw them (monscope.css,
/// timeline.rs) onto a cleared `w` × `h` buffer: 1.4 px in the protocol's
/// colour with butt ends, a grey head 6 stroke widths long whose tip is 0.1
/// of it past the end. In the SVG's order, so that the same arrows cover the
/// same heads: a run of one protocol's lines, then their heads. `sx` maps
/// the lines' x to pixels, `scale` their y and the widths (the device's
/// pixels a CSS pixel).
pub fn paint(
    buf: &mut Vec<u8>,
    lines: &[Line],
    colours: &[[u8; 3]],
    size: (usize, usize),
    sx: f64,
    scale: f64,
) {
    buf.clear();
    buf.resize(size.0 * size.1 * 4, 0);
    let recip = reciprocals();
    let mut cover = Vec::new();
    let head = 6.0 * WIDTH * scale;
    // Each line's ends in pixels and its direction, if it has a length.
    let ends = |l: &Line| {
        let (x0, y0, x1, y1) = l.at;
        let (x0, y0, x1, y1) = (x0 * sx, y0 * scale, x1 * sx, y1 * scale);
        let len = ((x1 - x0) * (x1 - x0) + (y1 - y0) * (y1 - y0)).sqrt();
        (len > 0.0).then(|| (x0, y0, x1, y1, (x1 - x0) / len, (y1 - y0) / len))
    };
    for run in lines.chunk_by(|a, b| a.proto == b.proto) {
        let rgb = colours[run[0].proto.min(colours.len() - 1)];
        for (x0, y0, x1, y1, _, _) in run.iter().filter_map(ends) {
            stroke(buf, size, (x0, y0, x1, y1), WIDTH * scale, rgb, &recip);
        }
        for (_, _, x1, y1, ux, uy) in run.iter().filter_map(ends) {
            let (tx, ty) = (x1 + ux * head * 0.1, y1 + uy * head * 0.1);
            let (bx, by) = (tx - ux * head, ty - uy * head);
            let (vx, vy) = (-uy * head / 2.0, ux * head / 2.0);
            let tri = [(tx, ty), (bx + vx, by + vy), (bx - vx, by - vy)];
            fill(buf, size, &tri, HEAD_GREY, &recip, &mut cover);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pixel(buf: &[u8], w: usize, x: usize, y: usize) -> [u8; 4] {
        let o = (y * w + x) * 4;
        [buf[o], buf[o + 1], buf[o + 2], buf[o + 3]]
    }

    #[test]
    fn an_arrow_is_its_protocols_line_1_4_pixels_wide_with_a_grey_head() {
        let (w, h) = (100, 40);
        let mut buf = Vec::new();
        // Level, along row 10 (its centre at y 10.5), from x 10 to x 80.
        let line = Line {
            at: (0.1, 10.5, 0.8, 10.5),
            proto: 1,
        };
        paint(
            &mut buf,
            &[line],
            &[[200, 0, 0], [0, 0, 200]],
            (w, h),
            100.0,
            1.0,
        );
        // On the line: its colour, opaque; the rows beside it 0.2 covered.
        assert_eq!(pixel(&buf, w, 30, 10), [0, 0, 200, 255]);
        for y in [9, 11] {
            let a = pixel(&buf, w, 30, y)[3];
            assert!((45..=56).contains(&a), "row {y}: alpha {a}");
        }
        assert_eq!(pixel(&buf, w, 30, 8)[3], 0);
        assert_eq!(pixel(&buf, w, 30, 12)[3], 0);
        // Butt ends: nothing before the start.
        assert_eq!(pixel(&buf, w, 8, 10)[3], 0);
        // The head: grey over the line's end, 8.4 px long, its tip 0.84 past it.
        assert_eq!(pixel(&buf, w, 76, 10), [0x8a, 0x90, 0x99, 255]);
        let rim = pixel(&buf, w, 76, 12);
        assert_eq!(rim[..3], [0x8a, 0x90, 0x99]);
        assert!((100..=230).contains(&rim[3]), "the head's rim: {rim:?}");
        assert_eq!(pixel(&buf, w, 76, 13)[3], 0);
        assert_eq!(pixel(&buf, w, 82, 10)[3], 0);
        assert_eq!(pixel(&buf, w, 70, 10), [0, 0, 200, 255]);
        // Nowhere else.
        let drawn = buf.chunks_exact(4).filter(|p| p[3] != 0).count();
        assert!((180..=320).contains(&drawn), "{drawn} pixels");
    }

    #[test]
    fn a_slanted_arrow_covers_as_much_as_its_length_and_width() {
        let (w, h) = (200, 200);
        let mut buf = Vec::new();
        // From (20, 20) to (140, 180): 200 px long.
        let line = Line {
            at: (0.1, 20.0, 0.7, 180.0),
            proto: 0,
        };
        paint(&mut buf, &[line], &[[0, 150, 0]], (w, h), 200.0, 1.0);
        // The line's pixels' coverage adds up to its area (200 × 1.4), give or
        // take the head (under 40 px²) and the ends.
        let green: f64 = buf
            .chunks_exact(4)
            .filter(|p| p[1] == 150)
            .map(|p| p[3] as f64 / 255.0)
            .sum();
        assert!((230.0..=290.0).contains(&green), "{green}");
        // Its middle, (80, 100), is covered; 3 px to its side is not.
        assert_eq!(pixel(&buf, w, 80, 100), [0, 150, 0, 255]);
        assert_eq!(pixel(&buf, w, 83, 98)[3], 0);
    }

    #[test]
    fn arrows_are_clipped_to_the_canvas_and_a_later_one_is_on_top() {
        let (w, h) = (60, 30);
        let mut buf = vec![7; 5];
        let lines = [
            Line {
                at: (-0.5, 5.5, 1.5, 5.5),
                proto: 0,
            },
            Line {
                at: (30.5 / 60.0, -10.0, 30.5 / 60.0, 40.0),
                proto: 1,
            },
            Line {
                at: (0.0, 0.0, 0.0, 0.0),
                proto: 0,
            },
        ];
        paint(
            &mut buf,
            &lines,
            &[[200, 0, 0], [0, 0, 200]],
            (w, h),
            60.0,
            1.0,
        );
        assert_eq!(buf.len(), w * h * 4);
        // Across the whole width (not wrapped into the next row), the later on top.
        assert_eq!(pixel(&buf, w, 0, 5), [200, 0, 0, 255]);
        assert_eq!(pixel(&buf, w, 59, 5), [200, 0, 0, 255]);
        assert_eq!(pixel(&buf, w, 0, 7)[3], 0);
        assert_eq!(pixel(&buf, w, 59, 7)[3], 0);
        assert_eq!(pixel(&buf, w, 30, 5), [0, 0, 200, 255]);
        assert_eq!(pixel(&buf, w, 30, 29), [0, 0, 200, 255]);
        // The same at twice the pixels a CSS pixel: twice as wide.
        let mut big = Vec::new();
        paint(
            &mut big,
            &lines[1..2],
            &[[200, 0, 0], [0, 0, 200]],
            (2 * w, 2 * h),
            120.0,
            2.0,
        );
        let across = (50..70)
            .filter(|&x| pixel(&big, 2 * w, x, 30)[3] == 255)
            .count();
        assert_eq!(across, 2);
    }

    /// Each pixel a line crosses is covered by its overlap with the line's
    /// band across its column (or row, if steep): `width` / cos wide,
    /// centred on the line at the column's middle. In floating point here,
    /// as the definition; the painter steps in fixed point.
    #[test]
    fn a_line_covers_each_pixel_by_its_overlap_with_its_band() {
        let (w, h) = (60, 40);
        for (x0, y0, x1, y1) in [
            (-10.3, 3.7, 70.2, 25.1),
            (5.5, 38.9, 50.25, 2.3),
            (30.2, -4.0, 21.7, 45.0),
            (12.0, 7.5, 47.0, 7.5),
        ] {
            let mut buf = vec![0; w * h * 4];
            let rgb = [10, 20, 30];
            stroke(&mut buf, (w, h), (x0, y0, x1, y1), 1.4, rgb, &reciprocals());
            let (steep, (a0, b0, a1, b1), (na, nb)) = axes((w, h), (x0, y0, x1, y1));
            let slope = (b1 - b0) / (a1 - a0);
            let half = 1.4 * (1.0 + slope * slope).sqrt() / 2.0;
            let mut drawn = 0;
            for i in 0..na {
                let at = i as f64 + 0.5;
                let c = b0 + slope * (at - a0);
                for r in 0..nb {
                    let rf = r as f64;
                    let cover = ((c + half).min(rf + 1.0) - (c - half).max(rf)).clamp(0.0, 1.0);
                    // The steps whose middle is on the line (butt ends).
                    let on = at >= a0 && at < a1;
                    let want = if on { (cover * 255.0 + 0.5) as i32 } else { 0 };
                    let (x, y) = if steep { (r, i) } else { (i, r) };
                    let got = pixel(&buf, w, x, y);
                    assert!(
                        (got[3] as i32 - want).abs() <= 1,
                        "({x}, {y}): {got:?}, want alpha {want}"
                    );
                    if got[3] != 0 {
                        assert_eq!(got[..3], rgb);
                        drawn += 1;
                    }
                }
            }
            assert!(drawn > 40, "{drawn} pixels");
        }
        // Far off the canvas, or not a number: nothing.
        let mut buf = vec![0; w * h * 4];
        for l in [
            (0.0, -1e9, 60.0, -1e9 + 30.0),
            (f64::NAN, 1.0, 30.0, 2.0),
            (1e12, 0.0, 1e12 + 5.0, 3.0),
        ] {
            stroke(&mut buf, (w, h), l, 1.4, [1, 2, 3], &reciprocals());
        }
        assert!(buf.iter().all(|&b| b == 0));
    }
}
