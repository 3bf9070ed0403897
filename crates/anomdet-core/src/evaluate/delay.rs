//! Detection delay: rows from the start of each labelled range to its first flag inside it.

use super::runs;

/// Delays of the detected ranges, in rows (undetected ranges have none).
pub fn delays(labels: &[bool], predicted: &[bool]) -> Vec<f64> {
    runs(labels).into_iter().filter_map(|r| predicted[r.clone()].iter().position(|&p| p).map(|d| d as f64)).collect()
}

/// NaN when nothing was detected: there is no delay to report.
pub fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() { f64::NAN } else { xs.iter().sum::<f64>() / xs.len() as f64 }
}

pub fn median(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    crate::series::quantile_sorted(&v, 0.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_per_detected_range() {
        let l = [true, true, true, false, true, true, false, true];
        let p = [false, false, true, false, true, false, false, false];
        assert_eq!(delays(&l, &p), vec![2.0, 0.0]);
        assert_eq!(median(&[2.0, 0.0]), 1.0);
        assert!(mean(&[]).is_nan());
    }
}
