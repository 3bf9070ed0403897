//! Sliding windows kept in sorted order, for rolling medians and quantiles.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// A multiset of f64 kept ascending; insert and remove are a binary search plus a memmove,
/// which beats a pair of heaps for the window sizes detectors use (tens to thousands).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SortedWindow {
    sorted: Vec<f64>,
}

impl SortedWindow {
    pub fn with_capacity(n: usize) -> Self {
        SortedWindow { sorted: Vec::with_capacity(n) }
    }
    /// A window of values already in ascending `total_cmp` order.
    pub fn from_sorted(sorted: Vec<f64>) -> Self {
        debug_assert!(sorted.is_sorted_by(|a, b| a.total_cmp(b).is_le()));
        SortedWindow { sorted }
    }
    pub fn insert(&mut self, x: f64) {
        let at = self.sorted.partition_point(|v| v.total_cmp(&x).is_lt());
        self.sorted.insert(at, x);
    }
    pub fn remove(&mut self, x: f64) {
        let at = self.sorted.partition_point(|v| v.total_cmp(&x).is_lt());
        debug_assert!(at < self.sorted.len() && self.sorted[at].total_cmp(&x).is_eq());
        self.sorted.remove(at);
    }
    /// Remove `old` (which must be present) and insert `new` with one shift of the values
    /// between their positions, instead of a remove and an insert that shift half the window each.
    pub fn replace(&mut self, old: f64, new: f64) {
        let v = &mut self.sorted;
        let i = v.partition_point(|x| x.total_cmp(&old).is_lt());
        debug_assert!(i < v.len() && v[i].total_cmp(&old).is_eq());
        let below_new = v.partition_point(|x| x.total_cmp(&new).is_lt());
        if below_new > i {
            // `new` goes above old's slot: the values in between move down one.
            v.copy_within(i + 1..below_new, i);
            v[below_new - 1] = new;
        } else {
            // `new` goes at or below old's slot: the values in between move up one.
            v.copy_within(below_new..i, below_new + 1);
            v[below_new] = new;
        }
    }
    pub fn as_slice(&self) -> &[f64] {
        &self.sorted
    }
    pub fn len(&self) -> usize {
        self.sorted.len()
    }
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }
}

/// Calls `f(window, x)` for every point with the centred window `[i - w/2, i + w/2]`
/// (clipped at the ends), the point itself included, as in the Hampel filter.
pub fn for_each_centered<F: FnMut(&[f64], f64)>(xs: &[f64], window: usize, f: F) {
    for_each_centered_in(xs, window, 0..xs.len(), f);
}

/// [`for_each_centered`] for the points in `range` only, with the same windows bit for bit:
/// the first window is sorted whole (the `total_cmp` order of a set of values is one order),
/// then moves one value at a time.
pub fn for_each_centered_in<F: FnMut(&[f64], f64)>(xs: &[f64], window: usize, range: std::ops::Range<usize>, mut f: F) {
    let half = window / 2;
    let n = xs.len();
    if range.start >= range.end.min(n) {
        return;
    }
    let first = range.start;
    let mut start: Vec<f64> = xs[first.saturating_sub(half)..(first + half + 1).min(n)].to_vec();
    start.sort_unstable_by(f64::total_cmp);
    let mut win = SortedWindow::from_sorted(start);
    for i in range.start..range.end.min(n) {
        crate::interrupt::check_every(i);
        if i > first {
            match (i + half < n, i > half) {
                // Away from the ends one value leaves as one arrives: one shift, not two.
                (true, true) => win.replace(xs[i - half - 1], xs[i + half]),
                (true, false) => win.insert(xs[i + half]),
                (false, true) => win.remove(xs[i - half - 1]),
                (false, false) => {}
            }
        }
        f(win.as_slice(), xs[i]);
    }
}

/// The last `capacity` values seen, in arrival order and in sorted order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrailingWindow {
    capacity: usize,
    arrival: VecDeque<f64>,
    sorted: SortedWindow,
}

impl TrailingWindow {
    pub fn new(capacity: usize) -> Self {
        TrailingWindow {
            capacity,
            arrival: VecDeque::with_capacity(capacity + 1),
            sorted: SortedWindow::with_capacity(capacity + 1),
        }
    }
    pub fn is_full(&self) -> bool {
        self.arrival.len() >= self.capacity
    }
    pub fn sorted(&self) -> &[f64] {
        self.sorted.as_slice()
    }
    pub fn push(&mut self, x: f64) {
        self.arrival.push_back(x);
        if self.arrival.len() > self.capacity {
            let old = self.arrival.pop_front().expect("non-empty");
            self.sorted.replace(old, x);
        } else {
            self.sorted.insert(x);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_keeps_the_window_sorted_like_remove_then_insert() {
        let noise = crate::detect::tests::white_noise(3000, 10.0);
        // Rounded so that ties (and replacing a value by an equal one) happen often, with
        // zeros of both signs; a trend moves new values far from the old ones.
        let rounded: Vec<f64> =
            noise.iter().map(|v| if v.abs() < 0.5 { 0.0f64.copysign(*v) } else { v.round() }).collect();
        let trending: Vec<f64> = noise.iter().enumerate().map(|(i, v)| v + (i % 500) as f64).collect();
        for (values, width) in [(&rounded, 50), (&rounded, 300), (&trending, 50), (&trending, 300)] {
            let mut fast = TrailingWindow::new(width);
            let mut naive: Vec<f64> = Vec::new();
            for (i, &x) in values.iter().enumerate() {
                fast.push(x);
                naive.push(x);
                if naive.len() > width {
                    naive.remove(0);
                }
                let mut expected = naive.clone();
                expected.sort_by(f64::total_cmp);
                let bits = |w: &[f64]| w.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(fast.sorted()), bits(&expected), "window {width}, after value {i}");
            }
        }
    }

    #[test]
    fn centered_windows_are_clipped_at_the_ends() {
        let xs = [1.0, 2.0, 3.0, 4.0, 5.0];
        let mut seen = Vec::new();
        for_each_centered(&xs, 3, |w, x| seen.push((w.to_vec(), x)));
        assert_eq!(seen[0], (vec![1.0, 2.0], 1.0));
        assert_eq!(seen[2], (vec![2.0, 3.0, 4.0], 3.0));
        assert_eq!(seen[4], (vec![4.0, 5.0], 5.0));
    }

    #[test]
    fn trailing_window_keeps_the_last_values_sorted() {
        let mut w = TrailingWindow::new(3);
        for x in [5.0, 1.0, 4.0, 2.0] {
            w.push(x);
        }
        assert!(w.is_full());
        assert_eq!(w.sorted(), &[1.0, 2.0, 4.0]);
    }
}
