//! Where a job's ground truth comes from: the anomalies injected into its source column (the
//! default), a label column of the source (boolean, or a number where nonzero is an anomaly),
//! or a table of incident windows shaped like `anomdet.injection_spans`
//! (`start_ts`, `end_ts` inclusive, and an optional `series` text column).

use crate::error::{Code, OrReport, error};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use pgrx::spi::quote_identifier;
use std::collections::{HashMap, HashSet};

use crate::postgres::relation::Source;

pub enum Truth {
    Injected,
    /// A SQL expression over the source row `t` that is true on a labelled row.
    Column {
        expression: String,
    },
    /// The windows table, and whether it has a `series` column.
    Windows {
        relation: String,
        keyed: bool,
    },
}

impl Truth {
    /// From `evaluate`'s arguments: at most one of `label_column`, `label_windows`.
    pub fn from_args(
        source: pg_sys::Oid,
        label_column: Option<&str>,
        label_windows: Option<pg_sys::Oid>,
    ) -> Result<Truth, ErrorReport> {
        match (label_column, label_windows) {
            (None, None) => Ok(Truth::Injected),
            (Some(_), Some(_)) => Err(error(
                Code::ERRCODE_INVALID_PARAMETER_VALUE,
                "label_column, label_windows: give one source of labels, not both",
                "label_column => 'incident' reads a column of the source; label_windows => 'incidents' a table of windows",
            )),
            (Some(column), None) => column_truth(source, column),
            (None, Some(windows)) => windows_truth(windows),
        }
    }

    /// A LEFT JOIN (or LATERAL) clause that gives each result row `r` the boolean `l.labelled`;
    /// `source` is the job's source table, `time` and `series` its columns; `$2`, `$3` and `$4`
    /// are the source's relid, the scored column and a stream's target (injected labels).
    pub fn join(&self, source: &str, time: &str, series: Option<&str>) -> String {
        let key = |alias: &str| match series {
            Some(s) => format!("{alias}.{}::pg_catalog.text", quote_identifier(s)),
            None => "NULL::pg_catalog.text".into(),
        };
        match self {
            Truth::Injected => "LEFT JOIN (SELECT DISTINCT series, ts, true AS labelled FROM anomdet.labels \
                 WHERE (relid = $2 AND column_name = $3) OR (relid = $4 AND column_name = 'value')) l \
                 ON l.ts = r.ts AND l.series IS NOT DISTINCT FROM r.series"
                .into(),
            Truth::Column { expression } => format!(
                "LEFT JOIN (SELECT t.{time}::pg_catalog.timestamptz AS ts, {key} AS series, \
                   pg_catalog.bool_or({expression}) AS labelled FROM {source} t GROUP BY 1, 2) l \
                 ON l.ts = r.ts AND coalesce(l.series, '') = coalesce(r.series, '')",
                time = quote_identifier(time),
                key = key("t"),
            ),
            Truth::Windows { relation, keyed } => format!(
                "LEFT JOIN LATERAL (SELECT true AS labelled FROM {relation} w \
                   WHERE r.ts >= w.start_ts AND r.ts <= w.end_ts{by_series} LIMIT 1) l ON true",
                by_series = if *keyed {
                    " AND (w.series IS NULL OR coalesce(w.series, '') = coalesce(r.series, ''))"
                } else {
                    ""
                },
            ),
        }
    }

    /// The times of the labelled rows of the source per series key, each a timestamptz's
    /// microseconds since 2000-01-01 (as `postgres::series_rows` holds them).
    pub fn labels_by_row(&self, source: &Source) -> Result<HashMap<Option<String>, HashSet<i64>>, ErrorReport> {
        let t = quote_identifier(&source.time_column);
        let key = match &source.series_column {
            Some(k) => format!("t.{}::pg_catalog.text", quote_identifier(k)),
            None => "NULL::pg_catalog.text".into(),
        };
        let join = self.join(&source.qualified, &source.time_column, source.series_column.as_deref());
        let sql = format!(
            "SELECT r.series, ((EXTRACT(EPOCH FROM r.ts) - 946684800) * 1000000)::pg_catalog.int8 \
             FROM (SELECT {key} AS series, t.{t}::pg_catalog.timestamptz AS ts FROM {source} t WHERE t.{t} IS NOT NULL) r \
             {join} WHERE l.labelled",
            source = source.qualified,
        );
        Spi::connect(|client| {
            let mut out: HashMap<Option<String>, HashSet<i64>> = HashMap::new();
            for row in client.select(&sql, None, &[]).or_report()? {
                if let Some(micros) = row.get::<i64>(2).or_report()? {
                    out.entry(row.get::<String>(1).or_report()?).or_default().insert(micros);
                }
            }
            Ok(out)
        })
    }

    /// How the labels are named in messages.
    pub fn describe(&self) -> &'static str {
        match self {
            Truth::Injected => "active injected labels",
            Truth::Column { .. } => "labelled rows in label_column",
            Truth::Windows { .. } => "rows inside a window of label_windows",
        }
    }
}

fn column_truth(source: pg_sys::Oid, column: &str) -> Result<Truth, ErrorReport> {
    let type_name = crate::postgres::sql::read_one::<String>(
        "SELECT (SELECT pg_catalog.format_type(CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE a.atttypid END, NULL) \
         FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
         WHERE a.attrelid = $1 AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped)",
        &[source.into(), column.into()],
    )
    .or_report()?;
    let c = format!("t.{}", quote_identifier(column));
    let expression = match type_name.as_deref() {
        None => {
            return Err(error(
                Code::ERRCODE_UNDEFINED_COLUMN,
                format!("label_column: the source has no column \"{column}\""),
                "name a boolean or 0/1 column of the table that is scored",
            ));
        }
        Some("boolean") => format!("coalesce({c}, false)"),
        Some("smallint" | "integer" | "bigint" | "numeric" | "real" | "double precision") => {
            format!("coalesce({c} <> 0, false)")
        }
        Some(other) => {
            return Err(error(
                Code::ERRCODE_DATATYPE_MISMATCH,
                format!("label_column: column \"{column}\" is {other}, not a boolean or a number"),
                "a label column is boolean, or a number where nonzero (1) marks an anomaly",
            ));
        }
    };
    Ok(Truth::Column { expression })
}

fn windows_truth(windows: pg_sys::Oid) -> Result<Truth, ErrorReport> {
    let relation = crate::postgres::sql::read_one::<String>(
        "SELECT (SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) FROM pg_catalog.pg_class c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1)",
        &[windows.into()],
    )
    .or_report()?
    .ok_or_else(|| {
        error(Code::ERRCODE_UNDEFINED_TABLE, "label_windows: the table does not exist", "pass an existing table")
    })?;
    let type_of = |column: &str| {
        crate::postgres::sql::read_one::<String>(
            "SELECT (SELECT pg_catalog.format_type(a.atttypid, NULL) FROM pg_catalog.pg_attribute a \
             WHERE a.attrelid = $1 AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped)",
            &[windows.into(), column.into()],
        )
        .or_report()
    };
    for column in ["start_ts", "end_ts"] {
        let ok = matches!(
            type_of(column)?.as_deref(),
            Some("timestamp with time zone" | "timestamp without time zone" | "date")
        );
        if !ok {
            return Err(error(
                Code::ERRCODE_UNDEFINED_COLUMN,
                format!("label_windows: {relation} needs a timestamp column \"{column}\""),
                "a windows table has start_ts and end_ts (inclusive), and optionally series text, \
                 as anomdet.injection_spans",
            ));
        }
    }
    let keyed = type_of("series")?.is_some();
    Ok(Truth::Windows { relation, keyed })
}
