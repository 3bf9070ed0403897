//! The frame every subsequence detector shares: cut the series into windows, let a model score
//! the windows, spread the scores back to points, flag by robust z. Batch only: the models fit
//! on the whole series. A point's score is the least of the windows through it (see
//! `Spread::CoveringMin`): with the window's centre instead (TSB-AD), one spike flags a whole
//! window's width of points (126 around each spike of the regression series, against 1).

use crate::detector::{Detector, Scored};
use crate::params::{Bound, ParamSpec, Params};
use crate::parts::fitted_windows::{Fit, FittedWindows};
use crate::subsequence::{
    Spread, Subsequences, flag_by_robust_z, spread, typical_cycle, window_length, window_length_in_periods,
};
use serde::{Deserialize, Serialize};

pub const WINDOW: ParamSpec = ParamSpec::int(
    "window",
    0.0,
    0.0,
    100_000.0,
    "subsequence length in rows; 0: the detected period (8 to 512), else 32; 1: the values alone",
);
/// The window of TSB-AD's tuned presets that read two periods (periodicity p = 2).
pub const WINDOW_TWO_PERIODS: ParamSpec = ParamSpec::int(
    "window",
    0.0,
    0.0,
    100_000.0,
    "subsequence length in rows; 0: twice the detected period (16 to 1024), else 64; 1: the values alone",
);

/// The window of a model that judges each position's value on its own (`hbos`): the values
/// alone by default.
pub const WINDOW_VALUES: ParamSpec = ParamSpec::int(
    "window",
    1.0,
    0.0,
    100_000.0,
    "1: the values alone; longer: one histogram per window position; 0: the detected period",
);

pub const THRESHOLD: ParamSpec = ParamSpec::float(
    "threshold",
    5.0,
    Bound::excl(0.0),
    Bound::incl(1e6),
    "flag points scored more than this many robust sd (1.4826 MAD of the series' scores) above their median",
);
pub use crate::tabular::params::SEED;

/// Per window: the model's score, and optionally its expected value of the window's centre
/// point, on the series' scale (without one, a point expects the typical cycle at its phase,
/// see `subsequence::typical_cycle`).
pub struct WindowScores {
    pub scores: Vec<f64>,
    pub expected: Option<Vec<f64>>,
}

type Model = Box<dyn Fn(&Subsequences) -> WindowScores + Send>;
/// Held-out windows (beyond one window's length) the cut of a stored window model needs.
const HELD_OUT_WINDOWS: usize = 50;

/// Fits the stored form of a window model on the training windows.
type Fitter = Box<dyn Fn(&Subsequences) -> Fit + Send>;

/// How a model reads the windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    /// The window matrix with each column z-scored.
    Standardized,
    /// No matrix: the model walks the series itself.
    None,
}

pub struct Windowed {
    window: usize,
    /// Periods in a window when `window` is 0.
    periods: usize,
    threshold: f64,
    spread: Spread,
    rows: Rows,
    model: Model,
    /// Set for the window models that have a stored form, and what it fitted.
    fitter: Option<Fitter>,
    fitted: Option<FittedWindows>,
}

impl Windowed {
    pub fn new(
        params: &Params,
        spread: Spread,
        rows: Rows,
        model: impl Fn(&Subsequences) -> WindowScores + Send + 'static,
    ) -> Windowed {
        Windowed {
            window: params.int("window"),
            periods: 1,
            threshold: params.float("threshold"),
            spread,
            rows,
            model: Box::new(model),
            fitter: None,
            fitted: None,
        }
    }

    /// A frame that scores nothing: a placeholder while a detector's saved state is loaded
    /// (the real frame is rebuilt from the parameters).
    pub fn unset() -> Windowed {
        Windowed {
            window: 0,
            periods: 1,
            threshold: 0.0,
            spread: Spread::CoveringMin,
            rows: Rows::None,
            model: Box::new(|_| WindowScores { scores: Vec::new(), expected: None }),
            fitter: None,
            fitted: None,
        }
    }

    /// A stored form: `fit` fits the model on the z-scored training windows; the model then
    /// scores each new value by the window it completes (see `parts::fitted_windows`).
    pub fn fitted_by(mut self, fit: impl Fn(&Subsequences) -> Fit + Send + 'static) -> Windowed {
        self.fitter = Some(Box::new(fit));
        self
    }

    /// Windows of `periods` detected periods when `window` is 0.
    pub fn in_periods(mut self, periods: usize) -> Windowed {
        self.periods = periods;
        self
    }
}

/// Restore a detector's saved state around its batch frame, which is built from the parameters
/// and not saved (its model is code, not data).
pub fn restore_around_frame<T: serde::de::DeserializeOwned>(
    detector: &mut T,
    state: &[u8],
    frame: impl Fn(&mut T) -> &mut Windowed,
) -> Result<(), crate::state::StateError> {
    let kept = std::mem::replace(frame(detector), Windowed::unset());
    let restored = crate::state::restore(detector, state);
    *frame(detector) = kept;
    restored
}

/// The fewest values a windowed detector needs: two windows of the given length (16 when the
/// length is found from the data).
pub fn min_points(params: &Params) -> usize {
    match params.int("window") {
        0 => 16,
        w => w + 1,
    }
}

impl Detector for Windowed {
    /// Batch only, unless fitted as a model.
    fn update(&mut self, x: f64) -> Scored {
        match &mut self.fitted {
            Some(fitted) => fitted.update(x),
            None => Scored::WARMUP,
        }
    }

    fn fit(&mut self, xs: &[f64]) {
        let Some(fitter) = &self.fitter else { return };
        if xs.len() < 2 {
            return;
        }
        let w = window_length_in_periods(xs, self.window, self.periods);
        // The last 30% calibrates the cut when it holds enough windows; else the in-sample scores.
        let held_out = xs.len() * 3 / 10;
        let calibrating = held_out >= w + HELD_OUT_WINDOWS && xs.len() - held_out >= 2 * w;
        let fitted_on = if calibrating { &xs[..xs.len() - held_out] } else { xs };
        let subs = Subsequences::new(fitted_on, w, true);
        let fit = fitter(&subs);
        let mut fitted = FittedWindows::new(fitted_on, &subs, fit, self.threshold);
        if calibrating {
            fitted.calibrate(xs, fitted_on.len(), self.threshold);
        }
        self.fitted = Some(fitted);
    }

    fn save(&self) -> Option<Vec<u8>> {
        self.fitter.as_ref().and_then(|_| crate::state::save(&self.fitted))
    }

    fn restore(&mut self, state: &[u8]) -> Result<(), crate::state::StateError> {
        if self.fitter.is_none() {
            return Err(crate::state::StateError::NotSaved);
        }
        crate::state::restore(&mut self.fitted, state)
    }

    fn score_batch(&mut self, xs: &[f64]) -> Vec<Scored> {
        if xs.len() < 2 {
            return vec![Scored::WARMUP; xs.len()];
        }
        let w = window_length_in_periods(xs, self.window, self.periods);
        let subs = match self.rows {
            Rows::Standardized => Subsequences::new(xs, w, true),
            Rows::None => Subsequences::series_only(xs, w),
        };
        let out = (self.model)(&subs);
        let scores = spread(&out.scores, w, xs.len(), self.spread);
        // A model with no reconstruction of its own expects the typical cycle.
        let expected = match out.expected {
            Some(e) => spread(&e, w, xs.len(), Spread::Centre),
            None => typical_cycle(xs, w),
        };
        flag_by_robust_z(&scores, Some(&expected), self.threshold)
    }
}

/// Values an online run with `window` 0 reads before it fixes the window length.
pub const PERIOD_SAMPLE: usize = 500;

/// An online windowed detector needs its window length before its first window: a given
/// `window` is used at once; with 0 the first `PERIOD_SAMPLE` values find the period, and are
/// then replayed into the detector (scored as warm-up).
#[derive(Serialize, Deserialize)]
pub struct OnlineStart {
    window: usize,
    pending: Vec<f64>,
    started: bool,
}

impl OnlineStart {
    pub fn new(window: usize) -> OnlineStart {
        OnlineStart { window, pending: Vec::new(), started: false }
    }

    /// The window length and the values to replay once it is known, else None (waiting).
    fn feed(&mut self, x: f64) -> Option<(usize, Vec<f64>)> {
        self.pending.push(x);
        if self.window == 0 && self.pending.len() < PERIOD_SAMPLE {
            return None;
        }
        self.started = true;
        let replay = std::mem::take(&mut self.pending);
        let length = if self.window > 0 { self.window } else { window_length(&replay, 0) };
        Some((length, replay))
    }
}

/// The online side of a window model whose window length is fixed by its first values.
pub trait StartsOnline {
    fn online_start(&mut self) -> &mut OnlineStart;
    /// Set up for windows of `length`; called once, before the first `step`.
    fn begin(&mut self, length: usize);
    /// Score a value once set up.
    fn step(&mut self, x: f64) -> Scored;

    /// `Detector::update` for such a model: wait for the window length, replay the values
    /// that waited (as warm-up), then step.
    fn update_started(&mut self, x: f64) -> Scored {
        let start = self.online_start();
        if start.started {
            return self.step(x);
        }
        if let Some((length, replay)) = start.feed(x) {
            self.begin(length);
            for v in replay {
                self.step(v);
            }
        }
        Scored::WARMUP
    }
}
