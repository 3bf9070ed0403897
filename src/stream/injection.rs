//! Anomalies injected into a stream as its rows pass: the `inject` spec of `run_stream`,
//! applied to the replayed values and recorded as ground truth on the target table, exactly
//! like `anomdet.inject` records it (so `anomdet.labels`, `evaluate` and `revert_injection`
//! work on the target).

use crate::error::{invalid_argument, param_error};
use crate::injection::placement::Placement;
use crate::injection::{compute, gather, ledger, to_sql_text};
use crate::postgres::relation::Source;
use crate::postgres::series_rows::SeriesRows;
use anomdet_core::Params;
use anomdet_core::inject::{InjectorInfo, find_injector, injectors as registry};
use pgrx::pg_sys::panic::ErrorReport;

/// A checked `inject` spec: {"method", "params", "count" | "percent", "length", "seed"}.
pub struct Spec {
    info: &'static InjectorInfo,
    params: Params,
    placement: Placement,
    seed: i64,
}

const KEYS: &[&str] = &["method", "params", "count", "percent", "length", "seed"];

impl Spec {
    pub fn parse(json: &serde_json::Value) -> Result<Spec, ErrorReport> {
        let bad = |what: String| {
            invalid_argument(
                format!("inject: {what}"),
                r#"e.g. inject => '{"method": "spike", "params": {"magnitude": 4}, "count": 5, "seed": 1}'"#,
            )
        };
        let obj = json.as_object().ok_or_else(|| bad("must be a JSON object".into()))?;
        if let Some(k) = obj.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(bad(format!("unknown key \"{k}\" (keys: {})", KEYS.join(", "))));
        }
        let method = obj.get("method").and_then(|m| m.as_str()).ok_or_else(|| bad("\"method\" is required".into()))?;
        let info = find_injector(method).ok_or_else(|| {
            bad(format!(
                "unknown method \"{method}\" (methods: {})",
                registry().iter().map(|m| m.name).collect::<Vec<_>>().join(", ")
            ))
        })?;
        let params = info.parse_params(obj.get("params")).map_err(|e| param_error("injectors", method, e))?;
        if let Some(problem) = (info.check)(&params) {
            return Err(bad(format!("params: {problem}")));
        }
        let int = |key: &str| -> Result<Option<i64>, ErrorReport> {
            obj.get(key)
                .map(|v| v.as_i64().ok_or_else(|| bad(format!("\"{key}\" must be an integer, got {v}"))))
                .transpose()
        };
        let narrow = |key: &str, v: Option<i64>| -> Result<Option<i32>, ErrorReport> {
            v.map(|n| i32::try_from(n).map_err(|_| bad(format!("\"{key}\" is out of range: {n}")))).transpose()
        };
        let percent = obj
            .get("percent")
            .map(|v| v.as_f64().ok_or_else(|| bad(format!("\"percent\" must be a number, got {v}"))))
            .transpose()?;
        if obj.contains_key("count") == obj.contains_key("percent") {
            return Err(bad(
                "give exactly one of \"count\" (spans per series) or \"percent\" (of each series' rows)".into()
            ));
        }
        let placement = Placement::from_args(
            None,
            None,
            narrow("count", int("count")?)?,
            percent,
            narrow("length", int("length")?)?.unwrap_or(1),
            info.fixed_length,
            (info.min_length)(&params),
        )?;
        Ok(Spec { info, params, placement, seed: int("seed")?.unwrap_or(0) })
    }

    /// Inject into the replayed values in memory and record the ground truth against the
    /// target (rows not written yet: cells carry no row id and are found again by time).
    pub fn apply(&self, series: &mut [SeriesRows], target: &Source) -> Result<i64, ErrorReport> {
        let changes = compute(self.info, &self.params, &self.placement, series, self.seed)?;
        let changed = gather(series, &changes);
        for (rows, change) in series.iter_mut().zip(&changes) {
            for (span, new) in change.spans.iter().zip(&change.values[0]) {
                rows.values[0][span.clone()].copy_from_slice(new);
            }
        }
        let columns = vec![target.value_column.clone()];
        let record = ledger::Record {
            source: target,
            columns: &columns,
            method: self.info.name,
            params: self.params.to_json(self.info.params),
            placement: self.placement.to_json(),
            seed: self.seed,
            copied_from: None,
        };
        let cells = ledger::ColumnCells {
            column: &target.value_column,
            originals: changed.before[0].iter().map(|&v| to_sql_text(v)).collect(),
            injected: changed.after[0].iter().map(|&v| to_sql_text(v)).collect(),
            tids: vec![None; changed.ts.len()],
        };
        ledger::record(&record, &changed.ledger_rows(), vec![cells])
    }
}
