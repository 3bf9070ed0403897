//! The SQL surface: thin `#[pg_extern]` wrappers that parse arguments and call the layers below.

pub mod benchmark;
pub mod comments;
pub mod custom;
pub mod decompose;
pub mod detect;
pub mod detect_columns;
pub mod detect_streamed;
pub mod detectors;
pub mod evaluate;
pub mod generate;
pub mod help;
pub mod inject;
pub mod jobs;
pub mod models;
pub mod progress;
pub mod released_symbols;
pub mod report;
pub mod schedule;
pub mod scored_series;
pub mod stream;

/// Parameter declarations as the JSON array `detectors()` and `injectors()` show.
pub fn params_json(specs: &[anomdet_core::ParamSpec]) -> pgrx::JsonB {
    let list: Vec<serde_json::Value> = specs
        .iter()
        .map(|p| {
            serde_json::json!({"name": p.name, "type": p.kind.sql_name(), "default": p.default_json(),
                               "range": p.range_text(), "description": p.description})
        })
        .collect();
    pgrx::JsonB(serde_json::Value::Array(list))
}
