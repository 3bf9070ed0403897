//! How new a value is to its series: the distance from it to its k-th nearest value among the
//! recent ones, ranked against the same distance of the earlier values (a k-nearest-neighbour
//! novelty, calibrated like every probability here). A value far in the tail that the series
//! has already taken several times (a cap at 100 %, a recurring burst) is far from the centre
//! but not new; a value in a gap the series has never visited is new even near the centre.

use serde::{Deserialize, Serialize};

use crate::calibration::Calibration;
use crate::window::SortedWindow;

/// The neighbours counted: a value seen this many times before is familiar.
const NEIGHBOURS: usize = 3;

/// What the calibration of the distances holds (its histogram's bins), for memory estimates.
pub const HISTOGRAM_BYTES: u64 = crate::calibration::BINS as u64 * 3 * 8;

#[derive(Serialize, Deserialize)]
pub struct Familiarity {
    calibration: Calibration,
    /// The recent values in sorted order; rebuilt from the owner's history, not saved.
    #[serde(skip)]
    sorted: SortedWindow,
}

impl Default for Familiarity {
    fn default() -> Self {
        Familiarity { calibration: Calibration::online(), sorted: SortedWindow::default() }
    }
}

impl Familiarity {
    /// The probability that a value this far from its neighbours is new: the share of earlier
    /// values whose k-th nearest neighbour was closer. None until k values are known and the
    /// calibration has its first 100 distances.
    pub fn novelty(&mut self, x: f64) -> Option<f64> {
        let distance = kth_nearest_distance(self.sorted.as_slice(), x, NEIGHBOURS)?;
        self.calibration.judge(distance)
    }

    /// `x` joins the recent values (and `leaving` leaves them, when the window is full).
    pub fn remember(&mut self, x: f64, leaving: Option<f64>) {
        match leaving {
            Some(old) => self.sorted.replace(old, x),
            None => self.sorted.insert(x),
        }
    }

    /// After a restore: the recent values again, from the owner's history.
    pub fn rebuild<'a>(&mut self, recent: impl IntoIterator<Item = &'a f64>) {
        let mut values: Vec<f64> = recent.into_iter().copied().collect();
        values.sort_by(f64::total_cmp);
        self.sorted = SortedWindow::from_sorted(values);
    }
}

/// The distance from `x` to its k-th nearest value in `sorted` (walking outward from where `x`
/// would go); None when there are not k values.
fn kth_nearest_distance(sorted: &[f64], x: f64, k: usize) -> Option<f64> {
    if k == 0 || sorted.len() < k {
        return None;
    }
    let at = sorted.partition_point(|v| v.total_cmp(&x).is_lt());
    let (mut below, mut above) = (at, at);
    let mut distance = 0.0;
    for _ in 0..k {
        let down = below.checked_sub(1).map_or(f64::INFINITY, |i| x - sorted[i]);
        let up = sorted.get(above).map_or(f64::INFINITY, |v| v - x);
        if down <= up {
            distance = down;
            below -= 1;
        } else {
            distance = up;
            above += 1;
        }
    }
    Some(distance)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kth_nearest_distance_walks_outward_both_ways() {
        let sorted = [1.0, 2.0, 4.0, 8.0];
        assert_eq!(kth_nearest_distance(&sorted, 3.0, 1), Some(1.0));
        assert_eq!(kth_nearest_distance(&sorted, 3.0, 2), Some(1.0));
        assert_eq!(kth_nearest_distance(&sorted, 3.0, 3), Some(2.0));
        assert_eq!(kth_nearest_distance(&sorted, 3.0, 4), Some(5.0));
        assert_eq!(kth_nearest_distance(&sorted, 3.0, 5), None);
        assert_eq!(kth_nearest_distance(&sorted, 100.0, 2), Some(96.0));
        assert_eq!(kth_nearest_distance(&[5.0, 5.0, 5.0], 5.0, 3), Some(0.0));
    }

    #[test]
    fn a_repeated_extreme_becomes_familiar_and_a_new_gap_stays_new() {
        let noise = crate::detect::tests::white_noise(3000, 1.0);
        let mut f = Familiarity::default();
        let (mut first, mut later) = (None, None);
        for (i, &n) in noise.iter().enumerate() {
            // Every 200th value is the same far burst, 100.
            let x = if i % 200 == 199 { 100.0 } else { n };
            let p = f.novelty(x);
            if i == 399 {
                first = p;
            }
            if i == 2999 {
                later = p;
            }
            f.remember(x, None);
        }
        assert!(first.unwrap() > 0.99, "the second burst is still new: {first:?}");
        assert!(later.unwrap() < 0.5, "the fifteenth burst is familiar: {later:?}");
        assert!(f.novelty(50.0).unwrap() > 0.99, "a value in the gap is new");
    }
}
