//! Reading the target columns of a table per series, and writing injected values back.

use crate::error::{Code, OrReport, error, internal};
use crate::relation::{RowIdentity, Source};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use pgrx::spi::quote_identifier;

/// One series of the table: its key, row times, and the values of each injected column.
pub struct SeriesRows {
    pub key: Option<String>,
    pub ts: Vec<i64>,
    /// Where each row lives, so writes find it without a join over the whole table.
    pub tids: Vec<pg_sys::ItemPointerData>,
    pub values: Vec<Vec<Option<f64>>>,
}

impl SeriesRows {
    pub fn label(&self) -> String {
        self.key.as_ref().map(|k| format!(" in series \"{k}\"")).unwrap_or_default()
    }
}

/// Read `columns` of the source as numbers, per series, in time order. The table is read with a
/// plain scan streamed through our own receiver (`scan`) and sorted in memory: an ordered index
/// scan, SPI's tuple copies and per-cell getters each cost more than the scan. Only series `only`.
pub fn read(source: &Source, columns: &[String], only: Option<&str>) -> Result<Vec<SeriesRows>, ErrorReport> {
    let t = quote_identifier(&source.time_column);
    let key = source.series_column.as_deref().map(quote_identifier);
    // Fixed-width columns first and the key (text) last, so most attributes are found at
    // cached offsets without a call into PostgreSQL.
    // Row ids only where one names one row: a table that is one heap.
    let row_id = if source.identity == RowIdentity::Tid { "ctid" } else { "NULL::pg_catalog.tid" };
    let mut select = format!("SELECT {t}::pg_catalog.timestamptz, {row_id}");
    for c in columns {
        select.push_str(&format!(", {}::pg_catalog.float8", quote_identifier(c)));
    }
    if let Some(k) = &key {
        select.push_str(&format!(", {k}::pg_catalog.text"));
    }
    select.push_str(&format!(
        " FROM {} WHERE {t} IS NOT NULL{}",
        source.qualified,
        source.range.sql(&source.time_column)
    ));
    if let (Some(k), Some(only)) = (&key, only) {
        select.push_str(&format!(" AND {k}::pg_catalog.text = {}", pgrx::spi::quote_literal(only)));
    }
    let keyed = key.is_some();
    let mut out: Vec<SeriesRows> = Vec::new();
    let mut index: std::collections::HashMap<Option<String>, usize> = std::collections::HashMap::new();
    crate::scan::for_each_row(&select, |values, nulls| {
        append_row(&mut out, &mut index, values, nulls, columns.len(), keyed);
        Ok(())
    })?;
    out.sort_by(|a, b| a.key.cmp(&b.key));
    for series in &mut out {
        sort_by_time(series);
        if let Some(w) = series.ts.windows(2).find(|w| w[0] == w[1]) {
            return Err(error(
                Code::ERRCODE_CARDINALITY_VIOLATION,
                format!(
                    "{}{} has more than one row at {}",
                    source.qualified,
                    series.label(),
                    crate::scoring::format_ts(w[0])
                ),
                "injection identifies rows by time (and series): name the series column, or aggregate duplicates first",
            ));
        }
    }
    Ok(out)
}

/// Time order for one series (free when the scan already returned it in order).
fn sort_by_time(series: &mut SeriesRows) {
    use anomdet_core::series::{permute, time_order};
    if let Some(order) = time_order(&series.ts) {
        series.ts = permute(&series.ts, &order);
        series.tids = permute(&series.tids, &order);
        for column in &mut series.values {
            *column = permute(column, &order);
        }
    }
}

/// Decode one fetched row (ts, key, value per column) into the series it belongs to.
///
/// # Safety
/// `tuple` and `desc` must come from the current SPI_tuptable of the query built in `read`.
fn append_row(
    out: &mut Vec<SeriesRows>,
    index: &mut std::collections::HashMap<Option<String>, usize>,
    values: &[pg_sys::Datum],
    nulls: &[bool],
    n_columns: usize,
    keyed: bool,
) {
    // SAFETY (all from_datum calls): the Datums come from the executor's slot for the query
    // built in `read`, whose column types are exactly timestamptz, tid, float8..., text.
    let ts = unsafe { i64::from_datum(values[0], nulls[0]) }.unwrap_or_default();
    let tid = unsafe { pg_sys::ItemPointerData::from_datum(values[1], nulls[1]) }.unwrap_or_default();
    let key = if keyed { unsafe { String::from_datum(values[2 + n_columns], nulls[2 + n_columns]) } } else { None };
    // Most tables hold one series, or keep a series' rows together: try the last one first.
    let at = match out.last() {
        Some(last) if last.key == key => out.len() - 1,
        _ => *index.entry(key.clone()).or_insert_with(|| {
            out.push(SeriesRows { key, ts: Vec::new(), tids: Vec::new(), values: vec![Vec::new(); n_columns] });
            out.len() - 1
        }),
    };
    let series = &mut out[at];
    series.ts.push(ts);
    series.tids.push(tid);
    for c in 0..n_columns {
        series.values[c].push(unsafe { f64::from_datum(values[2 + c], nulls[2 + c]) });
    }
}

/// How a value computed as f64 is written into a column of type `sql_type`.
pub fn value_cast(sql_type: &str) -> String {
    let integer = matches!(sql_type, "smallint" | "integer" | "bigint");
    if integer {
        format!("pg_catalog.round(x.val::pg_catalog.float8)::{sql_type}")
    } else {
        format!("x.val::{sql_type}")
    }
}

/// Text for a computed value that PostgreSQL reads back exactly (Rust prints the shortest
/// representation that round-trips).
pub fn to_sql_text(v: Option<f64>) -> Option<String> {
    v.map(|x| {
        if x.is_nan() {
            "NaN".into()
        } else if x.is_infinite() {
            if x > 0.0 { "Infinity".into() } else { "-Infinity".into() }
        } else {
            format!("{x}")
        }
    })
}

/// Create `target` as a copy of the source (structure, defaults, indexes, then rows) and
/// return it as a new Source. The copy is owned by the caller.
pub fn copy(source: &Source, target: &str, columns: &[String]) -> Result<Source, ErrorReport> {
    let qualified = new_table_name(target, "choose a new name; injection never overwrites an existing table")?;
    crate::sql::write(&format!("CREATE TABLE {qualified} (LIKE {} INCLUDING ALL)", source.qualified), &[])
        .or_report()?;
    crate::sql::write(&format!("INSERT INTO {qualified} SELECT * FROM {}", source.qualified), &[]).or_report()?;
    let relid = crate::sql::read_one::<pg_sys::Oid>(
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
pub(crate) fn new_table_name(target: &str, hint: &str) -> Result<String, ErrorReport> {
    let (qualified, parts) = qualify(target)?;
    // An unqualified name goes where the caller's CREATE TABLE would put it: made explicit here,
    // because our own statements run with a pinned search_path (crate::search_path).
    let qualified = if parts > 1 {
        qualified
    } else {
        let schema = crate::search_path::as_caller(|| {
            crate::sql::read_one::<String>("SELECT pg_catalog.quote_ident(pg_catalog.current_schema())", &[])
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
    let exists =
        crate::sql::read_one::<bool>("SELECT pg_catalog.to_regclass($1) IS NOT NULL", &[qualified.as_str().into()])
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
    let parsed = crate::subxact::in_subtransaction(|| {
        crate::sql::read_two::<String, i64>(
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
