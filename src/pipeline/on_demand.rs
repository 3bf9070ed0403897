//! Scored rows made as they are asked for: what `detect`'s streamed scan pulls
//! (`api::detect_streamed`, `postgres::streamed_scan`). The source's one series is read whole,
//! as batch mode reads it (a plain scan, put in time order in memory: 24 bytes a row). Online,
//! it is then scored a chunk at a time as rows are asked for, so no scored row is ever stored;
//! in batch mode what needs the whole series is worked out once it is read (as batch mode
//! must: every score, or for most rolling detectors only a mean or a resolution) and its rows
//! are made a chunk at a time. Every check and every score is the plan's own
//! (`Plan::take_row`, `Plan::flush_range`, `Plan::score_batch`): the rows are the rows `detect`
//! returns through a function scan, in the same order.

use super::plan::{Plan, RunState, Sink};
use super::scorer::BatchScores;
use crate::postgres::series_select::SeriesSelect;
use crate::progress::Progress;
use anomdet_core::Mode;
use pgrx::pg_sys::panic::ErrorReport;

/// A series held for scoring on demand.
pub struct OnDemand {
    /// The held series is the pending series' buffer, scored range by range in place.
    state: RunState,
    /// The first held row not yet scored here or given to the helper.
    next: usize,
    finished: bool,
    /// Batch mode: the held series' scores, worked out (or learnt) once it was read.
    batch_scores: Option<BatchScores>,
    /// The mode it is scored in (`Plan::scored_for`).
    mode: Mode,
}

/// How many rows to make room for, and the most to hold.
#[derive(Debug, Clone, Copy)]
pub struct Hold {
    /// The source's estimated rows (0: unknown), room made for them at once.
    pub expected: usize,
    pub at_most: usize,
}

/// Rows scored per request.
const CHUNK: usize = 10_000;

impl OnDemand {
    /// Whether `plan` can be scored on demand: one series, read without SQL running beside
    /// the read.
    pub fn suits(plan: &Plan<'_>) -> bool {
        plan.source.series_column.is_none() && !plan.detector.runs_sql()
    }

    /// Read the series whole. `None` when it has more than `hold.at_most` rows: the caller
    /// scores it some other way (nothing was handed to `sink`).
    pub fn read(
        plan: &Plan<'_>,
        sink: &mut dyn Sink,
        hold: Hold,
        progress: &mut Progress,
    ) -> Result<Option<OnDemand>, ErrorReport> {
        let plan = &plan.scored_for(sink);
        progress.set_phase("reading rows");
        let select = SeriesSelect { ordered: false, ..SeriesSelect::value_of(plan.source) };
        let mut state = RunState::holding(hold.expected.min(hold.at_most), hold.at_most);
        let read = plan.stream(&select.sql(), select.layout(), &mut state, sink, progress);
        if state.too_long {
            progress.restart();
            return Ok(None);
        }
        read?;
        let (mut batch_scores, mut next) = (None, 0);
        if let Some(p) = state.pending.as_mut() {
            plan.put_in_time_order(p)?;
            plan.check_held_values(p)?;
            plan.check_length(p)?;
            state.summary.series += 1;
            match plan.mode {
                Mode::Online => {
                    plan.check_memory(p)?;
                    // The helper (if any) starts on the first chunks before a row is asked for.
                    plan.give_held_ahead(p, &mut next, sink);
                }
                Mode::Batch => batch_scores = Some(plan.score_batch(p, progress)?),
            }
        }
        Ok(Some(OnDemand { state, next, finished: false, batch_scores, mode: plan.mode }))
    }

    /// Whether some of it was scored a chunk ahead on a helper thread.
    pub fn scored_ahead(&self) -> bool {
        self.state.summary.chunks_ahead > 0
            || self.state.pending.as_ref().is_some_and(|p| p.scores_ahead())
            || matches!(&self.batch_scores, Some(BatchScores::Learnt(ranges)) if ranges.helped())
    }

    /// Whether the series was scored whole (batch mode) rather than as asked for.
    pub fn scored_whole(&self) -> bool {
        matches!(self.batch_scores, Some(BatchScores::Rows(_)))
    }

    /// Whether batch mode learnt from the whole series first (a mean, a resolution), then
    /// scored the rows as they were asked for.
    pub fn scored_in_ranges(&self) -> bool {
        matches!(self.batch_scores, Some(BatchScores::Learnt(_) | BatchScores::Online { .. }))
    }

    /// Score the next chunk into `sink` (which may keep none of it: flagged rows only); false
    /// once every row is scored.
    pub fn next_chunk(
        &mut self,
        plan: &Plan<'_>,
        sink: &mut dyn Sink,
        progress: &mut Progress,
    ) -> Result<bool, ErrorReport> {
        let plan = &Plan { mode: self.mode, ..*plan };
        if let Some(p) = self.state.pending.as_mut()
            && self.batch_scores.is_none()
            && plan.give_held_ahead(p, &mut self.next, sink)
        {
            // Scored a chunk ahead on a helper thread while these rows are handed out.
            if plan.emit_next_ahead(p, sink, &mut self.state.summary, progress)? {
                return Ok(true);
            }
        } else if let Some(p) = self.state.pending.as_mut()
            && self.next < p.ts.len()
        {
            let range = self.next..(self.next + CHUNK).min(p.ts.len());
            self.next = range.end;
            let summary = &mut self.state.summary;
            match &mut self.batch_scores {
                Some(scores) => plan.emit_scored(p, scores, range, sink, summary, progress)?,
                None => plan.flush_range(p, range, sink, summary, progress)?,
            }
            return Ok(true);
        }
        if !self.finished {
            // Says so when the source has no rows at all, as a function scan's read does.
            self.finished = true;
            let state = RunState::done(self.state.summary);
            plan.finish(state, sink, progress)?;
        }
        Ok(false)
    }
}
