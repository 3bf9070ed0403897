//! The ground-truth ledger: recording injections (spans and cells) and reverting them exactly.
//!
//! Overlapping injections: every cell keeps the value it replaced. Reverting an injection
//! restores a cell only when no later active injection covers it; otherwise its original
//! is handed to the next later injection on that cell, which will restore it in turn. So
//! the originals come back whatever order injections are reverted in.

use super::write;
use crate::error::{Code, OrReport, error, internal};
use crate::postgres::relation::{RowIdentity, Source};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// Everything one inject() call wrote, for the catalog.
pub struct Record<'a> {
    pub source: &'a Source,
    pub columns: &'a [String],
    pub method: &'a str,
    pub params: serde_json::Value,
    pub placement: serde_json::Value,
    pub seed: i64,
    pub copied_from: Option<&'a str>,
}

/// One injected column's cells, in the order of the rows they belong to: the text each held
/// before and holds after, and (single-heap tables) the row version the injection left.
pub struct ColumnCells<'a> {
    pub column: &'a str,
    pub originals: Vec<Option<String>>,
    pub injected: Vec<Option<String>>,
    pub tids: Vec<Option<pg_sys::ItemPointerData>>,
}

/// The changed rows of one injection: (series key, first row time, last row time, rows) of each
/// span, and the key and time of each changed row.
pub struct Rows<'a> {
    pub spans: &'a [(Option<String>, i64, i64, i32)],
    pub keys: &'a [Option<String>],
    pub ts: &'a [i64],
}

/// Record one injection whole, as every path that injects does: its row, its spans, each
/// column's cells, and the count of cells changed. Returns the injection id.
pub fn record(r: &Record<'_>, rows: &Rows<'_>, columns: Vec<ColumnCells<'_>>) -> Result<i64, ErrorReport> {
    let id = open(r)?;
    add_spans(id, rows.spans)?;
    let mut changed = 0i64;
    for cells in columns {
        changed += cells.injected.len() as i64;
        add_cells(id, r.source.relid, cells.column, rows.keys, rows.ts, cells)?;
    }
    close(id, changed)?;
    Ok(id)
}

/// Insert the injection row and return its id (cells and spans follow).
fn open(r: &Record<'_>) -> Result<i64, ErrorReport> {
    crate::postgres::sql::write_one::<i64>(
        "INSERT INTO anomdet.injections (relid, relation, time_column, series_column, columns, method, params, placement, seed, copied_from) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        &[
            r.source.relid.into(),
            r.source.qualified.as_str().into(),
            r.source.time_column.as_str().into(),
            r.source.series_column.as_deref().into(),
            r.columns.to_vec().into(),
            r.method.into(),
            pgrx::JsonB(r.params.clone()).into(),
            pgrx::JsonB(r.placement.clone()).into(),
            r.seed.into(),
            r.copied_from.into(),
        ],
    )
    .or_report()?
    .ok_or_else(|| internal("INSERT INTO anomdet.injections returned no id"))
}

/// Record the labelled windows: (series key, first row time, last row time, rows) each.
fn add_spans(id: i64, spans: &[(Option<String>, i64, i64, i32)]) -> Result<(), ErrorReport> {
    let series: Vec<Option<String>> = spans.iter().map(|s| s.0.clone()).collect();
    let starts: Vec<TimestampWithTimeZone> = spans.iter().map(|s| to_ts(s.1)).collect::<Result<_, _>>()?;
    let ends: Vec<TimestampWithTimeZone> = spans.iter().map(|s| to_ts(s.2)).collect::<Result<_, _>>()?;
    let rows: Vec<i32> = spans.iter().map(|s| s.3).collect();
    crate::postgres::sql::write(
        "INSERT INTO anomdet.injection_spans (injection_id, series, start_ts, end_ts, rows) \
         SELECT $1, v.* FROM ROWS FROM (pg_catalog.unnest($2::pg_catalog.text[]), \
           pg_catalog.unnest($3::pg_catalog.timestamptz[]), pg_catalog.unnest($4::pg_catalog.timestamptz[]), \
           pg_catalog.unnest($5::pg_catalog.int4[])) AS v",
        &[id.into(), series.into(), starts.into(), ends.into(), rows.into()],
    )
    .or_report()
}

/// Record the cells of one column. In batches, so a cancel gets in.
fn add_cells(
    id: i64,
    relid: pg_sys::Oid,
    column: &str,
    keys: &[Option<String>],
    ts: &[i64],
    cells: ColumnCells<'_>,
) -> Result<(), ErrorReport> {
    const BATCH: usize = 50_000;
    for from in (0..ts.len()).step_by(BATCH) {
        pgrx::check_for_interrupts!();
        let to = (from + BATCH).min(ts.len());
        let stamps: Vec<TimestampWithTimeZone> = ts[from..to].iter().map(|&t| to_ts(t)).collect::<Result<_, _>>()?;
        crate::postgres::sql::write(
            "INSERT INTO anomdet.injection_cells (injection_id, relid, column_name, series, ts, original, injected, tid) \
             SELECT $1, $2, $3, v.* FROM ROWS FROM (pg_catalog.unnest($4::pg_catalog.text[]), pg_catalog.unnest($5::pg_catalog.timestamptz[]), \
               pg_catalog.unnest($6::pg_catalog.text[]), pg_catalog.unnest($7::pg_catalog.text[]), pg_catalog.unnest($8::pg_catalog.tid[])) AS v",
            &[
                id.into(),
                relid.into(),
                column.into(),
                keys[from..to].to_vec().into(),
                stamps.into(),
                cells.originals[from..to].to_vec().into(),
                cells.injected[from..to].to_vec().into(),
                cells.tids[from..to].to_vec().into(),
            ],
        )
        .or_report()?;
    }
    Ok(())
}

fn close(id: i64, rows_changed: i64) -> Result<(), ErrorReport> {
    crate::postgres::sql::write(
        "UPDATE anomdet.injections SET rows_changed = $2 WHERE id = $1",
        &[id.into(), rows_changed.into()],
    )
    .or_report()
}

fn to_ts(t: i64) -> Result<TimestampWithTimeZone, ErrorReport> {
    TimestampWithTimeZone::try_from(t).map_err(internal)
}

/// One cell this injection must put back into the table.
#[derive(Clone)]
struct Restore {
    key: Option<String>,
    ts: i64,
    original: Option<String>,
    injected: Option<String>,
    tid: Option<pg_sys::ItemPointerData>,
}

/// Undo injection `id`. Returns the number of table cells restored.
pub fn revert(id: i64, force: bool) -> Result<i64, ErrorReport> {
    let row = crate::postgres::sql::read_two::<String, String>(
        "SELECT status, relation FROM anomdet.injections WHERE id = $1",
        &[id.into()],
    );
    let status = match row {
        Ok((Some(status), _)) => status,
        _ => {
            return Err(error(
                Code::ERRCODE_UNDEFINED_OBJECT,
                format!("injection_id: injection {id} does not exist or is not yours"),
                "SELECT id, relation, method, status FROM anomdet.injections lists your injections",
            ));
        }
    };
    if status == "reverted" {
        return Ok(0); // idempotent: reverting twice changes nothing
    }
    let (relid, time_column, series_column) = Spi::connect(|c| {
        let t = c
            .select(
                "SELECT relid::pg_catalog.oid, time_column, series_column FROM anomdet.injections WHERE id = $1",
                Some(1),
                &[id.into()],
            )
            .map_err(internal)?
            .first();
        Ok::<_, ErrorReport>((
            t.get::<pg_sys::Oid>(1).or_report()?.unwrap_or(pg_sys::InvalidOid),
            t.get::<String>(2).or_report()?.unwrap_or_default(),
            t.get::<String>(3).or_report()?,
        ))
    })?;
    let exists = crate::postgres::sql::read_one::<bool>(
        "SELECT pg_catalog.to_regclass($1::pg_catalog.oid::pg_catalog.regclass::pg_catalog.text) IS NOT NULL",
        &[relid.into()],
    );
    if !matches!(exists, Ok(Some(true))) {
        return Err(error(
            Code::ERRCODE_UNDEFINED_TABLE,
            format!("injection {id}: its table no longer exists"),
            "nothing to revert; the ledger rows stay for the record",
        ));
    }

    // Hand originals over to the next later active injection on the same cell (only when this
    // table has a later active injection at all; usually it has none).
    let later = crate::postgres::sql::read_one::<bool>(
        "SELECT EXISTS (SELECT 1 FROM anomdet.injections WHERE relid = $1 AND status = 'active' AND id > $2)",
        &[relid.into(), id.into()],
    )
    .or_report()?
    .unwrap_or(true);
    if later {
        hand_over(id)?;
    }

    let columns = crate::postgres::sql::read_one::<Vec<String>>(
        "SELECT columns FROM anomdet.injections WHERE id = $1",
        &[id.into()],
    )
    .or_report()?
    .unwrap_or_default();
    let first = columns.first().cloned().unwrap_or_default();
    let source = Source::resolve(relid, &first, Some(&time_column), series_column.as_deref())?;
    let mut restored = 0i64;
    for column in &columns {
        crate::postgres::relation::check_can_update(&source, column)?;
        let cells = cells_to_restore(id, column)?;
        let cast = restore_cast(&crate::postgres::relation::column_type(source.relid, column)?);
        let outcome = match source.identity {
            RowIdentity::Value => restore_by_value(&source, column, &cast, &cells, force)?,
            _ => restore_by_tid(&source, column, &cast, &cells, force)?,
        };
        if !force && outcome.changed_since > 0 {
            return Err(error(
                Code::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                format!(
                    "injection {id}: {} of {} cells of column \"{column}\" were changed after the injection",
                    outcome.changed_since,
                    cells.len()
                ),
                "nothing was reverted; pass force => true to overwrite those later changes with the originals",
            ));
        }
        if !outcome.gone.is_empty() {
            warn_gone(id, column, &outcome.gone);
        }
        restored += outcome.restored as i64;
    }
    crate::postgres::sql::write(
        "UPDATE anomdet.injections SET status = 'reverted', reverted_at = pg_catalog.clock_timestamp() WHERE id = $1",
        &[id.into()],
    )
    .or_report()?;
    Ok(restored)
}

/// Give each cell's original to the next later active injection on the same cell.
fn hand_over(id: i64) -> Result<(), ErrorReport> {
    crate::postgres::sql::write(
        "WITH mine AS (SELECT * FROM anomdet.injection_cells WHERE injection_id = $1), \
         next AS (SELECT DISTINCT ON (m.column_name, m.series, m.ts) m.column_name, m.series, m.ts, m.original, c.injection_id AS next_id \
                  FROM mine m JOIN anomdet.injection_cells c ON c.relid = m.relid AND c.column_name = m.column_name \
                    AND c.ts = m.ts AND c.series IS NOT DISTINCT FROM m.series AND c.injection_id > m.injection_id \
                  JOIN anomdet.injections i ON i.id = c.injection_id AND i.status = 'active' \
                  ORDER BY m.column_name, m.series, m.ts, c.injection_id) \
         UPDATE anomdet.injection_cells c SET original = n.original FROM next n \
         WHERE c.injection_id = n.next_id AND c.column_name = n.column_name AND c.ts = n.ts AND c.series IS NOT DISTINCT FROM n.series",
        &[id.into()],
    )
    .or_report()
}

/// What putting one column's cells back came to.
struct Outcome {
    restored: usize,
    /// Rows still there that hold neither the injected text nor (after a write) the original.
    changed_since: usize,
    /// Cells whose row no longer exists (deleted, or its chunk dropped): nothing to write to.
    gone: Vec<Restore>,
}

/// Single-heap tables: first at the row versions the injection left (usually still there),
/// then, for cells whose row has moved since, found again by time.
fn restore_by_tid(
    source: &Source,
    column: &str,
    cast: &str,
    cells: &[Restore],
    force: bool,
) -> Result<Outcome, ErrorReport> {
    let first = restore_at(source, column, cast, cells, force)?;
    let moved: Vec<&Restore> = cells.iter().enumerate().filter(|(i, _)| !first.contains(i)).map(|(_, c)| c).collect();
    let mut outcome = Outcome { restored: first.len(), changed_since: 0, gone: Vec::new() };
    if moved.is_empty() {
        return Ok(outcome);
    }
    let keys: Vec<Option<String>> = moved.iter().map(|c| c.key.clone()).collect();
    let ts: Vec<i64> = moved.iter().map(|c| c.ts).collect();
    let found = write::locate(source, &keys, &ts)?;
    let mut relocated = Vec::new();
    for (cell, tid) in moved.into_iter().zip(found) {
        match tid {
            Some(tid) => relocated.push(Restore { tid: Some(tid), ..cell.clone() }),
            None => outcome.gone.push(cell.clone()),
        }
    }
    let again = restore_at(source, column, cast, &relocated, force)?.len();
    outcome.restored += again;
    // Rows still there but holding something else: changed since the injection.
    outcome.changed_since = relocated.len() - again;
    Ok(outcome)
}

/// Partitioned tables and hypertables: every cell found by time and series key, wherever its
/// row lives now (another partition, a compressed or recompressed chunk).
fn restore_by_value(
    source: &Source,
    column: &str,
    cast: &str,
    cells: &[Restore],
    force: bool,
) -> Result<Outcome, ErrorReport> {
    let ts: Vec<i64> = cells.iter().map(|c| c.ts).collect();
    let keys: Vec<Option<String>> = cells.iter().map(|c| c.key.clone()).collect();
    let back: Vec<Option<String>> = cells.iter().map(|c| c.original.clone()).collect();
    let expected: Vec<Option<String>> = cells.iter().map(|c| c.injected.clone()).collect();
    let now = write::current_texts(source, column, &ts, &keys)?;
    let gone: Vec<Restore> = cells.iter().zip(&now).filter(|(_, n)| n.is_none()).map(|(c, _)| c.clone()).collect();
    let changed_since = now.iter().zip(&expected).filter(|(n, e)| n.as_ref().is_some_and(|n| n != *e)).count();
    if !force && changed_since > 0 {
        return Ok(Outcome { restored: 0, changed_since, gone });
    }
    let refs = write::RowRefs { tids: &[], ts: &ts, keys: &keys };
    let guard = (!force).then_some(expected.as_slice());
    let written = write::write_known(source, column, cast, &refs, &back, guard, &now)?;
    Ok(Outcome { restored: written.len(), changed_since: if force { 0 } else { changed_since }, gone })
}

/// Say which cells could not be restored because their rows are gone: a count, the first few
/// times, and where the full list stays.
fn warn_gone(id: i64, column: &str, gone: &[Restore]) {
    let first: Vec<String> = gone
        .iter()
        .take(5)
        .map(|c| {
            let at = crate::postgres::timestamps::format_ts(c.ts);
            c.key.as_ref().map_or(at.clone(), |k| format!("{at} (series {k})"))
        })
        .collect();
    ereport!(
        PgLogLevel::WARNING,
        PgSqlErrorCode::ERRCODE_WARNING,
        format!(
            "injection {id}: {} cells of column \"{column}\" could not be restored: their rows no longer exist",
            gone.len()
        ),
        format!(
            "first at {}{}; the rest of the column was restored. Their originals stay in anomdet.injection_cells \
             (injection_id = {id}): a dropped chunk or deleted row has nothing to restore into.",
            first.join(", "),
            if gone.len() > first.len() { ", ..." } else { "" }
        )
    );
}

/// Write the originals of `cells` back at their tids; returns the positions (in `cells`) that
/// were restored. Without `force`, only rows still holding the injected text are touched.
fn restore_at(
    source: &Source,
    column: &str,
    cast: &str,
    cells: &[Restore],
    force: bool,
) -> Result<std::collections::HashSet<usize>, ErrorReport> {
    let usable: Vec<usize> = (0..cells.len()).filter(|&i| cells[i].tid.is_some()).collect();
    if usable.is_empty() {
        return Ok(Default::default());
    }
    let tids: Vec<pg_sys::ItemPointerData> = usable.iter().filter_map(|&i| cells[i].tid).collect();
    let ts: Vec<i64> = usable.iter().map(|&i| cells[i].ts).collect();
    let keys: Vec<Option<String>> = usable.iter().map(|&i| cells[i].key.clone()).collect();
    let back: Vec<Option<String>> = usable.iter().map(|&i| cells[i].original.clone()).collect();
    let expected: Vec<Option<String>> = usable.iter().map(|&i| cells[i].injected.clone()).collect();
    let refs = write::RowRefs { tids: &tids, ts: &ts, keys: &keys };
    let written = write::write(source, column, cast, &refs, &back, (!force).then_some(expected.as_slice()))?;
    Ok(written.iter().map(|(pos, ..)| usable[*pos]).collect())
}

/// Originals go back as they were read: text cast straight to the column's type.
fn restore_cast(sql_type: &str) -> String {
    format!("x.val::{sql_type}")
}

/// Cells of `id` in `column` that no later active injection covers.
fn cells_to_restore(id: i64, column: &str) -> Result<Vec<Restore>, ErrorReport> {
    Spi::connect(|client| {
        let rows = client
            .select(
                "SELECT m.series, m.ts, m.original, m.injected, m.tid FROM anomdet.injection_cells m \
                 WHERE m.injection_id = $1 AND m.column_name = $2 AND NOT EXISTS ( \
                   SELECT 1 FROM anomdet.injection_cells c JOIN anomdet.injections i ON i.id = c.injection_id AND i.status = 'active' \
                   WHERE c.relid = m.relid AND c.column_name = m.column_name AND c.ts = m.ts \
                     AND c.series IS NOT DISTINCT FROM m.series AND c.injection_id > m.injection_id)",
                None,
                &[id.into(), column.into()],
            )
            .map_err(internal)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(Restore {
                key: row.get(1).or_report()?,
                ts: row.get::<TimestampWithTimeZone>(2).or_report()?.map(|t| t.into_inner()).unwrap_or_default(),
                original: row.get(3).or_report()?,
                injected: row.get(4).or_report()?,
                tid: row.get(5).or_report()?,
            });
        }
        Ok(out)
    })
}
