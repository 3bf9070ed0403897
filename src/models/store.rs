//! Models in the catalog (`anomdet.models`, `anomdet.model_states`): saved by anomdet alone,
//! loaded, listed and dropped by their owner.

use super::StoredModel;
use crate::chosen_detector::ChosenDetector;
use crate::error::{Code, OrReport, error, internal};
use anomdet_core::state::FORMAT;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// The most a model may hold: far above any default detector's state (kilobytes to a few
/// megabytes per series), far below a bytea's 1 GB.
pub const MODEL_LIMIT: u64 = 256 << 20;

/// What a trained model records beside its states.
pub struct ModelRecord<'a> {
    pub name: &'a str,
    pub detector: &'a str,
    /// The effective parameters.
    pub params: serde_json::Value,
    pub source: &'a str,
    pub value_column: &'a str,
    /// A multivariate model's columns, in order (`value_column` is the first).
    pub value_columns: Option<&'a [String]>,
    pub time_column: &'a str,
    pub series_column: Option<&'a str>,
}

/// One series' learnt state: (series key, training rows, state).
pub type SeriesState = (Option<String>, i64, Vec<u8>);

/// What training collected, series by series: each state, the rows and the time range.
#[derive(Default)]
pub struct Collected {
    states: Vec<SeriesState>,
    rows: i64,
    first: Option<i64>,
    last: Option<i64>,
}

impl Collected {
    /// One series' state, learnt from `rows` rows at times `ts` (in order).
    pub fn add(&mut self, series: Option<String>, rows: i64, ts: &[i64], state: Vec<u8>) {
        self.states.push((series, rows, state));
        self.rows += rows;
        self.first = self.first.min(ts.first().copied()).or(ts.first().copied());
        self.last = self.last.max(ts.last().copied());
    }

    /// Store it as the model `record` describes (refused when the source had no rows).
    pub fn save(
        self,
        record: &ModelRecord<'_>,
        range: &crate::postgres::time_range::TimeRange,
    ) -> Result<i64, ErrorReport> {
        if self.states.is_empty() {
            return Err(error(
                Code::ERRCODE_DATA_EXCEPTION,
                format!(
                    "source: {} has no rows to train on{}",
                    record.source,
                    if range.is_whole() { "" } else { " in that range" }
                ),
                "check start_time and end_time, or insert data first",
            ));
        }
        save(record, &self)
    }
}

/// Store a model, replacing the caller's model of the same name; returns its id.
fn save(record: &ModelRecord<'_>, collected: &Collected) -> Result<i64, ErrorReport> {
    let states = &collected.states;
    let bytes: u64 = states.iter().map(|s| s.2.len() as u64).sum();
    if bytes > MODEL_LIMIT {
        return Err(error(
            Code::ERRCODE_PROGRAM_LIMIT_EXCEEDED,
            format!(
                "model {}: its states take {} MiB; a model may hold {} MiB",
                record.name,
                bytes >> 20,
                MODEL_LIMIT >> 20
            ),
            "lower the size parameters in params (trees, tree_size, history, reference...), or train fewer series per model",
        ));
    }
    let owner = crate::postgres::sql::read_one::<String>("SELECT CURRENT_USER::pg_catalog.text", &[])
        .or_report()?
        .ok_or_else(|| internal("no current user"))?;
    let stamp = |t: Option<i64>| t.map(TimestampWithTimeZone::try_from).transpose().map_err(internal);
    let (start, end) = (stamp(collected.first)?, stamp(collected.last)?);
    let series: Vec<Option<String>> = states.iter().map(|s| s.0.clone()).collect();
    let rows: Vec<i64> = states.iter().map(|s| s.1).collect();
    let blobs: Vec<Vec<u8>> = states.iter().map(|s| s.2.clone()).collect();
    crate::postgres::extension_owner::run_as_owner(|| {
        // Retraining under a name replaces the model.
        crate::postgres::sql::write(
            "WITH gone AS (DELETE FROM anomdet.models WHERE owner = $1 AND name = $2 RETURNING id) \
             DELETE FROM anomdet.model_states s USING gone WHERE s.model_id = gone.id",
            &[owner.as_str().into(), record.name.into()],
        )
        .or_report()?;
        let id = crate::postgres::sql::write_one::<i64>(
            "INSERT INTO anomdet.models (name, detector, params, format, source, value_column, time_column, series_column, \
               train_start, train_end, series_count, rows, bytes, owner, value_columns) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
            &[
                record.name.into(),
                record.detector.into(),
                pgrx::JsonB(record.params.clone()).into(),
                FORMAT.into(),
                record.source.into(),
                record.value_column.into(),
                record.time_column.into(),
                record.series_column.into(),
                start.into(),
                end.into(),
                (states.len() as i32).into(),
                collected.rows.into(),
                (bytes as i64).into(),
                owner.as_str().into(),
                record.value_columns.map(<[String]>::to_vec).into(),
            ],
        )
        .or_report()?
        .ok_or_else(|| internal("INSERT INTO anomdet.models returned no id"))?;
        crate::postgres::sql::write(
            "INSERT INTO anomdet.model_states (model_id, series, rows, state, owner) \
             SELECT $1, u.* , $5 FROM ROWS FROM (pg_catalog.unnest($2::pg_catalog.text[]), pg_catalog.unnest($3::pg_catalog.int8[]), \
               pg_catalog.unnest($4::pg_catalog.bytea[])) AS u",
            &[id.into(), series.into(), rows.into(), blobs.into(), owner.as_str().into()],
        )
        .or_report()?;
        Ok(id)
    })
}

/// A model as stored: its catalog row and each series' state bytes.
pub struct Fetched {
    pub name: String,
    pub detector: String,
    pub params: serde_json::Value,
    pub series_column: Option<String>,
    pub value_columns: Option<Vec<String>>,
    pub states: std::collections::HashMap<Option<String>, Vec<u8>>,
}

/// A model's catalog row: id, detector, parameters (JSON text), state format, series column, columns.
type ModelRow = (i64, String, String, i32, Option<String>, Option<Vec<String>>);

/// The caller's model `name` as stored, its state format checked (`argument` names it in errors).
pub fn fetch(argument: &str, name: &str) -> Result<Fetched, ErrorReport> {
    let row = Spi::connect(|client| -> Result<Option<ModelRow>, ErrorReport> {
        let rows = client
            .select(
                "SELECT id, detector, params::text, format, series_column, value_columns FROM anomdet.models \
                 WHERE name = $1 AND owner = CURRENT_USER",
                Some(1),
                &[name.into()],
            )
            .or_report()?;
        if rows.is_empty() {
            return Ok(None);
        }
        let r = rows.first();
        let id = r.get::<i64>(1).or_report()?.ok_or_else(|| internal("a model without an id"))?;
        let detector = r.get::<String>(2).or_report()?.unwrap_or_default();
        let params = r.get::<String>(3).or_report()?.unwrap_or_default();
        let format = r.get::<i32>(4).or_report()?.unwrap_or_default();
        let series_column = r.get::<String>(5).or_report()?;
        let value_columns = r.get::<Vec<String>>(6).or_report()?;
        Ok(Some((id, detector, params, format, series_column, value_columns)))
    })?;
    let Some((id, detector, params, format, series_column, value_columns)) = row else {
        return Err(error(
            Code::ERRCODE_UNDEFINED_OBJECT,
            format!("{argument}: you have no model named \"{name}\""),
            "SELECT name FROM anomdet.models lists yours; anomdet.train(...) makes one",
        ));
    };
    if format != FORMAT {
        return Err(error(
            Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!(
                "{argument}: model \"{name}\" was stored in state format {format}; this anomdet reads format {FORMAT}"
            ),
            "train it again with anomdet.train(...) on the same rows",
        ));
    }
    let params: serde_json::Value = serde_json::from_str(&params).map_err(internal)?;
    let states = Spi::connect(|client| {
        let rows = client
            .select("SELECT series, state FROM anomdet.model_states WHERE model_id = $1", None, &[id.into()])
            .or_report()?;
        let mut out = std::collections::HashMap::new();
        for row in rows {
            let series: Option<String> = row.get(1).or_report()?;
            let state: Vec<u8> = row.get(2).or_report()?.ok_or_else(|| internal("a NULL model state"))?;
            out.insert(series, state);
        }
        Ok::<_, ErrorReport>(out)
    })?;
    Ok(Fetched { name: name.to_string(), detector, params, series_column, value_columns, states })
}

/// The columns of the caller's model `name` when it is a multivariate model (None: a model of
/// one column, or no model of that name).
pub fn columns_of(name: &str) -> Result<Option<Vec<String>>, ErrorReport> {
    crate::postgres::sql::read_one::<Vec<String>>(
        "SELECT value_columns FROM anomdet.models WHERE name = $1 AND owner = CURRENT_USER",
        &[name.into()],
    )
    .or_else(|e| match e {
        pgrx::spi::SpiError::InvalidPosition => Ok(None),
        e => Err(e),
    })
    .or_report()
}

/// The caller's model `name` of one column, ready to score.
pub fn load(argument: &str, name: &str) -> Result<StoredModel, ErrorReport> {
    let fetched = fetch(argument, name)?;
    if let Some(columns) = &fetched.value_columns {
        return Err(error(
            Code::ERRCODE_WRONG_OBJECT_TYPE,
            format!("{argument}: model \"{name}\" scores the columns {} together", columns.join(", ")),
            format!("score with it in anomdet.detect_columns(source, value_columns, model => '{name}')"),
        ));
    }
    let detector = ChosenDetector::resolve(argument, &fetched.detector, Some(&fetched.params))?;
    Ok(StoredModel { name: fetched.name, detector, series_column: fetched.series_column, states: fetched.states })
}

/// Drop the caller's model `name`; false when there was none.
pub fn drop(name: &str) -> Result<bool, ErrorReport> {
    let dropped = crate::postgres::sql::write_one::<i64>(
        "WITH gone AS (DELETE FROM anomdet.models WHERE owner = CURRENT_USER AND name = $1 RETURNING id), \
         states AS (DELETE FROM anomdet.model_states s USING gone WHERE s.model_id = gone.id) \
         SELECT pg_catalog.count(*) FROM gone",
        &[name.into()],
    )
    .or_report()?;
    Ok(dropped.unwrap_or(0) > 0)
}
