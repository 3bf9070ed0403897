//! A detector picked by name: a built-in one from the core registry, or one a user registered
//! with `anomdet.register_detector` (a SQL function). Everything that scores goes through this,
//! so a registered detector works wherever a built-in one does in batch mode.

use crate::custom_detector::SqlDetector;
use crate::error::{invalid_argument, param_error};
use anomdet_core::calibrated::Calibrated;
use anomdet_core::{Detector, DetectorInfo, Params, registry};
use pgrx::pg_sys::panic::ErrorReport;

#[derive(Clone)]
pub enum ChosenDetector {
    Builtin { info: &'static DetectorInfo, params: Params },
    Sql(SqlDetector),
}

impl ChosenDetector {
    /// Find `name` (built-ins first, then the registered detectors the caller may see) and
    /// check `params` against it; `argument` names the SQL argument in errors.
    pub fn resolve(argument: &str, name: &str, params: Option<&serde_json::Value>) -> Result<Self, ErrorReport> {
        if let Some(info) = anomdet_core::find_detector(name) {
            let params = info.parse_params(params).map_err(|e| param_error("detectors", info.name, e))?;
            let chosen = ChosenDetector::Builtin { info, params };
            // The part that does not grow with the series (trees, kept windows) is known now.
            chosen.check_memory(0, "")?;
            return Ok(chosen);
        }
        match SqlDetector::find(name, params)? {
            Some(sql) => Ok(ChosenDetector::Sql(sql)),
            None => Err(unknown(argument, name)),
        }
    }

    /// A built-in detector with its default parameters.
    pub fn builtin_defaults(info: &'static DetectorInfo) -> Self {
        ChosenDetector::Builtin { info, params: Params::defaults(info.params) }
    }

    pub fn name(&self) -> &str {
        match self {
            ChosenDetector::Builtin { info, .. } => info.name,
            ChosenDetector::Sql(sql) => &sql.name,
        }
    }

    pub fn supports_online(&self) -> bool {
        match self {
            ChosenDetector::Builtin { info, params } => info.supports_online(params),
            ChosenDetector::Sql(_) => false,
        }
    }

    /// Whether it has a stored form, so `anomdet.train` can make a model of it: every online
    /// detector (its learnt state), and the batch-only ones that define one.
    pub fn trainable(&self) -> bool {
        match self {
            ChosenDetector::Builtin { info, params } => (info.build)(params).save().is_some(),
            ChosenDetector::Sql(_) => false,
        }
    }

    /// The fewest usable values a series needs.
    pub fn min_points(&self) -> usize {
        match self {
            ChosenDetector::Builtin { info, params } => (info.min_points)(params),
            ChosenDetector::Sql(sql) => sql.min_points,
        }
    }

    /// An upper estimate of the working memory for a series of `n` values (SQL detectors: 0,
    /// their memory is PostgreSQL's).
    pub fn working_bytes(&self, n: usize) -> u64 {
        match self {
            ChosenDetector::Builtin { info, params } => info.working_bytes(params, n),
            ChosenDetector::Sql(_) => 0,
        }
    }

    /// Refuse (54000) a detector whose working memory for `n` values of `series` (n = 0: the
    /// part any series needs) would pass the limit: a failed allocation aborts the backend,
    /// and PostgreSQL restarts every session. With the values at hand, the window found on
    /// them is used instead of the longest possible.
    pub fn check_memory(&self, n: usize, series: &str) -> Result<(), ErrorReport> {
        self.refuse_above(self.working_bytes(n), n, series)
    }

    pub fn check_memory_of(&self, xs: &[f64], series: &str) -> Result<(), ErrorReport> {
        let bytes = match self {
            ChosenDetector::Builtin { info, params } => info.working_bytes_of(params, xs),
            ChosenDetector::Sql(_) => 0,
        };
        self.refuse_above(bytes, xs.len(), series)
    }

    fn refuse_above(&self, bytes: u64, n: usize, series: &str) -> Result<(), ErrorReport> {
        if bytes <= anomdet_core::MEMORY_LIMIT {
            return Ok(());
        }
        let series = if n == 0 { "any series".to_string() } else { format!("{series} ({n} values)") };
        Err(crate::error::error(
            pgrx::PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED,
            format!(
                "detector {} with these parameters would need about {} MiB for {series}; the limit is {} MiB",
                self.name(),
                bytes >> 20,
                anomdet_core::MEMORY_LIMIT >> 20
            ),
            "lower the size parameters in params (window, trees, tree_size, reference, history, components...)",
        ))
    }

    /// A fresh detector for one series, with its calibrated anomaly probability.
    pub fn build(&self) -> Box<dyn Detector> {
        match self {
            ChosenDetector::Builtin { info, params } => info.build_calibrated(params),
            ChosenDetector::Sql(sql) => {
                let sql = sql.clone();
                Box::new(Calibrated::new(Box::new(move || Box::new(sql.clone())), false, None))
            }
        }
    }

    /// True when scoring runs SQL, so rows must not be scored inside a running scan.
    pub fn runs_sql(&self) -> bool {
        matches!(self, ChosenDetector::Sql(_))
    }

    /// The effective parameters, as a job records them.
    pub fn params_json(&self) -> serde_json::Value {
        match self {
            ChosenDetector::Builtin { info, params } => params.to_json(info.params),
            ChosenDetector::Sql(sql) => sql.params.clone(),
        }
    }
}

pub fn unknown(argument: &str, name: &str) -> ErrorReport {
    if anomdet_core::multivariate::find_multivariate(name).is_some() {
        return invalid_argument(
            format!("{argument}: {name} scores several columns together, not one series"),
            format!("use anomdet.detect_columns(source, ARRAY['a', 'b', ...], '{name}')"),
        );
    }
    invalid_argument(
        format!("{argument}: unknown detector \"{name}\""),
        format!(
            "built-in detectors: {}; SELECT name FROM anomdet.detectors() also lists the registered ones you may use",
            registry().iter().map(|d| d.name).collect::<Vec<_>>().join(", ")
        ),
    )
}
