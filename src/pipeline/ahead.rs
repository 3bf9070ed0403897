//! Online scoring a chunk ahead: while the backend reads (or hands out) the next chunk of a
//! series, a helper thread scores the chunk before it. The detector moves with each chunk,
//! so the chunks are scored one after the other in time order, exactly as on the backend's
//! own thread: the same rows, the same scores, bit for bit. Only the backend calls
//! PostgreSQL; the helper runs pure Rust (`anomdet_core::helper`).
//!
//! Used when the session may use more than one process for a query
//! (`max_parallel_workers_per_gather` > 0, PostgreSQL's default) and the detector runs no SQL.

use super::scorer::{ScoredRow, SeriesScorer};
use crate::postgres::time_range::TimeRange;
use anomdet_core::Scored;
use anomdet_core::helper::{Helper, Stop};

/// How many chunks may be read ahead of the scoring: a chunk that scores slowly (a detector
/// refitting: spot) does not stall the read, and the read's own pauses do not idle the
/// helper. Deeper when only flagged rows come back (a few bytes a chunk) than when every row
/// does (1.1 MB a chunk, which should still be in cache when the backend hands it out).
const DEPTH_FLAGGED: usize = 16;
const DEPTH_EVERY_ROW: usize = 4;

/// Rows scored between two calls of `score_chunk`'s `go_on`: on the helper a flag is read, so a
/// cancelled call waits for at most this many rows of its detector (a detector's own interrupt
/// checks do nothing off the backend's thread).
const GO_ON_EVERY: usize = 64;

/// A chunk's rows, moved to the helper and back.
struct Chunk {
    ts: Vec<i64>,
    values: Vec<Option<f64>>,
    /// Filled by the helper: the rows handed on, and what the chunk counts.
    rows: Vec<ScoredRow>,
    tally: Tally,
}

/// Which scored rows a chunk hands on: those the time range returns (not the warm-up rows
/// before its start), and of those only the flagged ones when the sink keeps nothing else.
#[derive(Debug, Clone, Copy)]
pub(super) struct Keep {
    pub range: TimeRange,
    pub flagged_only: bool,
}

/// What a scored chunk counts: every row scored (for progress), and of the rows the range
/// returns, those with a score and those flagged.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Tally {
    pub rows: u64,
    pub scored: i64,
    pub anomalies: i64,
}

impl Keep {
    /// Count the row scored `scored` at `ts` in `tally`, and keep it in `rows` if it is handed
    /// on (the row is only made then: most rows of a flagged-only call are not).
    #[inline]
    pub(super) fn take(
        &self,
        ts: i64,
        value: Option<f64>,
        scored: &Scored,
        tally: &mut Tally,
        rows: &mut Vec<ScoredRow>,
    ) {
        tally.rows += 1;
        if self.range.keeps(ts) {
            let flagged = scored.is_anomaly == Some(true);
            tally.scored += i64::from(scored.score.is_some());
            tally.anomalies += i64::from(flagged);
            if flagged || !self.flagged_only {
                rows.push(ScoredRow { ts, value, scored: *scored });
            }
        }
    }
}

/// A series scored ahead: the helper thread owns its detector from the first chunk given.
pub(super) struct ScoreAhead {
    helper: Helper<Chunk, Chunk>,
    /// Chunks back from the helper, their buffers ready for the next chunks.
    spare: Vec<Chunk>,
}

/// Whether this session lets a query use a second thread.
pub(super) fn allowed() -> bool {
    // SAFETY: a plain int GUC of this backend, read on its own thread.
    unsafe { pgrx::pg_sys::max_parallel_workers_per_gather > 0 }
}

/// Score `values` (times `ts`) in order, the rows `keep` keeps into `rows`; `go_on` is asked
/// every so many rows and stops the chunk early when false (the caller is giving up).
pub(super) fn score_chunk(
    scorer: &mut SeriesScorer,
    fitted: bool,
    ts: &[i64],
    values: &[Option<f64>],
    keep: Keep,
    rows: &mut Vec<ScoredRow>,
    go_on: impl Fn() -> bool,
) -> Tally {
    let mut tally = Tally::default();
    let mut take = |ts: i64, value: Option<f64>, scored: &Scored| keep.take(ts, value, scored, &mut tally, rows);
    if fitted {
        // A model scores with what it learnt (online models keep learning within the call).
        let scores = scorer.score_fitted(values);
        ts.iter().zip(values).zip(&scores).for_each(|((&ts, &value), scored)| take(ts, value, scored));
        return tally;
    }
    for (i, (&ts, &value)) in ts.iter().zip(values).enumerate() {
        if i.is_multiple_of(GO_ON_EVERY) && !go_on() {
            break;
        }
        take(ts, value, &scorer.update(value));
    }
    tally
}

impl ScoreAhead {
    /// Hand `scorer` to a new helper thread; it comes back as the error when no thread can be made.
    pub(super) fn start(scorer: SeriesScorer, fitted: bool, keep: Keep) -> Result<ScoreAhead, SeriesScorer> {
        let depth = if keep.flagged_only { DEPTH_FLAGGED } else { DEPTH_EVERY_ROW };
        let helper = Helper::start(depth, scorer, move |scorer, mut chunk: Chunk, stop: &Stop| {
            chunk.rows.clear();
            let go_on = || !stop.requested();
            chunk.tally = score_chunk(scorer, fitted, &chunk.ts, &chunk.values, keep, &mut chunk.rows, go_on);
            chunk
        })?;
        Ok(ScoreAhead { helper, spare: Vec::new() })
    }

    /// Give the chunk in `ts` and `values` to the helper (the buffers come back empty); when
    /// as many chunks wait as it takes, take back the oldest, scored.
    pub(super) fn pass(&mut self, ts: &mut Vec<i64>, values: &mut Vec<Option<f64>>) -> Option<(Vec<ScoredRow>, Tally)> {
        let scored = if self.helper.full() { Some(self.take_oldest()) } else { None };
        let mut chunk = self.spare_chunk();
        std::mem::swap(&mut chunk.ts, ts);
        std::mem::swap(&mut chunk.values, values);
        ts.clear();
        values.clear();
        self.helper.give(chunk);
        scored
    }

    /// Whether as many chunks wait as the helper takes.
    pub(super) fn full(&self) -> bool {
        self.helper.full()
    }

    /// Give a copy of a chunk of a held series; the helper must not be full.
    pub(super) fn give_copy(&mut self, ts: &[i64], values: &[Option<f64>]) {
        let mut chunk = self.spare_chunk();
        chunk.ts.clear();
        chunk.values.clear();
        chunk.ts.extend_from_slice(ts);
        chunk.values.extend_from_slice(values);
        self.helper.give(chunk);
    }

    fn spare_chunk(&mut self) -> Chunk {
        self.spare.pop().unwrap_or(Chunk {
            ts: Vec::new(),
            values: Vec::new(),
            rows: Vec::new(),
            tally: Tally::default(),
        })
    }

    /// The oldest chunk given and not yet taken back, scored; `None` once all are back.
    pub(super) fn next_scored(&mut self) -> Option<(Vec<ScoredRow>, Tally)> {
        (self.helper.in_flight() > 0).then(|| self.take_oldest())
    }

    /// A scored chunk's buffer, once handed on, for a next chunk.
    pub(super) fn reuse(&mut self, mut rows: Vec<ScoredRow>) {
        rows.clear();
        if let Some(chunk) = self.spare.iter_mut().find(|c| c.rows.capacity() == 0) {
            chunk.rows = rows;
        }
    }

    fn take_oldest(&mut self) -> (Vec<ScoredRow>, Tally) {
        let mut chunk = self.helper.take();
        let scored = (std::mem::take(&mut chunk.rows), chunk.tally);
        self.spare.push(chunk);
        scored
    }
}
