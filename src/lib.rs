//! anomdet: anomaly detection inside PostgreSQL and TimescaleDB.
//!
//! Floors, each importing only the ones below it (docs/architecture.md draws them):
//! `api` (every `#[pg_extern]`, thin) → `scoring`, `injection`, `stream` (what anomdet does)
//! → `postgres` (SPI, scans, relations, new tables, time text) → `anomdet_core` (the math).
//! `catalog/schema.sql` holds the catalog DDL; `catalog/comments.sql` every object's comment.

// pgrx's ErrorReport is large, but it only travels on the error path, once per call.
#![allow(clippy::result_large_err)]
// A panic reaches the user as XX000: the SQL-facing layer returns errors instead.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

#[cfg(not(panic = "unwind"))]
compile_error!("anomdet must be built with panic = \"unwind\" so errors become clean PostgreSQL errors");

use pgrx::prelude::*;

mod api;
mod benchmark;
mod chosen_detector;
mod custom_detector;
mod error;
mod evaluation;
mod generated;
pub mod injection;
mod jobs;
mod models;
mod multivariate;
mod pipeline;
mod postgres;
mod progress;
mod registration;
mod reports;
mod schedule;
mod score_request;
mod settings;
mod stream;
mod worker_request;

::pgrx::pg_module_magic!(name, version);

extension_sql_file!("catalog/schema.sql", name = "catalog", bootstrap);

/// Let long loops in the core reach PostgreSQL's interrupt handling (cancel, statement_timeout).
#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    anomdet_core::interrupt::set_hook(check_interrupts);
    settings::define();
    postgres::streamed_scan::install();
}

fn check_interrupts() {
    pgrx::check_for_interrupts!();
}
