//! Histogram-based outlier score (Goldstein & Dengel 2012), as PyOD's `HBOS` with static bins:
//! one equal-width histogram of `bins` bins per column, as a density; a row's score is
//! Σ_j −log(density_j(x_j) + alpha). A value outside a column's range but within `tol` bin
//! widths of it takes the edge bin's density, further out the column's lowest density.
//! The per-column terms are the row's explanation.

use super::Matrix;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Hbos {
    columns: Vec<Histogram>,
    tol: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Histogram {
    lo: f64,
    width: f64,
    /// bins / (hi - lo): a multiply per value, as numpy's histogram.
    per_width: f64,
    /// −ln(density + alpha) per bin, and for the lowest density: scoring is a lookup.
    term: Vec<f64>,
    lowest_term: f64,
}

impl Hbos {
    pub fn fit(data: &Matrix, bins: usize, alpha: f64, tol: f64) -> Hbos {
        let bins = bins.max(1);
        // Row-major passes over the whole matrix: a pass per column would stride through it
        // 2 x cols times.
        let mut lo = vec![f64::INFINITY; data.cols];
        let mut hi = vec![f64::NEG_INFINITY; data.cols];
        for i in 0..data.rows {
            crate::interrupt::check_every(i);
            for ((l, h), &v) in lo.iter_mut().zip(hi.iter_mut()).zip(data.row(i)) {
                *l = l.min(v);
                *h = h.max(v);
            }
        }
        let mut columns: Vec<Histogram> = lo
            .iter()
            .zip(&hi)
            .map(|(&lo, &hi)| {
                // A constant column: one bin of unit width around its value (numpy's rule).
                let (lo, hi) = if hi > lo { (lo, hi) } else { (lo - 0.5, lo + 0.5) };
                Histogram {
                    lo,
                    width: (hi - lo) / bins as f64,
                    per_width: bins as f64 / (hi - lo),
                    term: vec![0.0; bins],
                    lowest_term: 0.0,
                }
            })
            .collect();
        let mut counts = vec![0usize; bins * data.cols];
        for i in 0..data.rows {
            crate::interrupt::check_every(i);
            for (j, (h, &v)) in columns.iter().zip(data.row(i)).enumerate() {
                counts[j * bins + h.bin_of(v)] += 1;
            }
        }
        for (h, counts) in columns.iter_mut().zip(counts.chunks_exact(bins)) {
            let scale = 1.0 / (data.rows.max(1) as f64 * h.width);
            let lowest = counts.iter().map(|&c| c as f64 * scale).fold(f64::INFINITY, f64::min);
            for (t, &c) in h.term.iter_mut().zip(counts) {
                *t = -(c as f64 * scale + alpha).ln();
            }
            h.lowest_term = -(lowest + alpha).ln();
        }
        Hbos { columns, tol }
    }

    /// The row's score and, into `terms`, each column's share of it.
    pub fn score_terms(&self, row: &[f64], terms: &mut [f64]) -> f64 {
        let mut total = 0.0;
        for ((h, &v), t) in self.columns.iter().zip(row).zip(terms.iter_mut()) {
            *t = h.term_at(v, self.tol);
            total += *t;
        }
        total
    }

    pub fn score_all(&self, data: &Matrix) -> Vec<f64> {
        (0..data.rows)
            .map(|i| {
                crate::interrupt::check_every(i);
                self.columns.iter().zip(data.row(i)).map(|(h, &v)| h.term_at(v, self.tol)).sum()
            })
            .collect()
    }
}

impl Histogram {
    /// −ln(density + alpha) at `v`; outside the range, the edge bin within `tol` widths, else
    /// the lowest density.
    #[inline]
    fn term_at(&self, v: f64, tol: f64) -> f64 {
        let bins = self.term.len();
        let hi = self.lo + self.width * bins as f64;
        if v < self.lo {
            if self.lo - v <= tol * self.width { self.term[0] } else { self.lowest_term }
        } else if v > hi {
            if v - hi <= tol * self.width { self.term[bins - 1] } else { self.lowest_term }
        } else {
            self.term[self.bin_of(v)]
        }
    }

    /// The bin of `v` within the range; the right edge belongs to the last bin, as numpy's
    /// histogram.
    #[inline]
    fn bin_of(&self, v: f64) -> usize {
        (((v - self.lo) * self.per_width) as usize).min(self.term.len() - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_densities_and_scores() {
        // 0..9 and another 9 in one column, 10 bins of width 0.9: one value in each bin but
        // the last, which holds two.
        let m = Matrix::new(11, 1, (0..10).chain([9]).map(f64::from).collect());
        let h = Hbos::fit(&m, 10, 0.1, 0.5);
        let one = 1.0 / (11.0 * 0.9);
        let mut terms = [0.0];
        assert!((h.score_terms(&[0.0], &mut terms) - (-(one + 0.1f64).ln())).abs() < 1e-12);
        assert!((h.score_terms(&[9.0], &mut terms) - (-(2.0 * one + 0.1f64).ln())).abs() < 1e-12);
        // Far outside: the lowest density (one value), within tol: the edge bin.
        assert!((h.score_terms(&[100.0], &mut terms) - (-(one + 0.1f64).ln())).abs() < 1e-12);
        assert!((h.score_terms(&[9.3], &mut terms) - (-(2.0 * one + 0.1f64).ln())).abs() < 1e-12);
    }

    #[test]
    fn a_rare_value_scores_above_common_ones_and_terms_sum_to_the_score() {
        let mut data: Vec<f64> = Vec::new();
        for i in 0..200 {
            data.extend_from_slice(&[(i % 10) as f64 / 10.0, 5.0 + (i % 7) as f64 / 7.0]);
        }
        data.extend_from_slice(&[0.5, 9.0]);
        let m = Matrix::new(201, 2, data);
        let h = Hbos::fit(&m, 10, 0.1, 0.5);
        let scores = h.score_all(&m);
        assert!(scores[200] > scores[..200].iter().copied().fold(f64::MIN, f64::max));
        let mut terms = [0.0; 2];
        let total = h.score_terms(m.row(200), &mut terms);
        assert!((terms[0] + terms[1] - total).abs() < 1e-12);
        assert!(terms[1] > terms[0], "the second column explains it: {terms:?}");
    }
}
