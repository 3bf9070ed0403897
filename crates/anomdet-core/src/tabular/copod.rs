//! COPOD, copula-based outlier detection (Li et al., ICDM 2020), as PyOD's `COPOD`: per column,
//! the empirical left and right tail probabilities of a value, U_l = −log F(x) and
//! U_r = −log(1 − F(x⁻)); the skewness of the column picks a tail, and the column's term is
//! max(U_skew, (U_l + U_r) / 2). A row's score is the sum of its terms, which are its
//! explanation. Parameter-free.

use super::Matrix;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Copod {
    /// Each column's values, ascending.
    sorted: Vec<Vec<f64>>,
    /// The sign of each column's skewness: which tail is the unusual one (0: both, summed, as PyOD).
    skew_sign: Vec<i8>,
}

impl Copod {
    pub fn fit(data: &Matrix) -> Copod {
        let mut sorted = Vec::with_capacity(data.cols);
        let mut skew_sign = Vec::with_capacity(data.cols);
        for j in 0..data.cols {
            crate::interrupt::check();
            let mut col = data.column(j);
            col.sort_by(f64::total_cmp);
            skew_sign.push(self::skew_sign(&col));
            sorted.push(col);
        }
        Copod { sorted, skew_sign }
    }

    /// The row's score and, into `terms`, each column's share of it.
    pub fn score_terms(&self, row: &[f64], terms: &mut [f64]) -> f64 {
        let mut total = 0.0;
        for (j, (&v, t)) in row.iter().zip(terms.iter_mut()).enumerate() {
            let col = &self.sorted[j];
            let n = col.len().max(1) as f64;
            let at_or_below = col.partition_point(|&x| x <= v) as f64;
            let at_or_above = (col.len() - col.partition_point(|&x| x < v)) as f64;
            // An unseen value beyond the extremes still gets a finite tail: half a row.
            let u_left = -(at_or_below.max(0.5) / n).ln();
            let u_right = -(at_or_above.max(0.5) / n).ln();
            *t = column_term(self.skew_sign[j], u_left, u_right);
            total += *t;
        }
        total
    }

    /// The scores of the rows the model was fitted on (the usual, unsupervised case): each
    /// column's tail counts come from one sort of its rows, not a search per value.
    pub fn score_fitted(data: &Matrix) -> Vec<f64> {
        let n = data.rows;
        let mut total = vec![0.0; n];
        let ln_n = (n.max(1) as f64).ln();
        let mut order: Vec<(f64, u32)> = Vec::with_capacity(n);
        for j in 0..data.cols {
            crate::interrupt::check();
            order.clear();
            order.extend((0..n).map(|i| (data.data[i * data.cols + j], i as u32)));
            order.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
            let sorted: Vec<f64> = order.iter().map(|p| p.0).collect();
            let sign = skew_sign(&sorted);
            let mut start = 0;
            while start < n {
                let mut end = start + 1;
                while end < n && order[end].0 == order[start].0 {
                    end += 1;
                }
                // Rows start..end hold equal values: end at or below them, n - start at or above.
                let u_left = ln_n - (end as f64).ln();
                let u_right = ln_n - ((n - start) as f64).ln();
                let term = column_term(sign, u_left, u_right);
                for &(_, i) in &order[start..end] {
                    total[i as usize] += term;
                }
                start = end;
            }
        }
        total
    }
}

/// A column's term from its two tail scores, the tail chosen by the sign of its skewness.
#[inline]
fn column_term(skew_sign: i8, u_left: f64, u_right: f64) -> f64 {
    let u_skew = match skew_sign {
        -1 => u_left,
        1 => u_right,
        _ => u_left + u_right,
    };
    u_skew.max((u_left + u_right) / 2.0)
}

fn skew_sign(sorted: &[f64]) -> i8 {
    let g = skewness(sorted);
    if g < 0.0 {
        -1
    } else if g > 0.0 {
        1
    } else {
        0
    }
}

/// Sample skewness (the biased moment estimator scipy's `skew` uses); 0 for a constant column.
fn skewness(xs: &[f64]) -> f64 {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let m2 = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    let m3 = xs.iter().map(|x| (x - mean).powi(3)).sum::<f64>() / n;
    if m2 > 0.0 { m3 / m2.powf(1.5) } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_terms_on_a_small_column() {
        // 1, 2, 3, 4, 10 is skewed right, so the right tail counts: for 10, F = 1 so U_l = 0
        // and U_r = -ln(1/5); the term is max(U_r, (U_l + U_r) / 2) = ln 5.
        let m = Matrix::new(5, 1, vec![1.0, 2.0, 3.0, 4.0, 10.0]);
        let c = Copod::fit(&m);
        let mut t = [0.0];
        assert!((c.score_terms(&[10.0], &mut t) - 5f64.ln()).abs() < 1e-12);
        // For 1: U_l = ln 5, U_r = 0, U_skew = U_r = 0, so the term is the mean, ln 5 / 2.
        assert!((c.score_terms(&[1.0], &mut t) - 5f64.ln() / 2.0).abs() < 1e-12);
        // A symmetric column (skewness 0) sums both tails, as PyOD: for the middle of 1..=5,
        // U_l = U_r = ln(5/3), so the term is 2 ln(5/3).
        let sym = Copod::fit(&Matrix::new(5, 1, (1..=5).map(f64::from).collect()));
        assert!((sym.score_terms(&[3.0], &mut t) - 2.0 * (5.0f64 / 3.0).ln()).abs() < 1e-12);
    }

    #[test]
    fn the_extreme_row_scores_highest_and_its_column_explains_it() {
        let mut data = Vec::new();
        for i in 0..300 {
            data.extend_from_slice(&[((i * 13) % 50) as f64, ((i * 7) % 30) as f64]);
        }
        // Beyond both columns' ranges: the top score. Beyond one only: that column explains it.
        data.extend_from_slice(&[100.0, 400.0, 25.0, 400.0]);
        let m = Matrix::new(302, 2, data);
        let c = Copod::fit(&m);
        let scores = Copod::score_fitted(&m);
        assert!(scores[300] > scores[..300].iter().copied().fold(f64::MIN, f64::max));
        // The same as scoring each row against the fitted columns.
        let mut t = [0.0; 2];
        for (i, s) in scores.iter().enumerate() {
            assert!((c.score_terms(m.row(i), &mut t) - s).abs() < 1e-9, "row {i}");
        }
        let mut t = [0.0; 2];
        c.score_terms(m.row(301), &mut t);
        assert!(t[1] > 2.0 * t[0], "{t:?}");
    }
}
