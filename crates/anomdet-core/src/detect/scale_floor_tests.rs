//! No scale collapse: on quantized, constant and near-constant series without anomalies (integer
//! counts, values rounded to a coarse step, long constant stretches, a continuous sensor that
//! sticks), no detector's score
//! exceeds [`SANE`], in either mode. Before the resolution floor, `mad` scored ordinary rows of
//! a count series at 2e11 (a rolling MAD of 0 divided into a difference of one count).

use super::{Mode, Params, registry, score_series};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal, Poisson};

/// The bound: a robust z of a few hundred is already beyond any threshold anyone sets.
const SANE: f64 = 1e3;

/// A random series of one of four kinds, every value a multiple of a step.
fn quantized(seed: u64) -> (String, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = 1500;
    let step: f64 = [1.0, 0.1, 0.5, 0.01][rng.random_range(0..4)];
    let level: f64 = [0.0, 3.0, 50.0, 2e4][rng.random_range(0..4)];
    let kind = seed % 5;
    let xs: Vec<f64> = match kind {
        // Sparse counts: mostly 0, sometimes 1 or 2.
        0 => {
            let p = Poisson::new([0.05, 0.3, 2.0][rng.random_range(0..3)]).unwrap();
            (0..n).map(|_| p.sample(&mut rng)).collect()
        }
        // Gaussian noise of a few steps, rounded to the step.
        1 => {
            let g = Normal::new(level, step * rng.random_range(0.3..3.0)).unwrap();
            (0..n).map(|_| (g.sample(&mut rng) / step).round() * step).collect()
        }
        // Constant stretches of random length, each at a level a few steps from the last.
        2 => {
            let mut out = Vec::with_capacity(n);
            let mut v = level;
            while out.len() < n {
                let run = rng.random_range(20..400);
                out.extend(std::iter::repeat_n(v, run.min(n - out.len())));
                v += step * rng.random_range(-2..=2) as f64;
            }
            out
        }
        // A continuous sensor (all its digits) stuck at one reading for a third of the time.
        4 => {
            let g = Normal::new(level, 1.0 + level.abs() * 0.01).unwrap();
            let mut out: Vec<f64> = (0..n).map(|_| g.sample(&mut rng)).collect();
            let stuck = out[n / 3];
            out[n / 3..2 * n / 3].iter_mut().for_each(|x| *x = stuck);
            out
        }
        // Near-constant: one value, with a single step up or down now and then.
        _ => (0..n)
            .map(|_| if rng.random_bool(0.02) { level + step * [-1.0, 1.0][rng.random_range(0..2)] } else { level })
            .collect(),
    };
    (format!("seed {seed}, kind {kind}, step {step}, level {level}"), xs)
}

#[test]
fn no_score_above_the_bound_on_quantized_series() {
    let mut failures = Vec::new();
    for seed in 0..20 {
        let (what, xs) = quantized(seed);
        for d in registry() {
            let params = Params::defaults(d.params);
            let modes: &[Mode] = if d.supports_online(&params) { &[Mode::Batch, Mode::Online] } else { &[Mode::Batch] };
            for &mode in modes {
                let out = score_series(d, &params, mode, &xs);
                let worst = out.iter().filter_map(|s| s.score).fold(0.0_f64, |a, b| a.max(b.abs()));
                let nan = out.iter().any(|s| s.score.is_some_and(f64::is_nan));
                if worst > SANE || nan {
                    failures.push(format!("{} {mode:?} on {what}: {worst:e}", d.name));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} scores above {SANE}:\n{}", failures.len(), failures.join("\n"));
}
