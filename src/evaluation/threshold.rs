//! How flags are made from scores before the threshold-dependent metrics: the detector's own,
//! the oracle (best F1, an upper bound), a fixed score, the top k, or a percentile.

use crate::error::invalid_argument;
use anomdet_core::evaluate::{point::best_f1, predict};
use pgrx::pg_sys::panic::ErrorReport;

/// How flags are made from scores before the threshold-dependent metrics.
pub enum Threshold {
    Detector,
    Oracle,
    Score(f64),
    TopK(usize),
    Percentile(f64),
}

impl Threshold {
    pub fn parse(text: &str) -> Result<Threshold, ErrorReport> {
        let bad = || {
            invalid_argument(
                format!("threshold: cannot read \"{text}\""),
                "use 'detector', 'oracle', 'score:3.5', 'top:10' or 'percentile:99'",
            )
        };
        let (kind, arg) = text.split_once(':').map_or((text, None), |(k, a)| (k, Some(a.trim())));
        let number = |a: Option<&str>| a.and_then(|a| a.parse::<f64>().ok()).filter(|v| v.is_finite()).ok_or_else(bad);
        Ok(match kind {
            "detector" if arg.is_none() => Threshold::Detector,
            "oracle" if arg.is_none() => Threshold::Oracle,
            "score" => Threshold::Score(number(arg)?),
            "top" => {
                let k = number(arg)?;
                if k < 1.0 || k.fract() != 0.0 {
                    return Err(bad());
                }
                Threshold::TopK(k as usize)
            }
            "percentile" => {
                let p = number(arg)?;
                if !(0.0..=100.0).contains(&p) {
                    return Err(bad());
                }
                Threshold::Percentile(p)
            }
            _ => return Err(bad()),
        })
    }

    pub fn flags(&self, labels: &[bool], scores: &[f64], own: &[bool]) -> Vec<bool> {
        let theta = match *self {
            Threshold::Detector => return own.to_vec(),
            Threshold::Oracle => best_f1(labels, scores).threshold,
            Threshold::Score(s) => s,
            Threshold::TopK(k) => kth_largest(scores, k),
            Threshold::Percentile(p) => {
                let mut sorted: Vec<f64> = scores.iter().copied().filter(|s| s.is_finite()).collect();
                sorted.sort_by(f64::total_cmp);
                if sorted.is_empty() {
                    f64::INFINITY
                } else {
                    anomdet_core::series::quantile_sorted(&sorted, p / 100.0)
                }
            }
        };
        predict(scores, theta)
    }
}

fn kth_largest(scores: &[f64], k: usize) -> f64 {
    let mut sorted: Vec<f64> = scores.iter().copied().filter(|s| s.is_finite()).collect();
    sorted.sort_by(|a, b| b.total_cmp(a));
    sorted.get(k.min(sorted.len()).saturating_sub(1)).copied().unwrap_or(f64::INFINITY)
}
