//! Registering SQL functions as detectors (`anomdet.register_detector`,
//! `anomdet.unregister_detector`): the checks of a function's signature and of a name, and the
//! catalog rows in `anomdet.custom_detectors`.

use crate::error::{Code, OrReport, error, internal, invalid_argument};
use crate::postgres::subxact::in_subtransaction;
use pgrx::pg_sys::panic::{CaughtError, ErrorReport};
use pgrx::prelude::*;

/// A registration, its arguments unpacked.
pub struct Registration<'a> {
    pub name: &'a str,
    pub function: &'a str,
    pub threshold: Option<f64>,
    pub min_points: i32,
    pub description: &'a str,
    pub shared: bool,
    pub replace: bool,
}

/// Register a function as a detector; returns its name.
pub fn register(r: Registration<'_>) -> Result<String, ErrorReport> {
    let Registration { name, function, threshold, min_points, description, shared, replace } = r;
    check_name(name)?;
    if threshold.is_some_and(|t| !t.is_finite()) {
        return Err(invalid_argument("threshold: must be a finite number or NULL", "NULL: the detector only scores"));
    }
    if !(1..=10_000_000).contains(&min_points) {
        return Err(invalid_argument(format!("min_points: {min_points} is outside [1, 10000000]"), "the default is 1"));
    }
    let oid = resolve_function(function)?;
    check_signature(oid, function)?;

    // Our own detector under this name: replaced only when asked.
    let own = crate::postgres::sql::read_one::<bool>(
        "SELECT (SELECT owner OPERATOR(pg_catalog.=) CURRENT_USER FROM anomdet.custom_detectors \
         WHERE name OPERATOR(pg_catalog.=) $1)",
        &[name.into()],
    )
    .or_report()?;
    match own {
        Some(true) if !replace => {
            return Err(error(
                Code::ERRCODE_DUPLICATE_OBJECT,
                format!("name: you already registered a detector \"{name}\""),
                "pass replace => true to replace it",
            ));
        }
        Some(false) => return Err(taken(name)),
        _ => {}
    }
    let args = [name.into(), oid.into(), threshold.into(), min_points.into(), description.into(), shared.into()];
    if own == Some(true) {
        crate::postgres::sql::write(
            "UPDATE anomdet.custom_detectors SET function = $2::pg_catalog.regprocedure::pg_catalog.text, threshold = $3, \
               min_points = $4, description = $5, shared = $6, created_at = pg_catalog.now(), \
               function_owner = (SELECT pg_catalog.pg_get_userbyid(p.proowner) FROM pg_catalog.pg_proc p \
                                 WHERE p.oid OPERATOR(pg_catalog.=) $2) \
             WHERE name OPERATOR(pg_catalog.=) $1",
            &args,
        )
        .or_report()?;
        return Ok(name.to_string());
    }
    // A private detector of another role is invisible here but still holds the name.
    let inserted = in_subtransaction(|| {
        crate::postgres::sql::write(
            "INSERT INTO anomdet.custom_detectors (name, function, threshold, min_points, description, shared, function_owner) \
             SELECT $1, $2::pg_catalog.regprocedure::pg_catalog.text, $3, $4, $5, $6, pg_catalog.pg_get_userbyid(p.proowner) \
             FROM pg_catalog.pg_proc p WHERE p.oid OPERATOR(pg_catalog.=) $2",
            &args,
        )
    });
    match inserted {
        Ok(result) => result.or_report()?,
        Err(CaughtError::PostgresError(e)) if e.sql_error_code() == Code::ERRCODE_UNIQUE_VIOLATION => {
            return Err(taken(name));
        }
        Err(other) => other.rethrow(),
    }
    Ok(name.to_string())
}

/// Remove detector `name`; only the role that registered it may.
pub fn unregister(name: &str) -> Result<bool, ErrorReport> {
    let removed = crate::postgres::sql::write_one::<i64>(
        "WITH d AS (DELETE FROM anomdet.custom_detectors WHERE name OPERATOR(pg_catalog.=) $1 \
           AND owner OPERATOR(pg_catalog.=) CURRENT_USER RETURNING 1) SELECT pg_catalog.count(*) FROM d",
        &[name.into()],
    )
    .or_report()?;
    if removed.unwrap_or(0) > 0 {
        return Ok(true);
    }
    let owner = crate::postgres::sql::read_one::<String>(
        "SELECT (SELECT owner::pg_catalog.text FROM anomdet.custom_detectors WHERE name OPERATOR(pg_catalog.=) $1)",
        &[name.into()],
    )
    .or_report()?;
    Err(match owner {
        Some(owner) => error(
            Code::ERRCODE_INSUFFICIENT_PRIVILEGE,
            format!("name: detector \"{name}\" belongs to role {owner}; only its owner may unregister it"),
            "ask its owner",
        ),
        None if anomdet_core::find_detector(name).is_some() => invalid_argument(
            format!("name: \"{name}\" is a built-in detector"),
            "only registered detectors can be removed",
        ),
        None => error(
            Code::ERRCODE_UNDEFINED_OBJECT,
            format!("name: no registered detector \"{name}\""),
            "SELECT name FROM anomdet.detectors() WHERE family = 'registered (SQL)'",
        ),
    })
}

/// The family `detectors()` shows for registered detectors.
pub const FAMILY: &str = "registered (SQL)";

fn taken(name: &str) -> ErrorReport {
    error(
        Code::ERRCODE_DUPLICATE_OBJECT,
        format!("name: detector \"{name}\" is already registered by another role"),
        "choose another name",
    )
}

fn check_name(name: &str) -> Result<(), ErrorReport> {
    let well_formed = name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !well_formed {
        return Err(invalid_argument(
            format!("name: \"{name}\" is not a valid detector name"),
            "use lower-case letters, digits and _, starting with a letter, at most 63 characters",
        ));
    }
    if anomdet_core::find_detector(name).is_some() {
        return Err(error(
            Code::ERRCODE_DUPLICATE_OBJECT,
            format!("name: \"{name}\" is a built-in detector"),
            "choose another name",
        ));
    }
    Ok(())
}

/// `my_fn` (when not overloaded) or `my_schema.my_fn(float8[], jsonb)`, found like SQL would.
fn resolve_function(function: &str) -> Result<pg_sys::Oid, ErrorReport> {
    let lookup = if function.contains('(') { "to_regprocedure" } else { "to_regproc" };
    // A malformed signature is an error in to_regprocedure: answer it like "not found".
    let oid = in_subtransaction(|| {
        crate::postgres::search_path::as_caller(|| {
            crate::postgres::sql::read_one::<pg_sys::Oid>(
                &format!("SELECT pg_catalog.{lookup}($1)::pg_catalog.oid"),
                &[function.into()],
            )
        })
    })
    .unwrap_or(Ok(None))
    .or_report()?;
    oid.filter(|o| *o != pg_sys::InvalidOid).ok_or_else(|| {
        error(
            Code::ERRCODE_UNDEFINED_FUNCTION,
            format!("function: no single function matches \"{function}\""),
            "give the name, schema-qualified if needed, with its argument types when it is overloaded: \
             'my_schema.my_scores(double precision[], jsonb)'",
        )
    })
}

/// The function must take (float8[]) or (float8[], jsonb), return float8[], and be callable by us.
fn check_signature(oid: pg_sys::Oid, function: &str) -> Result<(), ErrorReport> {
    let row = Spi::connect(|client| -> Result<_, ErrorReport> {
        let t = client
            .select(
                "SELECT pg_catalog.oidvectortypes(p.proargtypes), p.prorettype::pg_catalog.regtype::pg_catalog.text, \
                   p.proretset, p.prokind::pg_catalog.text, pg_catalog.has_function_privilege(p.oid, 'EXECUTE') \
                 FROM pg_catalog.pg_proc p WHERE p.oid OPERATOR(pg_catalog.=) $1",
                Some(1),
                &[oid.into()],
            )
            .or_report()?;
        if t.is_empty() {
            return Err(internal("a resolved function vanished"));
        }
        let r = t.first();
        Ok((
            r.get::<String>(1).or_report()?.unwrap_or_default(),
            r.get::<String>(2).or_report()?.unwrap_or_default(),
            r.get::<bool>(3).or_report()?.unwrap_or(false),
            r.get::<String>(4).or_report()?.unwrap_or_default(),
            r.get::<bool>(5).or_report()?.unwrap_or(false),
        ))
    })?;
    let (args, returns, returns_set, kind, may_execute) = row;
    let args_ok = args == "double precision[]" || args == "double precision[], jsonb";
    if !args_ok || returns != "double precision[]" || returns_set || kind != "f" {
        return Err(error(
            Code::ERRCODE_WRONG_OBJECT_TYPE,
            format!(
                "function: {function} must take (double precision[]) or (double precision[], jsonb) and return double precision[]"
            ),
            "values arrive in time order, one array per series; return one score per value (NULL: not scored)",
        ));
    }
    if !may_execute {
        return Err(error(
            Code::ERRCODE_INSUFFICIENT_PRIVILEGE,
            format!("function: permission denied to execute {function}"),
            "its owner can GRANT EXECUTE on it to you",
        ));
    }
    Ok(())
}

/// Registered detectors the caller may use, as `detectors()` lists them.
pub fn listed() -> Result<Vec<(String, pgrx::JsonB, String)>, ErrorReport> {
    Spi::connect(|client| {
        let rows = client
            .select(
                "SELECT name, function::pg_catalog.text, threshold, min_points, description, owner::pg_catalog.text, shared \
                 FROM anomdet.custom_detectors ORDER BY name",
                None,
                &[],
            )
            .or_report()?;
        let mut out = Vec::new();
        for r in rows {
            let name = r.get::<String>(1).or_report()?.unwrap_or_default();
            let function = r.get::<String>(2).or_report()?.unwrap_or_default();
            let threshold = r.get::<f64>(3).or_report()?;
            let min_points = r.get::<i32>(4).or_report()?.unwrap_or(1);
            let description = r.get::<String>(5).or_report()?.unwrap_or_default();
            let owner = r.get::<String>(6).or_report()?.unwrap_or_default();
            let shared = r.get::<bool>(7).or_report()?.unwrap_or(false);
            let params = serde_json::json!([{
                "name": "threshold", "type": "float", "default": threshold, "range": "any finite number",
                "description": format!("flag scores above this (NULL: scores only); the whole params object is passed to {function}; needs {min_points}+ values")
            }]);
            let sharing = if shared { ", shared" } else { "" };
            let text = format!("{description} [SQL function {function}, registered by {owner}{sharing}]");
            out.push((name, pgrx::JsonB(params), text.trim_start().to_string()));
        }
        Ok(out)
    })
}
