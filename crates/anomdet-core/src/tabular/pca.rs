//! Principal components of the rows, and two scores from them:
//! - PyOD's `PCA` score (the one TSB-AD ranks first on univariate series as Sub-PCA):
//!   Σ_j ‖x − v_j‖ / r_j over every component v_j, with r_j its share of the variance, so the
//!   directions the data barely uses dominate;
//! - the reconstruction from the components that explain `variance` of it, for an expected value.
//!
//! Rows are expected centred (z-scored columns), as PyOD standardises first.

use super::Matrix;
use super::linalg::symmetric_eigen;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pca {
    pub components: Vec<Vec<f64>>,
    /// Each component's variance (eigenvalue), descending.
    pub values: Vec<f64>,
    /// Each component's share of the total variance, descending.
    pub ratios: Vec<f64>,
}

/// Shares below this are rounding, not variance: dividing by them would score noise.
const RATIO_FLOOR: f64 = 1e-9;

impl Pca {
    pub fn fit(data: &Matrix) -> Pca {
        let d = data.cols;
        let (mean, _) = data.column_moments();
        let mut cov = vec![0.0; d * d];
        let mut centred = vec![0.0; d];
        for i in 0..data.rows {
            crate::interrupt::check_every(i * d);
            for (c, (v, m)) in centred.iter_mut().zip(data.row(i).iter().zip(&mean)) {
                *c = v - m;
            }
            for a in 0..d {
                let ca = centred[a];
                let row = &mut cov[a * d..a * d + d];
                for (r, cb) in row[a..].iter_mut().zip(&centred[a..]) {
                    *r += ca * cb;
                }
            }
        }
        let n = (data.rows.max(2) - 1) as f64;
        for a in 0..d {
            for b in a..d {
                cov[a * d + b] /= n;
                cov[b * d + a] = cov[a * d + b];
            }
        }
        let (values, components) = symmetric_eigen(&cov, d);
        let total: f64 = values.iter().map(|v| v.max(0.0)).sum();
        let ratios = values.iter().map(|v| if total > 0.0 { v.max(0.0) / total } else { 1.0 / d as f64 }).collect();
        Pca { components, values, ratios }
    }

    /// PyOD's weighted distance to every component.
    pub fn score(&self, row: &[f64]) -> f64 {
        let norm2: f64 = row.iter().map(|x| x * x).sum();
        self.components
            .iter()
            .zip(&self.ratios)
            .map(|(v, r)| {
                let dot: f64 = row.iter().zip(v).map(|(a, b)| a * b).sum();
                (norm2 - 2.0 * dot + 1.0).max(0.0).sqrt() / r.max(RATIO_FLOOR)
            })
            .sum()
    }

    /// How many leading components explain at least `share` of the variance.
    pub fn components_for(&self, share: f64) -> usize {
        let mut sum = 0.0;
        for (k, r) in self.ratios.iter().enumerate() {
            sum += r;
            if sum >= share {
                return k + 1;
            }
        }
        self.ratios.len()
    }

    /// The squared distance from the row to its projection on the first `k` components (the
    /// squared prediction error, SPE).
    pub fn residual(&self, row: &[f64], k: usize) -> f64 {
        let norm2: f64 = row.iter().map(|x| x * x).sum();
        let kept: f64 =
            self.components[..k].iter().map(|v| row.iter().zip(v).map(|(a, b)| a * b).sum::<f64>().powi(2)).sum();
        (norm2 - kept).max(0.0)
    }

    /// Each column's squared residual after projecting on the first `k` components; they sum
    /// to [`Pca::residual`].
    pub fn residual_terms(&self, row: &[f64], k: usize, terms: &mut [f64]) -> f64 {
        terms.copy_from_slice(row);
        for v in &self.components[..k] {
            let p: f64 = row.iter().zip(v).map(|(a, b)| a * b).sum();
            for (t, c) in terms.iter_mut().zip(v) {
                *t -= p * c;
            }
        }
        let mut total = 0.0;
        for t in terms.iter_mut() {
            *t *= *t;
            total += *t;
        }
        total
    }

    /// The combined index of Yue & Qin (2001), simplified: Hotelling's T² in the first `k`
    /// components plus the SPE in units of the mean variance of the others, so a row far out
    /// along a main direction counts as well as one off them. `terms` gets each column's part
    /// (x_j · Σ_k v_kj p_k / λ_k for T², r_j² / δ for the SPE); they sum to the index.
    pub fn combined_terms(&self, row: &[f64], k: usize, terms: &mut [f64]) -> f64 {
        let d = row.len();
        let rest: Vec<f64> = self.values[k.min(d)..].iter().map(|v| v.max(0.0)).collect();
        let delta = if rest.is_empty() { 1.0 } else { (rest.iter().sum::<f64>() / rest.len() as f64).max(1e-9) };
        let spe = self.residual_terms(row, k, terms);
        terms.iter_mut().for_each(|t| *t /= delta);
        let mut total = spe / delta;
        for (v, &lambda) in self.components[..k].iter().zip(&self.values) {
            let p: f64 = row.iter().zip(v).map(|(a, b)| a * b).sum();
            let w = p / lambda.max(1e-9);
            for ((t, &x), &c) in terms.iter_mut().zip(row).zip(v) {
                *t += x * c * w;
            }
            total += p * w;
        }
        total
    }

    /// Coordinate `at` of the row's projection on the first `k` components.
    pub fn reconstruct_at(&self, row: &[f64], k: usize, at: usize) -> f64 {
        self.components[..k].iter().map(|v| row.iter().zip(v).map(|(a, b)| a * b).sum::<f64>() * v[at]).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_off_the_data_plane_scores_highest() {
        // Rows on the line y = 2x (plus a little noise on z), and one row far off it.
        let mut data = Vec::new();
        for i in 0..200 {
            let x = (i as f64 - 100.0) / 50.0;
            data.extend_from_slice(&[x, 2.0 * x, ((i * 7) % 11) as f64 / 100.0]);
        }
        data.extend_from_slice(&[1.0, -2.0, 0.05]);
        let mut m = Matrix::new(201, 3, data);
        m.standardize_columns();
        let pca = Pca::fit(&m);
        assert!(pca.ratios[0] > 0.6);
        let k = pca.components_for(0.95);
        let spe: Vec<f64> = (0..201).map(|i| pca.residual(m.row(i), k)).collect();
        let top = (0..201).max_by(|&a, &b| spe[a].total_cmp(&spe[b])).unwrap();
        assert_eq!(top, 200);
        // PyOD's score, by its formula: Σ_j ‖x − v_j‖ / r_j.
        let x = m.row(7);
        let by_formula: f64 = pca
            .components
            .iter()
            .zip(&pca.ratios)
            .map(|(v, r)| x.iter().zip(v).map(|(a, b)| (a - b).powi(2)).sum::<f64>().sqrt() / r.max(RATIO_FLOOR))
            .sum();
        assert!((pca.score(x) - by_formula).abs() < 1e-9 * by_formula);
        // The leading components reconstruct an on-line row closely.
        let r = m.row(10).to_vec();
        assert!((pca.reconstruct_at(&r, k, 1) - r[1]).abs() < 0.2);
    }
}
