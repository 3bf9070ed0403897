//! Tabular outlier models: each fits on the rows of a matrix and scores rows, higher meaning
//! more anomalous. Rows are points of several columns, or the sliding windows of one series
//! (see [`crate::subsequence`]), which turns every model here into a subsequence detector.

pub mod copod;
pub mod hbos;
pub mod isolation_forest;
pub mod kmeans;
pub mod knn;
pub mod linalg;
pub mod lof;
pub mod mahalanobis;
pub mod one_class_svm;
pub mod params;
pub mod pca;

/// A dense row-major matrix.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Matrix {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f64>,
}

impl Matrix {
    pub fn new(rows: usize, cols: usize, data: Vec<f64>) -> Matrix {
        assert_eq!(data.len(), rows * cols, "matrix data does not fit {rows} x {cols}");
        Matrix { rows, cols, data }
    }

    pub fn zeros(rows: usize, cols: usize) -> Matrix {
        Matrix { rows, cols, data: vec![0.0; rows * cols] }
    }

    #[inline]
    pub fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }

    #[inline]
    pub fn row_mut(&mut self, i: usize) -> &mut [f64] {
        &mut self.data[i * self.cols..(i + 1) * self.cols]
    }

    pub fn column(&self, j: usize) -> Vec<f64> {
        (0..self.rows).map(|i| self.data[i * self.cols + j]).collect()
    }

    /// Column means and standard deviations (population), for z-scoring.
    pub fn column_moments(&self) -> (Vec<f64>, Vec<f64>) {
        let n = self.rows.max(1) as f64;
        let mut mean = vec![0.0; self.cols];
        for i in 0..self.rows {
            crate::interrupt::check_every(i * self.cols);
            for (m, v) in mean.iter_mut().zip(self.row(i)) {
                *m += v;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n);
        let mut var = vec![0.0; self.cols];
        for i in 0..self.rows {
            crate::interrupt::check_every(i * self.cols);
            for ((s, v), m) in var.iter_mut().zip(self.row(i)).zip(&mean) {
                *s += (v - m) * (v - m);
            }
        }
        let sd = var.iter().map(|s| (s / n).sqrt()).collect();
        (mean, sd)
    }

    /// Z-score every column in place (a constant column becomes zeros); returns the moments used.
    pub fn standardize_columns(&mut self) -> (Vec<f64>, Vec<f64>) {
        let (mean, sd) = self.column_moments();
        let cols = self.cols;
        for i in 0..self.rows {
            for (j, v) in self.row_mut(i).iter_mut().enumerate() {
                *v = if sd[j] > 0.0 { (*v - mean[j]) / sd[j] } else { 0.0 };
            }
            crate::interrupt::check_every(i * cols);
        }
        (mean, sd)
    }
}

/// The rows of `data` at `indices`, in that order, as a matrix of their own.
pub fn gather_rows(data: &Matrix, indices: &[usize]) -> Matrix {
    let mut out = Vec::with_capacity(indices.len() * data.cols);
    for &i in indices {
        out.extend_from_slice(data.row(i));
    }
    Matrix::new(indices.len(), data.cols, out)
}

/// Squared Euclidean distance, in four lanes so the compiler can vectorise it.
#[inline]
pub fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let chunks = a.len() / 4;
    for c in 0..chunks {
        for l in 0..4 {
            let d = a[4 * c + l] - b[4 * c + l];
            acc[l] += d * d;
        }
    }
    let mut sum = acc[0] + acc[1] + acc[2] + acc[3];
    for k in 4 * chunks..a.len() {
        let d = a[k] - b[k];
        sum += d * d;
    }
    sum
}

/// Squared Euclidean distance, or any value above `bound` as soon as the partial sum passes
/// it: a nearest-neighbour search needs no more once a candidate is out of the running.
#[inline]
pub fn squared_distance_within(a: &[f64], b: &[f64], bound: f64) -> f64 {
    let mut sum = 0.0;
    for (ca, cb) in a.chunks(16).zip(b.chunks(16)) {
        sum += squared_distance(ca, cb);
        if sum > bound {
            return sum;
        }
    }
    sum
}

/// Average path length of an unsuccessful search in a binary search tree of `n` points: the
/// normaliser of isolation depths (Liu, Ting & Zhou 2008).
pub fn average_path_length(n: usize) -> f64 {
    match n {
        0 | 1 => 0.0,
        2 => 1.0,
        _ => {
            let n = n as f64;
            2.0 * ((n - 1.0).ln() + 0.577_215_664_901_532_9) - 2.0 * (n - 1.0) / n
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standardize_gives_zero_mean_unit_sd_and_zeros_for_constant_columns() {
        let mut m = Matrix::new(4, 2, vec![1.0, 5.0, 2.0, 5.0, 3.0, 5.0, 4.0, 5.0]);
        m.standardize_columns();
        let (mean, sd) = m.column_moments();
        assert!(mean[0].abs() < 1e-12 && (sd[0] - 1.0).abs() < 1e-12);
        assert_eq!(m.column(1), vec![0.0; 4]);
    }

    #[test]
    fn squared_distance_matches_the_plain_sum() {
        let a: Vec<f64> = (0..11).map(|i| i as f64 * 0.5).collect();
        let b: Vec<f64> = (0..11).map(|i| (i * i) as f64 * 0.1).collect();
        let plain: f64 = a.iter().zip(&b).map(|(x, y)| (x - y) * (x - y)).sum();
        assert!((squared_distance(&a, &b) - plain).abs() < 1e-9);
    }

    #[test]
    fn a_bounded_distance_is_exact_below_the_bound_and_above_it_otherwise() {
        let a: Vec<f64> = (0..40).map(|i| i as f64).collect();
        let b = vec![0.0; 40];
        let full = squared_distance(&a, &b);
        assert_eq!(squared_distance_within(&a, &b, f64::INFINITY), full);
        assert!(squared_distance_within(&a, &b, 100.0) > 100.0);
        assert!(squared_distance_within(&a, &b, 100.0) <= full);
    }

    #[test]
    fn average_path_length_known_values() {
        assert_eq!(average_path_length(1), 0.0);
        assert_eq!(average_path_length(2), 1.0);
        // c(256) = 2 H(255) - 2 * 255 / 256, with H(i) ~ ln i + Euler's constant.
        assert!((average_path_length(256) - 10.244_770_920_116_851).abs() < 1e-9);
    }
}
