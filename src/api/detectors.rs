//! `anomdet.detectors()`: the built-in detectors with every parameter and its range, then the
//! registered (SQL) detectors the caller may use, with what one pass of each costs.
//! `multivariate` is true for those `anomdet.detect_columns` also runs (`multivariate_detectors()`).

use anomdet_core::multivariate::find_multivariate;
use anomdet_core::params::PROBABILITY;
use anomdet_core::registry;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// One row of `detectors()`: name, family, online, multivariate, params, description, cost.
type DetectorRow = (String, String, bool, bool, pgrx::JsonB, String, Option<String>);

/// Every detector: family, online and multivariate support, parameters, description, and what
/// one pass costs as the series grows (registered detectors: unknown, NULL).
#[allow(clippy::type_complexity)]
#[pg_extern(name = "detectors", stable, parallel_safe)]
fn detectors_with_cost() -> Result<
    TableIterator<
        'static,
        (
            name!(name, String),
            name!(family, String),
            name!(online, bool),
            name!(multivariate, bool),
            name!(params, pgrx::JsonB),
            name!(description, String),
            name!(cost, Option<String>),
        ),
    >,
    ErrorReport,
> {
    rows().map(TableIterator::new)
}

/// The rows of `detectors()`, for it and for 0.2.0's symbol (`released_symbols`).
pub(super) fn rows() -> Result<Vec<DetectorRow>, ErrorReport> {
    let _path = crate::postgres::search_path::pin();
    let mut rows: Vec<DetectorRow> = registry()
        .iter()
        .map(|d| {
            (
                d.name.to_string(),
                d.family.to_string(),
                d.online,
                d.multivariate || find_multivariate(d.name).is_some(),
                // Every detector also takes "probability": flags by calibrated probability.
                super::params_json(&d.params.iter().copied().chain([PROBABILITY]).collect::<Vec<_>>()),
                d.description.to_string(),
                Some(d.cost.describe()),
            )
        })
        .collect();
    for (name, params, description) in crate::registration::listed()? {
        rows.push((name, crate::registration::FAMILY.to_string(), false, false, params, description, None));
    }
    Ok(rows)
}
