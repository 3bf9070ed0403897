//! Property tests (reliability checklist C2): the rolling and cumulative detectors against a
//! naive recomputation from scratch at every point, on random series with ties, repeated
//! stretches and outliers, over random windows, in both modes.

use super::{Params, find_detector};
use crate::resolution::Resolution;

/// Deterministic pseudo-random numbers (xorshift64).
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A series with the awkward parts real data has: values rounded to one decimal (ties), flat
/// stretches (zero spread), and a few outliers.
fn awkward_series(random: &mut Random) -> Vec<f64> {
    let n = 50 + random.below(400) as usize;
    let mut xs = Vec::with_capacity(n);
    while xs.len() < n {
        let v = ((random.unit() - 0.5) * 20.0 * 10.0).round() / 10.0;
        let repeat = if random.below(10) == 0 { 1 + random.below(30) as usize } else { 1 };
        for _ in 0..repeat {
            xs.push(if random.below(50) == 0 { v * 100.0 } else { v });
        }
    }
    xs.truncate(n);
    xs
}

/// Type-7 quantile of an unsorted slice, from scratch.
fn quantile(values: &[f64], p: f64) -> f64 {
    let mut s = values.to_vec();
    s.sort_by(f64::total_cmp);
    let h = (s.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(s.len() - 1);
    s[lo] + (h - lo as f64) * (s[hi] - s[lo])
}

/// Scales are floored by the resolution of `seen`: the values up to and including the scored
/// one (online), or the whole series (batch).
fn mad_score(window: &[f64], x: f64, seen: &[f64]) -> f64 {
    let median = quantile(window, 0.5);
    let deviations: Vec<f64> = window.iter().map(|v| (v - median).abs()).collect();
    (x - median).abs() / Resolution::of(seen).floor(1.4826 * quantile(&deviations, 0.5), median)
}

fn iqr_score(window: &[f64], x: f64, seen: &[f64]) -> f64 {
    let median = quantile(window, 0.5);
    (x - median).abs() / Resolution::of(seen).floor(quantile(window, 0.75) - quantile(window, 0.25), median)
}

fn zscore(past: &[f64], x: f64, seen: &[f64]) -> f64 {
    let n = past.len() as f64;
    let mean = past.iter().sum::<f64>() / n;
    let sd = (past.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0)).sqrt();
    (x - mean).abs() / Resolution::of(seen).floor(sd, mean)
}

/// Equal to 1e-9, relative (and absolute near zero). Over a flat stretch the scale is the floor
/// of 1e-9 × |centre|, which magnifies the last-bit difference between a running and a
/// from-scratch mean a billionfold: there 1e-5 is what the arithmetic can promise.
fn close(a: f64, b: f64) -> bool {
    let tolerance = if a.abs().max(b.abs()) < 1e-3 { 1e-5 } else { 1e-9 };
    (a - b).abs() <= tolerance * a.abs().max(b.abs()).max(1.0)
}

/// Run `name` with `params` in both modes and compare every score with the reference.
fn check(
    name: &str,
    params: serde_json::Value,
    xs: &[f64],
    online: impl Fn(usize) -> Option<f64>,
    batch: impl Fn(usize) -> f64,
) {
    let info = find_detector(name).unwrap();
    let p: Params = info.parse_params(Some(&params)).unwrap();
    let mut detector = (info.build)(&p);
    for (i, &x) in xs.iter().enumerate() {
        let got = detector.update(x).score;
        match (got, online(i)) {
            (None, None) => {}
            (Some(g), Some(r)) => assert!(close(g, r), "{name} {params} online at {i}: {g} vs reference {r}"),
            (g, r) => panic!("{name} {params} online at {i}: {g:?} vs reference {r:?}"),
        }
    }
    let scored = (info.build)(&p).score_batch(xs);
    for (i, s) in scored.iter().enumerate() {
        let (g, r) = (s.score.unwrap(), batch(i));
        assert!(close(g, r), "{name} {params} batch at {i}: {g} vs reference {r}");
    }
}

#[test]
fn rolling_and_cumulative_detectors_match_a_naive_recomputation() {
    let mut random = Random(0x5eed_1234_abcd_ef01);
    for _ in 0..60 {
        let xs = awkward_series(&mut random);
        let n = xs.len();
        let window = 3 + random.below(40) as usize;
        let window = window.min(n);
        let half = window / 2;
        let centred = |i: usize| &xs[i.saturating_sub(half)..(i + half + 1).min(n)];
        check(
            "mad",
            serde_json::json!({"window": window}),
            &xs,
            |i| (i >= window).then(|| mad_score(&xs[i - window..i], xs[i], &xs[..=i])),
            |i| mad_score(centred(i), xs[i], &xs),
        );
        if window >= 4 {
            check(
                "iqr",
                serde_json::json!({"window": window}),
                &xs,
                |i| (i >= window).then(|| iqr_score(&xs[i - window..i], xs[i], &xs[..=i])),
                |i| iqr_score(centred(i), xs[i], &xs),
            );
        }
        let history = 2 + random.below(30) as usize;
        check(
            "zscore",
            serde_json::json!({"min_history": history}),
            &xs,
            |i| (i >= history).then(|| zscore(&xs[..i], xs[i], &xs[..=i])),
            |i| zscore(&xs, xs[i], &xs),
        );
    }
}
