//! Pieces several detectors are built from. Each is named for what it is; the detectors in
//! `detect/` (one file per detector, named as the detector) import them, never each other.

pub mod esd;
pub mod fences;
pub mod fitted_season;
pub mod fitted_windows;
pub mod knn_windows;
pub mod recent_flag;
pub mod rolling;
pub mod spot_tail;
pub mod window_model;
