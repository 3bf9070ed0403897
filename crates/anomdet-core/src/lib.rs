//! anomdet-core: the math of anomdet, with no PostgreSQL in sight.
//!
//! The extension crate reads rows, hands plain `f64` slices to a [`detect::Detector`]
//! and writes the [`detect::Scored`] values back. Everything here is testable with
//! `cargo test -p anomdet-core` in seconds.

#![cfg_attr(test, allow(clippy::single_range_in_vec_init))]

pub mod calibrated;
pub mod calibration;
pub mod comparable;
pub mod cost;
pub mod detect;
pub mod detector;
pub mod evaluate;
pub mod evt;
pub mod familiarity;
pub mod helper;
pub mod inject;
pub mod interrupt;
pub mod left_profile;
pub mod log_sums;
pub mod lstm;
pub mod matrix_profile;
pub mod multivariate;
pub mod parallel;
pub mod params;
pub mod parts;
pub mod progress;
pub mod replay;
pub mod report;
pub mod resolution;
pub mod scored;
pub mod scored_wire;
pub mod seasonal;
pub mod series;
pub mod state;
pub mod stl;
pub mod subsequence;
pub mod synth;
pub mod tabular;
pub mod window;

pub use detect::{Detector, DetectorInfo, MEMORY_LIMIT, Mode, Scored, find_detector, registry, score_series};
pub use params::{ParamError, ParamKind, ParamSpec, Params};
