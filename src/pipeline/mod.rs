//! The one path every scored row takes: **read** (a source's rows in time order, per series)
//! → **score** (a [`scorer::SeriesScorer`] over a built-in or registered detector, with the
//! memory guard and cancellation) → **sink** (rows handed back to SQL, or written to
//! `anomdet.results` by [`results::write`]).
//!
//! `plan` drives the read for `detect` and `run_batch`: streamed from the executor, or through
//! a cursor when the sink or the detector runs SQL; `pushdown` runs it on the Citus workers
//! instead when the source is distributed by its series column. Streams, scheduled runs and
//! benchmarks read whole series with `postgres::series_rows` and score them with the same scorer.

pub mod ahead;
pub mod batch_ahead;
pub mod events;
pub mod on_demand;
pub mod plan;
pub mod pushdown;
pub mod results;
pub mod scorer;
