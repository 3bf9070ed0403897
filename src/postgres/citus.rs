//! What anomdet needs to know of Citus, when it is installed: whether a table is one of its
//! distributed (or reference) tables, whose rows live in shards on the workers. On the
//! coordinator such a table is a shell: a ctid names a row only within one shard, so writes
//! find rows by time and series key, as on partitioned tables.

use crate::error::OrReport;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// Whether `relid` is a Citus table (distributed, reference or Citus-managed local); false
/// where Citus is not installed.
pub fn is_citus_table(relid: pg_sys::Oid) -> Result<bool, ErrorReport> {
    let installed = crate::postgres::sql::read_one::<bool>(
        "SELECT pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL",
        &[],
    )
    .or_report()?;
    if installed != Some(true) {
        return Ok(false);
    }
    // Only reached where the catalog exists, so the name resolves.
    let listed = crate::postgres::sql::read_one::<bool>(
        "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition WHERE logicalrelid OPERATOR(pg_catalog.=) $1)",
        &[relid.into()],
    )
    .or_report()?;
    Ok(listed == Some(true))
}

/// The column a Citus table is hash-distributed by; None for a reference or local Citus table,
/// and where Citus is not installed.
pub fn distribution_column(relid: pg_sys::Oid) -> Result<Option<String>, ErrorReport> {
    if !is_citus_table(relid)? {
        return Ok(None);
    }
    crate::postgres::sql::read_one::<String>(
        "SELECT pg_catalog.column_to_column_name(logicalrelid, partkey) FROM pg_catalog.pg_dist_partition \
         WHERE logicalrelid OPERATOR(pg_catalog.=) $1 AND partmethod OPERATOR(pg_catalog.=) 'h'",
        &[relid.into()],
    )
    .or_report()
}
