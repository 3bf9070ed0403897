//! The read of `detect` and `run_batch`: a source in time order, streamed from the executor or
//! through an SPI cursor in bounded batches, split into series, each scored by a
//! [`SeriesScorer`] and handed to a sink.
//!
//! Memory: batch mode holds one series at a time (it needs the whole series by definition);
//! online mode holds one chunk, so it stays flat however large the table is.

use super::ahead::{self, Keep, ScoreAhead, Tally};
pub use super::scorer::ScoredRow;
use super::scorer::{BatchScores, ResumeFrom, SeriesScorer};
use crate::chosen_detector::ChosenDetector;
use crate::error::{Code, error, internal};
use crate::postgres::relation::Source;
use crate::postgres::series_select::{RowLayout, SeriesSelect};
use crate::progress::Progress;
use anomdet_core::detector::{BatchPieces, ProbabilityFor};
use anomdet_core::{Mode, Scored};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

const FETCH_ROWS: i64 = 10_000;
const ONLINE_CHUNK: usize = 10_000;

/// What to do with NULL, NaN and ±Infinity values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidPolicy {
    /// Return the row unscored (score NULL) and keep it out of the detector's state.
    Skip,
    Error,
}

/// What to do when one series holds two rows with the same timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DuplicatePolicy {
    Error,
    /// Score both, in the order the scan returns them.
    Keep,
}

impl InvalidPolicy {
    /// The word `parse` reads.
    pub fn word(self) -> &'static str {
        match self {
            InvalidPolicy::Skip => "skip",
            InvalidPolicy::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Result<Self, ErrorReport> {
        match text {
            "skip" => Ok(InvalidPolicy::Skip),
            "error" => Ok(InvalidPolicy::Error),
            other => Err(crate::error::invalid_argument(
                format!("on_invalid: unknown policy \"{other}\""),
                "use 'skip' or 'error'",
            )),
        }
    }
}

impl DuplicatePolicy {
    /// The word `parse` reads.
    pub fn word(self) -> &'static str {
        match self {
            DuplicatePolicy::Error => "error",
            DuplicatePolicy::Keep => "keep",
        }
    }

    pub fn parse(text: &str) -> Result<Self, ErrorReport> {
        match text {
            "error" => Ok(DuplicatePolicy::Error),
            "keep" => Ok(DuplicatePolicy::Keep),
            other => Err(crate::error::invalid_argument(
                format!("on_duplicate: unknown policy \"{other}\""),
                "use 'error' or 'keep'",
            )),
        }
    }
}

/// Everything needed to score one source.
#[derive(Clone, Copy)]
pub struct Plan<'a> {
    pub source: &'a Source,
    pub detector: &'a ChosenDetector,
    pub mode: Mode,
    pub on_invalid: InvalidPolicy,
    pub on_duplicate: DuplicatePolicy,
    /// Resume each series from this (a stored model) instead of a fresh detector.
    pub model: Option<&'a dyn ResumeFrom>,
}

/// Receives scored rows, a series chunk at a time.
pub trait Sink {
    fn accept(&mut self, series: Option<&str>, rows: &[ScoredRow]) -> Result<(), ErrorReport>;

    /// True when `accept` runs SQL: then rows are read through a cursor, not streamed
    /// from inside the executor.
    fn writes_with_spi(&self) -> bool {
        false
    }

    /// A chunk given away whole: a sink that keeps rows as they are may swap them into its own
    /// buffer instead of copying them, leaving its old one (emptied) in `rows`.
    fn accept_owned(&mut self, series: Option<&str>, rows: &mut Vec<ScoredRow>) -> Result<(), ErrorReport> {
        self.accept(series, rows)
    }

    /// Forget everything accepted so far (a speculative read is being retried).
    fn reset(&mut self) {}

    /// True when it keeps flagged rows only: then it may be given only those (the rows
    /// scored and flagged are counted from the scores).
    fn keeps_only_anomalies(&self) -> bool {
        false
    }

    /// The rows whose probability it keeps (the detector may leave the others' out).
    fn probability_for(&self) -> ProbabilityFor {
        ProbabilityFor::EveryRow
    }
}

/// The series being accumulated and the counts so far.
#[derive(Default)]
pub(super) struct RunState {
    pub(super) pending: Option<Pending>,
    pub(super) summary: Summary,
    /// Rows may arrive in any order: they are put in time order once the series is read.
    unordered: bool,
    /// Hold the whole series, scoring nothing while reading (`on_demand` scores it later).
    hold: bool,
    /// Reading a plain scan that must turn out to be in time order.
    require_order: bool,
    /// It was not: the attempt is abandoned.
    out_of_order: bool,
    /// Holding: room made at once for this many rows (the source's estimate).
    hold_expected: usize,
    /// Holding: the most rows held; past it the read is abandoned (`too_long`).
    hold_at_most: usize,
    pub(super) too_long: bool,
}

impl RunState {
    /// To hold a whole series read in any order, room made for `expected` rows, up to `at_most`.
    pub(super) fn holding(expected: usize, at_most: usize) -> RunState {
        RunState { unordered: true, hold: true, hold_expected: expected, hold_at_most: at_most, ..RunState::default() }
    }

    /// Every series done, with these counts.
    pub(super) fn done(summary: Summary) -> RunState {
        RunState { summary, ..RunState::default() }
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Summary {
    pub rows_read: i64,
    pub rows_scored: i64,
    pub anomalies: i64,
    pub series: i64,
    /// Online chunks scored a chunk ahead on a helper thread (`ahead`).
    pub chunks_ahead: i64,
}

/// Where a series' detector scores it.
enum Scoring {
    /// On the backend's own thread.
    Here(SeriesScorer),
    /// Online, a chunk ahead on a helper thread (`ahead`).
    Ahead(Box<ScoreAhead>),
    /// Only inside `Pending::score_ahead`, while the detector moves from one to the other.
    Moving,
}

/// The series being accumulated.
pub(super) struct Pending {
    key: Option<String>,
    pub(super) ts: Vec<i64>,
    pub(super) values: Vec<Option<f64>>,
    pub(super) valid_in_series: usize,
    /// The time of the series' last row read: kept when a chunk's rows leave the buffer, so
    /// the order and duplicate checks hold across chunk boundaries too.
    last_ts: Option<i64>,
    scoring: Scoring,
    /// Online: the chunk's scored rows, the buffer kept from chunk to chunk.
    scored: Vec<ScoredRow>,
    /// Batch: the scores of the range being handed on, when made as it is.
    batch_range: Vec<Scored>,
}

impl Pending {
    /// Whether its rows are scored a chunk ahead on a helper thread.
    pub(super) fn scores_ahead(&self) -> bool {
        matches!(self.scoring, Scoring::Ahead(_))
    }

    /// Score the rest of this series a chunk ahead on a helper thread, if one can be made.
    fn score_ahead(&mut self, fitted: bool, keep: Keep) {
        if !matches!(self.scoring, Scoring::Here(_)) {
            return;
        }
        if let Scoring::Here(scorer) = std::mem::replace(&mut self.scoring, Scoring::Moving) {
            self.scoring = match ScoreAhead::start(scorer, fitted, keep) {
                Ok(ahead) => Scoring::Ahead(Box::new(ahead)),
                Err(scorer) => Scoring::Here(scorer),
            };
        }
    }
}

impl Plan<'_> {
    /// A single unkeyed series scored in batch mode is held whole anyway, so it is read with a
    /// plain scan and sorted in memory (a no-op check when the table is already in time order,
    /// the usual case for append-only metrics); everything else is read in time order.
    fn reads_unordered(&self) -> bool {
        self.mode == Mode::Batch && self.source.series_column.is_none()
    }

    /// The state a read starts from: unordered when it reads a plain scan to sort in memory.
    fn fresh_state(&self) -> RunState {
        RunState { unordered: self.reads_unordered(), ..RunState::default() }
    }

    /// Score the source into the sink here, counting rows read in `progress` (callers go
    /// through `pushdown::score_where_rows_live`, which sends a Citus table's series to its workers).
    pub fn run(&self, sink: &mut dyn Sink, progress: &mut Progress) -> Result<Summary, ErrorReport> {
        self.scored_for(sink).run_here(sink, progress)
    }

    /// The plan as it scores for `sink`. Batch mode of a detector whose batch mode is its
    /// online pass replayed (ewma, spot: `BatchPieces::Online`) runs as online mode does, each
    /// chunk scored on the helper while the next is read, instead of holding the series first:
    /// the same scores, bit for bit. Not when a probability is read or flags by one (the
    /// detector then says so): a batch probability ranks the whole series' scores.
    pub(super) fn scored_for(&self, sink: &dyn Sink) -> Self {
        if self.mode != Mode::Batch || self.model.is_some() {
            return *self;
        }
        let mut detector = self.detector.build();
        detector.probability_for(sink.probability_for());
        match detector.batch_pieces(&[]) {
            BatchPieces::Online => Plan { mode: Mode::Online, ..*self },
            _ => *self,
        }
    }

    fn run_here(&self, sink: &mut dyn Sink, progress: &mut Progress) -> Result<Summary, ErrorReport> {
        let mut state = self.fresh_state();
        progress.set_phase("reading rows");
        let select = SeriesSelect { ordered: !self.reads_unordered(), ..SeriesSelect::value_of(self.source) };
        let (sql, layout) = (select.sql(), select.layout());
        if sink.writes_with_spi() || self.detector.runs_sql() {
            // The sink or the detector runs SQL while rows arrive: read through a cursor, a batch at a time.
            Spi::connect(|client| -> Result<(), ErrorReport> {
                let mut cursor = client.try_open_cursor(sql.as_str(), &[]).map_err(internal)?;
                loop {
                    pgrx::check_for_interrupts!();
                    let batch = read_batch(&mut cursor, layout)?;
                    if batch.is_empty() {
                        return Ok(());
                    }
                    for (ts, value, key) in batch {
                        self.take_row(&mut state, sink, progress, ts, value, key.as_deref())?;
                    }
                }
            })?;
        } else {
            // Rows go straight from the executor into the detector, with no copy in between.
            // Online mode needs time order. Append-only tables are usually stored in it, so a
            // single series is first read with a plain scan, checked row by row; the first row
            // out of order abandons that attempt for an ordered read.
            let speculate = self.mode == Mode::Online && !layout.keyed;
            if speculate {
                state.require_order = true;
                let unordered = SeriesSelect { ordered: false, ..SeriesSelect::value_of(self.source) };
                let first = self.stream(&unordered.sql(), layout, &mut state, sink, progress);
                if state.out_of_order {
                    sink.reset();
                    progress.restart();
                    state = self.fresh_state();
                } else {
                    first?;
                    return self.finish(state, sink, progress);
                }
            }
            self.stream(&sql, layout, &mut state, sink, progress)?;
        }
        self.finish(state, sink, progress)
    }

    /// Score one series given as its rows in time order (a Citus worker scoring the series of
    /// its shard for the coordinator): the same checks and scores as when read from the table.
    pub fn run_series(
        &self,
        key: Option<&str>,
        rows: impl Iterator<Item = (i64, Option<f64>)>,
        sink: &mut dyn Sink,
        progress: &mut Progress,
    ) -> Result<Summary, ErrorReport> {
        let mut state = self.fresh_state();
        for (ts, value) in rows {
            self.take_row(&mut state, sink, progress, ts, value, key)?;
        }
        self.finish(state, sink, progress)
    }

    /// Rows scored elsewhere (on a Citus worker), one whole series, handed on as if scored here.
    pub fn pass_on(
        &self,
        key: Option<&str>,
        rows: &[ScoredRow],
        sink: &mut dyn Sink,
        summary: &mut Summary,
        progress: &mut Progress,
    ) -> Result<(), ErrorReport> {
        summary.series += 1;
        summary.rows_read += rows.len() as i64;
        for chunk in rows.chunks(ONLINE_CHUNK) {
            self.emit(key, chunk, sink, summary, progress)?;
        }
        Ok(())
    }

    /// What `finish` says of a source with no rows, for a run that read it elsewhere.
    pub fn finish_elsewhere(
        &self,
        summary: Summary,
        sink: &mut dyn Sink,
        progress: &mut Progress,
    ) -> Result<Summary, ErrorReport> {
        self.finish(RunState::done(summary), sink, progress)
    }

    pub(super) fn stream(
        &self,
        sql: &str,
        layout: RowLayout,
        state: &mut RunState,
        sink: &mut dyn Sink,
        progress: &mut Progress,
    ) -> Result<(), ErrorReport> {
        // A batch at a time (rows of a series with no key come in batches), `take_row` inlined.
        crate::postgres::scan::for_each_batch(sql, |rows| {
            if !layout.keyed && self.take_plain_batch(state, sink, progress, rows, layout)? {
                return Ok(());
            }
            for (values, nulls) in rows.iter() {
                // SAFETY: the row comes from a query of this layout (`series_select`).
                let Some(ts) = (unsafe { layout.ts(values, nulls) }) else { continue };
                // SAFETY: as above.
                let (value, key) = unsafe { (layout.value(values, nulls, 0), layout.key(values, nulls)) };
                self.take_row(state, sink, progress, ts, value, key.as_deref())?;
            }
            Ok(())
        })
    }

    pub(super) fn finish(
        &self,
        state: RunState,
        sink: &mut dyn Sink,
        progress: &mut Progress,
    ) -> Result<Summary, ErrorReport> {
        let RunState { mut pending, mut summary, unordered, .. } = state;
        if let Some(done) = pending.take() {
            self.finish_series(done, unordered, sink, &mut summary, progress)?;
        }
        // Nothing to score is an answer, not an error: an empty time range, series, table or
        // shard (a Citus worker scores each shard, some of them empty) gives no rows. A whole
        // source with no rows is said, in case it was not meant.
        if summary.rows_read == 0 && self.source.range.is_whole() {
            pgrx::notice!(
                "source: {} has no rows to score (none with a non-NULL {}): nothing scored",
                self.source.qualified,
                self.source.time_column
            );
        }
        Ok(summary)
    }

    /// One row of the scan: start a new series when the key changes, check the row, buffer
    /// it, and in online mode score and hand on full chunks. Inlined into the read's loop (a
    /// call per row cost a tenth of a rolling detector's time); a new series is the rare case.
    #[inline(always)]
    fn take_row(
        &self,
        state: &mut RunState,
        sink: &mut dyn Sink,
        progress: &mut Progress,
        ts: i64,
        value: Option<f64>,
        key: Option<&str>,
    ) -> Result<(), ErrorReport> {
        state.summary.rows_read += 1;
        let same_series = state.pending.as_ref().is_some_and(|p| p.key.as_deref() == key);
        if !same_series {
            self.start_series(state, sink, progress, key)?;
        }
        let Some(p) = state.pending.as_mut() else { return Err(internal("no series in progress")) };
        if state.require_order && p.last_ts.is_some_and(|last| ts < last) {
            state.out_of_order = true;
            return Err(error(Code::ERRCODE_DATA_EXCEPTION, "rows out of time order", "retried with an ordered read"));
        }
        if state.hold && p.ts.len() >= state.hold_at_most {
            state.too_long = true;
            return Err(error(
                Code::ERRCODE_PROGRAM_LIMIT_EXCEEDED,
                "series too long to hold",
                "read it in time order",
            ));
        }
        if !state.unordered && self.on_duplicate == DuplicatePolicy::Error && p.last_ts == Some(ts) {
            return Err(duplicate_error(self.source, p.key.as_deref(), ts));
        }
        // A held series is checked once in time order (`check_held_values`), so the first
        // unusable value reported is the first in time, whatever order the scan returned.
        let value = if state.hold { value } else { self.check_value(value, p.key.as_deref(), ts)? };
        p.valid_in_series += usize::from(value.is_some_and(f64::is_finite));
        p.last_ts = Some(ts);
        p.ts.push(ts);
        p.values.push(value);
        if self.mode == Mode::Online && !state.hold && p.ts.len() >= ONLINE_CHUNK {
            self.flush_online(p, sink, &mut state.summary, progress)?;
        }
        Ok(())
    }

    /// A batch of rows of the series being read, taken at once when every row is the plain
    /// case: a time after the one before and a usable value, with room to hold them. Then
    /// `take_row`'s checks all pass, and only its buffering and chunking are left to do
    /// (half the read's own time per row). False: nothing was taken, and the rows go through
    /// `take_row` one by one, with every check and error as before.
    #[inline(always)]
    fn take_plain_batch(
        &self,
        state: &mut RunState,
        sink: &mut dyn Sink,
        progress: &mut Progress,
        rows: crate::postgres::scan::Rows<'_>,
        layout: RowLayout,
    ) -> Result<bool, ErrorReport> {
        let Some(p) = state.pending.as_mut().filter(|p| p.key.is_none()) else { return Ok(false) };
        let mut last = p.last_ts.unwrap_or(i64::MIN);
        let mut count = 0;
        for (values, nulls) in rows.iter() {
            // SAFETY: the row comes from a query of this layout (`series_select`).
            let (ts, value) = unsafe { (layout.ts(values, nulls), layout.value(values, nulls, 0)) };
            match (ts, value) {
                (Some(ts), Some(v)) if ts > last && v.is_finite() => last = ts,
                _ => return Ok(false),
            }
            count += 1;
        }
        if state.hold && p.ts.len() + count > state.hold_at_most {
            return Ok(false);
        }
        let chunked = self.mode == Mode::Online && !state.hold;
        for (values, nulls) in rows.iter() {
            // SAFETY: as above; both are known not to be NULL.
            let (ts, value) = unsafe { (layout.ts(values, nulls), layout.value(values, nulls, 0)) };
            p.ts.push(ts.unwrap_or_default());
            p.values.push(value);
            if chunked && p.ts.len() >= ONLINE_CHUNK {
                self.flush_online(p, sink, &mut state.summary, progress)?;
            }
        }
        state.summary.rows_read += count as i64;
        p.valid_in_series += count;
        p.last_ts = Some(last);
        Ok(true)
    }

    /// The first row of a series: the one before it is finished, and a scorer made.
    #[inline(never)]
    fn start_series(
        &self,
        state: &mut RunState,
        sink: &mut dyn Sink,
        progress: &mut Progress,
        key: Option<&str>,
    ) -> Result<(), ErrorReport> {
        if let Some(done) = state.pending.take() {
            self.finish_series(done, state.unordered, sink, &mut state.summary, progress)?;
            progress.set_phase("reading rows");
        }
        let mut scorer = match self.model {
            Some(model) => model.scorer_for(key)?,
            None => SeriesScorer::new(self.detector),
        };
        scorer.probability_for(sink.probability_for());
        // Room for the whole series at once when it is held (no copy as it grows).
        let room = if state.hold { state.hold_expected } else { 0 };
        state.pending = Some(Pending {
            key: key.map(str::to_owned),
            ts: Vec::with_capacity(room),
            values: Vec::with_capacity(room),
            valid_in_series: 0,
            last_ts: None,
            scoring: Scoring::Here(scorer),
            scored: Vec::new(),
            batch_range: Vec::new(),
        });
        Ok(())
    }

    #[inline(always)]
    fn check_value(&self, value: Option<f64>, key: Option<&str>, ts: i64) -> Result<Option<f64>, ErrorReport> {
        match value {
            Some(v) if v.is_finite() => Ok(Some(v)),
            _ if self.on_invalid == InvalidPolicy::Skip => Ok(None),
            other => Err(self.unusable_value(other, key, ts)),
        }
    }

    #[cold]
    fn unusable_value(&self, value: Option<f64>, key: Option<&str>, ts: i64) -> ErrorReport {
        let what = match value {
            None => "NULL".to_string(),
            Some(v) => format!("{v}"),
        };
        error(
            if value.is_none() {
                Code::ERRCODE_NULL_VALUE_NOT_ALLOWED
            } else {
                Code::ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE
            },
            format!(
                "value_column: {what} value in {}{} at {}",
                self.source.qualified,
                series_label(key),
                crate::postgres::timestamps::format_ts(ts)
            ),
            "pass on_invalid => 'skip' to leave such rows unscored, or clean the data",
        )
    }

    /// Online mode: score what is buffered, send it on, keep only the detector's state. From a
    /// series' first full chunk on, the scoring is done a chunk ahead on a helper thread when
    /// the session allows it: this chunk is given to it, and the one before handed on.
    pub(super) fn flush_online(
        &self,
        p: &mut Pending,
        sink: &mut dyn Sink,
        summary: &mut Summary,
        progress: &mut Progress,
    ) -> Result<(), ErrorReport> {
        self.score_ahead_if_worth(p, p.ts.len(), sink);
        if let Scoring::Ahead(ahead) = &mut p.scoring {
            let scored = ahead.pass(&mut p.ts, &mut p.values);
            return self.emit_ahead(p, scored, sink, summary, progress);
        }
        let emitted = self.flush_range(p, 0..p.ts.len(), sink, summary, progress);
        p.ts.clear();
        p.values.clear();
        emitted
    }

    /// Online, a held series scored as asked for (`on_demand`): from a full chunk on, keep the
    /// helper as many chunks ahead of the rows handed out as it takes (`next`: the first row
    /// not yet given), starting it if need be. False when the series is scored here instead.
    pub(super) fn give_held_ahead(&self, p: &mut Pending, next: &mut usize, sink: &dyn Sink) -> bool {
        self.score_ahead_if_worth(p, p.ts.len().saturating_sub(*next), sink);
        let Scoring::Ahead(ahead) = &mut p.scoring else { return false };
        while !ahead.full() && *next < p.ts.len() {
            let end = (*next + ONLINE_CHUNK).min(p.ts.len());
            ahead.give_copy(&p.ts[*next..end], &p.values[*next..end]);
            *next = end;
        }
        true
    }

    /// The oldest chunk with the helper, scored and handed on; false when none is left.
    pub(super) fn emit_next_ahead(
        &self,
        p: &mut Pending,
        sink: &mut dyn Sink,
        summary: &mut Summary,
        progress: &mut Progress,
    ) -> Result<bool, ErrorReport> {
        let scored = match &mut p.scoring {
            Scoring::Ahead(ahead) => ahead.next_scored(),
            _ => None,
        };
        let any = scored.is_some();
        self.emit_ahead(p, scored, sink, summary, progress)?;
        Ok(any)
    }

    /// A chunk scored ahead, handed on; its buffer kept for the next one.
    fn emit_ahead(
        &self,
        p: &mut Pending,
        scored: Option<(Vec<ScoredRow>, Tally)>,
        sink: &mut dyn Sink,
        summary: &mut Summary,
        progress: &mut Progress,
    ) -> Result<(), ErrorReport> {
        let Some((mut rows, tally)) = scored else { return Ok(()) };
        summary.chunks_ahead += 1;
        let emitted = emit_tallied(p.key.as_deref(), &mut rows, tally, sink, summary, progress);
        if let Scoring::Ahead(ahead) = &mut p.scoring {
            ahead.reuse(rows);
        }
        emitted
    }

    /// Move the series' scoring to a helper thread once a full chunk's worth of rows is
    /// waiting (`rows`), for a detector that runs no SQL, when the session allows it.
    fn score_ahead_if_worth(&self, p: &mut Pending, rows: usize, sink: &dyn Sink) {
        if rows >= ONLINE_CHUNK && !self.detector.runs_sql() && ahead::allowed() {
            p.score_ahead(self.model.is_some(), self.keep(sink));
        }
    }

    /// Which scored rows a chunk hands to `sink`.
    fn keep(&self, sink: &dyn Sink) -> Keep {
        Keep { range: self.source.range, flagged_only: sink.keeps_only_anomalies() }
    }

    /// Online: score the buffered rows in `range` and send them on (a held series is scored
    /// range by range, in place).
    pub(super) fn flush_range(
        &self,
        p: &mut Pending,
        range: std::ops::Range<usize>,
        sink: &mut dyn Sink,
        summary: &mut Summary,
        progress: &mut Progress,
    ) -> Result<(), ErrorReport> {
        let Scoring::Here(scorer) = &mut p.scoring else {
            return Err(internal("a range scored here while scoring ahead"));
        };
        let mut rows = std::mem::take(&mut p.scored);
        rows.clear();
        let (ts, values) = (&p.ts[range.clone()], &p.values[range]);
        let go_on = || {
            anomdet_core::interrupt::check();
            true
        };
        let keep = self.keep(sink);
        let tally = ahead::score_chunk(scorer, self.model.is_some(), ts, values, keep, &mut rows, go_on);
        let emitted = emit_tallied(p.key.as_deref(), &mut rows, tally, sink, summary, progress);
        p.scored = rows;
        emitted
    }

    /// Hand scored rows on, without the warm-up rows read before a time range's start.
    fn emit(
        &self,
        key: Option<&str>,
        rows: &[ScoredRow],
        sink: &mut dyn Sink,
        summary: &mut Summary,
        progress: &mut Progress,
    ) -> Result<(), ErrorReport> {
        // Rows count as done once scored and handed on, warm-up rows before the range included
        // (the total they are counted against is every row of the source).
        progress.advance(rows.len() as u64);
        let range = &self.source.range;
        if rows.first().is_none_or(|r| range.keeps(r.ts)) {
            count(rows, summary);
            return sink.accept(key, rows);
        }
        let kept: Vec<ScoredRow> = rows.iter().filter(|r| range.keeps(r.ts)).copied().collect();
        count(&kept, summary);
        sink.accept(key, &kept)
    }

    fn finish_series(
        &self,
        mut p: Pending,
        unordered: bool,
        sink: &mut dyn Sink,
        summary: &mut Summary,
        progress: &mut Progress,
    ) -> Result<(), ErrorReport> {
        summary.series += 1;
        if unordered {
            self.put_in_time_order(&mut p)?;
        }
        self.check_length(&p)?;
        match self.mode {
            Mode::Online => {
                self.check_memory(&p)?;
                self.flush_online(&mut p, sink, summary, progress)?;
                // The chunks still with the helper, in order.
                while self.emit_next_ahead(&mut p, sink, summary, progress)? {}
                Ok(())
            }
            Mode::Batch => {
                let mut scores = self.score_batch(&mut p, progress)?;
                progress.set_phase("writing results");
                // Handed on in chunks so the sink never holds a second copy of the series.
                let mut start = 0;
                loop {
                    let end = (start + ONLINE_CHUNK).min(p.ts.len());
                    self.emit_scored(&mut p, &mut scores, start..end, sink, summary, progress)?;
                    if end == p.ts.len() {
                        return Ok(());
                    }
                    start = end;
                }
            }
        }
    }

    /// Batch: the whole series scored, or learnt so that each range is scored as it is handed
    /// on (the working-memory check first).
    pub(super) fn score_batch(&self, p: &mut Pending, progress: &mut Progress) -> Result<BatchScores, ErrorReport> {
        progress.set_phase("scoring");
        let label = format!("{}{}", self.source.qualified, series_label(p.key.as_deref()));
        let Scoring::Here(scorer) = &mut p.scoring else { return Err(internal("batch mode scoring ahead")) };
        match self.model {
            Some(_) => {
                let valid: Vec<f64> = p.values.iter().flatten().copied().collect();
                self.detector.check_memory_of(&valid, &label)?;
                Ok(BatchScores::Rows(scorer.score_fitted(&p.values)))
            }
            None => scorer.score_whole_in_ranges(&p.values, &label, ahead::allowed()),
        }
    }

    /// Batch: the rows in `range` of a series scored whole, handed on (a held series is handed
    /// out range by range as asked for, in order).
    pub(super) fn emit_scored(
        &self,
        p: &mut Pending,
        scores: &mut BatchScores,
        range: std::ops::Range<usize>,
        sink: &mut dyn Sink,
        summary: &mut Summary,
        progress: &mut Progress,
    ) -> Result<(), ErrorReport> {
        let Scoring::Here(scorer) = &mut p.scoring else { return Err(internal("batch mode scoring ahead")) };
        let range_scores = scorer.batch_range(scores, &p.values, range.clone(), &mut p.batch_range);
        // The same rule as an online chunk's: warm-up rows left out, only flagged rows made
        // for a sink that keeps nothing else (a few in a million), every row counted.
        let mut rows = std::mem::take(&mut p.scored);
        rows.clear();
        let (keep, mut tally) = (self.keep(sink), Tally::default());
        let (ts, values) = (&p.ts[range.clone()], &p.values[range]);
        for ((&ts, &value), scored) in ts.iter().zip(values).zip(range_scores) {
            keep.take(ts, value, scored, &mut tally, &mut rows);
        }
        let emitted = emit_tallied(p.key.as_deref(), &mut rows, tally, sink, summary, progress);
        p.scored = rows;
        emitted
    }

    /// A series read by a plain scan, put in time order; then no two rows may share a
    /// timestamp unless the caller keeps duplicates.
    pub(super) fn put_in_time_order(&self, p: &mut Pending) -> Result<(), ErrorReport> {
        sort_by_time(p);
        if self.on_duplicate == DuplicatePolicy::Error
            && let Some(w) = p.ts.windows(2).find(|w| w[0] == w[1])
        {
            return Err(duplicate_error(self.source, p.key.as_deref(), w[0]));
        }
        Ok(())
    }

    /// The values of a held series, in time order, through `check_value`.
    pub(super) fn check_held_values(&self, p: &mut Pending) -> Result<(), ErrorReport> {
        for (value, &ts) in p.values.iter_mut().zip(&p.ts) {
            *value = self.check_value(*value, p.key.as_deref(), ts)?;
        }
        Ok(())
    }

    /// Online: the detector's working memory for the whole series stays under the limit.
    pub(super) fn check_memory(&self, p: &Pending) -> Result<(), ErrorReport> {
        let label = format!("{}{}", self.source.qualified, series_label(p.key.as_deref()));
        self.detector.check_memory(p.valid_in_series, &label)
    }

    /// A series too short for the detector is an error (a model is warm already: any length).
    pub(super) fn check_length(&self, p: &Pending) -> Result<(), ErrorReport> {
        let needed = if self.model.is_some() { 0 } else { self.detector.min_points() };
        if p.valid_in_series >= needed {
            return Ok(());
        }
        Err(error(
            Code::ERRCODE_DATA_EXCEPTION,
            format!(
                "{}{} has {} usable values; detector {} with these parameters needs at least {needed}",
                self.source.qualified,
                series_label(p.key.as_deref()),
                p.valid_in_series,
                self.detector.name()
            ),
            "lower the length parameters in params (window, warmup, n_init...), or use a longer series",
        ))
    }
}

/// Put a series read by a plain scan into time order; stable, so rows with equal timestamps keep
/// their scan order, and free when the rows already arrived in order.
fn sort_by_time(p: &mut Pending) {
    if let Some(order) = anomdet_core::series::time_order(&p.ts) {
        p.ts = anomdet_core::series::permute(&p.ts, &order);
        p.values = anomdet_core::series::permute(&p.values, &order);
    }
}

/// Rows scored and already counted (`ahead::score_chunk`), handed on whole.
fn emit_tallied(
    key: Option<&str>,
    rows: &mut Vec<ScoredRow>,
    tally: Tally,
    sink: &mut dyn Sink,
    summary: &mut Summary,
    progress: &mut Progress,
) -> Result<(), ErrorReport> {
    progress.advance(tally.rows);
    summary.rows_scored += tally.scored;
    summary.anomalies += tally.anomalies;
    sink.accept_owned(key, rows)
}

fn count(rows: &[ScoredRow], summary: &mut Summary) {
    for r in rows {
        summary.rows_scored += i64::from(r.scored.score.is_some());
        summary.anomalies += i64::from(r.scored.is_anomaly == Some(true));
    }
}

pub fn series_label(key: Option<&str>) -> String {
    key.map(|k| format!(" (series \"{k}\")")).unwrap_or_default()
}

fn duplicate_error(source: &Source, key: Option<&str>, ts: i64) -> ErrorReport {
    error(
        Code::ERRCODE_CARDINALITY_VIOLATION,
        format!(
            "{}{} has more than one row at {}",
            source.qualified,
            series_label(key),
            crate::postgres::timestamps::format_ts(ts)
        ),
        "aggregate to one row per timestamp first (GROUP BY or time_bucket), name the series column, or pass on_duplicate => 'keep'",
    )
}

type RawRow = (i64, Option<f64>, Option<String>);

/// Fetch the next batch from the cursor into owned values, then free SPI's copy so memory
/// stays bounded by one batch. Attributes are read with the inline `heap_getattr`: a guarded
/// FFI call per datum (`SPI_getbinval`) cost more than the scan itself.
fn read_batch(cursor: &mut pgrx::spi::SpiCursor<'_>, layout: RowLayout) -> Result<Vec<RawRow>, ErrorReport> {
    // The wrapper is only needed for its status check; the rows are read from SPI_tuptable below.
    let _status = cursor.fetch(FETCH_ROWS).map_err(internal)?;
    let mut out = Vec::new();
    let width = layout.width();
    let (mut values, mut nulls) = (vec![pg_sys::Datum::from(0usize); width], vec![false; width]);
    // SAFETY: SPI_cursor_fetch just set SPI_tuptable for this SPI connection; we only read it
    // and free it before the next fetch. Its rows are of `layout` (`series_select`).
    unsafe {
        let tuptable = pg_sys::SPI_tuptable;
        if tuptable.is_null() {
            return Ok(out);
        }
        let n = (*tuptable).numvals as usize;
        out.reserve(n);
        let tupdesc = (*tuptable).tupdesc;
        for i in 0..n {
            let tuple = *(*tuptable).vals.add(i);
            for a in 0..width {
                values[a] = pg_sys::heap_getattr(tuple, a as i32 + 1, tupdesc, &mut nulls[a]);
            }
            // A row with no time is skipped (`SeriesSelect::sql`).
            let Some(ts) = layout.ts(&values, &nulls) else { continue };
            out.push((ts, layout.value(&values, &nulls, 0), layout.key(&values, &nulls)));
        }
        pg_sys::SPI_freetuptable(tuptable);
    }
    Ok(out)
}
