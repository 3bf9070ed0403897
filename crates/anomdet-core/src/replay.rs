//! Replaying recorded series as a live stream: one merged time order over every series, and
//! the wall-clock moment each row is due at a given speed-up.

/// Rows of several series in one time order: (series index, row index), ties by series.
pub fn merged_order(series_ts: &[&[i64]]) -> Vec<(u32, u32)> {
    let mut order: Vec<(i64, u32, u32)> = series_ts
        .iter()
        .enumerate()
        .flat_map(|(s, ts)| ts.iter().enumerate().map(move |(i, &t)| (t, s as u32, i as u32)))
        .collect();
    order.sort_unstable();
    order.into_iter().map(|(_, s, i)| (s, i)).collect()
}

/// When rows are due: `speedup` × the recorded cadence, or as fast as possible (`None`).
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// The first row's timestamp (microseconds, any epoch).
    pub first_ts: i64,
    pub speedup: Option<f64>,
}

impl Pace {
    /// Seconds after the replay's start at which a row stamped `ts` is due.
    pub fn due_secs(&self, ts: i64) -> f64 {
        match self.speedup {
            Some(s) => (ts - self.first_ts) as f64 / 1e6 / s,
            None => 0.0,
        }
    }

    /// How many of `ts[from..]` (ascending) are due `elapsed_secs` after the start, at most `cap`.
    pub fn due_count(&self, ts: &[i64], from: usize, elapsed_secs: f64, cap: usize) -> usize {
        let rest = &ts[from..ts.len().min(from + cap)];
        rest.partition_point(|&t| self.due_secs(t) <= elapsed_secs)
    }
}

/// The p-quantile (0..=1) of unsorted values by linear interpolation; NaN when empty.
pub fn percentile(values: &[f64], q: f64) -> f64 {
    percentiles(values, &[q])[0]
}

/// Several quantiles of unsorted values from one sort; NaN each when empty.
pub fn percentiles(values: &[f64], qs: &[f64]) -> Vec<f64> {
    if values.is_empty() {
        return vec![f64::NAN; qs.len()];
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    qs.iter().map(|&q| crate::series::quantile_sorted(&sorted, q)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_order_interleaves_series_by_time() {
        let a = [10, 20, 30];
        let b = [15, 20, 40];
        assert_eq!(merged_order(&[&a, &b]), vec![(0, 0), (1, 0), (0, 1), (1, 1), (0, 2), (1, 2)]);
    }

    #[test]
    fn rows_fall_due_at_the_speedup() {
        // One row a minute, replayed 60× faster: one row a second.
        let ts: Vec<i64> = (0..10).map(|i| i * 60_000_000).collect();
        let pace = Pace { first_ts: 0, speedup: Some(60.0) };
        assert_eq!(pace.due_secs(ts[3]), 3.0);
        assert_eq!(pace.due_count(&ts, 0, 2.5, 100), 3); // rows at 0, 1 and 2 s
        assert_eq!(pace.due_count(&ts, 3, 2.5, 100), 0);
        assert_eq!(pace.due_count(&ts, 3, 100.0, 4), 4); // capped
        let fast = Pace { first_ts: 0, speedup: None };
        assert_eq!(fast.due_count(&ts, 0, 0.0, 100), 10);
    }

    #[test]
    fn percentiles() {
        assert!(percentile(&[], 0.5).is_nan());
        assert_eq!(percentile(&[3.0, 1.0, 2.0], 0.5), 2.0);
        assert!((percentile(&(1..=100).map(f64::from).collect::<Vec<_>>(), 0.99) - 99.01).abs() < 1e-9);
    }
}
