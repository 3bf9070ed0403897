//! `anomdet.register_detector` and `anomdet.unregister_detector`: SQL functions as detectors
//! (see `crate::registration`).

use crate::error::required;
use crate::registration::{Registration, register, unregister};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// Register `function` (values `float8[]` [, params `jsonb`] → scores `float8[]`) as detector `name`.
#[allow(clippy::too_many_arguments)]
#[pg_extern(volatile, parallel_unsafe)]
fn register_detector(
    name: Option<&str>,
    function: Option<&str>,
    threshold: default!(Option<f64>, "NULL"),
    min_points: default!(Option<i32>, "1"),
    description: default!(Option<&str>, "''"),
    shared: default!(Option<bool>, "false"),
    replace: default!(Option<bool>, "false"),
) -> Result<String, ErrorReport> {
    let _path = crate::postgres::search_path::pin();
    register(Registration {
        name: required("name", name)?,
        function: required("function", function)?,
        threshold,
        min_points: required("min_points", min_points)?,
        description: required("description", description)?,
        shared: required("shared", shared)?,
        replace: required("replace", replace)?,
    })
}

/// Remove detector `name`; only the role that registered it may.
#[pg_extern(volatile, parallel_unsafe)]
fn unregister_detector(name: Option<&str>) -> Result<bool, ErrorReport> {
    let _path = crate::postgres::search_path::pin();
    unregister(required("name", name)?)
}
