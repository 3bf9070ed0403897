//! Reading the target columns of a table per series, and writing injected values back.

use crate::error::{Code, OrReport, error, internal};
use crate::relation::Source;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use pgrx::spi::quote_identifier;

/// One series of the table: its key, row times, and for each injected column the values
/// (as numbers for the math, as text for an exact copy of the original).
pub struct SeriesRows {
    pub key: Option<String>,
    pub ts: Vec<i64>,
    pub values: Vec<Vec<Option<f64>>>,
    pub originals: Vec<Vec<Option<String>>>,
}

impl SeriesRows {
    pub fn label(&self) -> String {
        self.key.as_ref().map(|k| format!(" in series \"{k}\"")).unwrap_or_default()
    }
}

/// Read `columns` of the source, per series, in time order. Only the series `only` if given.
pub fn read(source: &Source, columns: &[String], only: Option<&str>) -> Result<Vec<SeriesRows>, ErrorReport> {
    let t = quote_identifier(&source.time_column);
    let key = source.series_column.as_deref().map(quote_identifier);
    let mut select = format!(
        "SELECT {t}::pg_catalog.timestamptz, {}",
        key.as_deref().map_or("NULL::pg_catalog.text".into(), |k| format!("{k}::pg_catalog.text"))
    );
    for c in columns {
        let c = quote_identifier(c);
        select.push_str(&format!(", {c}::pg_catalog.float8, {c}::pg_catalog.text"));
    }
    select.push_str(&format!(" FROM {} WHERE {t} IS NOT NULL", source.qualified));
    if let Some(k) = &key {
        select.push_str(&format!(" AND ($1::pg_catalog.text IS NULL OR {k}::pg_catalog.text = $1)"));
    }
    select.push_str(&match &key {
        Some(k) => format!(" ORDER BY {k}, {t}"),
        None => format!(" ORDER BY {t}"),
    });
    let args = if key.is_some() { vec![only.into()] } else { vec![] };
    Spi::connect(|client| {
        let rows = client.select(select.as_str(), None, &args).map_err(internal)?;
        let mut out: Vec<SeriesRows> = Vec::new();
        for (i, row) in rows.enumerate() {
            if i % 4096 == 0 {
                pgrx::check_for_interrupts!();
            }
            let ts: i64 = row.get::<TimestampWithTimeZone>(1).or_report()?.map(|t| t.into_inner()).unwrap_or_default();
            let key: Option<String> = row.get(2).or_report()?;
            if out.last().is_none_or(|s| s.key != key) {
                out.push(SeriesRows {
                    key: key.clone(),
                    ts: Vec::new(),
                    values: vec![Vec::new(); columns.len()],
                    originals: vec![Vec::new(); columns.len()],
                });
            }
            let series = out.last_mut().expect("pushed above");
            if series.ts.last() == Some(&ts) {
                return Err(error(
                    Code::ERRCODE_CARDINALITY_VIOLATION,
                    format!(
                        "{}{} has more than one row at {}",
                        source.qualified,
                        series.label(),
                        crate::scoring::format_ts(ts)
                    ),
                    "injection identifies rows by time (and series): name the series column, or aggregate duplicates first",
                ));
            }
            series.ts.push(ts);
            for c in 0..columns.len() {
                series.values[c].push(row.get::<f64>(3 + 2 * c).or_report()?);
                series.originals[c].push(row.get::<String>(4 + 2 * c).or_report()?);
            }
        }
        Ok(out)
    })
}

/// How a value computed as f64 is written into a column of type `sql_type`.
pub fn value_cast(sql_type: &str) -> String {
    let integer = matches!(sql_type, "smallint" | "integer" | "bigint");
    if integer {
        format!("pg_catalog.round(v.val::pg_catalog.float8)::{sql_type}")
    } else {
        format!("v.val::{sql_type}")
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

/// A row an UPDATE touched: its time, series key and the text now stored.
pub type Written = (i64, Option<String>, Option<String>);

/// Set `column` of the rows identified by (time, series key) to `values` (text, cast by `cast`),
/// returning the text now stored in each updated row, keyed by time and series.
pub fn write(
    source: &Source,
    column: &str,
    cast: &str,
    keys: &[Option<String>],
    ts: &[i64],
    values: &[Option<String>],
    only_if_current: Option<&[Option<String>]>,
) -> Result<Vec<Written>, ErrorReport> {
    let t = quote_identifier(&source.time_column);
    let c = quote_identifier(column);
    let time_type = crate::relation::column_type(source.relid, &source.time_column)?;
    let key_match = match &source.series_column {
        Some(k) => format!(" AND r.{}::pg_catalog.text IS NOT DISTINCT FROM v.key", quote_identifier(k)),
        None => String::new(),
    };
    // When reverting, only rows still holding what the injection wrote are restored.
    let guard = if only_if_current.is_some() {
        format!(" AND r.{c}::pg_catalog.text IS NOT DISTINCT FROM v.cur")
    } else {
        String::new()
    };
    let sql = format!(
        "UPDATE {rel} AS r SET {c} = {cast} \
         FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.timestamptz[]), pg_catalog.unnest($2::pg_catalog.text[]), \
                         pg_catalog.unnest($3::pg_catalog.text[]), pg_catalog.unnest($4::pg_catalog.text[])) AS v(ts, key, val, cur) \
         WHERE r.{t} = v.ts::{time_type}{key_match}{guard} \
         RETURNING v.ts, v.key, r.{c}::pg_catalog.text",
        rel = source.qualified
    );
    let stamps: Vec<TimestampWithTimeZone> =
        ts.iter().map(|&x| TimestampWithTimeZone::try_from(x).map_err(internal)).collect::<Result<_, _>>()?;
    let current: Vec<Option<String>> = only_if_current.map(<[_]>::to_vec).unwrap_or_else(|| vec![None; ts.len()]);
    Spi::connect_mut(|client| {
        let rows = client
            .update(sql.as_str(), None, &[stamps.into(), keys.to_vec().into(), values.to_vec().into(), current.into()])
            .map_err(internal)?;
        let mut out = Vec::with_capacity(ts.len());
        for row in rows {
            let ts: i64 = row.get::<TimestampWithTimeZone>(1).or_report()?.map(|t| t.into_inner()).unwrap_or_default();
            out.push((ts, row.get::<String>(2).or_report()?, row.get::<String>(3).or_report()?));
        }
        Ok(out)
    })
}

/// Create `target` as a copy of the source (structure, defaults, indexes, then rows) and
/// return it as a new Source. The copy is owned by the caller.
pub fn copy(source: &Source, target: &str, columns: &[String]) -> Result<Source, ErrorReport> {
    let exists = Spi::get_one_with_args::<bool>("SELECT pg_catalog.to_regclass($1) IS NOT NULL", &[target.into()])
        .or_report()?;
    if exists == Some(true) {
        return Err(error(
            Code::ERRCODE_DUPLICATE_TABLE,
            format!("target: relation {target} already exists"),
            "choose a new name; injection never overwrites an existing table",
        ));
    }
    let qualified = qualify(target)?;
    Spi::run(&format!("CREATE TABLE {qualified} (LIKE {} INCLUDING ALL)", source.qualified)).or_report()?;
    Spi::run(&format!("INSERT INTO {qualified} SELECT * FROM {}", source.qualified)).or_report()?;
    let relid = Spi::get_one_with_args::<pg_sys::Oid>(
        "SELECT $1::pg_catalog.regclass::pg_catalog.oid",
        &[qualified.as_str().into()],
    )
    .or_report()?
    .ok_or_else(|| internal("copy vanished"))?;
    let first = columns.first().map(String::as_str).unwrap_or_default();
    Source::resolve(relid, first, Some(&source.time_column), source.series_column.as_deref())
}

/// Quote a possibly schema-qualified name given as text ("s.t", "\"Odd\".t").
fn qualify(name: &str) -> Result<String, ErrorReport> {
    Spi::get_one_with_args::<String>(
        "SELECT pg_catalog.string_agg(pg_catalog.quote_ident(p), '.') FROM pg_catalog.unnest(pg_catalog.parse_ident($1)) AS p",
        &[name.into()],
    )
    .or_report()?
    .ok_or_else(|| crate::error::invalid_argument(format!("target: \"{name}\" is not a valid table name"), "pass a name like 'public.metrics_injected'"))
}
