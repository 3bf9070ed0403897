//! One-class SVM (Schölkopf et al. 2001) with an RBF kernel, kept linear in rows by a kernel
//! approximation — the route scikit-learn documents for large data (`Nystroem` or
//! `RBFSampler`, then `SGDOneClassSVM`), since its exact `OneClassSVM` is quadratic in rows.
//!
//! - Features, so that z(x)·z(y) ≈ k(x, y) = exp(−γ‖x − y‖²), γ by default scikit-learn's
//!   "scale", 1 / (d · Var(X)):
//!   - Nyström (Williams & Seeger 2001; the default): D landmark rows L sampled with the seed,
//!     z(x) = K_LL^(−1/2) k(L, x). Exact for the landmarks, and close for rows near them, so
//!     few components suffice even for long windows.
//!   - random Fourier features (Rahimi & Recht 2007): z(x) = √(2/D) cos(Ωx + b),
//!     Ω ~ N(0, 2γ), b ~ U[0, 2π): data-independent, needs many components in many dimensions.
//! - Fit: the primal ν-SVM, min ν/2 ‖w‖² − νρ + mean(max(0, ρ − w·z_i)), by Pegasos-style
//!   stochastic subgradient steps (step 1/(ν t)) over shuffled epochs of at most `sample`
//!   rows, averaging the iterates of the second half.
//! - Score: ρ − w·z(x), the distance outside the learned region (positive: outside).

use super::Matrix;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

/// How the kernel is approximated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approximation {
    Nystroem,
    Fourier,
}

pub struct Settings {
    pub approximation: Approximation,
    pub nu: f64,
    /// 0: scikit-learn's "scale".
    pub gamma: f64,
    pub components: usize,
    pub epochs: usize,
    pub sample: usize,
    pub seed: u64,
}

#[derive(Serialize, Deserialize)]
enum FeatureMap {
    /// D × d frequencies (row-major) and D phases.
    Fourier { omega: Vec<f64>, phase: Vec<f64> },
    /// Landmarks (D × d, row-major), γ, and K_LL^(−1/2) (D × D, row-major).
    Nystroem { landmarks: Vec<f64>, gamma: f64, whiten: Vec<f64> },
}

#[derive(Serialize, Deserialize)]
pub struct OneClassSvm {
    map: FeatureMap,
    dims: usize,
    w: Vec<f64>,
    rho: f64,
    /// Nyström only: K^(−1/2) w (the whitening is symmetric).
    folded: Vec<f64>,
}

impl OneClassSvm {
    pub fn fit(data: &Matrix, s: &Settings) -> OneClassSvm {
        let (n, d) = (data.rows, data.cols);
        let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
        let gamma = if s.gamma > 0.0 { s.gamma } else { scale_gamma(data) };
        let map = match s.approximation {
            Approximation::Fourier => fourier(d, s.components, gamma, &mut rng),
            Approximation::Nystroem => nystroem(data, s.components, gamma, &mut rng),
        };
        let big_d = map.len(d);
        let mut model = OneClassSvm { map, dims: d, w: vec![0.0; big_d], rho: 0.0, folded: Vec::new() };

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
        if let FeatureMap::Nystroem { whiten, .. } = &model.map {
            model.folded = (0..big_d).map(|a| (0..big_d).map(|b| whiten[a * big_d + b] * w_avg[b]).sum()).collect();
        }
        model.w = w_avg;
        model.rho = rho_avg;
        model
    }

    fn features(&self, x: &[f64], out: &mut [f64]) {
        let d = self.dims;
        match &self.map {
            FeatureMap::Fourier { omega, phase } => {
                let norm = (2.0 / out.len() as f64).sqrt();
                for (j, o) in out.iter_mut().enumerate() {
                    let dot: f64 = omega[j * d..(j + 1) * d].iter().zip(x).map(|(a, b)| a * b).sum();
                    *o = norm * (dot + phase[j]).cos();
                }
            }
            FeatureMap::Nystroem { landmarks, gamma, whiten } => {
                let k: Vec<f64> =
                    landmarks.chunks_exact(d).map(|l| (-gamma * super::squared_distance(l, x)).exp()).collect();
                for (j, o) in out.iter_mut().enumerate() {
                    *o = whiten[j * k.len()..(j + 1) * k.len()].iter().zip(&k).map(|(a, b)| a * b).sum();
                }
            }
        }
    }

    /// ρ − w·z(x): positive outside the learned region, larger further out. With Nyström
    /// features w·z(x) = w·(K^(−1/2) k(L, x)) = (K^(−1/2) w)·k(L, x): the whitening folds into
    /// `folded` once, and a row costs D kernel values instead of a D × D product.
    pub fn score(&self, x: &[f64], scratch: &mut Vec<f64>) -> f64 {
        if let FeatureMap::Nystroem { landmarks, gamma, .. } = &self.map {
            let d = self.dims;
            let dot: f64 = landmarks
                .chunks_exact(d)
                .zip(&self.folded)
                .map(|(l, u)| u * (-gamma * super::squared_distance(l, x)).exp())
                .sum();
            return self.rho - dot;
        }
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

impl FeatureMap {
    fn len(&self, dims: usize) -> usize {
        match self {
            FeatureMap::Fourier { phase, .. } => phase.len(),
            FeatureMap::Nystroem { landmarks, .. } => landmarks.len() / dims.max(1),
        }
    }
}

fn fourier(d: usize, components: usize, gamma: f64, rng: &mut ChaCha8Rng) -> FeatureMap {
    let normal = Normal::new(0.0, (2.0 * gamma).sqrt()).unwrap_or_else(|_| Normal::new(0.0, 1.0).expect("sd 1"));
    let omega = (0..components * d).map(|_| normal.sample(rng)).collect();
    let phase = (0..components).map(|_| rng.random::<f64>() * std::f64::consts::TAU).collect();
    FeatureMap::Fourier { omega, phase }
}

/// Nyström features on `components` sampled rows: K_LL^(−1/2) from its eigendecomposition,
/// eigenvalues below 1e-12 of the largest dropped (as scikit-learn's pseudo-inverse root).
fn nystroem(data: &Matrix, components: usize, gamma: f64, rng: &mut ChaCha8Rng) -> FeatureMap {
    let d = data.cols;
    let mut rows: Vec<usize> = (0..data.rows).collect();
    rows.shuffle(rng);
    rows.truncate(components.min(data.rows).max(1));
    let m = rows.len();
    let landmarks: Vec<f64> = rows.iter().flat_map(|&i| data.row(i).iter().copied()).collect();
    let mut k = vec![0.0; m * m];
    for a in 0..m {
        for b in 0..=a {
            let v = (-gamma * super::squared_distance(&landmarks[a * d..(a + 1) * d], &landmarks[b * d..(b + 1) * d]))
                .exp();
            k[a * m + b] = v;
            k[b * m + a] = v;
        }
    }
    let (values, vectors) = super::linalg::symmetric_eigen(&k, m);
    let floor = 1e-12 * values.first().copied().unwrap_or(0.0).max(0.0);
    let mut whiten = vec![0.0; m * m];
    for (value, vector) in values.iter().zip(&vectors) {
        if *value <= floor {
            continue;
        }
        let inv_root = 1.0 / value.sqrt();
        for a in 0..m {
            for b in 0..m {
                whiten[a * m + b] += vector[a] * vector[b] * inv_root;
            }
        }
    }
    FeatureMap::Nystroem { landmarks, gamma, whiten }
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
        Settings {
            approximation: Approximation::Nystroem,
            nu: 0.5,
            gamma: 0.0,
            components: 200,
            epochs: 10,
            sample: 10_000,
            seed: 1,
        }
    }

    #[test]
    fn nystroem_features_reproduce_the_kernel_between_landmarks() {
        let data = Matrix::new(30, 3, (0..90).map(|i| ((i * 37) % 19) as f64 / 10.0).collect());
        let s = Settings { gamma: 0.5, components: 30, epochs: 0, ..settings() };
        let model = OneClassSvm::fit(&data, &s);
        let (mut a, mut b) = (vec![0.0; 30], vec![0.0; 30]);
        for (i, j) in [(0, 1), (3, 17), (5, 5)] {
            model.features(data.row(i), &mut a);
            model.features(data.row(j), &mut b);
            let approx: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            let exact = (-0.5 * super::super::squared_distance(data.row(i), data.row(j))).exp();
            assert!((approx - exact).abs() < 1e-6, "{i},{j}: {approx} vs {exact}");
        }
    }

    #[test]
    fn fourier_features_approximate_the_rbf_kernel() {
        let data = Matrix::new(2, 3, vec![0.1, 0.5, -0.3, 0.4, 0.2, 0.0]);
        let s =
            Settings { approximation: Approximation::Fourier, gamma: 0.5, components: 20_000, epochs: 0, ..settings() };
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
        let model = OneClassSvm::fit(&m, &Settings { gamma: 10.0, components: 200, ..settings() });
        let scores = model.score_all(&m);
        let outside = scores[..2000].iter().filter(|&&s| s > 0.0).count() as f64 / 2000.0;
        assert!((0.3..0.7).contains(&outside), "share outside {outside}");
        let ring_max = scores[..2000].iter().copied().fold(f64::MIN, f64::max);
        assert!(scores[2000] > ring_max, "centre {} vs ring {ring_max}", scores[2000]);
        assert!(scores[2001] > ring_max, "far {} vs ring {ring_max}", scores[2001]);
    }

    #[test]
    fn folded_nystroem_scores_equal_the_feature_scores() {
        let m = Matrix::new(300, 3, (0..900).map(|i| ((i * 37) % 23) as f64 / 7.0).collect());
        let model = OneClassSvm::fit(&m, &settings());
        let mut z = vec![0.0; model.w.len()];
        for i in [0, 17, 299] {
            model.features(m.row(i), &mut z);
            let direct = model.rho - model.w.iter().zip(&z).map(|(a, b)| a * b).sum::<f64>();
            assert!((model.score(m.row(i), &mut Vec::new()) - direct).abs() < 1e-9);
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_model() {
        let m = Matrix::new(100, 2, (0..200).map(|i| ((i * 37) % 17) as f64).collect());
        for approximation in [Approximation::Nystroem, Approximation::Fourier] {
            let s = || Settings { approximation, ..settings() };
            assert_eq!(OneClassSvm::fit(&m, &s()).score_all(&m), OneClassSvm::fit(&m, &s()).score_all(&m));
        }
    }
}
