//! The left matrix profile, one value at a time (STAMPI, Yeh et al. 2016, with a bounded
//! history): when a value completes the subsequence of length m ending at it, that subsequence's
//! z-normalised distance to its nearest match among the previous `history` subsequences (outside
//! the exclusion zone) is its score — a shape the recent past has not shown scores high.
//!
//! The dot products with the past subsequences are updated from the previous step's along each
//! diagonal, QT(q, j) = QT(q−1, j−1) − x[q−1]·x[j−1] + x[q+m−1]·x[j+m−1], so a step costs
//! O(history) (plus O(m) for the new subsequence's moments). Every 4,096 steps, and for the
//! subsequences new to the history, they are recomputed directly, so rounding cannot build up.

use crate::matrix_profile::exclusion_zone;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

const RESYNC: usize = 4096;

/// The nearest earlier match of the newest subsequence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Match {
    pub distance: f64,
    /// Absolute start index of the match.
    pub nearest: usize,
    /// The match's value at the newest subsequence's last position, rescaled to the newest
    /// subsequence's mean and spread: what the past suggests this value should be.
    pub expected: f64,
}

#[derive(Serialize, Deserialize)]
pub struct LeftProfile {
    m: usize,
    history: usize,
    excl: usize,
    /// The recent values; `values[0]` is absolute index `start`.
    values: VecDeque<f64>,
    start: usize,
    /// Mean and sd of each subsequence starting at `start + k`.
    moments: VecDeque<(f64, f64)>,
    /// QT(q, j) of the previous step for j in `qt_lo..qt_lo + qt.len()`.
    qt: Vec<f64>,
    qt_lo: usize,
    next_qt: Vec<f64>,
    steps: usize,
}

impl LeftProfile {
    pub fn new(m: usize, history: usize) -> LeftProfile {
        assert!(m >= 2 && history >= 1);
        LeftProfile {
            m,
            history,
            excl: exclusion_zone(m),
            values: VecDeque::with_capacity(history + m + 2),
            start: 0,
            moments: VecDeque::with_capacity(history + 2),
            qt: Vec::new(),
            qt_lo: 0,
            next_qt: Vec::new(),
            steps: 0,
        }
    }

    fn x(&self, abs: usize) -> f64 {
        self.values[abs - self.start]
    }

    fn moments_of(&self, q: usize) -> (f64, f64) {
        self.moments[q - self.start]
    }

    fn dot(&self, a: usize, b: usize) -> f64 {
        (0..self.m).map(|k| self.x(a + k) * self.x(b + k)).sum()
    }

    /// Add a value; the match of the subsequence it completes, once there is an earlier one.
    pub fn push(&mut self, x: f64) -> Option<Match> {
        self.values.push_back(x);
        let t = self.start + self.values.len() - 1;
        if t + 1 < self.m {
            return None;
        }
        let (m, q) = (self.m, t + 1 - self.m);
        let window: Vec<f64> = (q..=t).map(|i| self.x(i)).collect();
        let mean = window.iter().sum::<f64>() / m as f64;
        let var = window.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / m as f64;
        let scale = window.iter().fold(0.0f64, |a, v| a.max(v.abs())).max(1e-300);
        let sd = if var.sqrt() > 1e-10 * scale { var.sqrt() } else { 0.0 };
        self.moments.push_back((mean, sd));

        let found = self.match_newest(q, mean, sd);

        // Keep what the next step needs: subsequences from q + 1 − history, and the value before.
        let keep_from = (q + 1).saturating_sub(self.history).saturating_sub(1);
        while self.start < keep_from {
            self.values.pop_front();
            self.moments.pop_front();
            self.start += 1;
        }
        found
    }

    fn match_newest(&mut self, q: usize, mean: f64, sd: f64) -> Option<Match> {
        let m = self.m;
        let lo = q.saturating_sub(self.history).max(self.start);
        let Some(hi) = q.checked_sub(self.excl + 1).filter(|&hi| hi >= lo) else {
            self.qt.clear();
            return None;
        };
        self.steps += 1;
        let resync = self.steps.is_multiple_of(RESYNC);
        let mut next = std::mem::take(&mut self.next_qt);
        next.clear();
        for j in lo..=hi {
            let previous = j
                .checked_sub(1)
                .filter(|&p| !resync && p >= self.start && p >= self.qt_lo && p < self.qt_lo + self.qt.len());
            next.push(match previous {
                Some(p) => self.qt[p - self.qt_lo] - self.x(q - 1) * self.x(p) + self.x(q + m - 1) * self.x(j + m - 1),
                None => self.dot(q, j),
            });
        }
        let mut best = (f64::NEG_INFINITY, lo);
        for (k, &qt) in next.iter().enumerate() {
            let j = lo + k;
            let (mu_j, sd_j) = self.moments_of(j);
            let corr = match (sd > 0.0, sd_j > 0.0) {
                (true, true) => (qt - m as f64 * mean * mu_j) / (m as f64 * sd * sd_j),
                (false, false) => 1.0, // two flat windows have the same shape
                _ => 0.0,
            };
            if corr > best.0 {
                best = (corr, j);
            }
        }
        self.next_qt = std::mem::replace(&mut self.qt, next);
        self.qt_lo = lo;
        let (corr, j) = best;
        let (mu_j, sd_j) = self.moments_of(j);
        let at_end = self.x(j + m - 1);
        let expected = if sd_j > 0.0 { mean + sd * (at_end - mu_j) / sd_j } else { mean };
        Some(Match { distance: (2.0 * m as f64 * (1.0 - corr.min(1.0))).max(0.0).sqrt(), nearest: j, expected })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn znorm(w: &[f64]) -> Vec<f64> {
        let mu = w.iter().sum::<f64>() / w.len() as f64;
        let sd = (w.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / w.len() as f64).sqrt();
        w.iter().map(|x| (x - mu) / sd).collect()
    }

    #[test]
    fn equals_the_definition_over_a_long_stream() {
        // Past a resync and with the history full, so both update paths are checked.
        let xs: Vec<f64> = (0..5000).map(|i| (i as f64 / 7.0).sin() + ((i * 7919) % 113) as f64 / 200.0).collect();
        let (m, history) = (12, 300);
        let mut lp = LeftProfile::new(m, history);
        let excl = exclusion_zone(m);
        for (t, &x) in xs.iter().enumerate() {
            let got = lp.push(x);
            if t + 1 < m {
                assert!(got.is_none());
                continue;
            }
            let q = t + 1 - m;
            let a = znorm(&xs[q..q + m]);
            let truth = (q.saturating_sub(history)..q)
                .filter(|&j| q - j > excl)
                .map(|j| a.iter().zip(znorm(&xs[j..j + m])).map(|(p, r)| (p - r).powi(2)).sum::<f64>().sqrt())
                .fold(f64::INFINITY, f64::min);
            match got {
                None => assert!(truth.is_infinite(), "t {t}"),
                Some(found) => {
                    if t % 97 == 0 || t > 4090 {
                        assert!((found.distance - truth).abs() < 1e-6, "t {t}: {} vs {truth}", found.distance);
                    }
                }
            }
        }
        assert!(lp.values.len() <= history + m + 2);
    }

    #[test]
    fn a_new_shape_scores_high_and_a_repeat_scores_low_with_its_match_expected() {
        let mut xs: Vec<f64> = (0..1000).map(|i| (i as f64 * std::f64::consts::TAU / 25.0).sin()).collect();
        for x in &mut xs[700..712] {
            *x *= -1.0;
        }
        let mut lp = LeftProfile::new(25, 500);
        let out: Vec<Option<Match>> = xs.iter().map(|&x| lp.push(x)).collect();
        let clean = out[600].unwrap();
        assert!(clean.distance < 1e-6 && (clean.expected - xs[600]).abs() < 1e-6);
        // The first cycles have little past to match, and score high; from the fourth on:
        let top = (100..1000).max_by(|&a, &b| {
            let d = |i: usize| out[i].map_or(0.0, |m| m.distance);
            d(a).total_cmp(&d(b))
        });
        assert!(matches!(top, Some(700..=736)), "{top:?}");
    }
}
