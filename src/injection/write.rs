//! Writing new values into rows that were read before, on every kind of relation, and finding
//! those rows again. A table that is one heap is written by ctid (checked against the row's
//! time and key); partitioned tables and hypertables by time and series key, because a ctid is
//! unique only within one partition or chunk and a compressed chunk has none. Writes go in
//! batches, so a cancel is never more than one batch away and no statement's arguments grow
//! with the table.

use crate::error::{Code, OrReport, error, internal};
use crate::postgres::relation::{RowIdentity, Source};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use pgrx::spi::quote_identifier;

/// Rows per statement: large enough that a statement's overhead does not count, small enough
/// that building its arguments takes a few milliseconds.
const BATCH: usize = 50_000;
/// Rows per statement when rows are found by time and key (see `groups`).
const GROUP: usize = 500;

/// The rows a write addresses: what identifies each (time, series key) and, on a single-heap
/// table, where it is believed to be.
pub struct RowRefs<'a> {
    pub tids: &'a [pg_sys::ItemPointerData],
    pub ts: &'a [i64],
    pub keys: &'a [Option<String>],
}

/// A row a write touched: its position in the input, the text it held before, the text it
/// holds now, and (single-heap tables) where the new row version lives.
pub type Written = (usize, Option<String>, Option<String>, Option<pg_sys::ItemPointerData>);

/// Set `column` of the rows to `values` (text, cast by `cast`, which reads `x.val`), keeping
/// each row's previous text. A row changed concurrently since it was read, or gone, is left out
/// of the result; callers compare counts. With `only_if_current`, rows whose text differs from
/// it are left alone too.
pub fn write(
    source: &Source,
    column: &str,
    cast: &str,
    rows: &RowRefs<'_>,
    values: &[Option<String>],
    only_if_current: Option<&[Option<String>]>,
) -> Result<Vec<Written>, ErrorReport> {
    write_rows(source, column, cast, rows, values, only_if_current, None)
}

/// [`write`] on a source written by time and key whose rows' current texts the caller has just
/// read with [`current_texts`]: they are not read again.
pub fn write_known(
    source: &Source,
    column: &str,
    cast: &str,
    rows: &RowRefs<'_>,
    values: &[Option<String>],
    only_if_current: Option<&[Option<String>]>,
    current: &[Option<Option<String>>],
) -> Result<Vec<Written>, ErrorReport> {
    write_rows(source, column, cast, rows, values, only_if_current, Some(current))
}

fn write_rows(
    source: &Source,
    column: &str,
    cast: &str,
    rows: &RowRefs<'_>,
    values: &[Option<String>],
    only_if_current: Option<&[Option<String>]>,
    known: Option<&[Option<Option<String>>]>,
) -> Result<Vec<Written>, ErrorReport> {
    let statement = Statement::new(source, column)?;
    let mut out = Vec::with_capacity(values.len());
    for group in groups(source.identity, rows.ts) {
        pgrx::check_for_interrupts!();
        let tids: Vec<pg_sys::ItemPointerData> = group.iter().filter_map(|&i| rows.tids.get(i).copied()).collect();
        let ts: Vec<i64> = group.iter().map(|&i| rows.ts[i]).collect();
        let keys: Vec<Option<String>> = group.iter().map(|&i| rows.keys[i].clone()).collect();
        let batch = RowRefs { tids: &tids, ts: &ts, keys: &keys };
        let batch_values: Vec<Option<String>> = group.iter().map(|&i| values[i].clone()).collect();
        let current: Option<Vec<Option<String>>> =
            only_if_current.map(|c| group.iter().map(|&i| c[i].clone()).collect());
        let written = match source.identity {
            RowIdentity::Tid => statement.by_tid(cast, &batch, &batch_values, current.as_deref())?,
            RowIdentity::Value => {
                let found = match known {
                    Some(k) => group.iter().map(|&i| k[i].clone()).collect(),
                    None => statement.find(&statement.text(), &ts, &keys)?,
                };
                statement.by_value(cast, &batch, &batch_values, current.as_deref(), &found)?
            }
            RowIdentity::ReadOnly => return Err(internal("a write reached a view")),
        };
        out.extend(written.into_iter().map(|(i, before, after, tid)| (group[i], before, after, tid)));
    }
    Ok(out)
}

/// The statements' rows, as lists of input positions. By tid: in input order, BATCH at a time.
/// By value: in time order, GROUP at a time, so each statement names a narrow time range that
/// the planner turns into the few partitions or chunks to probe (a probe of every chunk's index
/// per row cost 60 microseconds on 100 chunks).
fn groups(identity: RowIdentity, ts: &[i64]) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..ts.len()).collect();
    let size = if identity == RowIdentity::Value {
        order.sort_by_key(|&i| ts[i]);
        GROUP
    } else {
        BATCH
    };
    order.chunks(size).map(<[usize]>::to_vec).collect()
}

/// What every statement of one write shares: the quoted names and the time column's type.
struct Statement<'a> {
    source: &'a Source,
    column: String,
    time: String,
    time_type: String,
    /// The series key column, quoted, on a keyed source.
    key: Option<String>,
}

impl<'a> Statement<'a> {
    fn new(source: &'a Source, column: &str) -> Result<Statement<'a>, ErrorReport> {
        Ok(Statement {
            source,
            column: quote_identifier(column),
            time: quote_identifier(&source.time_column),
            time_type: crate::postgres::relation::column_type(source.relid, &source.time_column)?,
            key: source.series_column.as_deref().map(quote_identifier),
        })
    }

    /// The statement's time range, parameters `$first` and `$first + 1`: a one-shot plan takes
    /// them as constants, so only the partitions or chunks in the range are planned and probed.
    fn bounds(&self, first: usize) -> String {
        let (t, time_type) = (&self.time, &self.time_type);
        format!(
            " AND r.{t} >= ${first}::pg_catalog.timestamptz::{time_type} AND r.{t} <= ${}::pg_catalog.timestamptz::{time_type}",
            first + 1
        )
    }

    /// `AND r.key::text IS NOT DISTINCT FROM {alias}.key` on a keyed source.
    fn key_match(&self, alias: &str) -> String {
        match &self.key {
            Some(k) => format!(" AND r.{k}::pg_catalog.text IS NOT DISTINCT FROM {alias}.key"),
            None => String::new(),
        }
    }

    /// One statement that locks each row at its tid (if it still has the expected time and
    /// key, and text when guarded), keeps its previous text and writes the new value.
    fn by_tid(
        &self,
        cast: &str,
        rows: &RowRefs<'_>,
        values: &[Option<String>],
        only_if_current: Option<&[Option<String>]>,
    ) -> Result<Vec<Written>, ErrorReport> {
        let (c, t, time_type, key_match) = (&self.column, &self.time, &self.time_type, self.key_match("v"));
        let guard = if only_if_current.is_some() {
            format!(" AND r.{c}::pg_catalog.text IS NOT DISTINCT FROM v.cur")
        } else {
            String::new()
        };
        // FOR UPDATE makes the kept text the row's latest committed value, and the row ours until commit.
        let sql = format!(
            "WITH x AS ( \
               SELECT r.ctid AS tid, v.i, v.val, r.{c}::pg_catalog.text AS before \
               FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.tid[]), pg_catalog.unnest($2::pg_catalog.text[]), \
                               pg_catalog.unnest($3::pg_catalog.text[]), pg_catalog.unnest($4::pg_catalog.timestamptz[]), \
                               pg_catalog.unnest($5::pg_catalog.text[])) WITH ORDINALITY AS v(tid, val, cur, ts, key, i) \
               JOIN {rel} AS r ON r.ctid = v.tid AND r.{t} = v.ts::{time_type}{key_match}{guard} \
               FOR UPDATE OF r) \
             UPDATE {rel} AS r SET {c} = {cast} FROM x WHERE r.ctid = x.tid \
             RETURNING x.i, x.before, r.{c}::pg_catalog.text, r.ctid",
            rel = self.source.qualified
        );
        let current: Vec<Option<String>> =
            only_if_current.map(<[_]>::to_vec).unwrap_or_else(|| vec![None; rows.tids.len()]);
        let args = vec![
            rows.tids.to_vec().into(),
            values.to_vec().into(),
            current.into(),
            stamps(rows.ts)?.into(),
            rows.keys.to_vec().into(),
        ];
        with_nested_loops(|| returning(&sql, args, true))
    }

    /// Update the rows `found` (each row's current text, read by time and key just before),
    /// each only while it still holds that text: a concurrent change since the read leaves it
    /// out, and a row never changes without its old text kept.
    fn by_value(
        &self,
        cast: &str,
        rows: &RowRefs<'_>,
        values: &[Option<String>],
        only_if_current: Option<&[Option<String>]>,
        found: &[Option<Option<String>>],
    ) -> Result<Vec<Written>, ErrorReport> {
        let chosen: Vec<usize> = (0..values.len())
            .filter(|&i| match (&found[i], only_if_current) {
                (None, _) => false,
                (Some(now), Some(expected)) => *now == expected[i],
                (Some(_), None) => true,
            })
            .collect();
        if chosen.is_empty() {
            return Ok(Vec::new());
        }
        let (c, t, time_type, key_match) = (&self.column, &self.time, &self.time_type, self.key_match("x"));
        let sql = format!(
            "UPDATE {rel} AS r SET {c} = {cast} \
             FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.int8[]), pg_catalog.unnest($2::pg_catalog.text[]), \
                             pg_catalog.unnest($3::pg_catalog.text[]), pg_catalog.unnest($4::pg_catalog.timestamptz[]), \
                             pg_catalog.unnest($5::pg_catalog.text[])) AS x(i, val, cur, ts, key) \
             WHERE r.{t} = x.ts::{time_type}{key_match} AND r.{c}::pg_catalog.text IS NOT DISTINCT FROM x.cur{bounds} \
             RETURNING x.i, x.cur, r.{c}::pg_catalog.text, NULL::pg_catalog.tid",
            bounds = self.bounds(6),
            rel = self.source.qualified
        );
        let pick = |v: &[Option<String>]| -> Vec<Option<String>> { chosen.iter().map(|&i| v[i].clone()).collect() };
        let before: Vec<Option<String>> = chosen.iter().map(|&i| found[i].clone().flatten()).collect();
        let ts: Vec<i64> = chosen.iter().map(|&i| rows.ts[i]).collect();
        let (first, last) = span(&ts)?;
        let args = vec![
            chosen.iter().map(|&i| i as i64).collect::<Vec<i64>>().into(),
            pick(values).into(),
            before.into(),
            stamps(&ts)?.into(),
            pick(rows.keys).into(),
            first.into(),
            last.into(),
        ];
        let written = returning(&sql, args, false)?;
        // Each input row names one table row; a second row with the same time and key (inserted
        // since the read) would be written twice.
        let mut seen = vec![false; values.len()];
        for (i, ..) in &written {
            if std::mem::replace(&mut seen[*i], true) {
                return Err(duplicate_rows(self.source));
            }
        }
        Ok(written)
    }

    /// `r.column::text`: the cell as text, which restores exactly.
    fn text(&self) -> String {
        format!("r.{}::pg_catalog.text", self.column)
    }

    /// For each (time, key), `what` (an expression over the row `r`) of the row that has them:
    /// None when no row has them, Some(None) for a NULL. One statement over the rows' time range.
    fn find<T: FromDatum + IntoDatum>(
        &self,
        what: &str,
        ts: &[i64],
        keys: &[Option<String>],
    ) -> Result<Vec<Option<Option<T>>>, ErrorReport> {
        let (t, time_type, key_match) = (&self.time, &self.time_type, self.key_match("v"));
        let sql = format!(
            "SELECT v.i, {what} \
             FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.timestamptz[]), pg_catalog.unnest($2::pg_catalog.text[])) \
               WITH ORDINALITY AS v(ts, key, i) \
             JOIN {rel} AS r ON r.{t} = v.ts::{time_type}{key_match}{bounds}",
            rel = self.source.qualified,
            bounds = self.bounds(3)
        );
        let mut out: Vec<Option<Option<T>>> = (0..ts.len()).map(|_| None).collect();
        if ts.is_empty() {
            return Ok(out);
        }
        let (first, last) = span(ts)?;
        Spi::connect(|client| {
            let args = [stamps(ts)?.into(), keys.to_vec().into(), first.into(), last.into()];
            let rows = client.select(&sql, None, &args).map_err(internal)?;
            for (n, row) in rows.enumerate() {
                if n % anomdet_core::interrupt::EVERY == 0 {
                    pgrx::check_for_interrupts!();
                }
                let i = row.get::<i64>(1).or_report()?.unwrap_or_default() as usize;
                let Some(slot) = i.checked_sub(1).and_then(|i| out.get_mut(i)) else { continue };
                if slot.replace(row.get::<T>(2).or_report()?).is_some() {
                    return Err(duplicate_rows(self.source));
                }
            }
            Ok(out)
        })
    }
}

/// Each row's current text in `column`, found by time and series key: None where no row has
/// that time and key any more.
pub fn current_texts(
    source: &Source,
    column: &str,
    ts: &[i64],
    keys: &[Option<String>],
) -> Result<Vec<Option<Option<String>>>, ErrorReport> {
    let statement = Statement::new(source, column)?;
    find_grouped(&statement, &statement.text(), ts, keys)
}

/// Find rows by (time, series key) on a single-heap table: their tids, in input order (None if
/// gone). For rows that moved since their tid was recorded.
pub fn locate(
    source: &Source,
    keys: &[Option<String>],
    ts: &[i64],
) -> Result<Vec<Option<pg_sys::ItemPointerData>>, ErrorReport> {
    let statement = Statement::new(source, &source.time_column)?;
    Ok(find_grouped::<pg_sys::ItemPointerData>(&statement, "r.ctid", ts, keys)?
        .into_iter()
        .map(Option::flatten)
        .collect())
}

/// [`Statement::find`] over any number of rows, a time-ordered group per statement.
fn find_grouped<T: FromDatum + IntoDatum + Clone>(
    statement: &Statement<'_>,
    what: &str,
    ts: &[i64],
    keys: &[Option<String>],
) -> Result<Vec<Option<Option<T>>>, ErrorReport> {
    let mut out: Vec<Option<Option<T>>> = (0..ts.len()).map(|_| None).collect();
    for group in groups(RowIdentity::Value, ts) {
        pgrx::check_for_interrupts!();
        let group_ts: Vec<i64> = group.iter().map(|&i| ts[i]).collect();
        let group_keys: Vec<Option<String>> = group.iter().map(|&i| keys[i].clone()).collect();
        for (k, found) in statement.find::<T>(what, &group_ts, &group_keys)?.into_iter().enumerate() {
            out[group[k]] = found;
        }
    }
    Ok(out)
}

/// Run an UPDATE ... RETURNING (position, before, after, tid); positions are 1-based when
/// `ordinal` (WITH ORDINALITY), else 0-based.
fn returning(sql: &str, args: Vec<pgrx::datum::DatumWithOid<'_>>, ordinal: bool) -> Result<Vec<Written>, ErrorReport> {
    crate::postgres::sql::write_with(|client| {
        let result = client.update(sql, None, &args).map_err(internal)?;
        let mut out = Vec::with_capacity(result.len());
        for (n, row) in result.enumerate() {
            if n % anomdet_core::interrupt::EVERY == 0 {
                pgrx::check_for_interrupts!();
            }
            let i = row.get::<i64>(1).or_report()?.unwrap_or_default() as usize;
            out.push((
                if ordinal { i.saturating_sub(1) } else { i },
                row.get::<String>(2).or_report()?,
                row.get::<String>(3).or_report()?,
                row.get::<pg_sys::ItemPointerData>(4).or_report()?,
            ));
        }
        Ok(out)
    })
}

/// The earliest and latest of `ts` (not empty), as timestamps.
fn span(ts: &[i64]) -> Result<(TimestampWithTimeZone, TimestampWithTimeZone), ErrorReport> {
    let first = ts.iter().min().copied().unwrap_or_default();
    let last = ts.iter().max().copied().unwrap_or_default();
    let at = |x: i64| TimestampWithTimeZone::try_from(x).map_err(internal);
    Ok((at(first)?, at(last)?))
}

fn stamps(ts: &[i64]) -> Result<Vec<TimestampWithTimeZone>, ErrorReport> {
    ts.iter().map(|&x| TimestampWithTimeZone::try_from(x).map_err(internal)).collect()
}

fn duplicate_rows(source: &Source) -> ErrorReport {
    error(
        Code::ERRCODE_CARDINALITY_VIOLATION,
        format!(
            "{} has more than one row at a time (and series) this write addresses; nothing was written",
            source.qualified
        ),
        "rows were added since they were read: retry the call",
    )
}

/// Run `body` with hash and merge joins disabled for this transaction, then put the caller's
/// settings back. Reaching 10,000 rows by tid is a nested loop of tid lookups; left to its cost
/// model the planner sometimes hashes the whole table instead, several times slower.
fn with_nested_loops<T>(body: impl FnOnce() -> Result<T, ErrorReport>) -> Result<T, ErrorReport> {
    let saved = crate::postgres::sql::read_two::<String, String>(
        "SELECT pg_catalog.current_setting('enable_hashjoin'), pg_catalog.current_setting('enable_mergejoin')",
        &[],
    )
    .or_report()?;
    crate::postgres::sql::read_run("SELECT pg_catalog.set_config('enable_hashjoin', 'off', true), pg_catalog.set_config('enable_mergejoin', 'off', true)", &[])
        .or_report()?;
    let result = body();
    // On error the transaction aborts and the settings revert with it.
    if let (Some(hash), Some(merge)) = saved {
        crate::postgres::sql::read_run(
            "SELECT pg_catalog.set_config('enable_hashjoin', $1, true), pg_catalog.set_config('enable_mergejoin', $2, true)",
            &[hash.into(), merge.into()],
        )
        .or_report()?;
    }
    result
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
