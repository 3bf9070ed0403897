//! The NAB score (Lavin & Ahmad 2015), by NAB's own protocol (numenta/NAB's sweeper, optimiser
//! and normaliser), with each labelled range as a NAB window:
//!
//! - each series' first min(⌊0.15 n⌋, 750) rows are a probationary period and are not scored;
//! - the best detection inside a window earns A_TP·σ(y)/σ(−1) by its position y (only the best
//!   one per window counts), a window without one costs A_FN;
//! - a detection outside every window costs A_FP·σ of its distance past the series' last window
//!   (the full A_FP before the first);
//! - the sum over every series is normalised: 0 = the null detector (nothing detected), 100 =
//!   every window detected at its first row.
//!
//! [`Corpus::at_flags`] scores one set of detections (a user's alert rule);
//! [`Corpus::best_threshold`] is NAB's optimiser: ONE threshold for all the series, the one that
//! maximises the corpus total. `bench/nab_score.py` is the same protocol in Python, checked
//! against NAB's published numbers for Numenta HTM.

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
pub const PROFILES: [Profile; 3] = [STANDARD, REWARD_LOW_FP, REWARD_LOW_FN];

/// σ_A(y) = 2/(1 + e^{5y}) − 1, and −1 beyond y = 3.
fn sigmoid(y: f64) -> f64 {
    if y > 3.0 { -1.0 } else { 2.0 / (1.0 + (5.0 * y).exp()) - 1.0 }
}

/// NAB's probationary period of a series of `n` rows.
pub fn probation(n: usize) -> usize {
    ((0.15 * n as f64).floor() as usize).min(750)
}

/// What detecting one scorable row is worth, before the profile's weights.
#[derive(Debug, Clone, Copy)]
enum Worth {
    /// Inside window `id`: σ(y)/σ(−1), 1 at its first row.
    Window { id: usize, credit: f64 },
    /// Outside every window: σ of the distance past the last one (negative).
    Outside(f64),
}

/// The scorable rows of labelled series, each with its worth when detected.
pub struct Corpus {
    worth: Vec<Option<Worth>>,
    windows: usize,
}

/// A threshold chosen by the sweep, and the normalised score it gets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Best {
    pub threshold: f64,
    pub score: f64,
}

impl Corpus {
    /// `series`: the row ranges of the series within `labels` (one range for a single series).
    pub fn new(labels: &[bool], series: &[Range<usize>]) -> Corpus {
        let mut worth = vec![None; labels.len()];
        let mut windows = 0;
        let max_tp = sigmoid(-1.0);
        for range in series {
            let first_scored = range.start + probation(range.len());
            let mut previous: Option<Range<usize>> = None;
            let spans: Vec<Range<usize>> =
                runs(&labels[range.clone()]).into_iter().map(|w| w.start + range.start..w.end + range.start).collect();
            let mut next = 0;
            for t in range.clone() {
                while next < spans.len() && spans[next].end <= t {
                    previous = Some(spans[next].clone());
                    next += 1;
                }
                if t < first_scored {
                    continue;
                }
                let w = spans.get(next).filter(|w| w.start <= t);
                worth[t] = Some(match w {
                    Some(w) => Worth::Window {
                        id: windows + next,
                        credit: sigmoid(-((w.end - t) as f64) / w.len() as f64) / max_tp,
                    },
                    None => Worth::Outside(match &previous {
                        Some(p) if p.len() > 1 => sigmoid((t + 1 - p.end) as f64 / (p.len() - 1) as f64),
                        Some(_) => -1.0,
                        None => -1.0,
                    }),
                });
            }
            // A window counts when some of its rows are past the probationary period.
            windows += spans.len();
        }
        Corpus { worth, windows }
    }

    /// Windows with at least one scorable row.
    fn scorable_windows(&self) -> Vec<bool> {
        let mut seen = vec![false; self.windows];
        for w in self.worth.iter().flatten() {
            if let Worth::Window { id, .. } = *w {
                seen[id] = true;
            }
        }
        seen
    }

    fn normalise(&self, raw: f64, profile: Profile) -> f64 {
        let counted = self.scorable_windows().iter().filter(|&&s| s).count() as f64;
        if counted == 0.0 {
            return f64::NAN;
        }
        let null = -counted * profile.a_fn;
        100.0 * (raw - null) / (counted * profile.a_tp - null)
    }

    /// The normalised score of these detections. NaN without a scorable window.
    pub fn at_flags(&self, flags: &[bool], profile: Profile) -> f64 {
        let mut sweep = Sweep::new(self, profile);
        for (t, _) in flags.iter().enumerate().filter(|&(_, &f)| f) {
            sweep.detect(self.worth[t]);
        }
        self.normalise(sweep.total(), profile)
    }

    /// NAB's optimiser: the one threshold (a score level; rows with score ≥ it are detected) that
    /// maximises the total over every series, and its normalised score. Unscored rows (NaN) are
    /// never detected; nothing detected (threshold +∞) scores 0.
    pub fn best_threshold(&self, ranking: &Ranking, profile: Profile) -> Best {
        let mut sweep = Sweep::new(self, profile);
        let (mut best_raw, mut best_threshold) = (sweep.total(), f64::INFINITY);
        for tie in ranking.ties() {
            let level = ranking.score_at(tie.start);
            if level == f64::NEG_INFINITY {
                break;
            }
            for position in tie {
                sweep.detect(self.worth[ranking.row_at(position)]);
            }
            if sweep.total() > best_raw {
                (best_raw, best_threshold) = (sweep.total(), level);
            }
        }
        Best { threshold: best_threshold, score: self.normalise(best_raw, profile) }
    }
}

/// A running total as rows become detections.
struct Sweep {
    profile: Profile,
    best_in: Vec<f64>,
    windows_sum: f64,
    outside_sum: f64,
}

impl Sweep {
    fn new(corpus: &Corpus, profile: Profile) -> Sweep {
        let scorable = corpus.scorable_windows();
        let best_in: Vec<f64> = scorable.iter().map(|&s| if s { -profile.a_fn } else { 0.0 }).collect();
        Sweep { profile, windows_sum: best_in.iter().sum(), best_in, outside_sum: 0.0 }
    }

    fn detect(&mut self, worth: Option<Worth>) {
        match worth {
            None => {}
            Some(Worth::Outside(cost)) => self.outside_sum += self.profile.a_fp * cost,
            Some(Worth::Window { id, credit }) => {
                let earned = self.profile.a_tp * credit;
                if earned > self.best_in[id] {
                    self.windows_sum += earned - self.best_in[id];
                    self.best_in[id] = earned;
                }
            }
        }
    }

    fn total(&self) -> f64 {
        self.windows_sum + self.outside_sum
    }
}

/// The score at the best threshold for one series (the per-series oracle). NaN without labels.
pub fn nab(labels: &[bool], scores: &[f64], profile: Profile) -> f64 {
    Corpus::new(labels, std::slice::from_ref(&(0..labels.len()))).best_threshold(&Ranking::new(scores), profile).score
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
        assert!((sigmoid(3.5) + 1.0).abs() < 1e-12);
    }

    #[test]
    fn one_threshold_for_every_series() {
        // Two series: the first's anomaly scores 5, the second's 2, but the second has ordinary
        // rows at 3. Per series each is perfect; with one threshold for both, the best is 5
        // (only the first window found) or 2 (both found, and 10 false positives).
        let n = 1000;
        let l: Vec<bool> = (0..2 * n).map(|i| i == 800 || i == n + 800).collect();
        let mut s = vec![0.0; 2 * n];
        s[800] = 5.0;
        s[n + 800] = 2.0;
        for k in 0..10 {
            s[n + 300 + k * 40] = 3.0;
        }
        let corpus = Corpus::new(&l, &[0..n, n..2 * n]);
        let best = corpus.best_threshold(&Ranking::new(&s), STANDARD);
        // Finding both: 2 − 10 × 0.11 = 0.9 against 1 − 1 = 0 for the first alone.
        assert_eq!(best.threshold, 2.0);
        assert!((best.score - 100.0 * (0.9 + 2.0) / 4.0).abs() < 1e-9, "{best:?}");
        // At the user's flags, the same number.
        let flags: Vec<bool> = s.iter().map(|&x| x >= 2.0).collect();
        assert!((corpus.at_flags(&flags, STANDARD) - best.score).abs() < 1e-12);
        // Each series has its own probationary period: a flag at row n + 100 (in the second
        // series' first 150 rows) is not scored, though it is past the first 15% of all rows.
        let mut early = flags.clone();
        early[n + 100] = true;
        assert_eq!(corpus.at_flags(&early, STANDARD), best.score);
    }
}
