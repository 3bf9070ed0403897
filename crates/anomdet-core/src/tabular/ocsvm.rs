//! One-class SVM (Schölkopf et al. 2001) with an RBF kernel, kept linear in rows by random
//! Fourier features (Rahimi & Recht 2007) — the route scikit-learn documents for large data
//! (`RBFSampler` + `SGDOneClassSVM`), since its exact `OneClassSVM` is quadratic in rows.
//!
//! - Features: z(x) = √(2/D) cos(Ωx + b), Ω ~ N(0, 2γ) entrywise, b ~ U[0, 2π), so that
//!   z(x)·z(y) ≈ exp(−γ‖x − y‖²). γ defaults to scikit-learn's "scale", 1 / (d · Var(X)).
//! - Fit: the primal ν-SVM, min ν/2 ‖w‖² − νρ + mean(max(0, ρ − w·z_i)), by Pegasos-style
//!   stochastic subgradient steps (step 1/(ν t)) over shuffled epochs of at most `sample`
//!   rows, averaging the iterates of the second half.
//! - Score: ρ − w·z(x), the distance outside the learned region (positive: outside).

use super::Matrix;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

pub struct Settings {
    pub nu: f64,
    /// 0: scikit-learn's "scale".
    pub gamma: f64,
    pub components: usize,
    pub epochs: usize,
    pub sample: usize,
    pub seed: u64,
}

pub struct OneClassSvm {
    /// D × d frequencies, row-major.
    omega: Vec<f64>,
    phase: Vec<f64>,
    dims: usize,
    w: Vec<f64>,
    rho: f64,
}

impl OneClassSvm {
    pub fn fit(data: &Matrix, s: &Settings) -> OneClassSvm {
        let (n, d, big_d) = (data.rows, data.cols, s.components);
        let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
        let gamma = if s.gamma > 0.0 { s.gamma } else { scale_gamma(data) };
        let normal = Normal::new(0.0, (2.0 * gamma).sqrt()).unwrap_or_else(|_| Normal::new(0.0, 1.0).expect("sd 1"));
        let omega: Vec<f64> = (0..big_d * d).map(|_| normal.sample(&mut rng)).collect();
        let phase: Vec<f64> = (0..big_d).map(|_| rng.random::<f64>() * std::f64::consts::TAU).collect();
        let mut model = OneClassSvm { omega, phase, dims: d, w: vec![0.0; big_d], rho: 0.0 };

        // The training rows' features, computed once.
        let mut rows: Vec<usize> = (0..n).collect();
        rows.shuffle(&mut rng);
        rows.truncate(s.sample.min(n));
        let mut z = vec![0.0; rows.len() * big_d];
        for (k, &i) in rows.iter().enumerate() {
            crate::interrupt::check_every(k);
            model.features(data.row(i), &mut z[k * big_d..(k + 1) * big_d]);
        }

        let nu = s.nu;
        let (mut w, mut rho) = (vec![0.0; big_d], 0.0);
        let (mut w_avg, mut rho_avg, mut averaged) = (vec![0.0; big_d], 0.0, 0usize);
        let total = s.epochs * rows.len();
        let mut order: Vec<usize> = (0..rows.len()).collect();
        let mut t = 0usize;
        for _ in 0..s.epochs {
            order.shuffle(&mut rng);
            for &k in &order {
                t += 1;
                crate::interrupt::check_every(t);
                let zi = &z[k * big_d..(k + 1) * big_d];
                let eta = 1.0 / (nu * t as f64);
                let margin: f64 = w.iter().zip(zi).map(|(a, b)| a * b).sum();
                let violated = rho - margin > 0.0;
                let shrink = 1.0 - eta * nu;
                for (wj, zj) in w.iter_mut().zip(zi) {
                    *wj = shrink * *wj + if violated { eta * zj } else { 0.0 };
                }
                rho += eta * (nu - if violated { 1.0 } else { 0.0 });
                if 2 * t > total {
                    averaged += 1;
                    let a = 1.0 / averaged as f64;
                    for (m, v) in w_avg.iter_mut().zip(&w) {
                        *m += (v - *m) * a;
                    }
                    rho_avg += (rho - rho_avg) * a;
                }
            }
        }
        model.w = w_avg;
        model.rho = rho_avg;
        model
    }

    fn features(&self, x: &[f64], out: &mut [f64]) {
        let norm = (2.0 / out.len() as f64).sqrt();
        for (j, o) in out.iter_mut().enumerate() {
            let f = &self.omega[j * self.dims..(j + 1) * self.dims];
            let dot: f64 = f.iter().zip(x).map(|(a, b)| a * b).sum();
            *o = norm * (dot + self.phase[j]).cos();
        }
    }

    /// ρ − w·z(x): positive outside the learned region, larger further out.
    pub fn score(&self, x: &[f64], scratch: &mut Vec<f64>) -> f64 {
        scratch.resize(self.w.len(), 0.0);
        self.features(x, scratch);
        self.rho - self.w.iter().zip(scratch.iter()).map(|(a, b)| a * b).sum::<f64>()
    }

    pub fn score_all(&self, data: &Matrix) -> Vec<f64> {
        let mut scratch = Vec::new();
        (0..data.rows)
            .map(|i| {
                crate::interrupt::check_every(i);
                self.score(data.row(i), &mut scratch)
            })
            .collect()
    }
}

/// scikit-learn's gamma = "scale": 1 / (d · variance of all entries).
fn scale_gamma(data: &Matrix) -> f64 {
    let n = data.data.len().max(1) as f64;
    let mean = data.data.iter().sum::<f64>() / n;
    let var = data.data.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    if var > 0.0 { 1.0 / (data.cols as f64 * var) } else { 1.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings { nu: 0.5, gamma: 0.0, components: 200, epochs: 10, sample: 10_000, seed: 1 }
    }

    #[test]
    fn features_approximate_the_rbf_kernel() {
        let data = Matrix::new(2, 3, vec![0.1, 0.5, -0.3, 0.4, 0.2, 0.0]);
        let s = Settings { gamma: 0.5, components: 20_000, epochs: 0, ..settings() };
        let model = OneClassSvm::fit(&data, &s);
        let (mut a, mut b) = (vec![0.0; 20_000], vec![0.0; 20_000]);
        model.features(data.row(0), &mut a);
        model.features(data.row(1), &mut b);
        let approx: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        let exact = (-0.5 * super::super::squared_distance(data.row(0), data.row(1))).exp();
        assert!((approx - exact).abs() < 0.02, "{approx} vs {exact}");
    }

    #[test]
    fn about_nu_of_the_training_rows_fall_outside_and_a_far_row_scores_highest() {
        // A ring of points: with a kernel narrower than the ring (γ = 10), its inside is as
        // unusual as a far point (with "scale", γ = 1, every ring point is within reach of the
        // centre, and the exact SVM keeps the centre inside too).
        let mut d = Vec::new();
        for i in 0..2000 {
            let a = i as f64 * 0.618_034 * std::f64::consts::TAU;
            let r = 1.0 + ((i * 7919) % 100) as f64 / 1000.0;
            d.extend_from_slice(&[r * a.cos(), r * a.sin()]);
        }
        d.extend_from_slice(&[0.0, 0.0, 3.0, 3.0]);
        let m = Matrix::new(2002, 2, d);
        let model = OneClassSvm::fit(&m, &Settings { gamma: 10.0, components: 500, ..settings() });
        let scores = model.score_all(&m);
        let outside = scores[..2000].iter().filter(|&&s| s > 0.0).count() as f64 / 2000.0;
        assert!((0.3..0.7).contains(&outside), "share outside {outside}");
        let ring_max = scores[..2000].iter().copied().fold(f64::MIN, f64::max);
        assert!(scores[2000] > ring_max, "centre {} vs ring {ring_max}", scores[2000]);
        assert!(scores[2001] > ring_max, "far {} vs ring {ring_max}", scores[2001]);
    }

    #[test]
    fn the_same_seed_gives_the_same_model() {
        let m = Matrix::new(100, 2, (0..200).map(|i| ((i * 37) % 17) as f64).collect());
        assert_eq!(OneClassSvm::fit(&m, &settings()).score_all(&m), OneClassSvm::fit(&m, &settings()).score_all(&m));
    }
}
