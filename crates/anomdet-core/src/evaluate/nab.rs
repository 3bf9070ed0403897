//! The NAB score (Lavin & Ahmad 2015; Numenta Anomaly Benchmark `sweeper.py`), with the labelled
//! ranges as NAB's windows: early detections inside a window earn up to A_TP (scaled sigmoid of
//! the position), a window without one costs A_FN, every false positive row costs up to A_FP
//! (less when it follows a window closely). The threshold is the one that maximises the score
//! (NAB's optimiser); the result is normalised so the null detector scores 0 and a perfect one 100.

use super::ranking::Ranking;
use super::runs;
use std::ops::Range;

#[derive(Debug, Clone, Copy)]
pub struct Profile {
    pub a_tp: f64,
    pub a_fn: f64,
    pub a_fp: f64,
}

/// NAB's three application profiles (`config/profiles.json`).
pub const STANDARD: Profile = Profile { a_tp: 1.0, a_fn: 1.0, a_fp: 0.11 };
pub const REWARD_LOW_FP: Profile = Profile { a_tp: 1.0, a_fn: 1.0, a_fp: 0.22 };
pub const REWARD_LOW_FN: Profile = Profile { a_tp: 1.0, a_fn: 2.0, a_fp: 0.11 };

/// σ_A(y) = 2/(1 + e^{5y}) − 1, and −1 beyond y = 3.
fn sigmoid(y: f64) -> f64 {
    if y > 3.0 { -1.0 } else { 2.0 / (1.0 + (5.0 * y).exp()) - 1.0 }
}

/// The normalised NAB score, 0 = null detector, 100 = perfect. NaN without labelled ranges.
pub fn nab(labels: &[bool], scores: &[f64], profile: Profile) -> f64 {
    nab_ranked(labels, scores, &Ranking::new(scores), &[profile])[0]
}

/// The NAB score under each of `profiles`, from one ranking of `scores`.
pub fn nab_ranked(labels: &[bool], scores: &[f64], ranking: &Ranking, profiles: &[Profile]) -> Vec<f64> {
    let n = labels.len();
    let probation = ((0.15 * n as f64).floor() as usize).min(750);
    let windows: Vec<_> = runs(labels).into_iter().filter(|w| w.start >= probation).collect();
    if windows.is_empty() {
        return vec![f64::NAN; profiles.len()];
    }
    profiles
        .iter()
        .map(|&profile| {
            let best = sweep(&windows, scores, ranking, probation, profile);
            let null = -(windows.len() as f64) * profile.a_fn;
            let perfect = windows.len() as f64 * profile.a_tp;
            100.0 * (best - null) / (perfect - null)
        })
        .collect()
}

/// The best raw score over every threshold: rows become detections one score level at a time,
/// from the top. Each row finds its window, or the nearest window before it, by binary search,
/// so the sweep costs O(n log windows).
fn sweep(windows: &[Range<usize>], scores: &[f64], ranking: &Ranking, probation: usize, profile: Profile) -> f64 {
    let scale = sigmoid(-1.0);
    let mut best_in = vec![f64::NEG_INFINITY; windows.len()];
    let mut fp_total = 0.0;
    let mut windows_sum = -(windows.len() as f64) * profile.a_fn; // nothing detected: −A_FN each
    let mut best_score = windows_sum; // the null detector
    for tie in ranking.ties() {
        for position in tie {
            let t = ranking.row_at(position);
            if t < probation || scores[t].is_nan() {
                continue;
            }
            // Windows ending at or before t; the next one contains t if it starts by then.
            let before = windows.partition_point(|w| w.end <= t);
            match windows.get(before).filter(|w| w.start <= t) {
                Some(w) => {
                    let k = before;
                    let y = -((w.end - t) as f64) / w.len() as f64;
                    let tp = profile.a_tp * sigmoid(y) / scale;
                    if tp > best_in[k] {
                        windows_sum += tp.max(-profile.a_fn) - best_in[k].max(-profile.a_fn);
                        best_in[k] = tp;
                    }
                }
                None => {
                    fp_total += match before.checked_sub(1).map(|k| &windows[k]) {
                        Some(w) => {
                            let width = w.len() as f64;
                            let y = if width > 1.0 { (t - (w.end - 1)) as f64 / (width - 1.0) } else { f64::INFINITY };
                            profile.a_fp * sigmoid(y)
                        }
                        None => -profile.a_fp,
                    };
                }
            }
        }
        best_score = best_score.max(fp_total + windows_sum);
    }
    best_score
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(n: usize, windows: &[std::ops::Range<usize>]) -> Vec<bool> {
        (0..n).map(|i| windows.iter().any(|w| w.contains(&i))).collect()
    }

    #[test]
    fn null_perfect_and_late() {
        let l = labels(2000, &[(1000..1100), (1500..1600)]);
        // Perfect: fires exactly at each window's first row.
        let perfect: Vec<f64> = (0..2000).map(|t| if t == 1000 || t == 1500 { 1.0 } else { 0.0 }).collect();
        assert!((nab(&l, &perfect, STANDARD) - 100.0).abs() < 1e-9);
        // Null: a constant score; the best threshold is to fire everywhere or nowhere → 0.
        assert!((nab(&l, &vec![0.0; 2000], STANDARD) - 0.0).abs() < 1e-9);
        // Late detections earn less than early ones.
        let late: Vec<f64> = (0..2000).map(|t| if t == 1090 || t == 1590 { 1.0 } else { 0.0 }).collect();
        let score = nab(&l, &late, STANDARD);
        assert!(score > 50.0 && score < 100.0, "{score}");
        // Rows in the probationary period (first 15%, at most 750) are ignored.
        let early = labels(2000, &[(100..150)]);
        assert!(nab(&early, &perfect, STANDARD).is_nan());
    }

    #[test]
    fn false_positives_cost_more_in_the_low_fp_profile() {
        let l = labels(3000, &[(2000..2100)]);
        let noisy: Vec<f64> = (0..3000).map(|t| if t == 2000 || t % 997 == 0 { 1.0 } else { 0.0 }).collect();
        let standard = nab(&l, &noisy, STANDARD);
        let low_fp = nab(&l, &noisy, REWARD_LOW_FP);
        assert!(low_fp < standard && low_fp > 0.0, "{low_fp} vs {standard}");
        // The sigmoid at the window's left edge is exactly A_TP after scaling.
        assert!((sigmoid(-1.0) / sigmoid(-1.0) - 1.0).abs() < 1e-12);
        assert!((sigmoid(3.5) + 1.0).abs() < 1e-12);
    }
}
