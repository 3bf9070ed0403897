//! Scheduled detection with a multivariate model: the rows newer than the watermark, each
//! scored on its own by the stored model (nothing to carry from run to run), every flagged row
//! stored with its columns' shares of its score.

use super::config::Config;
use super::{new_rows, record_run, resolve_source, watermark};
use crate::models::columns::ColumnsModel;
use crate::pipeline::events::{Events, Step};
use crate::pipeline::results::{self, Alerts, ResultRows};
use crate::postgres::relation::Source;
use anomdet_core::Scored;
use pgrx::pg_sys::panic::ErrorReport;

pub fn score_new_rows(config: &Config, model: &ColumnsModel) -> Result<i64, ErrorReport> {
    model.check_job_args("config.", config.value_column.as_deref(), &config.detector, &config.params)?;
    let stored = model.params.to_json(model.info.params);
    let source = resolve_source(config, &model.columns[0])?;
    for column in &model.columns[1..] {
        Source::resolve(source.relid, column, Some(&source.time_column), source.series_column.as_deref())?;
    }
    let (job_id, watermark) = watermark::lock(&source, model.info.name, &stored)?;
    // Each row is scored on its own: no warm-up rows.
    let rows = new_rows::read(&source, &model.columns, watermark.map(|w| w.into_inner()), 0, |_| false)?;
    let mut events = Events::default();
    let mut out = ResultRows::default();
    let mut shares_json = Vec::new();
    let mut row = vec![0.0; model.columns.len()];
    for run in &rows {
        let series = &run.rows;
        let fitted = model.for_series(series.key.as_deref())?;
        for (i, &ts) in series.ts.iter().enumerate() {
            anomdet_core::interrupt::check_every(i);
            let complete = series.values.iter().zip(row.iter_mut()).all(|(column, v)| match column[i] {
                Some(x) if x.is_finite() => {
                    *v = x;
                    true
                }
                _ => false,
            });
            let (scored, shares) = if complete {
                let s = fitted.score_row(&row, false);
                (Scored::unbounded(s.score, s.is_anomaly, None), s.shares)
            } else {
                (Scored::WARMUP, None)
            };
            let step = events.step(series.key.as_deref(), scored.is_anomaly == Some(true));
            out.push(series.key.as_deref(), ts, series.values[0][i], scored);
            out.event_starts.push(step == Step::Starts);
            shares_json.push(shares.map(|s| crate::multivariate::contributions(&model.columns, &s).to_string()));
        }
    }
    out.contributions = Some(shares_json);
    let alerts = config.notify.then_some(Alerts { detector: model.info.name });
    results::write(job_id, &out, alerts.as_ref())?;
    record_run(job_id, &out)
}
