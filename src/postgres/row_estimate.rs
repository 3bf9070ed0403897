//! How many rows a table holds, as the planner last counted them (ANALYZE, VACUUM, autovacuum):
//! the total a progress report of a whole-table scan can give without scanning twice.

use crate::postgres::relation::Source;
use anomdet_core::progress::Total;

/// The rows of the source's leaf tables (itself, or its partitions or hypertable chunks), when
/// every leaf has been counted and the whole source is read; otherwise not known.
pub fn rows_of(source: &Source) -> Total {
    if !source.range.is_whole() {
        return Total::Unknown;
    }
    let estimate = crate::postgres::sql::read_two::<f64, i64>(
        "WITH RECURSIVE tree(oid) AS (
             SELECT $1::pg_catalog.oid
             UNION ALL
             SELECT i.inhrelid FROM pg_catalog.pg_inherits i JOIN tree t ON i.inhparent OPERATOR(pg_catalog.=) t.oid)
         SELECT coalesce(sum(c.reltuples::pg_catalog.float8), 0),
                count(*) FILTER (WHERE c.reltuples OPERATOR(pg_catalog.<) 0)
         FROM tree t JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) t.oid
         WHERE c.relkind IN ('r', 'm')
           AND NOT EXISTS (SELECT FROM pg_catalog.pg_inherits i WHERE i.inhparent OPERATOR(pg_catalog.=) t.oid)",
        &[source.relid.into()],
    );
    match estimate {
        Ok((Some(rows), Some(0))) if rows > 0.0 => Total::About(rows.round() as u64),
        _ => Total::Unknown,
    }
}
