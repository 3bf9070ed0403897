//! The PostgreSQL plumbing, and nothing of anomdet's own logic: SPI calls, scans, relations and
//! their columns, new tables, subtransactions, the pinned search_path, argument types that
//! unpack safely, and DateStyle-free time text. Everything above goes through here.

pub mod backend_progress;
pub mod citus;
pub mod extension_owner;
pub mod job_portal;
pub mod json_arg;
pub mod materialized;
pub mod pg_version;
pub mod rel_arg;
pub mod relation;
pub mod row_estimate;
pub mod scan;
pub mod search_path;
pub mod series_rows;
pub mod series_select;
pub mod sql;
pub mod streamed_scan;
pub mod subxact;
pub mod tables;
pub mod time_range;
pub mod timestamps;
