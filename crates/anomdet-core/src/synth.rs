//! Synthetic base signals for `anomdet.generate`, seeded: sine, square, sawtooth, random walk,
//! ECG-like beats, cylinder-bell-funnel, polynomial trend and constant; plus noise and a linear
//! trend on top. Several channels and several series each get their own random stream.

use crate::inject::{Rng, rng};
use rand::Rng as _;
use rand_distr::{Distribution, Normal};
use std::f64::consts::TAU;

/// The base signal kinds, in listing order.
pub const KINDS: &[&str] = &["sine", "square", "sawtooth", "random_walk", "ecg", "cbf", "polynomial", "constant"];

/// Everything that shapes one generated channel.
#[derive(Debug, Clone)]
pub struct Spec {
    pub kind: String,
    pub length: usize,
    /// Rows per period (beats for ecg, average pattern length for cbf).
    pub period: f64,
    pub amplitude: f64,
    /// Standard deviation of the Gaussian noise added to every value.
    pub noise: f64,
    /// Total linear drift from the first row to the last.
    pub trend: f64,
    pub offset: f64,
    /// Polynomial coefficients, lowest order first, over t in [0, 1].
    pub coefficients: Vec<f64>,
}

/// Generate one channel of one series. `series` and `channel` pick independent random streams;
/// periodic channels are phase-shifted by `channel / channels` of a period.
pub fn generate(spec: &Spec, seed: i64, series: usize, channel: usize, channels: usize) -> Vec<f64> {
    let mut r = rng(seed, 1_000_000 + (series as u64) * 1000 + channel as u64);
    let phase = channel as f64 / channels.max(1) as f64 + if series > 0 { r.random::<f64>() } else { 0.0 };
    let n = spec.length;
    let mut base = match spec.kind.as_str() {
        "sine" => (0..n).map(|i| spec.amplitude * (TAU * (i as f64 / spec.period + phase)).sin()).collect(),
        "square" => (0..n)
            .map(|i| if ((i as f64 / spec.period + phase).fract()) < 0.5 { spec.amplitude } else { -spec.amplitude })
            .collect(),
        "sawtooth" => (0..n).map(|i| spec.amplitude * (2.0 * (i as f64 / spec.period + phase).fract() - 1.0)).collect(),
        "random_walk" => random_walk(n, spec.amplitude, &mut r),
        "ecg" => (0..n).map(|i| spec.amplitude * heartbeat((i as f64 / spec.period + phase).fract())).collect(),
        "cbf" => cylinder_bell_funnel(n, spec.period, spec.amplitude, &mut r),
        "polynomial" => (0..n)
            .map(|i| {
                let t = if n > 1 { i as f64 / (n - 1) as f64 } else { 0.0 };
                spec.coefficients.iter().rev().fold(0.0, |acc, c| acc * t + c)
            })
            .collect(),
        _ => vec![spec.amplitude; n], // "constant"; kinds are validated by the caller
    };
    let noise = Normal::new(0.0, spec.noise.max(0.0)).expect("sd is finite and non-negative");
    for (i, v) in base.iter_mut().enumerate() {
        let drift = if n > 1 { spec.trend * i as f64 / (n - 1) as f64 } else { 0.0 };
        *v += spec.offset + drift + if spec.noise > 0.0 { noise.sample(&mut r) } else { 0.0 };
    }
    base
}

/// Steps of N(0, 1), scaled so the walk spans about ±amplitude.
fn random_walk(n: usize, amplitude: f64, r: &mut Rng) -> Vec<f64> {
    let step = Normal::new(0.0, 1.0).expect("valid");
    let mut level = 0.0;
    let walk: Vec<f64> = (0..n)
        .map(|_| {
            level += step.sample(r);
            level
        })
        .collect();
    let peak = walk.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    walk.iter().map(|v| if peak > 0.0 { amplitude * v / peak } else { 0.0 }).collect()
}

/// One ECG-like beat at phase θ in [0, 1): P, Q, R, S and T waves as Gaussian bumps
/// (the shape of McSharry et al.'s dynamical model, without its dynamics).
fn heartbeat(theta: f64) -> f64 {
    const WAVES: [(f64, f64, f64); 5] =
        [(0.10, 0.20, 0.025), (-0.10, 0.37, 0.010), (1.00, 0.40, 0.012), (-0.25, 0.43, 0.012), (0.30, 0.65, 0.050)];
    WAVES.iter().map(|(a, mu, sd)| a * (-((theta - mu) / sd).powi(2)).exp()).sum()
}

/// Saito's cylinder-bell-funnel: blocks of about `period` rows, each holding one event of a
/// random kind (plateau, rising ramp, falling ramp) of height (6 + η)/6 × amplitude.
fn cylinder_bell_funnel(n: usize, period: f64, amplitude: f64, r: &mut Rng) -> Vec<f64> {
    let mut out = vec![0.0; n];
    let mut start = 0usize;
    while start < n {
        let block = ((period * r.random_range(0.5..1.5)).round() as usize).max(4);
        let a = start + (block as f64 * r.random_range(0.125..0.25)) as usize;
        let b = (a + (block as f64 * r.random_range(0.25..0.75)) as usize).max(a + 1);
        let height = amplitude * (6.0 + Normal::new(0.0, 1.0).expect("valid").sample(r)) / 6.0;
        let kind = r.random_range(0..3);
        for (i, v) in out.iter_mut().enumerate().take(b.min(n)).skip(a) {
            let t = (i - a) as f64 / (b - a) as f64;
            *v = height
                * match kind {
                    0 => 1.0,
                    1 => t,
                    _ => 1.0 - t,
                };
        }
        start += block;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kind: &str) -> Spec {
        Spec {
            kind: kind.into(),
            length: 1000,
            period: 100.0,
            amplitude: 2.0,
            noise: 0.0,
            trend: 0.0,
            offset: 10.0,
            coefficients: vec![1.0, 2.0],
        }
    }

    #[test]
    fn every_kind_is_reproducible_and_sized() {
        for kind in KINDS {
            let a = generate(&spec(kind), 42, 0, 0, 1);
            assert_eq!(a.len(), 1000);
            assert_eq!(a, generate(&spec(kind), 42, 0, 0, 1), "{kind}");
            assert!(a.iter().all(|v| v.is_finite()), "{kind}");
        }
    }

    #[test]
    fn periodic_kinds_repeat_with_their_period() {
        for kind in ["sine", "square", "sawtooth", "ecg"] {
            let v = generate(&spec(kind), 1, 0, 0, 1);
            assert!((v[17] - v[117]).abs() < 1e-9, "{kind}");
        }
        let sine = generate(&spec("sine"), 1, 0, 0, 1);
        assert!((sine[25] - 12.0).abs() < 1e-9); // quarter period: offset + amplitude
    }

    #[test]
    fn polynomial_noise_and_trend() {
        let p = generate(&spec("polynomial"), 1, 0, 0, 1);
        assert!((p[0] - 11.0).abs() < 1e-12 && (p[999] - 13.0).abs() < 1e-12); // 10 + 1 + 2t
        let mut s = spec("constant");
        s.trend = 5.0;
        s.noise = 1.0;
        let c = generate(&s, 1, 0, 0, 1);
        let (mean, sd) = crate::series::mean_sd(&c);
        assert!((mean - 14.5).abs() < 0.2 && (sd - 1.76).abs() < 0.15, "mean {mean} sd {sd}");
    }

    #[test]
    fn channels_and_series_differ() {
        let s = spec("random_walk");
        assert_ne!(generate(&s, 1, 0, 0, 2), generate(&s, 1, 0, 1, 2));
        assert_ne!(generate(&s, 1, 0, 0, 1), generate(&s, 1, 1, 0, 1));
    }
}
