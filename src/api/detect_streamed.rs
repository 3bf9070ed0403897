//! `detect(...)` in FROM, streamed (`postgres::streamed_scan`): the same rows as the function
//! scan, handed on as they are scored instead of stored first. One series scored online, every
//! row returned, is held as read (24 bytes a row) and scored a chunk at a time as rows are asked
//! for (`pipeline::on_demand`); everything else (`only_anomalies`, batch mode, several series, a
//! registered detector, a series too long to hold) is scored as the function does it, into a
//! tuplestore the scan then reads.

use super::detect::{ResultRows, row_cell};
use crate::pipeline::on_demand::{Hold, OnDemand};
use crate::pipeline::plan::{ScoredRow, Sink};
use crate::postgres::json_arg::JsonArg;
use crate::postgres::materialized::Materialized;
use crate::postgres::rel_arg::RelArg;
use crate::postgres::relation::Source;
use crate::postgres::streamed_scan::{RowSource, declare_streamable};
use crate::progress::Progress;
use crate::score_request::{PlanParts, SqlScoreArgs};
use anomdet_core::detector::ProbabilityFor;
use anomdet_core::progress::Total;
use pgrx::datum::Internal;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// detect's `probability` column (0-based).
const PROBABILITY_COLUMN: usize = 4;

/// The longest series held for scoring on demand: 8 M rows, 192 MiB; a longer one is stored
/// as the function scan would store it (spilling past `work_mem`).
const HOLD_AT_MOST: usize = 8 << 20;

/// `detect`'s planner support function. Its only work: PostgreSQL calls it while planning a
/// call of `detect`, which loads this library (and its planner hook) and tells the hook which
/// function `detect` is, so a call can stream from the first query of a session on.
#[pg_extern(sql = r#"
CREATE FUNCTION "_detect_planner_support"("request" internal) RETURNS internal
STRICT LANGUAGE c AS 'MODULE_PATHNAME', 'detect_planner_support_wrapper';
"#)]
fn detect_planner_support(request: Internal) -> Internal {
    if let Some(node) = request.unwrap().map(|d| d.cast_mut_ptr::<pg_sys::Node>()) {
        // SAFETY: the planner passes a SupportRequest node; its tag says which one.
        let function = unsafe {
            match (*node).type_ {
                pg_sys::NodeTag::T_SupportRequestSimplify => {
                    (*(node as *mut pg_sys::SupportRequestSimplify)).fcall.as_ref().map(|f| f.funcid)
                }
                pg_sys::NodeTag::T_SupportRequestRows => Some((*(node as *mut pg_sys::SupportRequestRows)).funcid),
                _ => None,
            }
        };
        if let Some(f) = function {
            declare_streamable(f, start);
        }
    }
    // A null pointer (not SQL NULL, which the planner refuses): nothing simplified, no estimate;
    // the planner goes on as without a support function.
    Internal::from(Some(pg_sys::Datum::null()))
}

/// The arguments as SQL passed them, owned (the datums do not outlive the call that read them).
struct OwnedArgs {
    source: Option<RelArg>,
    texts: [Option<String>; 8],
    params: Option<JsonArg>,
    only_anomalies: Option<bool>,
    start_time: Option<TimestampWithTimeZone>,
    end_time: Option<TimestampWithTimeZone>,
    lookback: Option<i64>,
}

// detect's arguments, in order.
const SOURCE: usize = 0;
const PARAMS: usize = 3;
const ONLY_ANOMALIES: usize = 9;
const START_TIME: usize = 10;
const END_TIME: usize = 11;
const LOOKBACK: usize = 12;
/// value_column, detector, time_column, series_column, mode, on_invalid, on_duplicate, model.
const TEXTS: [usize; 8] = [1, 2, 4, 5, 6, 7, 8, 13];

impl OwnedArgs {
    fn read(args: &[(pg_sys::Datum, bool)]) -> Result<OwnedArgs, ErrorReport> {
        if args.len() != 14 {
            return Err(crate::error::internal(format!("detect streamed: {} arguments, expected 14", args.len())));
        }
        // SAFETY: each datum is of detect's declared type for its position.
        let get = |i: usize| -> (pg_sys::Datum, bool) { args[i] };
        unsafe {
            let text = |i: usize| String::from_datum(get(i).0, get(i).1);
            let mut texts: [Option<String>; 8] = Default::default();
            for (slot, &i) in TEXTS.iter().enumerate() {
                texts[slot] = text(i);
            }
            Ok(OwnedArgs {
                source: RelArg::from_datum(get(SOURCE).0, get(SOURCE).1),
                texts,
                params: JsonArg::from_datum(get(PARAMS).0, get(PARAMS).1),
                only_anomalies: bool::from_datum(get(ONLY_ANOMALIES).0, get(ONLY_ANOMALIES).1),
                start_time: TimestampWithTimeZone::from_datum(get(START_TIME).0, get(START_TIME).1),
                end_time: TimestampWithTimeZone::from_datum(get(END_TIME).0, get(END_TIME).1),
                lookback: i64::from_datum(get(LOOKBACK).0, get(LOOKBACK).1),
            })
        }
    }

    fn score_args(&mut self) -> SqlScoreArgs<'_> {
        let [value_column, detector, time_column, series_column, mode, on_invalid, on_duplicate, model] = &self.texts;
        SqlScoreArgs {
            source: self.source,
            value_column: value_column.as_deref(),
            detector: detector.as_deref(),
            params: self.params.take(),
            time_column: time_column.as_deref(),
            series_column: series_column.as_deref(),
            mode: mode.as_deref(),
            on_invalid: on_invalid.as_deref(),
            on_duplicate: on_duplicate.as_deref(),
            start_time: self.start_time,
            end_time: self.end_time,
            lookback: self.lookback,
            model: model.as_deref(),
        }
    }
}

/// The starter `streamed_scan` calls with a call's arguments: checked and prepared exactly as
/// the function does.
fn start(
    args: &[(pg_sys::Datum, bool)],
    row_type: pg_sys::TupleDesc,
    reads: &[bool],
) -> Result<Box<dyn RowSource>, ErrorReport> {
    let _path = crate::postgres::search_path::pin();
    let mut owned = OwnedArgs::read(args)?;
    let only_anomalies = crate::error::required("only_anomalies", owned.only_anomalies)?;
    let (source, parts) = owned.score_args().prepare()?;
    let estimate = crate::postgres::row_estimate::rows_of(&source);
    let mut progress = crate::progress::Progress::start("detect", "rows", estimate, Some(source.relid))
        .every(crate::progress::ROWS_BETWEEN_REPORTS);
    // A probability nobody reads is not worked out (unless the detector flags by it).
    let probability_read = reads.get(PROBABILITY_COLUMN).copied().unwrap_or(true);
    let mut queue = Queue { rows: Vec::new(), next: 0, probability_read };
    let plan = parts.with_source(&source);
    let on_workers = crate::pipeline::pushdown::scores_on_workers(&plan)?;
    let expected = match estimate {
        Total::Known(n) | Total::About(n) => n as usize,
        Total::Unknown => 0,
    };
    // Flagged rows only are few: stored as the function stores them, after a read that needs
    // no holding (a plain scan checked to be in time order as it goes). A table estimated
    // longer than can be held is not read twice.
    let how = match !on_workers && !only_anomalies && expected <= HOLD_AT_MOST && OnDemand::suits(&plan) {
        true => {
            let hold = Hold { expected, at_most: HOLD_AT_MOST };
            OnDemand::read(&plan, &mut queue, hold, &mut progress)?.map(|o| How::OnDemand(Box::new(o)))
        }
        false => None,
    };
    let how = match how {
        Some(how) => how,
        None => {
            How::Stored(Stored::score(&plan, on_workers, row_type, only_anomalies, probability_read, &mut progress)?)
        }
    };
    let read_columns = (0..reads.len()).filter(|&c| reads[c]).collect();
    Ok(Box::new(DetectRows { source, parts, progress, how, queue, read_columns }))
}

struct DetectRows {
    /// The columns the query reads (0-based).
    read_columns: Vec<usize>,
    source: Source,
    parts: PlanParts,
    progress: Progress,
    how: How,
    queue: Queue,
}

enum How {
    OnDemand(Box<OnDemand>),
    Stored(Stored),
}

impl RowSource for DetectRows {
    fn next(&mut self, values: &mut [pg_sys::Datum], nulls: &mut [bool]) -> Result<bool, ErrorReport> {
        let on_demand = match &mut self.how {
            How::Stored(stored) => return stored.next(values, nulls),
            How::OnDemand(on_demand) => on_demand,
        };
        while self.queue.next == self.queue.rows.len() {
            self.queue.reset();
            let _path = crate::postgres::search_path::pin();
            let plan = self.parts.with_source(&self.source);
            if !on_demand.next_chunk(&plan, &mut self.queue, &mut self.progress)? {
                return Ok(false);
            }
        }
        let row = &self.queue.rows[self.queue.next];
        self.queue.next += 1;
        // Only the columns the query reads; one series, so its column is NULL.
        for &column in &self.read_columns {
            (values[column], nulls[column]) = row_cell(column, (pg_sys::Datum::null(), true), row);
        }
        Ok(true)
    }

    fn close(&mut self) {
        if let How::Stored(stored) = &mut self.how {
            stored.close();
        }
    }

    fn describe(&self) -> &'static std::ffi::CStr {
        match &self.how {
            How::OnDemand(on_demand) if on_demand.scored_whole() => c"scored whole, then made as asked for",
            How::OnDemand(on_demand) if on_demand.scored_in_ranges() && on_demand.scored_ahead() => {
                c"scored as asked for, from what the whole series sets (every other chunk on a helper thread), the series held"
            }
            How::OnDemand(on_demand) if on_demand.scored_in_ranges() => {
                c"scored as asked for, from what the whole series sets, the series held"
            }
            How::OnDemand(on_demand) if on_demand.scored_ahead() => {
                c"scored as asked for (a chunk ahead on a helper thread), the series held"
            }
            How::OnDemand(_) => c"scored as asked for, the series held",
            How::Stored(stored) if stored.scored_ahead => {
                c"scored first (a chunk ahead on a helper thread), stored, then read"
            }
            How::Stored(_) => c"scored first, stored, then read",
        }
    }
}

/// Scored rows waiting to be asked for: one chunk's, every row of it (a call for flagged rows
/// only is stored instead: `start`).
struct Queue {
    rows: Vec<ScoredRow>,
    next: usize,
    probability_read: bool,
}

impl Sink for Queue {
    fn accept(&mut self, _series: Option<&str>, rows: &[ScoredRow]) -> Result<(), ErrorReport> {
        self.rows.extend_from_slice(rows);
        Ok(())
    }

    fn accept_owned(&mut self, series: Option<&str>, rows: &mut Vec<ScoredRow>) -> Result<(), ErrorReport> {
        if self.next < self.rows.len() {
            return self.accept(series, rows);
        }
        // Nothing waiting: the chunk becomes the queue, and the old buffer goes back for reuse.
        std::mem::swap(&mut self.rows, rows);
        rows.clear();
        self.next = 0;
        Ok(())
    }

    fn reset(&mut self) {
        self.rows.clear();
        self.next = 0;
    }

    fn probability_for(&self) -> ProbabilityFor {
        if self.probability_read { ProbabilityFor::EveryRow } else { ProbabilityFor::NoRow }
    }
}

/// Every row scored first, as the function scores them, into a tuplestore of our own.
struct Stored {
    store: *mut pg_sys::Tuplestorestate,
    slot: *mut pg_sys::TupleTableSlot,
    /// Whether some of it was scored on a helper thread (EXPLAIN ANALYZE says so).
    scored_ahead: bool,
}

impl Stored {
    fn score(
        plan: &crate::pipeline::plan::Plan<'_>,
        on_workers: bool,
        row_type: pg_sys::TupleDesc,
        only_anomalies: bool,
        probability_read: bool,
        progress: &mut Progress,
    ) -> Result<Stored, ErrorReport> {
        // SAFETY: a tuplestore in the query's memory, of detect's row type (checked by `over`).
        unsafe {
            let store = pg_sys::tuplestore_begin_heap(false, false, pg_sys::work_mem);
            let out = Materialized::over(store, row_type, 9)?;
            let mut sink = ResultRows { out, only_anomalies, with_probability: true, probability_read };
            let summary = crate::pipeline::pushdown::score_where(plan, on_workers, &mut sink, progress)?;
            let slot = pg_sys::MakeSingleTupleTableSlot(row_type, &pg_sys::TTSOpsMinimalTuple);
            Ok(Stored { store, slot, scored_ahead: summary.chunks_ahead > 0 })
        }
    }

    fn next(&mut self, values: &mut [pg_sys::Datum], nulls: &mut [bool]) -> Result<bool, ErrorReport> {
        // SAFETY: our store and slot (of the same row type, `values.len()` columns), alive until `close`.
        unsafe {
            if !pg_sys::tuplestore_gettupleslot(self.store, true, false, self.slot) {
                return Ok(false);
            }
            pg_sys::slot_getallattrs(self.slot);
            for i in 0..values.len() {
                values[i] = *(*self.slot).tts_values.add(i);
                nulls[i] = *(*self.slot).tts_isnull.add(i);
            }
        }
        Ok(true)
    }

    fn close(&mut self) {
        // SAFETY: created in `score`; closed once (the scan drops the source after closing it).
        unsafe {
            pg_sys::ExecDropSingleTupleTableSlot(self.slot);
            pg_sys::tuplestore_end(self.store);
        }
    }
}
