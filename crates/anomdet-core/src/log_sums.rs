//! Sums of natural logarithms over many values, for SPOT's generalized Pareto fit: each trial
//! shape x of Grimshaw's method takes Σ ln(1 + x·y) and Σ 1/(1 + x·y) over every peak y, tens
//! of passes a fit. `f64::ln` is a call into libm per value, which the compiler cannot
//! vectorize, and it was 30 % of `spot`'s time; the logarithm here is a branch-free series the
//! compiler runs four values at a time. It is within an ulp of `f64::ln` (tested), and the sums
//! are taken in four fixed lanes, so every machine gets the same bits whichever path it runs.

/// ln 2 in two parts: the first has 21 significant bits, so k·LN2_HI is exact for any
/// exponent k; the second carries the rest.
const LN2_HI: f64 = 0.693_146_705_627_441_4;
const LN2_LO: f64 = 4.749_325_039_031_672_6e-7;

/// Values summed side by side: one AVX2 register of doubles, and four independent chains of
/// additions on any machine.
const LANES: usize = 4;

/// Values of 1 + x·y at or above this take the exact path (1/s would be subnormal).
const LARGEST: f64 = 2.247_116_418_577_895e307; // 2^1021

/// Terms worked out before they are summed (a multiple of LANES, so every block's first term
/// goes to the first lane).
const BLOCK: usize = 64;

/// Σ ln(1 + x·y) over `y`.
pub fn sum_ln_1p_scaled(y: &[f64], x: f64) -> f64 {
    sum_reciprocal_and_ln_1p_scaled(y, x).1
}

/// (Σ 1/(1 + x·y), Σ ln(1 + x·y)) over `y`. When some 1 + x·y is not a positive normal number
/// below 2^1021 (zero, negative, subnormal, huge, infinite or NaN) every term is libm's, value
/// by value, so the sums say what `f64::ln` says there (−∞ for a zero, NaN for a negative).
pub fn sum_reciprocal_and_ln_1p_scaled(y: &[f64], x: f64) -> (f64, f64) {
    sums(y, x).unwrap_or_else(|| {
        y.iter().fold((0.0, 0.0), |(reciprocal, log), &v| {
            let s = 1.0 + x * v;
            (reciprocal + 1.0 / s, log + s.ln())
        })
    })
}

/// Both sums from the vectorized logarithm, or None when some 1 + x·y is not a positive normal
/// number below 2^1021.
fn sums(y: &[f64], x: f64) -> Option<(f64, f64)> {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has just been found to run AVX2.
        return unsafe { sums_avx2(y, x) };
    }
    sums_lanes(y, x)
}

/// The same code compiled for AVX2: four values in one register.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn sums_avx2(y: &[f64], x: f64) -> Option<(f64, f64)> {
    sums_lanes(y, x)
}

#[inline(always)]
fn sums_lanes(y: &[f64], x: f64) -> Option<(f64, f64)> {
    let (mut reciprocals, mut logs) = ([0.0f64; LANES], [0.0f64; LANES]);
    let mut unusable = 0u64;
    // Terms of a block first (a loop the compiler vectorizes: no sum runs through it), then
    // each lane adds its own, in the same order on every path.
    let (mut reciprocal_terms, mut log_terms) = ([0.0f64; BLOCK], [0.0f64; BLOCK]);
    for block in y.chunks(BLOCK) {
        let n = block.len();
        for ((&v, r), l) in block.iter().zip(&mut reciprocal_terms).zip(&mut log_terms) {
            let s = 1.0 + x * v;
            // Not a positive normal number below 2^1021 (zero, negative, subnormal, huge,
            // infinite, NaN): noted.
            unusable |= u64::from(!(f64::MIN_POSITIVE..LARGEST).contains(&s));
            (*r, *l) = reciprocal_and_ln(s);
        }
        add_by_lane(&mut reciprocals, &reciprocal_terms[..n]);
        add_by_lane(&mut logs, &log_terms[..n]);
    }
    let reciprocal = (reciprocals[0] + reciprocals[1]) + (reciprocals[2] + reciprocals[3]);
    let log = (logs[0] + logs[1]) + (logs[2] + logs[3]);
    (unusable == 0).then_some((reciprocal, log))
}

/// Adds term i to lane i mod LANES, in order (a block starts at a multiple of LANES).
#[inline(always)]
fn add_by_lane(lanes: &mut [f64; LANES], terms: &[f64]) {
    let mut sums = *lanes; // in registers, not through memory
    let mut chunks = terms.chunks_exact(LANES);
    for chunk in &mut chunks {
        for lane in 0..LANES {
            sums[lane] += chunk[lane];
        }
    }
    for (sum, term) in sums.iter_mut().zip(chunks.remainder()) {
        *sum += term;
    }
    *lanes = sums;
}

/// (1/s, ln s) for a positive normal `s` below 2^1021 (anything else gives meaningless
/// numbers). s = 2^k·m with m = 1 + f in [√½, √2), and ln m = 2·atanh(t) = 2(t + t³/3 + ...)
/// with t = f/(2 + f), |t| ≤ 0.172, where nine terms past the first leave an error below
/// 2^-54 of the result. Written as f − (f²/2 − t·(f²/2 + R)), R = 2t²/3 + 2t⁴/5 + ...: f is
/// exact and the rest a small correction, so rounding costs under an ulp. One division gives
/// both t and 1/s (a division costs what the whole series does).
#[inline(always)]
fn reciprocal_and_ln(s: f64) -> (f64, f64) {
    // k counts how far s's bits are past √½'s in whole exponents; with a bias of 1024
    // exponents the difference is never negative, so a logical shift finds it (AVX2 has no
    // arithmetic shift of 64-bit lanes, and a branch or select here stops vectorization).
    // Wrapping: for the unusable values whose answer is thrown away.
    const SQRT_HALF_BITS: u64 = 0x3FE6_A09E_667F_3BCD;
    const BIAS: u64 = 1024 << 52;
    let bits = s.to_bits();
    let past = bits.wrapping_add(BIAS).wrapping_sub(SQRT_HALF_BITS);
    let exponent_bits = past & 0xFFF0_0000_0000_0000;
    let m = f64::from_bits(bits.wrapping_add(BIAS).wrapping_sub(exponent_bits)); // s / 2^k
    let biased_k = past >> 52; // k + 1024
    // k as a double, exactly, by placing k + 1024 in the mantissa of 2^52 (no conversion
    // instruction for 64-bit integers before AVX-512); 2^-k by writing its exponent field.
    let k = f64::from_bits(biased_k | 0x4330_0000_0000_0000) - (4_503_599_627_370_496.0 + 1024.0);
    let two_to_minus_k = f64::from_bits(2047u64.wrapping_sub(biased_k) << 52);
    let f = m - 1.0; // exact: m is within a factor of 2 of 1
    let d = 2.0 + f;
    let q = 1.0 / (m * d);
    let t = f * (m * q);
    let reciprocal = (d * q) * two_to_minus_k;
    let z = t * t;
    const C: [f64; 9] =
        [2.0 / 3.0, 2.0 / 5.0, 2.0 / 7.0, 2.0 / 9.0, 2.0 / 11.0, 2.0 / 13.0, 2.0 / 15.0, 2.0 / 17.0, 2.0 / 19.0];
    // Estrin's scheme: pairs, then pairs of pairs (a chain of four steps, not nine: the
    // chain, not the arithmetic, set the pace).
    let (z2, z4) = (z * z, (z * z) * (z * z));
    let low = (C[0] + C[1] * z) + z2 * (C[2] + C[3] * z);
    let high = (C[4] + C[5] * z) + z2 * (C[6] + C[7] * z);
    let r = z * ((low + z4 * high) + (z4 * z4) * C[8]);
    let half_f_squared = 0.5 * f * f;
    (reciprocal, k * LN2_HI - ((half_f_squared - (t * (half_f_squared + r) + k * LN2_LO)) - f))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(a: f64, b: f64) -> u64 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
    }

    #[test]
    fn ln_2_is_split_exactly() {
        assert_eq!(LN2_HI + LN2_LO, std::f64::consts::LN_2);
        assert_eq!(LN2_HI.to_bits() & 0xFFFF_FFFF, 0, "k·LN2_HI must be exact");
    }

    #[test]
    fn the_logarithm_is_within_an_ulp_of_libm_and_the_reciprocal_within_two() {
        let mut worst = 0;
        let mut state = 0x2545F4914F6CDD1Du64;
        let mut check = |s: f64| {
            let ((reciprocal, ours), libm) = (reciprocal_and_ln(s), s.ln());
            let off = ulps(ours, libm);
            assert!(off <= 1, "ln {s:e}: {ours:e} vs {libm:e}");
            worst = worst.max(off);
            if s < LARGEST {
                assert!(ulps(reciprocal, 1.0 / s) <= 2, "1/{s:e}: {reciprocal:e}");
            }
        };
        for _ in 0..1_000_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Every exponent of normal numbers, every mantissa.
            let bits = (state % (0x7FE0_0000_0000_0000 - 0x0010_0000_0000_0000)) + 0x0010_0000_0000_0000;
            check(f64::from_bits(bits));
            // And values near 1, where ln is small and m switches halves.
            check(1.0 + (state % 1_000_000) as f64 * 1e-9 - 5e-4);
            check(std::f64::consts::SQRT_2 * (1.0 + (state % 1000) as f64 * 1e-15 - 5e-13));
        }
        for s in [f64::MIN_POSITIVE, 1.0, 2.0, 0.5, f64::MAX, std::f64::consts::E] {
            check(s);
        }
        assert_eq!(reciprocal_and_ln(1.0), (1.0, 0.0));
        assert!(worst <= 1);
    }

    #[test]
    fn sums_match_a_plain_loop_and_refuse_unusable_values() {
        let y: Vec<f64> = (0..1003).map(|i| 0.01 + (i as f64 * 0.7).sin().abs() * 5.0).collect();
        for x in [-0.19, -1e-3, 0.0, 1e-6, 0.3, 40.0] {
            let (reciprocal, log) = sums(&y, x).unwrap();
            let plain_log: f64 = y.iter().map(|v| (1.0 + x * v).ln()).sum();
            let plain_reciprocal: f64 = y.iter().map(|v| 1.0 / (1.0 + x * v)).sum();
            assert!((log - plain_log).abs() <= 1e-12 * plain_log.abs().max(1.0), "x {x}: {log} vs {plain_log}");
            assert!((reciprocal - plain_reciprocal).abs() <= 1e-12 * plain_reciprocal, "x {x}");
            assert_eq!(sum_reciprocal_and_ln_1p_scaled(&y, x), (reciprocal, log));
            assert_eq!(sum_ln_1p_scaled(&y, x), log);
        }
        // 1 + x·y reaches 0, goes below, or is not a number: the vectorized path refuses, and
        // the sums are libm's, term by term.
        let ymax = y.iter().cloned().fold(0.0, f64::max);
        let libm = |y: &[f64], x: f64| y.iter().map(|v| (1.0 + x * v).ln()).sum::<f64>();
        let cases: [(&[f64], f64); 4] =
            [(&y, -1.0 / ymax), (&y, -1.0), (&[1.0, f64::NAN], 1.0), (&[1.0, 2.0, 3.0, 4.0, f64::INFINITY], 1.0)];
        for (values, x) in cases {
            assert_eq!(sums(values, x), None);
            assert_eq!(sum_ln_1p_scaled(values, x).to_bits(), libm(values, x).to_bits(), "x {x}");
        }
        assert_eq!(sum_ln_1p_scaled(&y, -1.0 / ymax), f64::NEG_INFINITY);
        assert_eq!(sums(&[], 1.0), Some((0.0, 0.0)));
    }

    #[test]
    fn both_paths_give_the_same_bits() {
        let y: Vec<f64> = (0..997).map(|i| 0.5 + (i as f64 * 1.3).cos().abs()).collect();
        for x in [-0.5, 0.01, 3.0] {
            let portable = sums_lanes(&y, x);
            assert_eq!(
                sums(&y, x).map(|(a, b)| (a.to_bits(), b.to_bits())),
                portable.map(|(a, b)| (a.to_bits(), b.to_bits()))
            );
        }
    }
}
