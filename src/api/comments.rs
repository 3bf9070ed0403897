//! A comment on every object of the extension, for pgAdmin, DBeaver and psql's `\d+`: written
//! in `catalog/comments.sql`, applied last by the install script and again by every update
//! script, so they are written in one place and a fresh install and an updated one agree.

use pgrx::prelude::*;

use crate::error::internal;

const COMMENTS: &str = include_str!("../catalog/comments.sql");

/// Internal: (re)write the comment of every anomdet object (owner only).
#[pg_extern(volatile, parallel_unsafe)]
fn _apply_comments() -> Result<(), pgrx::pg_sys::panic::ErrorReport> {
    Spi::run(COMMENTS).map_err(internal)
}

extension_sql!(
    "REVOKE ALL ON FUNCTION anomdet._apply_comments() FROM PUBLIC;\nSELECT anomdet._apply_comments();\n",
    name = "comments",
    finalize
);
