//! A seasonal detector as a stored model. It keeps the last cycle of the season its
//! decomposition found on the training stretch and continues it phase by phase; the level is
//! the median of the last cycle of deseasonalised values (one of each phase, so the season
//! cancels), or the training median when there is no season. Each new value's residual from
//! season + level is judged in the training residuals' robust sd. Nothing here refits.

use crate::scored::Scored;
use crate::series::quantile_sorted;
use serde::{Deserialize, Serialize};

/// How residuals are judged: `z = |residual - centre| / scale`, flagged above `cut`, reported
/// as `z / per` (1 for a robust z-score, the critical value λ for an ESD ratio).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Judge {
    pub centre: f64,
    pub scale: f64,
    pub cut: f64,
    pub per: f64,
}

#[derive(Serialize, Deserialize)]
pub struct FittedSeason {
    /// One cycle, from the phase of the first value after training.
    season: Vec<f64>,
    scored: u64,
    /// The last cycle of deseasonalised values, oldest first (empty: no season, fixed level),
    /// and the same values sorted, for their median.
    recent: Vec<f64>,
    sorted: Vec<f64>,
    level: f64,
    judge: Judge,
}

impl FittedSeason {
    /// From training values `xs` and their seasonal component (all zeros, or of length 0, for none).
    pub fn new(xs: &[f64], seasonal: &[f64], period: Option<usize>, judge: Judge) -> FittedSeason {
        let n = xs.len();
        let deseasonalised: Vec<f64> = (0..n).map(|i| xs[i] - seasonal.get(i).copied().unwrap_or(0.0)).collect();
        let (season, recent) = match period {
            Some(p) if p > 1 && p <= n => (seasonal[n - p..].to_vec(), deseasonalised[n - p..].to_vec()),
            _ => (vec![0.0], Vec::new()),
        };
        let mut sorted = recent.clone();
        sorted.sort_by(f64::total_cmp);
        FittedSeason { season, scored: 0, recent, sorted, level: median(&deseasonalised), judge }
    }

    pub fn update(&mut self, x: f64) -> Scored {
        let season = self.season[(self.scored % self.season.len() as u64) as usize];
        let level = if self.sorted.is_empty() { self.level } else { quantile_sorted(&self.sorted, 0.5) };
        let Judge { centre, scale, cut, per } = self.judge;
        let mut scored = Scored::banded(x, season + level + centre, scale, cut);
        let flagged = scored.is_anomaly == Some(true);
        scored.score = scored.score.map(|z| z / per);
        self.scored += 1;
        if !self.recent.is_empty() {
            let old = self.recent.remove(0);
            // A flagged value would pull the level toward itself.
            let new = if flagged { level } else { x - season };
            self.recent.push(new);
            let at = self.sorted.partition_point(|v| v.total_cmp(&old).is_lt());
            self.sorted.remove(at);
            let at = self.sorted.partition_point(|v| v.total_cmp(&new).is_lt());
            self.sorted.insert(at, new);
        }
        scored
    }
}

fn median(xs: &[f64]) -> f64 {
    let mut sorted = xs.to_vec();
    sorted.sort_by(f64::total_cmp);
    quantile_sorted(&sorted, 0.5)
}
