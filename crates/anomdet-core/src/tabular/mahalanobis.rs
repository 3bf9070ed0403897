//! Robust Mahalanobis distance: location and scatter by the minimum covariance determinant
//! (Rousseeuw 1984), approximated by concentration steps (Rousseeuw & Van Driessen 1999) from a
//! robust start (coordinatewise medians and MADs) rather than FastMCD's many random starts,
//! then one reweighting step at the 97.5% χ² quantile. A row's score is its squared distance
//! D² = (x − μ)ᵀ Σ⁻¹ (x − μ); column j's share is (x − μ)_j (Σ⁻¹(x − μ))_j, and the shares
//! sum to D² (one can be negative: a column that moves the row back toward the others).

use super::Matrix;
use super::linalg::solve_spd;
use statrs::distribution::{ChiSquared, ContinuousCDF};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Mahalanobis {
    pub mean: Vec<f64>,
    /// Σ⁻¹, row-major.
    inverse: Vec<f64>,
}

const C_STEPS: usize = 20;

impl Mahalanobis {
    /// None when the scatter is singular (a constant or a linearly dependent column).
    pub fn fit(data: &Matrix) -> Option<Mahalanobis> {
        let (n, d) = (data.rows, data.cols);
        if n <= d {
            return None;
        }
        let h = (n + d).div_ceil(2);
        // Robust start: medians, and a diagonal scatter of squared MADs.
        let mut mean = vec![0.0; d];
        let mut cov = vec![0.0; d * d];
        for j in 0..d {
            let mut col = data.column(j);
            col.sort_by(f64::total_cmp);
            let med = crate::series::quantile_sorted(&col, 0.5);
            let mad = 1.4826 * crate::series::mad_sorted(&col, med);
            mean[j] = med;
            cov[j * d + j] = (mad * mad).max(1e-12);
        }
        let mut model = Mahalanobis::from_moments(mean, &cov, d)?;
        let mut chosen: Vec<usize> = Vec::new();
        for _ in 0..C_STEPS {
            crate::interrupt::check();
            let distances = model.distances(data);
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by(|&a, &b| distances[a].total_cmp(&distances[b]));
            order.truncate(h);
            order.sort_unstable();
            if order == chosen {
                break;
            }
            let (m, c) = moments(data, &order);
            model = Mahalanobis::from_moments(m, &c, d)?;
            chosen = order;
        }
        // Reweighting: rows within the 97.5% χ²_d quantile, with the MCD consistency factor.
        let distances = model.distances(data);
        let mut sorted = distances.clone();
        sorted.sort_by(f64::total_cmp);
        let chi = ChiSquared::new(d as f64).ok()?;
        let consistency = crate::series::quantile_sorted(&sorted, 0.5) / chi.inverse_cdf(0.5);
        let cut = chi.inverse_cdf(0.975) * consistency.max(1e-12);
        let kept: Vec<usize> = (0..n).filter(|&i| distances[i] <= cut).collect();
        if kept.len() > d {
            let (m, c) = moments(data, &kept);
            model = Mahalanobis::from_moments(m, &c, d).unwrap_or(model);
        }
        Some(model)
    }

    fn from_moments(mean: Vec<f64>, cov: &[f64], d: usize) -> Option<Mahalanobis> {
        let mut inverse = vec![0.0; d * d];
        let mut unit = vec![0.0; d];
        for j in 0..d {
            unit.iter_mut().for_each(|u| *u = 0.0);
            unit[j] = 1.0;
            let column = solve_spd(cov, &unit, d)?;
            for i in 0..d {
                inverse[i * d + j] = column[i];
            }
        }
        Some(Mahalanobis { mean, inverse })
    }

    /// D² of the row; with `terms`, each column's share of it.
    pub fn score_terms(&self, row: &[f64], terms: &mut [f64]) -> f64 {
        let d = self.mean.len();
        let mut total = 0.0;
        for j in 0..d {
            let w: f64 = (0..d).map(|k| self.inverse[j * d + k] * (row[k] - self.mean[k])).sum();
            terms[j] = (row[j] - self.mean[j]) * w;
            total += terms[j];
        }
        total
    }

    pub fn distances(&self, data: &Matrix) -> Vec<f64> {
        let mut terms = vec![0.0; data.cols];
        (0..data.rows)
            .map(|i| {
                crate::interrupt::check_every(i);
                self.score_terms(data.row(i), &mut terms)
            })
            .collect()
    }
}

/// Mean and covariance (divided by count − 1) of the chosen rows.
fn moments(data: &Matrix, rows: &[usize]) -> (Vec<f64>, Vec<f64>) {
    let d = data.cols;
    let mut mean = vec![0.0; d];
    for &i in rows {
        for (m, v) in mean.iter_mut().zip(data.row(i)) {
            *m += v;
        }
    }
    mean.iter_mut().for_each(|m| *m /= rows.len() as f64);
    let mut cov = vec![0.0; d * d];
    for &i in rows {
        let r = data.row(i);
        for a in 0..d {
            for b in a..d {
                cov[a * d + b] += (r[a] - mean[a]) * (r[b] - mean[b]);
            }
        }
    }
    let denom = (rows.len().max(2) - 1) as f64;
    for a in 0..d {
        for b in a..d {
            cov[a * d + b] /= denom;
            cov[b * d + a] = cov[a * d + b];
        }
    }
    (mean, cov)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_distance_for_an_identity_scatter() {
        let model = Mahalanobis::from_moments(vec![1.0, 2.0], &[1.0, 0.0, 0.0, 4.0], 2).unwrap();
        let mut t = [0.0; 2];
        // (3 - 1)² / 1 + (6 - 2)² / 4 = 4 + 4.
        assert!((model.score_terms(&[3.0, 6.0], &mut t) - 8.0).abs() < 1e-12);
        assert!((t[0] - 4.0).abs() < 1e-12 && (t[1] - 4.0).abs() < 1e-12);
    }

    #[test]
    fn contamination_does_not_hide_a_correlation_breaker() {
        // y = x plus noise, 10% of rows far away in a cluster, and one row breaking the
        // correlation (x high, y low) but with ordinary values in each column.
        let mut data = Vec::new();
        for i in 0..450 {
            let x = (i as f64 - 225.0) / 100.0;
            data.extend_from_slice(&[x, x + ((i * 7919) % 97) as f64 / 500.0 - 0.1]);
        }
        for i in 0..50 {
            data.extend_from_slice(&[20.0 + (i % 5) as f64 * 0.01, 20.0]);
        }
        data.extend_from_slice(&[1.5, -1.5]);
        let m = Matrix::new(501, 2, data);
        let model = Mahalanobis::fit(&m).unwrap();
        let d = model.distances(&m);
        let typical = {
            let mut s = d[..450].to_vec();
            s.sort_by(f64::total_cmp);
            s[225]
        };
        assert!(d[500] > 50.0 * typical, "breaker {} vs typical {typical}", d[500]);
        assert!(d[460] > 50.0 * typical, "the far cluster stays far: {}", d[460]);
        let mut t = [0.0; 2];
        let total = model.score_terms(m.row(500), &mut t);
        assert!((t[0] + t[1] - total).abs() < 1e-9 * total);
    }
}
