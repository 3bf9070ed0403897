//! `anomdet.detectors()`: what is built in, with every parameter and its range.

use anomdet_core::registry;
use pgrx::prelude::*;

/// Every built-in detector: family, online and multivariate support, parameters, description.
#[pg_extern(immutable, parallel_safe)]
fn detectors() -> TableIterator<
    'static,
    (
        name!(name, String),
        name!(family, String),
        name!(online, bool),
        name!(multivariate, bool),
        name!(params, pgrx::JsonB),
        name!(description, String),
    ),
> {
    let rows: Vec<_> = registry()
        .iter()
        .map(|d| {
            (
                d.name.to_string(),
                d.family.to_string(),
                d.online,
                d.multivariate,
                super::params_json(d.params),
                d.description.to_string(),
            )
        })
        .collect();
    TableIterator::new(rows)
}
