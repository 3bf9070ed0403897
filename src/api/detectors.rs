//! `anomdet.detectors()`: what is built in, with every parameter and its range.

use anomdet_core::registry;
use pgrx::prelude::*;
use serde_json::json;

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
            let params: Vec<serde_json::Value> = d
                .params
                .iter()
                .map(|p| {
                    json!({
                        "name": p.name,
                        "type": p.kind.sql_name(),
                        "default": p.default_json(),
                        "range": p.range_text(),
                        "description": p.description,
                    })
                })
                .collect();
            (
                d.name.to_string(),
                d.family.to_string(),
                d.online,
                d.multivariate,
                pgrx::JsonB(serde_json::Value::Array(params)),
                d.description.to_string(),
            )
        })
        .collect();
    TableIterator::new(rows)
}
