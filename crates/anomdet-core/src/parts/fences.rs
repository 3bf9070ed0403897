//! ADTK's last stage, shared by its detectors here: a series of differences d (NaN where
//! undefined) is judged by interquartile-range fences fitted on d itself (ADTK
//! `InterQuartileRangeAD`): flagged above Q3 + c·IQR or below Q1 − c·IQR, per `side`.
//! The score is the distance beyond the median in IQRs, so it ranks every value.

use crate::resolution::Resolution;
use crate::scored::Scored;
use crate::series::quantile_sorted;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Side {
    Both,
    Positive,
}

/// The least IQR the fences take.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Least {
    /// Differences in the values' unit: half the values' resolution.
    Resolution(Resolution),
    /// Unitless differences (relative changes): a fixed least spread.
    Fixed(f64),
}

impl Least {
    /// The resolution learnt from `xs` (batch, or a training stretch).
    fn learnt_from(self, xs: &[f64]) -> Least {
        match self {
            Least::Resolution(_) => Least::Resolution(Resolution::of(xs)),
            fixed => fixed,
        }
    }

    pub fn observe(&mut self, x: f64) {
        if let Least::Resolution(r) = self {
            r.observe(x);
        }
    }

    fn floor(self, iqr: f64, median: f64) -> f64 {
        match self {
            Least::Resolution(r) => r.floor(iqr, median),
            Least::Fixed(least) => iqr.max(least),
        }
    }
}

/// Quartiles of the finite values of `d`, or None when there are none.
pub fn quartiles(d: &[f64]) -> Option<(f64, f64, f64)> {
    let mut finite: Vec<f64> = d.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.is_empty() {
        return None;
    }
    finite.sort_by(f64::total_cmp);
    Some((quantile_sorted(&finite, 0.25), quantile_sorted(&finite, 0.5), quantile_sorted(&finite, 0.75)))
}

/// Judge one difference against fences; `base` turns the fences into bounds on the value
/// (value = base + d), when the detector can say so. The IQR is never taken below `least`.
pub fn judge(d: f64, q: (f64, f64, f64), c: f64, side: Side, base: Option<f64>, least: Least) -> Scored {
    if !d.is_finite() {
        return Scored::WARMUP;
    }
    let (q1, median, q3) = q;
    let iqr = least.floor(q3 - q1, median);
    let (low, high) = (q1 - c * iqr, q3 + c * iqr);
    let flagged = d > high || (side == Side::Both && d < low);
    let score = match side {
        Side::Both => (d - median).abs() / iqr,
        Side::Positive => ((d - median) / iqr).max(0.0),
    };
    Scored {
        score: Some(score),
        is_anomaly: Some(flagged),
        expected: base.map(|b| b + median),
        lower: base.filter(|_| side == Side::Both).map(|b| b + low),
        upper: base.map(|b| b + high),
        probability: None,
    }
}

/// Batch: fences fitted on all of `d`, the differences of `xs`, each value judged.
pub fn judge_all(xs: &[f64], d: &[f64], bases: Option<&[f64]>, c: f64, side: Side, least: Least) -> Vec<Scored> {
    let Some(q) = quartiles(d) else { return vec![Scored::WARMUP; d.len()] };
    let least = least.learnt_from(xs);
    d.iter().enumerate().map(|(i, &v)| judge(v, q, c, side, bases.map(|b| b[i]), least)).collect()
}

/// A fenced detector fitted on trusted values: the fences' quartiles, and the last values of the
/// training stretch, which the windows of the first new values reach back into.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedFences {
    pub q: (f64, f64, f64),
    pub history: Vec<f64>,
    pub least: Least,
}

impl FittedFences {
    /// Fences fitted on the differences `d` of training values `xs`, keeping their last `keep`.
    pub fn fit(xs: &[f64], d: &[f64], keep: usize, least: Least) -> Option<FittedFences> {
        Some(FittedFences {
            q: quartiles(d)?,
            history: xs[xs.len().saturating_sub(keep)..].to_vec(),
            least: least.learnt_from(xs),
        })
    }

    /// Score one new value as it arrives: the history keeps the last `keep` values, and the
    /// newest difference the history can show (the last with a full window after it) is judged.
    pub fn update(
        &mut self,
        x: f64,
        keep: usize,
        c: f64,
        side: Side,
        differences: impl Fn(&[f64]) -> (Vec<f64>, Option<Vec<f64>>),
    ) -> Scored {
        self.history.push(x);
        self.least.observe(x);
        if self.history.len() > keep {
            self.history.remove(0);
        }
        let (d, bases) = differences(&self.history);
        match (0..d.len()).rev().find(|&i| !d[i].is_nan()) {
            Some(i) => judge(d[i], self.q, c, side, bases.as_ref().map(|b| b[i]), self.least),
            None => Scored::WARMUP,
        }
    }

    /// Score new values `xs`: `differences` turns a series into its differences (and the bases of
    /// the bounds), computed over the kept history followed by `xs`; each new one is judged by
    /// the fitted fences.
    pub fn score(
        &self,
        xs: &[f64],
        c: f64,
        side: Side,
        differences: impl Fn(&[f64]) -> (Vec<f64>, Option<Vec<f64>>),
    ) -> Vec<Scored> {
        let offset = self.history.len();
        let mut extended = self.history.clone();
        extended.extend_from_slice(xs);
        let (d, bases) = differences(&extended);
        let mut least = self.least;
        (offset..extended.len())
            .map(|i| {
                least.observe(extended[i]);
                judge(d[i], self.q, c, side, bases.as_ref().map(|b| b[i]), least)
            })
            .collect()
    }
}
