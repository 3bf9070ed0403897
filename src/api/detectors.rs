//! `anomdet.detectors()`: the built-in detectors with every parameter and its range, then the
//! registered (SQL) detectors the caller may use. `multivariate` is true for those that
//! `anomdet.detect_columns` also runs (`anomdet.multivariate_detectors()` lists all of those).

use anomdet_core::multivariate::find_multivariate;
use anomdet_core::params::PROBABILITY;
use anomdet_core::registry;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// Every detector: family, online and multivariate support, parameters, description.
#[allow(clippy::type_complexity)]
#[pg_extern(stable, parallel_safe)]
fn detectors() -> Result<
    TableIterator<
        'static,
        (
            name!(name, String),
            name!(family, String),
            name!(online, bool),
            name!(multivariate, bool),
            name!(params, pgrx::JsonB),
            name!(description, String),
        ),
    >,
    ErrorReport,
> {
    let _path = crate::postgres::search_path::pin();
    let mut rows: Vec<_> = registry()
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
            )
        })
        .collect();
    for (name, params, description) in crate::registration::listed()? {
        rows.push((name, crate::registration::FAMILY.to_string(), false, false, params, description));
    }
    Ok(TableIterator::new(rows))
}
