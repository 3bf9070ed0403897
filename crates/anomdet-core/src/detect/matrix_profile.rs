//! Matrix-profile discords (Yeh et al. 2016; STOMP): a window's score is the z-normalised
//! distance to its most similar other window, so a shape that occurs nowhere else scores high.
//! The expected value is that nearest window, rescaled to this window's mean and spread, at
//! the same place. Batch only (O(n²) time, O(n) memory).

use super::DetectorInfo;
use super::windowed::{THRESHOLD, WINDOW, WindowScores, Windowed, min_points};
use crate::matrix_profile::stomp;
use crate::params::ParamSpec;
use crate::subsequence::Spread;

const PARAMS: &[ParamSpec] = &[WINDOW, THRESHOLD];

pub static INFO: DetectorInfo = DetectorInfo {
    name: "matrix_profile",
    family: "subsequence",
    online: false,
    multivariate: false,
    params: PARAMS,
    description: "matrix-profile discords (STOMP): distance of each window to its nearest match elsewhere",
    min_points,
    build: |p| {
        Box::new(Windowed::new(p, Spread::CoveringMin, false, |s| {
            let m = s.window.max(2);
            let profile = stomp(s.xs, m);
            let c = (m - 1) / 2;
            let stats = |i: usize| {
                let w = &s.xs[i..i + m];
                let mu = w.iter().sum::<f64>() / m as f64;
                (mu, (w.iter().map(|x| (x - mu) * (x - mu)).sum::<f64>() / m as f64).sqrt())
            };
            let expected = (0..profile.distance.len())
                .map(|i| {
                    let j = profile.nearest[i];
                    if j == usize::MAX {
                        return s.xs[i + c];
                    }
                    let ((mu_i, sd_i), (mu_j, sd_j)) = (stats(i), stats(j));
                    if sd_j > 0.0 { mu_i + sd_i * (s.xs[j + c] - mu_j) / sd_j } else { mu_i }
                })
                .collect();
            let scores = profile.distance.iter().map(|d| if d.is_finite() { *d } else { 0.0 }).collect();
            WindowScores { scores, expected: Some(expected) }
        }))
    },
};
