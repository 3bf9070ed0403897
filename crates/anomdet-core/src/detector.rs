//! The one trait every univariate detector implements, and nothing else: a leaf, so the
//! pieces detectors are built from (`parts/`) and the detectors themselves (`detect/`)
//! can both name it without importing each other.

pub use crate::scored::{Mode, Scored};
use crate::state::StateError;

/// Which rows' calibrated probability a caller reads (see [`Detector::probability_for`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProbabilityFor {
    #[default]
    EveryRow,
    /// Only flagged rows are kept (`only_anomalies`).
    FlaggedRows,
    /// None is read, and none will be in this call's life: the scores are not even learnt (a
    /// caller with no probability column, or a query that does not read it). Not for a
    /// detector whose state is saved afterwards: its histogram would miss these scores.
    NoRow,
}

/// How batch mode can hand out its scores a range at a time, for a caller that keeps few of
/// them: a million [`Scored`] are 88 MB of fresh memory, written once and read once.
pub enum BatchPieces {
    /// Only all at once, by [`Detector::score_batch`].
    Whole,
    /// Batch mode is the online mode replayed: [`Detector::update`], value by value, in order.
    Online,
    /// What the whole series decides (a mean, a resolution) is learnt; any range is then
    /// scored alone, as `score_batch` scores it.
    Learnt(Box<dyn ScoreRange>),
}

/// Batch scores of any range of the series a detector learnt from ([`BatchPieces::Learnt`]).
pub trait ScoreRange: Send {
    /// The scores of `xs[range]`, as `score_batch(xs)` gives them, appended to `out`; `xs` is
    /// the series `batch_pieces` was given.
    fn score_range(&mut self, xs: &[f64], range: std::ops::Range<usize>, out: &mut Vec<Scored>);

    /// A copy, to score other ranges on another thread.
    fn fork(&self) -> Box<dyn ScoreRange>;
}

/// A univariate detector.
pub trait Detector: Send {
    /// Online mode: score `x` against what came before, then learn from it.
    fn update(&mut self, x: f64) -> Scored;

    /// Batch mode over a whole series; the default replays the online mode.
    fn score_batch(&mut self, xs: &[f64]) -> Vec<Scored> {
        online_pass(self, xs)
    }

    /// How batch mode over `xs` can be scored a range at a time (see [`BatchPieces`]); the
    /// default, all at once. Whatever it says, the scores are `score_batch`'s, bit for bit.
    fn batch_pieces(&mut self, _xs: &[f64]) -> BatchPieces {
        BatchPieces::Whole
    }

    /// Learn from trusted values before scoring later ones with what was learnt; [`Detector::save`]
    /// then stores it as a model. Default: the online mode's learning, value by value.
    fn fit(&mut self, xs: &[f64]) {
        for (i, &x) in xs.iter().enumerate() {
            crate::interrupt::check_every(i);
            self.update(x);
        }
    }

    /// Score values that come after the fitted ones with what was learnt, never refitting on
    /// them. Default: the online mode, which keeps learning within the call (a copy of a stored
    /// model does; the model itself is not changed).
    fn score_fitted(&mut self, xs: &[f64]) -> Vec<Scored> {
        online_pass(self, xs)
    }

    /// What its online probability ranks for the row just scored (`s`, as `update` gave it;
    /// called once per scored row, in order): the score itself, or for a detector whose scores
    /// drift by construction, the score made comparable with its earlier ones
    /// (`crate::comparable`); None: no probability for this row yet.
    fn comparable(&mut self, s: &Scored) -> Option<f64> {
        s.score
    }

    /// True for a detector that reports its own calibrated probability (a combination of
    /// calibrated views); `Calibrated` then leaves it as it is.
    fn calibrates_itself(&self) -> bool {
        false
    }

    /// The rows whose probability the caller reads: a calibrated detector leaves the others'
    /// out (it still learns their scores, so the probabilities it does give are unchanged).
    fn probability_for(&mut self, _rows: ProbabilityFor) {}

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

/// `update` over the values in order, a cancel checked every few thousand.
pub(crate) fn online_pass<D: Detector + ?Sized>(detector: &mut D, xs: &[f64]) -> Vec<Scored> {
    xs.iter()
        .enumerate()
        .map(|(i, &x)| {
            crate::interrupt::check_every(i);
            detector.update(x)
        })
        .collect()
}
