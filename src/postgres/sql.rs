//! How our SQL reaches SPI, split by whether it writes.
//!
//! pgrx's `Spi::get_one*`, `Spi::run*` and `Spi::connect_mut` first mark the transaction as
//! writing, which assigns it a transaction id. For a read that burns an XID (and a commit
//! record) per call, and on a hot standby it fails with XX000 ("cannot assign TransactionIds
//! during recovery"). So reads go through `read_*` (read-only SPI, no XID), and writes through
//! `write*`, which refuse up front with 25006 in a read-only transaction (a standby, or
//! `BEGIN READ ONLY`).

use pgrx::datum::DatumWithOid;
use pgrx::prelude::*;
use pgrx::spi::{self, SpiClient};

pub fn read_one<A: FromDatum + IntoDatum>(query: &str, args: &[DatumWithOid]) -> spi::Result<Option<A>> {
    Spi::connect(|client| client.select(query, Some(1), args)?.first().get_one())
}

pub fn read_two<A: FromDatum + IntoDatum, B: FromDatum + IntoDatum>(
    query: &str,
    args: &[DatumWithOid],
) -> spi::Result<(Option<A>, Option<B>)> {
    Spi::connect(|client| client.select(query, Some(1), args)?.first().get_two())
}

pub fn read_three<A: FromDatum + IntoDatum, B: FromDatum + IntoDatum, C: FromDatum + IntoDatum>(
    query: &str,
    args: &[DatumWithOid],
) -> spi::Result<(Option<A>, Option<B>, Option<C>)> {
    Spi::connect(|client| client.select(query, Some(1), args)?.first().get_three())
}

/// Run a statement that writes.
pub fn write(query: &str, args: &[DatumWithOid]) -> spi::Result<()> {
    ensure_writable();
    Spi::run_with_args(query, args)
}

/// Run a statement that writes and returns one value (`... RETURNING x`).
pub fn write_one<A: FromDatum + IntoDatum>(query: &str, args: &[DatumWithOid]) -> spi::Result<Option<A>> {
    ensure_writable();
    Spi::get_one_with_args(query, args)
}

pub fn write_two<A: FromDatum + IntoDatum, B: FromDatum + IntoDatum>(
    query: &str,
    args: &[DatumWithOid],
) -> spi::Result<(Option<A>, Option<B>)> {
    ensure_writable();
    Spi::get_two_with_args(query, args)
}

/// A client for several writing statements.
pub fn write_with<R>(body: impl FnOnce(&mut SpiClient<'_>) -> R) -> R {
    ensure_writable();
    Spi::connect_mut(body)
}

/// 25006 before anything runs, rather than XX000 from the XID assignment on a standby.
pub fn ensure_writable() {
    // SAFETY: reads a backend-global flag PostgreSQL maintains for the current transaction.
    if unsafe { pg_sys::XactReadOnly } {
        crate::error::error(
            PgSqlErrorCode::ERRCODE_READ_ONLY_SQL_TRANSACTION,
            "anomdet cannot write in a read-only transaction: this call records or changes data",
            "on a hot standby run it on the primary; elsewhere, outside BEGIN READ ONLY \
             (detect, decompose, evaluate, job_results and report only read)",
        )
        .report(PgLogLevel::ERROR);
    }
}

/// Run a query for its effect on the session only (`set_config`, a check that raises).
pub fn read_run(query: &str, args: &[DatumWithOid]) -> spi::Result<()> {
    Spi::connect(|client| client.select(query, None, args).map(|_| ()))
}
