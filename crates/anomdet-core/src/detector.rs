//! The one trait every univariate detector implements, and nothing else: a leaf, so the
//! pieces detectors are built from (`parts/`) and the detectors themselves (`detect/`)
//! can both name it without importing each other.

pub use crate::scored::{Mode, Scored};
use crate::state::StateError;

/// A univariate detector.
pub trait Detector: Send {
    /// Online mode: score `x` against what came before, then learn from it.
    fn update(&mut self, x: f64) -> Scored;

    /// Batch mode over a whole series; the default replays the online mode.
    fn score_batch(&mut self, xs: &[f64]) -> Vec<Scored> {
        xs.iter()
            .enumerate()
            .map(|(i, &x)| {
                crate::interrupt::check_every(i);
                self.update(x)
            })
            .collect()
    }

    /// Its learnt state, so a later run can resume exactly here (`None`: it keeps none, as a
    /// batch-only detector). See `crate::state`.
    fn save(&self) -> Option<Vec<u8>> {
        None
    }

    /// Resume from bytes [`Detector::save`] gave, for a detector built with the same parameters.
    fn restore(&mut self, _state: &[u8]) -> Result<(), StateError> {
        Err(StateError::NotSaved)
    }
}
