//! The shared engine of window-based robust detectors: a rule that scores a value against
//! a sorted window, run over a centred window in batch mode and a trailing one online.

use crate::detector::{BatchPieces, Detector, ScoreRange, Scored};
use crate::resolution::Resolution;
use crate::window::{TrailingWindow, for_each_centered, for_each_centered_in};
use serde::{Deserialize, Serialize};

/// How a robust detector judges `x` against a window of neighbours (ascending), its scale
/// floored by the series' resolution. A rule is plain data (its parameters), saved with the
/// window; `&mut` lets it keep where its last answer was (the next window differs by one value).
pub trait WindowRule: Clone + Send + 'static + Serialize + serde::de::DeserializeOwned {
    fn judge(&mut self, window: &[f64], x: f64, resolution: &Resolution) -> Scored;
}

#[derive(Serialize, Deserialize)]
#[serde(bound = "")]
pub struct Rolling<R: WindowRule> {
    rule: R,
    window: usize,
    past: TrailingWindow,
    resolution: Resolution,
}

impl<R: WindowRule> Rolling<R> {
    pub fn new(rule: R, window: usize) -> Self {
        Rolling { rule, window, past: TrailingWindow::new(window), resolution: Resolution::default() }
    }
}

impl<R: WindowRule> Detector for Rolling<R> {
    fn update(&mut self, x: f64) -> Scored {
        self.resolution.observe(x);
        let out =
            if self.past.is_full() { self.rule.judge(self.past.sorted(), x, &self.resolution) } else { Scored::WARMUP };
        self.past.push(x);
        out
    }

    fn score_batch(&mut self, xs: &[f64]) -> Vec<Scored> {
        let mut out = Vec::with_capacity(xs.len());
        let resolution = Resolution::of(xs);
        for_each_centered(xs, self.window, |w, x| out.push(self.rule.judge(w, x, &resolution)));
        out
    }

    /// The series' resolution is all batch mode learns from the whole series; each range's
    /// centred windows are then its own.
    fn batch_pieces(&mut self, xs: &[f64]) -> BatchPieces {
        BatchPieces::Learnt(Box::new(CenteredWindows {
            rule: self.rule.clone(),
            window: self.window,
            resolution: Resolution::of(xs),
        }))
    }

    fn save(&self) -> Option<Vec<u8>> {
        crate::state::save(self)
    }

    fn restore(&mut self, state: &[u8]) -> Result<(), crate::state::StateError> {
        crate::state::restore(self, state)
    }
}

/// Batch mode's centred windows over any range of a series, with its resolution.
#[derive(Clone)]
struct CenteredWindows<R: WindowRule> {
    rule: R,
    window: usize,
    resolution: Resolution,
}

impl<R: WindowRule> ScoreRange for CenteredWindows<R> {
    fn score_range(&mut self, xs: &[f64], range: std::ops::Range<usize>, out: &mut Vec<Scored>) {
        let (rule, resolution) = (&mut self.rule, &self.resolution);
        for_each_centered_in(xs, self.window, range, |w, x| out.push(rule.judge(w, x, resolution)));
    }

    fn fork(&self) -> Box<dyn ScoreRange> {
        Box::new(self.clone())
    }
}
