//! A score's bin without a logarithm: each row an online detector scores is learnt into the
//! histogram, and `ln_1p` was most of the cost of finding its bin. The bins' edges are found
//! once by a search on the definition itself ([`super::bin_by_logarithm`]), so a score's bin
//! here is the definition's exactly; the float's exponent and first mantissa bits pick a
//! segment narrower than a bin, whose first level is read from a table, and one comparison
//! with the next edge finishes it.

use super::{BINS, WIDTH, ZERO, bin_by_logarithm};
use std::sync::OnceLock;

/// For scores of one sign, by their magnitude a: `start[v]` is the least a whose bin is v
/// bins away from [`ZERO`] (v = 0 from a = 0), and the last entry +∞.
struct Edges {
    positive: Vec<f64>,
    negative: Vec<f64>,
    /// [`segment_levels`] of each.
    positive_segments: Vec<u16>,
    negative_segments: Vec<u16>,
}

static EDGES: OnceLock<Edges> = OnceLock::new();

fn edges() -> &'static Edges {
    EDGES.get_or_init(|| {
        // Level v begins where ln(1 + a) reaches v bins above zero, and (the floor taken the
        // other way) just past v − 1 bins below it.
        let positive = starts(|a| bin_by_logarithm(a) - ZERO, BINS - 1 - ZERO, |v| (v as f64 * WIDTH).exp_m1());
        let negative = starts(|a| ZERO - bin_by_logarithm(-a), ZERO, |v| ((v - 1) as f64 * WIDTH).exp_m1());
        Edges {
            positive_segments: segment_levels(&positive),
            negative_segments: segment_levels(&negative),
            positive,
            negative,
        }
    })
}

/// `start[v]` for v in 0..=most: the least non-negative float with `away(a) >= v`; then +∞.
/// From `near(v)`, a guess a few ulps off, the edge is bracketed by steps doubling in ulps and
/// then bisected (non-negative floats sort as their bits do): a few evaluations an edge, so a
/// backend's first calibrated score does not wait for the table.
fn starts(away: impl Fn(f64) -> usize, most: usize, near: impl Fn(usize) -> f64) -> Vec<f64> {
    let reaches = |bits: u64, v: usize| away(f64::from_bits(bits)) >= v;
    let top = f64::MAX.to_bits();
    let mut start = vec![0.0; most + 2];
    start[most + 1] = f64::INFINITY;
    for (v, s) in start.iter_mut().enumerate().take(most + 1).skip(1) {
        let guess = near(v).clamp(0.0, f64::MAX).to_bits();
        let (mut below, mut at_or_above) = (guess, guess);
        let mut step = 1u64;
        if reaches(guess, v) {
            // away(0) = 0 < v, so this ends.
            while reaches(below, v) {
                at_or_above = below;
                below = below.saturating_sub(step);
                step = step.saturating_mul(2);
            }
        } else {
            // away(f64::MAX) = most >= v, so this ends.
            while !reaches(at_or_above, v) {
                below = at_or_above;
                at_or_above = at_or_above.saturating_add(step).min(top);
                step = step.saturating_mul(2);
            }
        }
        while at_or_above - below > 1 {
            let mid = below + (at_or_above - below) / 2;
            if reaches(mid, v) {
                at_or_above = mid;
            } else {
                below = mid;
            }
        }
        *s = f64::from_bits(at_or_above);
    }
    start
}

/// The bin of a finite score (the same as [`bin_by_logarithm`]; callers leave out NaN and ±∞).
pub(super) fn bin_of(score: f64) -> usize {
    let e = edges();
    let a = score.abs();
    if score.is_sign_negative() {
        ZERO - steps_away(&e.negative, &e.negative_segments, a)
    } else {
        ZERO + steps_away(&e.positive, &e.positive_segments, a)
    }
}

/// The v with start[v] <= a < start[v + 1] (start ends with +∞), from the level where a's
/// segment starts: a segment spans under a bin, so v is that level or the next; the loop after
/// is a guard that never runs.
#[inline]
fn steps_away(start: &[f64], segments: &[u16], a: f64) -> usize {
    let guess = usize::from(segments[segment(a).min(segments.len() - 1)]);
    let mut v = guess + usize::from(a >= start[guess + 1]);
    while !(start[v] <= a && a < start[v + 1]) {
        v = if a < start[v] { v - 1 } else { v + 1 };
    }
    v
}

/// Mantissa bits that pick a segment within an octave of 1 + a: 32 segments, each under 3.1%
/// wide (ln 33/32), less than a bin's 5%.
const SEGMENT_BITS: u32 = 5;

/// The segment of 1 + a: its exponent and first mantissa bits, counted from 1.
#[inline]
fn segment(a: f64) -> usize {
    ((1.0 + a).to_bits() >> (52 - SEGMENT_BITS)) as usize - (1f64.to_bits() >> (52 - SEGMENT_BITS)) as usize
}

/// Per segment (up to the last bin's), the level of the least a in it.
fn segment_levels(start: &[f64]) -> Vec<u16> {
    let most = start.len() - 2;
    let level = |a: f64| start.partition_point(|&s| s <= a) - 1;
    let mut levels = Vec::new();
    loop {
        let first_bits = (1f64.to_bits() >> (52 - SEGMENT_BITS)) + levels.len() as u64;
        let a = f64::from_bits(first_bits << (52 - SEGMENT_BITS)) - 1.0;
        let v = level(a).min(most);
        levels.push(v as u16);
        if v == most {
            return levels;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(score: f64) {
        assert_eq!(bin_of(score), bin_by_logarithm(score), "score {score:e} ({:#x})", score.to_bits());
    }

    #[test]
    fn every_edge_and_its_neighbours_fall_as_by_the_logarithm() {
        let e = edges();
        for (start, sign) in [(&e.positive, 1.0), (&e.negative, -1.0)] {
            for &a in start.iter().filter(|a| a.is_finite()) {
                for d in -3i64..=3 {
                    let near = f64::from_bits((a.to_bits() as i64 + d).max(0) as u64);
                    check(sign * near);
                }
            }
        }
    }

    #[test]
    fn scores_of_every_size_fall_as_by_the_logarithm() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..300_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // A mantissa and an exponent spread over the histogram's range and beyond.
            let magnitude = 2f64.powi((x % 160) as i32 - 60) * (1.0 + (x >> 11) as f64 / (1u64 << 53) as f64);
            check(magnitude);
            check(-magnitude);
        }
        for s in [0.0, -0.0, 1e-300, -1e-300, f64::MIN_POSITIVE, 1.0, -1.0, 1e19, -1e8, f64::MAX, -f64::MAX] {
            check(s);
        }
    }

    #[test]
    fn a_segment_spans_at_most_two_levels() {
        let e = edges();
        for (start, segments) in [(&e.positive, &e.positive_segments), (&e.negative, &e.negative_segments)] {
            for (i, pair) in segments.windows(2).enumerate() {
                assert!(pair[1] >= pair[0] && pair[1] - pair[0] <= 1, "segment {i}: {pair:?}");
            }
            assert_eq!(usize::from(*segments.last().unwrap()), start.len() - 2);
        }
    }
}
