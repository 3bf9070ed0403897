//! The shared engine of window-based robust detectors: a rule that scores a value against
//! a sorted window, run over a centred window in batch mode and a trailing one online.

use crate::detector::{Detector, Scored};
use crate::resolution::Resolution;
use crate::window::{TrailingWindow, for_each_centered};
use serde::{Deserialize, Serialize};

/// How a robust detector judges `x` against a window of neighbours (ascending), its scale
/// floored by the series' resolution. A rule is plain data (its parameters), saved with the
/// window; `&mut` lets it keep where its last answer was (the next window differs by one value).
pub trait WindowRule: Send + Serialize + serde::de::DeserializeOwned {
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

    fn save(&self) -> Option<Vec<u8>> {
        crate::state::save(self)
    }

    fn restore(&mut self, state: &[u8]) -> Result<(), crate::state::StateError> {
        crate::state::restore(self, state)
    }
}
