//! Detectors registered from SQL: a user's function `f(values float8[] [, params jsonb])
//! RETURNS float8[]` gives one score per value (NULL or NaN: unscored). It runs through SPI
//! with the caller's rights, once per series, in batch mode only.

use crate::error::{Code, OrReport, error, invalid_argument};
use anomdet_core::{Detector, Scored};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

#[derive(Clone, Debug)]
pub struct SqlDetector {
    pub name: String,
    /// The registered function as `schema.name(types)`, for messages.
    pub function: String,
    /// `SELECT schema.name($1[, $2])` with quoted identifiers and typed parameters.
    call: String,
    /// Every key of the caller's params object, passed to the function as is.
    pub params: serde_json::Value,
    /// Flag scores above this; `params.threshold` overrides the registered one.
    threshold: Option<f64>,
    pub min_points: usize,
}

impl SqlDetector {
    /// The registered detector `name` if the caller may see it (their own, or shared).
    pub fn find(name: &str, params: Option<&serde_json::Value>) -> Result<Option<SqlDetector>, ErrorReport> {
        let row = Spi::connect(|client| -> Result<Option<_>, ErrorReport> {
            let table = client
                .select(
                    "SELECT c.function, c.threshold, c.min_points, \
                       pg_catalog.quote_ident(n.nspname) OPERATOR(pg_catalog.||) '.' \
                         OPERATOR(pg_catalog.||) pg_catalog.quote_ident(p.proname), p.pronargs::integer, \
                       pg_catalog.pg_get_userbyid(p.proowner) OPERATOR(pg_catalog.=) c.function_owner \
                     FROM anomdet.custom_detectors c \
                     LEFT JOIN pg_catalog.pg_proc p ON p.oid OPERATOR(pg_catalog.=) pg_catalog.to_regprocedure(c.function) \
                     LEFT JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) p.pronamespace \
                     WHERE c.name OPERATOR(pg_catalog.=) $1",
                    Some(1),
                    &[name.into()],
                )
                .or_report()?;
            if table.is_empty() {
                return Ok(None);
            }
            let r = table.first();
            Ok(Some((
                r.get::<String>(1).or_report()?.unwrap_or_default(),
                r.get::<f64>(2).or_report()?,
                r.get::<i32>(3).or_report()?.unwrap_or(1),
                r.get::<String>(4).or_report()?,
                r.get::<i32>(5).or_report()?.unwrap_or(0),
                r.get::<bool>(6).or_report()?,
            )))
        })?;
        let Some((function, registered_threshold, min_points, qualified, nargs, same_owner)) = row else {
            return Ok(None);
        };
        let qualified = qualified.ok_or_else(|| {
            error(
                Code::ERRCODE_UNDEFINED_FUNCTION,
                format!("detector: the function of registered detector \"{name}\" no longer exists"),
                format!("register it again: SELECT anomdet.register_detector('{name}', ..., replace => true)"),
            )
        })?;
        if same_owner != Some(true) {
            return Err(error(
                Code::ERRCODE_INSUFFICIENT_PRIVILEGE,
                format!(
                    "detector: {function}, the function of registered detector \"{name}\", now belongs to another role"
                ),
                format!(
                    "it was dropped and made again since; if that is intended: SELECT anomdet.register_detector('{name}', ..., replace => true)"
                ),
            ));
        }
        let params = match params {
            None | Some(serde_json::Value::Null) => serde_json::json!({}),
            Some(v @ serde_json::Value::Object(_)) => v.clone(),
            Some(_) => return Err(invalid_argument("params: must be a JSON object", "pass '{}' or an object")),
        };
        let threshold = match params.get("threshold") {
            None => registered_threshold,
            Some(v) => Some(v.as_f64().filter(|t| t.is_finite()).ok_or_else(|| {
                invalid_argument(
                    format!("params: \"threshold\" of detector {name} must be a finite number, got {v}"),
                    "pass e.g. {\"threshold\": 3}",
                )
            })?),
        };
        let args = if nargs == 2 { "$1::pg_catalog.float8[], $2::pg_catalog.jsonb" } else { "$1::pg_catalog.float8[]" };
        Ok(Some(SqlDetector {
            name: name.to_string(),
            function,
            call: format!("SELECT {qualified}({args})"),
            params,
            threshold,
            min_points: min_points.max(1) as usize,
        }))
    }

    fn call(&self, xs: &[f64]) -> Result<Vec<Scored>, ErrorReport> {
        // The user's function runs with the user's search_path, as if they had called it.
        let scores: Option<Vec<Option<f64>>> = crate::postgres::search_path::as_caller(|| {
            crate::postgres::sql::read_one(&self.call, &[xs.to_vec().into(), pgrx::JsonB(self.params.clone()).into()])
        })
        .or_report()?;
        let hint = "return an array with one score per input value, in the same order (NULL: not scored)";
        let scores = scores.ok_or_else(|| {
            error(
                Code::ERRCODE_DATA_EXCEPTION,
                format!("detector {}: {} returned NULL", self.name, self.function),
                hint,
            )
        })?;
        if scores.len() != xs.len() {
            return Err(error(
                Code::ERRCODE_DATA_EXCEPTION,
                format!(
                    "detector {}: {} returned {} scores for {} values",
                    self.name,
                    self.function,
                    scores.len(),
                    xs.len()
                ),
                hint,
            ));
        }
        Ok(scores
            .into_iter()
            .map(|s| match s.filter(|s| !s.is_nan()) {
                Some(score) => {
                    Scored { score: Some(score), is_anomaly: self.threshold.map(|t| score > t), ..Scored::WARMUP }
                }
                None => Scored::WARMUP,
            })
            .collect())
    }
}

impl Detector for SqlDetector {
    fn update(&mut self, _x: f64) -> Scored {
        unreachable!("registered detectors have no online mode; ChosenDetector::supports_online refuses it")
    }

    fn score_batch(&mut self, xs: &[f64]) -> Vec<Scored> {
        match self.call(xs) {
            Ok(scores) => scores,
            Err(report) => {
                // The trait has no error path: raise it as PostgreSQL does, with its SQLSTATE.
                report.report(PgLogLevel::ERROR);
                unreachable!("an ERROR report does not return")
            }
        }
    }
}
