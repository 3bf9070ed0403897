//! Creating the tables anomdet writes for a caller: checked new names, copies, hypertables.

use crate::error::{Code, OrReport, error, internal};
use crate::postgres::relation::Source;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// Create `target` as a copy of the source (structure, defaults, indexes, then rows) and
/// return it as a new Source. The copy is owned by the caller.
pub fn copy(source: &Source, target: &str, columns: &[String]) -> Result<Source, ErrorReport> {
    let qualified = new_table_name(target, "choose a new name; injection never overwrites an existing table")?;
    crate::postgres::sql::write(&format!("CREATE TABLE {qualified} (LIKE {} INCLUDING ALL)", source.qualified), &[])
        .or_report()?;
    crate::postgres::sql::write(&format!("INSERT INTO {qualified} SELECT * FROM {}", source.qualified), &[])
        .or_report()?;
    let relid = crate::postgres::sql::read_one::<pg_sys::Oid>(
        "SELECT $1::pg_catalog.regclass::pg_catalog.oid",
        &[qualified.as_str().into()],
    )
    .or_report()?
    .ok_or_else(|| internal("copy vanished"))?;
    let first = columns.first().map(String::as_str).unwrap_or_default();
    Source::resolve(relid, first, Some(&source.time_column), source.series_column.as_deref())
}

/// The quoted name for a table the caller is about to create as `target`: it must parse and
/// must not exist yet (42P07, with `hint` saying why we never overwrite).
pub fn new_table_name(target: &str, hint: &str) -> Result<String, ErrorReport> {
    let (qualified, parts) = qualify(target)?;
    // An unqualified name goes where the caller's CREATE TABLE would put it: made explicit here,
    // because our own statements run with a pinned search_path (crate::postgres::search_path).
    let qualified = if parts > 1 {
        qualified
    } else {
        let schema = crate::postgres::search_path::as_caller(|| {
            crate::postgres::sql::read_one::<String>("SELECT pg_catalog.quote_ident(pg_catalog.current_schema())", &[])
                .or_report()
        })?;
        let schema = schema.ok_or_else(|| {
            error(
                Code::ERRCODE_INVALID_SCHEMA_NAME,
                format!("target: no schema to create {target} in: your search_path names none that exists"),
                "qualify the name, e.g. 'public.my_table'",
            )
        })?;
        format!("{schema}.{qualified}")
    };
    let exists = crate::postgres::sql::read_one::<bool>(
        "SELECT pg_catalog.to_regclass($1) IS NOT NULL",
        &[qualified.as_str().into()],
    )
    .or_report()?;
    if exists == Some(true) {
        return Err(error(Code::ERRCODE_DUPLICATE_TABLE, format!("target: relation {target} already exists"), hint));
    }
    Ok(qualified)
}

/// Quote a possibly schema-qualified name given as text ("s.t", "\"Odd\".t"); with the number of
/// its parts (a quoted name may itself hold a dot).
fn qualify(name: &str) -> Result<(String, i64), ErrorReport> {
    let bad = || {
        error(
            Code::ERRCODE_INVALID_NAME,
            format!("target: \"{name}\" is not a valid table name"),
            "pass a name like 'metrics_copy' or 'public.\"Metrics Copy\"' (double quotes inside keep case and spaces)",
        )
    };
    // parse_ident raises on bad syntax; catch it so the error names the argument.
    let parsed = crate::postgres::subxact::in_subtransaction(|| {
        crate::postgres::sql::read_two::<String, i64>(
            "SELECT pg_catalog.string_agg(pg_catalog.quote_ident(p), '.'), pg_catalog.count(*) \
             FROM pg_catalog.unnest(pg_catalog.parse_ident($1)) AS p",
            &[name.into()],
        )
    });
    match parsed {
        Ok(Ok((Some(q), Some(parts)))) => Ok((q, parts)),
        _ => Err(bad()),
    }
}

/// Make a new table with a `ts` column a hypertable when TimescaleDB is installed.
pub fn make_hypertable(qualified: &str) -> Result<(), ErrorReport> {
    let has_timescale = crate::postgres::sql::read_one::<bool>(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'timescaledb')",
        &[],
    )
    .or_report()?;
    if has_timescale == Some(true) {
        // TimescaleDB's functions live in the schema it was installed into; name it explicitly.
        let schema = crate::postgres::sql::read_one::<String>(
            "SELECT pg_catalog.quote_ident(n.nspname) FROM pg_catalog.pg_extension e \
             JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'timescaledb'",
            &[],
        )
        .or_report()?
        .unwrap_or_else(|| "public".into());
        crate::postgres::sql::write(
            &format!("SELECT {schema}.create_hypertable($1::pg_catalog.regclass, 'ts', migrate_data => true)"),
            &[qualified.into()],
        )
        .or_report()?;
    }
    Ok(())
}

/// Whether `relation` (a name regclass reads) has a live column `column`: a table created
/// by an older anomdet (a stream target, or the catalog before ALTER EXTENSION UPDATE) lacks
/// the newer ones.
pub fn has_column(relation: &str, column: &str) -> Result<bool, ErrorReport> {
    crate::postgres::sql::read_one::<bool>(
        "SELECT EXISTS (SELECT FROM pg_catalog.pg_attribute WHERE attrelid OPERATOR(pg_catalog.=) $1::pg_catalog.regclass \
           AND attname OPERATOR(pg_catalog.=) $2 AND NOT attisdropped)",
        &[relation.into(), column.into()],
    )
    .or_report()
    .map(|b| b == Some(true))
}
