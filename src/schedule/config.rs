//! A schedule's jsonb config: what it scores, checked key by key.

use crate::error::invalid_argument;
use pgrx::pg_sys::panic::ErrorReport;

/// What a schedule scores, from its jsonb config.
pub struct Config {
    pub source: String,
    /// Required but for a multivariate model, which names its own columns.
    pub value_column: Option<String>,
    pub detector: String,
    pub params: serde_json::Value,
    pub time_column: Option<String>,
    pub series_column: Option<String>,
    pub lookback: i64,
    /// A stored model that series without a saved state start from.
    pub model: Option<String>,
    /// Announce each anomaly event on `anomdet_alerts` (default on).
    pub notify: bool,
}

impl Config {
    pub fn parse(json: &serde_json::Value) -> Result<Config, ErrorReport> {
        let obj = json.as_object().ok_or_else(|| {
            invalid_argument(
                "config: must be a JSON object",
                r#"e.g. {"source": "metrics", "value_column": "value", "detector": "zscore"}"#,
            )
        })?;
        const KNOWN: &[&str] = &[
            "source",
            "value_column",
            "detector",
            "params",
            "time_column",
            "series_column",
            "lookback",
            "model",
            "notify",
        ];
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
            value_column: text("value_column")?,
            detector: text("detector")?.unwrap_or_else(|| "zscore".into()),
            params: obj.get("params").cloned().unwrap_or_else(|| serde_json::json!({})),
            time_column: text("time_column")?,
            series_column: text("series_column")?,
            lookback,
            model: text("model")?,
            notify: match obj.get("notify") {
                None | Some(serde_json::Value::Null) => true,
                Some(serde_json::Value::Bool(b)) => *b,
                Some(other) => {
                    return Err(invalid_argument(
                        format!("config: \"notify\" must be true or false, got {other}"),
                        "notify announces each anomaly event on the anomdet_alerts channel",
                    ));
                }
            },
        })
    }
}

pub fn needed(key: &str, value: Option<String>) -> Result<String, ErrorReport> {
    value.ok_or_else(|| {
        invalid_argument(
            format!("config: \"{key}\" is required"),
            r#"e.g. {"source": "metrics", "value_column": "value", "detector": "zscore"}"#,
        )
    })
}
