//! The JSON request a Citus coordinator sends with each series to its workers
//! (`_scored_series`, `_benchmark_series`): its fields, typed, with errors that name them.
//! anomdet builds these requests itself; the errors are for a mismatch of versions across nodes.

use crate::error::invalid_argument;
use pgrx::pg_sys::panic::ErrorReport;

const HINT: &str = "built by anomdet itself: install the same anomdet version on every node";

/// The text field `name`, None when absent or null.
pub fn field<'a>(request: &'a serde_json::Value, name: &str) -> Result<Option<&'a str>, ErrorReport> {
    match request.get(name) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(invalid_argument(format!("request: {name} is {other}, not text"), HINT)),
    }
}

/// The text field `name`, which must be there.
pub fn needed<'a>(request: &'a serde_json::Value, name: &str) -> Result<&'a str, ErrorReport> {
    field(request, name)?.ok_or_else(|| missing(name, "text"))
}

/// The integer field `name`, which must be there.
pub fn integer(request: &serde_json::Value, name: &str) -> Result<i64, ErrorReport> {
    request.get(name).and_then(serde_json::Value::as_i64).ok_or_else(|| missing(name, "an integer"))
}

/// The array field `name`, which must be there.
pub fn array<'a>(request: &'a serde_json::Value, name: &str) -> Result<&'a [serde_json::Value], ErrorReport> {
    request.get(name).and_then(serde_json::Value::as_array).map(Vec::as_slice).ok_or_else(|| missing(name, "an array"))
}

fn missing(name: &str, kind: &str) -> ErrorReport {
    invalid_argument(format!("request: {name} is missing or not {kind}"), HINT)
}
