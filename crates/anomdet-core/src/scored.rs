//! What a detector says about one value, and the two ways of running one: a leaf that the
//! detectors and the helpers they share (subsequences, windows) all use, importing nothing.

/// The result for one value. `score` is `None` while the detector is still warming up.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Scored {
    pub score: Option<f64>,
    pub is_anomaly: Option<bool>,
    pub expected: Option<f64>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    /// The calibrated anomaly probability (`crate::calibration`): the share of the detector's
    /// own scores on this series that were lower. Set by `Calibrated`, not by detectors.
    pub probability: Option<f64>,
}

impl Scored {
    /// Not scored: not enough history yet.
    pub const WARMUP: Scored =
        Scored { score: None, is_anomaly: None, expected: None, lower: None, upper: None, probability: None };

    /// A score with its flag and perhaps an expected value, but no band (scores with no
    /// unit of the series: tree masses, distances, votes).
    pub fn unbounded(score: f64, is_anomaly: bool, expected: Option<f64>) -> Scored {
        Scored {
            score: Some(score),
            is_anomaly: Some(is_anomaly),
            expected,
            lower: None,
            upper: None,
            probability: None,
        }
    }

    /// Score `x` by its distance from `center` in units of `scale`, flagged beyond `threshold`.
    pub fn banded(x: f64, center: f64, scale: f64, threshold: f64) -> Scored {
        let score = (x - center).abs() / scale;
        Scored {
            score: Some(score),
            is_anomaly: Some(score > threshold),
            expected: Some(center),
            lower: Some(center - threshold * scale),
            upper: Some(center + threshold * scale),
            probability: None,
        }
    }
}

/// Which of the two modes to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Batch,
    Online,
}

impl Mode {
    pub fn parse(text: &str) -> Option<Mode> {
        match text {
            "batch" => Some(Mode::Batch),
            "online" => Some(Mode::Online),
            _ => None,
        }
    }

    /// The word `parse` reads.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Batch => "batch",
            Mode::Online => "online",
        }
    }
}
