//! Resolving the user's table and columns safely: by OID, quoted identifiers, the caller's
//! privileges checked before anything is written, and clear errors for every wrong argument.

use crate::error::{Code, OrReport, error};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// Column types we read as float8 values.
const NUMERIC_TYPES: &[&str] = &["smallint", "integer", "bigint", "real", "double precision", "numeric"];
/// Column types we read as the time axis.
const TIME_TYPES: &[&str] = &["timestamp with time zone", "timestamp without time zone", "date"];

/// A readable source: one table, its time column, one value column, an optional series key.
#[derive(Debug, Clone)]
pub struct Source {
    pub relid: pg_sys::Oid,
    /// `schema.table`, both quoted as needed; what queries use.
    pub qualified: String,
    pub time_column: String,
    pub value_column: String,
    pub series_column: Option<String>,
    /// How a write finds one of its rows again.
    pub identity: RowIdentity,
    /// The rows read and returned (the whole source unless a time range was given).
    pub range: crate::postgres::time_range::TimeRange,
}

/// How a write finds a row it read before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowIdentity {
    /// One heap: the row's ctid, checked against its time and series key.
    Tid,
    /// Partitions, hypertable chunks, inheritance children or Citus shards. A ctid is unique
    /// only within one of them, and a compressed chunk has none, so a row is found by its time and series key
    /// (unique per series: injection refuses a table with duplicates).
    Value,
    /// Views and foreign tables: never written.
    ReadOnly,
}

struct Column {
    name: String,
    type_name: String,
}

impl Source {
    /// Check everything about the source before any work starts.
    pub fn resolve(
        relid: pg_sys::Oid,
        value_column: &str,
        time_column: Option<&str>,
        series_column: Option<&str>,
    ) -> Result<Source, ErrorReport> {
        let (qualified, kind) = describe_relation(relid)?;
        if !matches!(kind.as_str(), "r" | "p" | "v" | "m" | "f") {
            return Err(error(
                Code::ERRCODE_WRONG_OBJECT_TYPE,
                format!("source: {qualified} is not a table, view or materialized view"),
                "pass a table or hypertable that holds the time series",
            ));
        }
        let columns = list_columns(relid)?;
        let find = |argument: &str, name: &str| -> Result<&Column, ErrorReport> {
            columns.iter().find(|c| c.name == name).ok_or_else(|| {
                error(
                    Code::ERRCODE_UNDEFINED_COLUMN,
                    format!("{argument}: column \"{name}\" does not exist in {qualified}"),
                    format!(
                        "columns of {qualified}: {}",
                        columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                )
            })
        };

        let value = find("value_column", value_column)?;
        if !NUMERIC_TYPES.contains(&value.type_name.as_str()) {
            return Err(error(
                Code::ERRCODE_DATATYPE_MISMATCH,
                format!("value_column: column \"{}\" of {qualified} is {}, not a number", value.name, value.type_name),
                format!("numeric columns of {qualified}: {}", names_of(&columns, NUMERIC_TYPES)),
            ));
        }

        let time = match time_column {
            Some(name) => find("time_column", name)?,
            None => default_time_column(relid, &qualified, &columns)?,
        };
        if !TIME_TYPES.contains(&time.type_name.as_str()) {
            // A number as the time axis: Unix epoch values, unless the table has a real one.
            let has_time_column = columns.iter().any(|c| TIME_TYPES.contains(&c.type_name.as_str()));
            let hint = if NUMERIC_TYPES.contains(&time.type_name.as_str()) && !has_time_column {
                epoch_hint(&qualified, &time.name)
            } else {
                format!("timestamp columns of {qualified}: {}", names_of(&columns, TIME_TYPES))
            };
            return Err(error(
                Code::ERRCODE_DATATYPE_MISMATCH,
                format!("time_column: column \"{}\" of {qualified} is {}, not a timestamp", time.name, time.type_name),
                hint,
            ));
        }

        let series = series_column.map(|name| find("series_column", name)).transpose()?;
        let source = Source {
            relid,
            qualified,
            time_column: time.name.clone(),
            value_column: value.name.clone(),
            series_column: series.map(|c| c.name.clone()),
            identity: identity_of(relid, &kind)?,
            range: Default::default(),
        };
        source.check_can_read()?;
        Ok(source)
    }

    /// Refuse early, before a job row is written, when the caller may not read a needed column.
    fn check_can_read(&self) -> Result<(), ErrorReport> {
        let mut needed = vec![self.time_column.clone(), self.value_column.clone()];
        needed.extend(self.series_column.clone());
        for column in needed {
            let allowed = crate::postgres::sql::read_one::<bool>(
                "SELECT pg_catalog.has_column_privilege($1, $2, 'SELECT')",
                &[self.relid.into(), column.as_str().into()],
            )
            .or_report()?
            .unwrap_or(false);
            if !allowed {
                return Err(error(
                    Code::ERRCODE_INSUFFICIENT_PRIVILEGE,
                    format!("permission denied to read column \"{column}\" of {}", self.qualified),
                    "ask the table's owner for GRANT SELECT on it",
                ));
            }
        }
        Ok(())
    }
}

/// Tid for a table that is one heap; Value for one with partitions or children (a hypertable's
/// chunks are inheritance children of it) or shards (a Citus table).
fn identity_of(relid: pg_sys::Oid, kind: &str) -> Result<RowIdentity, ErrorReport> {
    Ok(match kind {
        "p" => RowIdentity::Value,
        "r" | "m" => {
            let children = crate::postgres::sql::read_one::<bool>(
                "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits WHERE inhparent = $1)",
                &[relid.into()],
            )
            .or_report()?;
            let sharded = kind == "r" && crate::postgres::citus::is_citus_table(relid)?;
            if children == Some(true) || sharded { RowIdentity::Value } else { RowIdentity::Tid }
        }
        _ => RowIdentity::ReadOnly,
    })
}

/// A numeric column named like a time axis (ts, time, timestamp, epoch, ...).
fn looks_like_time(name: &str) -> bool {
    let name = name.to_lowercase();
    ["ts", "time", "timestamp", "epoch", "date", "datetime", "t"].contains(&name.as_str())
        || name.ends_with("_ts")
        || name.ends_with("_time")
        || name.contains("epoch")
        || name.contains("timestamp")
}

/// How to turn a column of epoch numbers into a time column: once in place, or in a view.
fn epoch_hint(qualified: &str, column: &str) -> String {
    let c = pgrx::spi::quote_identifier(column);
    format!(
        "if it holds Unix epoch seconds, convert it once: ALTER TABLE {qualified} ALTER COLUMN {c} TYPE timestamptz \
         USING to_timestamp({c}) (epoch milliseconds, values near 1.7e12: to_timestamp({c} / 1000.0)); \
         or read it through a view: CREATE VIEW v AS SELECT to_timestamp({c} / 1000.0) AS ts, * FROM {qualified} \
         (docs/getting-data-in.md)"
    )
}

fn names_of(columns: &[Column], types: &[&str]) -> String {
    let names: Vec<&str> =
        columns.iter().filter(|c| types.contains(&c.type_name.as_str())).map(|c| c.name.as_str()).collect();
    if names.is_empty() { "(none)".into() } else { names.join(", ") }
}

fn describe_relation(relid: pg_sys::Oid) -> Result<(String, String), ErrorReport> {
    Spi::connect(|client| {
        let rows = client
            .select(
                "SELECT pg_catalog.format('%I.%I', n.nspname, c.relname), c.relkind::pg_catalog.text \
                 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1",
                Some(1),
                &[relid.into()],
            )
            .or_report()?;
        // An empty result (a dangling OID) must be the clean error below, not an SPI position error.
        let found =
            if rows.is_empty() { (None, None) } else { rows.first().get_two::<String, String>().or_report()? };
        match found {
            (Some(name), Some(kind)) => Ok((name, kind)),
            _ => Err(error(
                Code::ERRCODE_UNDEFINED_TABLE,
                format!("source: relation with OID {} does not exist", u32::from(relid)),
                "pass an existing table",
            )),
        }
    })
}

fn list_columns(relid: pg_sys::Oid) -> Result<Vec<Column>, ErrorReport> {
    Spi::connect(|client| {
        // Domains are judged by their base type.
        let rows = client
            .select(
                "SELECT a.attname::pg_catalog.text, \
                        pg_catalog.format_type(CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END, NULL) \
                 FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
                 WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
                None,
                &[relid.into()],
            )
            .or_report()?;
        let mut columns = Vec::new();
        for row in rows {
            let name: Option<String> = row.get(1).or_report()?;
            let type_name: Option<String> = row.get(2).or_report()?;
            columns.push(Column { name: name.unwrap_or_default(), type_name: type_name.unwrap_or_default() });
        }
        Ok(columns)
    })
}

/// The hypertable's time dimension when TimescaleDB is installed, else the table's only
/// timestamp column; an ambiguous choice is an error whose hint lists the candidates.
fn default_time_column<'a>(
    relid: pg_sys::Oid,
    qualified: &str,
    columns: &'a [Column],
) -> Result<&'a Column, ErrorReport> {
    if let Some(name) = hypertable_time_dimension(relid)?
        && let Some(c) = columns.iter().find(|c| c.name == name)
    {
        return Ok(c);
    }
    let candidates: Vec<&Column> = columns.iter().filter(|c| TIME_TYPES.contains(&c.type_name.as_str())).collect();
    match candidates.as_slice() {
        [only] => Ok(only),
        [] => Err(error(
            Code::ERRCODE_UNDEFINED_COLUMN,
            format!("time_column: {qualified} has no timestamp or date column"),
            match columns.iter().find(|c| NUMERIC_TYPES.contains(&c.type_name.as_str()) && looks_like_time(&c.name)) {
                Some(epoch) => epoch_hint(qualified, &epoch.name),
                None => "pass time_column => 'name' of a timestamptz, timestamp or date column".into(),
            },
        )),
        many => Err(error(
            Code::ERRCODE_AMBIGUOUS_COLUMN,
            format!("time_column: {qualified} has several timestamp columns"),
            format!(
                "pass time_column => one of: {}",
                many.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

fn hypertable_time_dimension(relid: pg_sys::Oid) -> Result<Option<String>, ErrorReport> {
    let has_timescale = crate::postgres::sql::read_one::<bool>(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'timescaledb')",
        &[],
    )
    .or_report()?;
    if has_timescale != Some(true) {
        return Ok(None);
    }
    crate::postgres::sql::read_one::<String>(
        "SELECT (SELECT d.column_name::pg_catalog.text FROM timescaledb_information.dimensions d \
         JOIN pg_catalog.pg_class c ON c.relname = d.hypertable_name \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace AND n.nspname = d.hypertable_schema \
         WHERE c.oid = $1 ORDER BY d.dimension_number LIMIT 1)",
        &[relid.into()],
    )
    .or_report()
}

/// The exact SQL type of a column (with its type modifier), for casting values written back.
pub fn column_type(relid: pg_sys::Oid, column: &str) -> Result<String, ErrorReport> {
    crate::postgres::sql::read_one::<String>(
        "SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_attribute a \
         WHERE a.attrelid = $1 AND a.attname = $2 AND NOT a.attisdropped",
        &[relid.into(), column.into()],
    )
    .or_report()?
    .ok_or_else(|| crate::error::internal(format!("column {column} vanished")))
}

/// Refuse early, before anything is written, when the caller may not update a column.
pub fn check_can_update(source: &Source, column: &str) -> Result<(), ErrorReport> {
    if source.identity == RowIdentity::ReadOnly {
        return Err(error(
            Code::ERRCODE_WRONG_OBJECT_TYPE,
            format!("source: {} is a view or foreign table; injection writes rows of a table", source.qualified),
            "inject into the underlying table, or copy the rows with target => 'a_copy'",
        ));
    }
    let allowed = crate::postgres::sql::read_one::<bool>(
        "SELECT pg_catalog.has_column_privilege($1, $2, 'UPDATE')",
        &[source.relid.into(), column.into()],
    )
    .or_report()?
    .unwrap_or(false);
    if allowed {
        Ok(())
    } else {
        Err(error(
            Code::ERRCODE_INSUFFICIENT_PRIVILEGE,
            format!("permission denied to update column \"{column}\" of {}", source.qualified),
            "injection changes values in place: ask the owner for GRANT UPDATE, or pass target => 'a_copy'",
        ))
    }
}
