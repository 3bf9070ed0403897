//! Scheduled detection on live data: `anomdet.score_new_rows(config)` scores only the rows
//! newer than a stored watermark, and the procedure `anomdet.scheduled_detect(job_id, config)`
//! wraps it in the signature TimescaleDB's `add_job` and pg_cron calls expect.
//!
//! One watermark per (owner, source, column, detector, parameters), locked for the run, so
//! concurrent or overlapping runs never score a row twice. The detector is warmed up on the
//! `lookback` rows before the watermark (per series) and scores only the rows after it, so a
//! run's scores equal those of one online pass over the whole series, as long as the
//! detector's memory fits in `lookback` rows.

use crate::chosen_detector::ChosenDetector;
use crate::error::{Code, OrReport, error, internal, invalid_argument, required};
use crate::pipeline::results::{self, ResultRows};
use crate::pipeline::scorer::SeriesScorer;
use crate::postgres::json_arg::JsonArg;
use crate::postgres::relation::Source;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use pgrx::spi::quote_identifier;

/// What a schedule scores, from its jsonb config.
struct Config {
    source: String,
    value_column: String,
    detector: String,
    params: serde_json::Value,
    time_column: Option<String>,
    series_column: Option<String>,
    lookback: i64,
}

impl Config {
    fn parse(json: &serde_json::Value) -> Result<Config, ErrorReport> {
        let obj = json.as_object().ok_or_else(|| {
            invalid_argument(
                "config: must be a JSON object",
                r#"e.g. {"source": "metrics", "value_column": "value", "detector": "zscore"}"#,
            )
        })?;
        const KNOWN: &[&str] =
            &["source", "value_column", "detector", "params", "time_column", "series_column", "lookback"];
        if let Some(unknown) = obj.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(invalid_argument(
                format!("config: unknown key \"{unknown}\""),
                format!("keys: {}", KNOWN.join(", ")),
            ));
        }
        let text = |key: &str| -> Result<Option<String>, ErrorReport> {
            match obj.get(key) {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(serde_json::Value::String(s)) => Ok(Some(s.clone())),
                Some(other) => Err(invalid_argument(
                    format!("config: \"{key}\" must be a string, got {other}"),
                    "names are JSON strings",
                )),
            }
        };
        let lookback = match obj.get("lookback") {
            None => 1000,
            Some(v) => v.as_i64().filter(|&n| (0..=10_000_000).contains(&n)).ok_or_else(|| {
                invalid_argument(
                    format!("config: \"lookback\" must be a row count in [0, 10000000], got {v}"),
                    "the rows before the watermark that warm the detector up; default 1000",
                )
            })?,
        };
        Ok(Config {
            source: needed("source", text("source")?)?,
            value_column: needed("value_column", text("value_column")?)?,
            detector: text("detector")?.unwrap_or_else(|| "zscore".into()),
            params: obj.get("params").cloned().unwrap_or_else(|| serde_json::json!({})),
            time_column: text("time_column")?,
            series_column: text("series_column")?,
            lookback,
        })
    }
}

fn needed(key: &str, value: Option<String>) -> Result<String, ErrorReport> {
    value.ok_or_else(|| {
        invalid_argument(
            format!("config: \"{key}\" is required"),
            r#"e.g. {"source": "metrics", "value_column": "value", "detector": "zscore"}"#,
        )
    })
}

/// Score the rows of `config.source` newer than its watermark; returns how many were scored.
/// Scores go to `anomdet.results` under the schedule's job (see `anomdet.watermarks`).
#[pg_extern(volatile, parallel_unsafe)]
fn score_new_rows(config: Option<JsonArg>) -> Result<i64, ErrorReport> {
    let _path = crate::postgres::search_path::pin();
    let config = Config::parse(required("config", config)?.value("config")?)?;
    let detector = ChosenDetector::resolve("config.detector", &config.detector, Some(&config.params))?;
    if !detector.supports_online() {
        return Err(invalid_argument(
            format!(
                "config.detector: {} with these params has no online mode, which scheduled scoring needs",
                detector.name()
            ),
            "SELECT name FROM anomdet.detectors() WHERE online (an ensemble is online when all its members are)",
        ));
    }
    let relid = crate::postgres::search_path::as_caller(|| {
        crate::postgres::sql::read_one::<pg_sys::Oid>(
            "SELECT pg_catalog.to_regclass($1)::pg_catalog.oid",
            &[config.source.as_str().into()],
        )
    })
    .or_report()?
    .ok_or_else(|| {
        error(
            Code::ERRCODE_UNDEFINED_TABLE,
            format!("config.source: relation \"{}\" does not exist", config.source),
            "name it as your search_path sees it, or schema-qualified",
        )
    })?;
    let source =
        Source::resolve(relid, &config.value_column, config.time_column.as_deref(), config.series_column.as_deref())?;
    let effective = detector.params_json();
    let (job_id, watermark) = lock_watermark(&source, detector.name(), &effective)?;

    let rows = read_new_rows(&source, watermark, config.lookback)?;
    let mut out = ResultRows::default();
    for series in &rows {
        let mut scorer = SeriesScorer::new(&detector);
        for (i, &(ts, value)) in series.rows.iter().enumerate() {
            let scored = scorer.update(value);
            if i >= series.warmup {
                out.push(series.key.as_deref(), ts, value, scored);
            }
        }
    }
    results::write(job_id, &out, None)?;
    let newest = out.ts.iter().copied().max();
    crate::postgres::sql::write(
        "WITH w AS (UPDATE anomdet.watermarks SET watermark = coalesce($2, watermark), runs = runs + 1, \
           last_run = pg_catalog.clock_timestamp() WHERE job_id = $1) \
         UPDATE anomdet.job_records SET rows_read = rows_read + $3, rows_scored = rows_scored + $4, anomalies = anomalies + $5, \
           finished_at = pg_catalog.clock_timestamp(), status = 'succeeded' WHERE id = $1",
        &[
            job_id.into(),
            newest.map(TimestampWithTimeZone::try_from).transpose().map_err(internal)?.into(),
            (out.len() as i64).into(),
            (out.scored.iter().filter(|s| s.score.is_some()).count() as i64).into(),
            (out.scored.iter().filter(|s| s.is_anomaly == Some(true)).count() as i64).into(),
        ],
    )
    .or_report()?;
    crate::postgres::job_portal::settle_job_portal();
    Ok(out.len() as i64)
}

/// The schedule's job and watermark, created on first use and locked until commit.
fn lock_watermark(
    source: &Source,
    detector: &str,
    params: &serde_json::Value,
) -> Result<(i64, Option<TimestampWithTimeZone>), ErrorReport> {
    let key = |sql: &str| {
        crate::postgres::sql::write_two::<i64, TimestampWithTimeZone>(
            sql,
            &[
                source.relid.into(),
                source.value_column.as_str().into(),
                detector.into(),
                pgrx::JsonB(params.clone()).into(),
            ],
        )
    };
    let find = "SELECT job_id, watermark FROM anomdet.watermarks WHERE source_relid = $1 AND value_column = $2 \
                AND detector = $3 AND params = $4 AND owner = CURRENT_USER FOR UPDATE";
    match key(find) {
        Ok((Some(job), watermark)) => return Ok((job, watermark)),
        // No row yet (the usual first run) comes back as an empty result.
        Ok((None, _)) | Err(pgrx::spi::SpiError::InvalidPosition) => {}
        Err(e) => return Err(internal(e)),
    }
    // First run: a 'scheduled' job collects the scores. A concurrent first run may win the
    // insert; then this one waits for it and reads its row.
    crate::postgres::sql::write(
        "WITH j AS (INSERT INTO anomdet.job_records (name, kind, detector, params, mode, source_relid, source, time_column, \
             value_column, series_column, status, started_at) \
           VALUES ('scheduled ' || $3 || ' on ' || $5 || '.' || $2, 'scheduled', $3, $4, 'online', $1, $5, $6, $2, $7, \
             'running', pg_catalog.clock_timestamp()) RETURNING id) \
         INSERT INTO anomdet.watermarks (job_id, source_relid, value_column, detector, params, series_column) \
         SELECT id, $1, $2, $3, $4, $7 FROM j ON CONFLICT DO NOTHING",
        &[
            source.relid.into(),
            source.value_column.as_str().into(),
            detector.into(),
            pgrx::JsonB(params.clone()).into(),
            source.qualified.as_str().into(),
            source.time_column.as_str().into(),
            source.series_column.as_deref().into(),
        ],
    )
    .or_report()?;
    // A losing insert leaves an orphan job row; remove it.
    crate::postgres::sql::write(
        "DELETE FROM anomdet.job_records j WHERE j.kind = 'scheduled' AND j.owner = CURRENT_USER AND j.created_at = pg_catalog.now() \
         AND NOT EXISTS (SELECT 1 FROM anomdet.watermarks w WHERE w.job_id = j.id)", &[],
    )
    .or_report()?;
    match key(find) {
        Ok((Some(job), watermark)) => Ok((job, watermark)),
        _ => Err(internal("the schedule's watermark row could not be created")),
    }
}

struct NewRows {
    key: Option<String>,
    /// `warmup` rows at or before the watermark, then the new rows, in time order.
    rows: Vec<(i64, Option<f64>)>,
    warmup: usize,
}

/// Per series: the last `lookback` rows at or before the watermark, and every row after it.
fn read_new_rows(
    source: &Source,
    watermark: Option<TimestampWithTimeZone>,
    lookback: i64,
) -> Result<Vec<NewRows>, ErrorReport> {
    let t = quote_identifier(&source.time_column);
    let v = quote_identifier(&source.value_column);
    let rel = &source.qualified;
    let (key, same_series) = match &source.series_column {
        Some(k) => {
            let k = quote_identifier(k);
            (format!("{k}::pg_catalog.text"), format!(" AND {k}::pg_catalog.text IS NOT DISTINCT FROM s.k"))
        }
        None => ("NULL::pg_catalog.text".to_string(), String::new()),
    };
    // The new rows, then, only for series that have some, the `lookback` rows before the
    // watermark, newest first with a LIMIT: a run reads what it needs, not the whole history
    // (a time index serves both parts). Warm-up rows sort before new ones within a series.
    let sql = format!(
        "WITH fresh AS ( \
           SELECT {key} AS k, {t}::pg_catalog.timestamptz AS ts, {v}::pg_catalog.float8 AS v FROM {rel} \
            WHERE {t} IS NOT NULL AND ($1 IS NULL OR {t} > $1)) \
         SELECT k, ts, v, false FROM fresh \
         UNION ALL \
         SELECT w.k, w.ts, w.v, true FROM (SELECT DISTINCT k FROM fresh) s CROSS JOIN LATERAL ( \
           SELECT {key} AS k, {t}::pg_catalog.timestamptz AS ts, {v}::pg_catalog.float8 AS v FROM {rel} \
            WHERE $1 IS NOT NULL AND {t} <= $1{same_series} ORDER BY {t} DESC LIMIT $2) w \
         ORDER BY 1, 2"
    );
    Spi::connect(|client| {
        let rows = client.select(&sql, None, &[watermark.into(), lookback.into()]).or_report()?;
        let mut out: Vec<NewRows> = Vec::new();
        for row in rows {
            let key: Option<String> = row.get(1).or_report()?;
            let ts: i64 = row
                .get::<TimestampWithTimeZone>(2)
                .or_report()?
                .map(|t| t.into_inner())
                .ok_or_else(|| internal("NULL time"))?;
            let value: Option<f64> = row.get(3).or_report()?;
            let warm: bool = row.get(4).or_report()?.unwrap_or(false);
            if out.last().is_none_or(|s| s.key != key) {
                out.push(NewRows { key, rows: Vec::new(), warmup: 0 });
            }
            let Some(series) = out.last_mut() else { return Err(internal("no series in progress")) };
            series.rows.push((ts, value));
            if warm {
                series.warmup += 1;
            }
        }
        Ok(out)
    })
}

extension_sql!(
    r#"
CREATE PROCEDURE anomdet.scheduled_detect(job_id integer, config jsonb)
LANGUAGE plpgsql
AS $$
-- The signature TimescaleDB's add_job calls; pg_cron: CALL anomdet.scheduled_detect(0, '{...}').
-- No SET search_path: the source named in config resolves as the caller would resolve it.
BEGIN
    PERFORM anomdet.score_new_rows(config);
END $$;
COMMENT ON PROCEDURE anomdet.scheduled_detect(integer, jsonb) IS
    'Score the rows newer than the watermark of (source, column, detector, params): for add_job or pg_cron';
"#,
    name = "scheduled_detect",
    requires = [score_new_rows, "catalog"]
);
