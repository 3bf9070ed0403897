//! A batch job scored by a multivariate model: every row of the model's columns scored on its
//! own against the stored model, each flagged row stored with its columns' shares.

use super::{JobRow, insert_job, run_recorded};
use crate::error::required;
use crate::models::columns::ColumnsModel;
use crate::multivariate::{Explain, contributions, score_with};
use crate::pipeline::events::{Events, Step};
use crate::pipeline::plan::Summary;
use crate::pipeline::results::{self, Alerts, ResultRows};
use crate::postgres::relation::Source;
use crate::postgres::series_rows;
use crate::progress::Progress;
use crate::score_request::SqlScoreArgs;
use anomdet_core::Scored;
use anomdet_core::progress::Total;
use pgrx::pg_sys::panic::ErrorReport;

pub fn run_batch(args: SqlScoreArgs<'_>, name: Option<&str>, notify: bool) -> Result<i64, ErrorReport> {
    let model = ColumnsModel::load("model", required("model", args.model)?)?;
    let value_column = required("value_column", args.value_column)?;
    let given = required("params", args.params)?;
    model.check_job_args("", Some(value_column), required("detector", args.detector)?, given.value("params")?)?;
    let stored = model.params.to_json(model.info.params);
    let relid = required("source", args.source)?.0;
    let mut source = crate::multivariate::resolve_columns(relid, &model.columns, args.time_column, args.series_column)?;
    source.range = crate::postgres::time_range::TimeRange::from_args(args.start_time, args.end_time)?;
    let job_id = insert_job(&JobRow {
        name,
        detector: model.info.name,
        params: stored,
        mode: "batch",
        source: &source,
        model: Some(&model.name),
    })?;
    let alerts = notify.then_some(Alerts { detector: model.info.name });
    run_recorded(job_id, || score_into_results(job_id, &source, &model, alerts.as_ref()))
}

/// Score every series with its fitted model and write the rows (the first column's value
/// beside the score), a series at a time.
fn score_into_results(
    job_id: i64,
    source: &Source,
    model: &ColumnsModel,
    alerts: Option<&Alerts<'_>>,
) -> Result<Summary, ErrorReport> {
    let mut summary = Summary::default();
    let mut events = Events::default();
    let mut progress = Progress::start("run_batch", "rows", Total::Unknown, Some(source.relid));
    progress.set_job(job_id);
    progress.set_phase("reading rows");
    let all = series_rows::read(source, &model.columns, None)?;
    progress.set_total(Total::Known(all.iter().map(|s| s.ts.len() as u64).sum()));
    progress.set_phase("scoring");
    for series in all {
        let fitted = model.for_series(series.key.as_deref())?;
        let (complete, matrix) = series.complete_rows();
        let scored = score_with(fitted, Explain::Flagged, &matrix);
        let key = series.key.as_deref();
        let mut out = ResultRows::with_capacity(series.ts.len());
        let mut shares = Vec::with_capacity(series.ts.len());
        let mut next = complete.iter().enumerate().peekable();
        for (i, &ts) in series.ts.iter().enumerate() {
            let (row, explained) = match next.next_if(|&(_, &at)| at == i) {
                Some((k, _)) => {
                    let share = scored.shares.row(k);
                    let json = (!share[0].is_nan()).then(|| contributions(&model.columns, share).to_string());
                    let mut row = Scored::unbounded(scored.scores[k], scored.flags[k], None);
                    row.probability = scored.probabilities[k];
                    (row, json)
                }
                None => (Scored::WARMUP, None),
            };
            let step = events.step(key, row.is_anomaly == Some(true));
            out.event_starts.push(step == Step::Starts);
            out.push(key, ts, series.values[0][i], row);
            shares.push(explained);
        }
        out.contributions = Some(shares);
        results::write(job_id, &out, alerts)?;
        summary.series += 1;
        summary.rows_read += series.ts.len() as i64;
        progress.advance(series.ts.len() as u64);
        summary.rows_scored += complete.len() as i64;
        summary.anomalies += scored.flags.iter().filter(|&&f| f).count() as i64;
    }
    Ok(summary)
}
