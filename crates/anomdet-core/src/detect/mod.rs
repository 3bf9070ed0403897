//! Detectors: one file each, behind one trait, listed in one registry.
//!
//! Every detector scores a series in two modes:
//! - **online**: [`Detector::update`] sees one value at a time, scores it against the past only,
//!   then learns from it. Memory is bounded by the detector's window.
//! - **batch**: [`Detector::score_batch`] sees the whole series and may look both ways
//!   (a global mean, a centred window). It defaults to running the online mode.

#[cfg(test)]
mod batch_pieces_tests;
#[cfg(test)]
mod calibration_tests;
#[cfg(test)]
mod obvious_tests;
#[cfg(test)]
mod reference_tests;
#[cfg(test)]
mod scale_floor_tests;
#[cfg(test)]
mod state_tests;

/// Declares each detector's module and lists its `INFO`, from one list of words.
macro_rules! registry {
    ($($name:ident),+ $(,)?) => {
        $(mod $name;)+
        static REGISTRY: &[&DetectorInfo] = &[$(&$name::INFO),+];
        /// The module of each registered detector, in registry order.
        #[cfg(test)]
        const MODULES: &[&str] = &[$(stringify!($name)),+];
    };
}

use crate::calibrated::Calibrated;
pub use crate::cost::{Cost, Growth, Pass};
pub use crate::detector::{BatchPieces, Detector};
use crate::params::{PROBABILITY, ParamError, ParamSpec, Params};
pub use crate::scored::{Mode, Scored};

/// What the catalog knows about a detector, and how to build one.
pub struct DetectorInfo {
    pub name: &'static str,
    pub family: &'static str,
    pub online: bool,
    pub multivariate: bool,
    pub params: &'static [ParamSpec],
    pub description: &'static str,
    /// The kind of anomaly it is designed to find; the core tests check it finds an obvious one.
    pub finds: Finds,
    /// The fewest values a series must have for this detector with these parameters.
    pub min_points: fn(&Params) -> usize,
    /// The working memory it needs beyond the series (see [`DetectorInfo::working_bytes`]).
    pub memory: Memory,
    /// What one pass costs as the series grows (`detectors()` says it; `examples/cost_curves` measures it).
    pub cost: Cost,
    pub build: fn(&Params) -> Box<dyn Detector>,
}

/// What a detector is designed to find.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finds {
    /// Single values far from their neighbours or from a forecast.
    Spikes,
    /// A lasting change of level.
    LevelShifts,
    /// A lasting change of spread.
    VolatilityShifts,
    /// A stretch of a periodic series shaped like no other (a discord).
    Shapes,
}

/// The sizes a detector's working memory depends on, beside its parameters.
#[derive(Clone, Copy, Debug)]
pub struct Extent {
    /// Values in the series.
    pub values: u64,
    /// The window length in rows, `window` 0 resolved to the period found; 1 without a `window`.
    pub window: u64,
}

/// How a detector's working memory grows, declared in its own file.
#[derive(Clone, Copy)]
pub enum Memory {
    /// The series and its scores only (a rolling window or a few running sums).
    Series,
    /// A window model: the matrix of all windows, each `window` rows long (with `window` 0,
    /// `periods` detected periods), plus what `model` holds beside it.
    Windows { periods: usize, model: fn(&Params, Extent) -> u64 },
    /// State of its own (trees, kept windows), in bytes.
    Model(fn(&Params, Extent) -> u64),
}

impl Memory {
    /// A window model holding nothing beside the window matrix.
    pub const WINDOWS: Memory = Memory::Windows { periods: 1, model: |_, _| 0 };

    /// Detected periods per window when `window` is 0.
    fn periods(&self) -> usize {
        match self {
            Memory::Windows { periods, .. } => *periods,
            _ => 1,
        }
    }
}

impl DetectorInfo {
    /// Parse and check parameters; a detector list is checked member by member against the registry.
    pub fn parse_params(&self, json: Option<&serde_json::Value>) -> Result<Params, ParamError> {
        let params = Params::parse_with(&format!("detector {}", self.name), self.params, &[PROBABILITY], json)?;
        let list = self.params.iter().find(|s| matches!(s.kind, crate::params::ParamKind::Detectors(_)));
        if let Some(list) = list {
            for (i, member) in params.members().iter().enumerate() {
                let bad = |problem: String, valid: Vec<String>| ParamError::BadMember {
                    name: list.name.into(),
                    index: i + 1,
                    problem,
                    valid,
                };
                let info = find_detector(&member.detector).ok_or_else(|| {
                    let valid = REGISTRY.iter().filter(|d| !d.combines()).map(|d| d.name.to_string()).collect();
                    bad(format!("\"{}\", not a built-in detector", member.detector), valid)
                })?;
                if info.combines() {
                    return Err(bad(format!("{}, which cannot be nested", info.name), Vec::new()));
                }
                info.parse_params(member.params.as_ref()).map_err(|e| ParamError::InMember {
                    name: list.name.into(),
                    index: i + 1,
                    detector: info.name.into(),
                    source: Box::new(e),
                })?;
            }
        }
        Ok(params)
    }

    /// The detector with its calibrated anomaly probability beside each score, flagging by
    /// probability when `params` ask for it (`crate::calibrated`).
    pub fn build_calibrated(&'static self, params: &Params) -> Box<dyn Detector> {
        let inner = (self.build)(params);
        if inner.calibrates_itself() {
            return inner;
        }
        let owned = params.clone();
        Box::new(Calibrated::new(
            Box::new(move || (self.build)(&owned)),
            self.supports_online(params),
            params.flag_probability(),
        ))
    }

    /// True for a detector built from a list of other detectors.
    pub fn combines(&self) -> bool {
        self.params.iter().any(|s| matches!(s.kind, crate::params::ParamKind::Detectors(_)))
    }

    /// Whether these parameters allow online mode: a combination is online when all its members are.
    pub fn supports_online(&self, params: &Params) -> bool {
        self.online && params.members().iter().all(|m| find_detector(&m.detector).is_some_and(|d| d.online))
    }
}

// The one list of detectors: each word is a file `detect/<word>.rs` declaring `pub static INFO`
// with that name. The order is the listing order of `anomdet.detectors()`.
registry! {
    zscore,
    mad,
    iqr,
    ewma,
    gesd,
    cusum,
    page_hinkley,
    persist,
    level_shift,
    volatility_shift,
    spot,
    dspot,
    holt_winters,
    ar_residual,
    stl,
    shesd,
    ensemble,
    isolation_forest,
    half_space_trees,
    hbos,
    knn,
    sub_knn,
    sub_pca,
    kmeans,
    matrix_profile,
    lof,
    rrcf,
    one_class_svm,
    poly,
    lstm,
    sentinel,
}

/// Every built-in detector, in listing order.
pub fn registry() -> &'static [&'static DetectorInfo] {
    REGISTRY
}

pub fn find_detector(name: &str) -> Option<&'static DetectorInfo> {
    REGISTRY.iter().copied().find(|d| d.name == name)
}

/// The most working memory a detector may need for one series; beyond it the caller refuses
/// the call (an allocation that fails aborts the process, a PostgreSQL backend included).
pub const MEMORY_LIMIT: u64 = 4 << 30;

impl DetectorInfo {
    /// An upper estimate, in bytes, of the memory this detector needs for a series of `n`
    /// values with these parameters, from what each detector declares in its `memory` (the window
    /// matrix of the window models, the trees of the tree ensembles, the kept windows of the
    /// online models) plus the series itself. Small fixed costs are left out.
    /// With `window` 0 the period is not known before the data is: it is taken as 512, the
    /// longest searched (see [`DetectorInfo::working_bytes_of`] once the values are read).
    pub fn working_bytes(&self, params: &Params, n: usize) -> u64 {
        self.estimate(params, n, 512 * self.memory.periods() as u64)
    }

    /// [`DetectorInfo::working_bytes`] for these values, with `window` 0 resolved to the
    /// window the detector will use on them.
    pub fn working_bytes_of(&self, params: &Params, xs: &[f64]) -> u64 {
        let found = match params.get("window") {
            Some(0.0) => crate::subsequence::window_length_in_periods(xs, 0, self.memory.periods()) as u64,
            _ => 512,
        };
        self.estimate(params, xs.len(), found)
    }

    fn estimate(&self, params: &Params, n: usize, found_window: u64) -> u64 {
        let values = n as u64;
        let window = match params.get("window") {
            None => 1,
            Some(0.0) => found_window,
            Some(w) => w as u64,
        };
        let extent = Extent { values, window };
        let own = match self.memory {
            Memory::Series => 0,
            Memory::Windows { model, .. } => {
                // All windows, z-scored in place.
                let w = window.min((values / 2).max(1));
                ((values.saturating_sub(w) + 1) * w * 8).saturating_add(model(params, extent))
            }
            Memory::Model(model) => model(params, extent),
        };
        // The values, scores, expected values and bounds of the series itself.
        own.saturating_add(values * 8 * 4)
    }
}

/// Score a whole series in the chosen mode.
pub fn score_series(info: &'static DetectorInfo, params: &Params, mode: Mode, xs: &[f64]) -> Vec<Scored> {
    let mut detector = info.build_calibrated(params);
    match mode {
        Mode::Batch => detector.score_batch(xs),
        Mode::Online => xs
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                crate::interrupt::check_every(i);
                detector.update(x)
            })
            .collect(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Uniform white noise in [−amplitude, amplitude) from xorshift64 (seeded, deterministic);
    /// the cheap `(i * 7919) % 1000` patterns are periodic and fool seasonal detectors.
    pub fn white_noise(n: usize, amplitude: f64) -> Vec<f64> {
        let mut state = 88172645463325252u64;
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                ((state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) * amplitude
            })
            .collect()
    }

    /// Adding a detector is one file plus one word in `registry!`: every file here other than
    /// this one and the test modules is a registered detector of the file's name, and each
    /// registered detector's `INFO` carries its module's name.
    #[test]
    fn every_detector_file_is_registered_under_its_name() {
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/detect");
        let mut files: Vec<String> = std::fs::read_dir(folder)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter_map(|f| f.strip_suffix(".rs").map(str::to_string))
            .filter(|f| f != "mod" && !f.ends_with("_tests"))
            .collect();
        files.sort();
        let mut modules: Vec<String> = MODULES.iter().map(|m| m.to_string()).collect();
        modules.sort();
        assert_eq!(files, modules, "a file in detect/ is missing from registry!, or the reverse");
        for (module, info) in MODULES.iter().zip(registry()) {
            assert_eq!(*module, info.name, "detect/{module}.rs declares a detector named {}", info.name);
        }
    }

    #[test]
    fn working_memory_is_estimated_from_the_parameters() {
        let rrcf = find_detector("rrcf").unwrap();
        let small = rrcf.working_bytes(&Params::defaults(rrcf.params), 10_000);
        assert!(small < 100 << 20, "{small}");
        let json = serde_json::json!({"trees": 1000, "tree_size": 100000, "shingle": 64});
        let huge = rrcf.working_bytes(&rrcf.parse_params(Some(&json)).unwrap(), 10_000);
        assert!(huge > MEMORY_LIMIT, "{huge}");
        // A window matrix grows with the series.
        let knn = find_detector("knn").unwrap();
        let p = knn.parse_params(Some(&serde_json::json!({"window": 100000}))).unwrap();
        assert!(knn.working_bytes(&p, 1_000_000) > MEMORY_LIMIT);
        assert!(knn.working_bytes(&Params::defaults(knn.params), 100_000) < MEMORY_LIMIT);
        // Once the values are known, the window is the period found: 2 million values of
        // period 24 fit, where the worst case (512) would not.
        let daily: Vec<f64> = (0..2_000_000).map(|i| ((i % 24) as f64).sin()).collect();
        assert!(knn.working_bytes(&Params::defaults(knn.params), daily.len()) > MEMORY_LIMIT);
        assert!(knn.working_bytes_of(&Params::defaults(knn.params), &daily) < MEMORY_LIMIT);
        // hbos holds a matrix too once it reads windows.
        let hbos = find_detector("hbos").unwrap();
        let p = hbos.parse_params(Some(&serde_json::json!({"window": 100000}))).unwrap();
        assert!(hbos.working_bytes(&p, 1_000_000) > MEMORY_LIMIT);
        assert!(hbos.working_bytes(&Params::defaults(hbos.params), 1_000_000) < 200 << 20);
        // Detectors with a `window` of their own kind (a rolling window) hold no matrix.
        let ensemble = find_detector("ensemble").unwrap();
        assert!(ensemble.working_bytes(&Params::defaults(ensemble.params), 3_000_000) < 200 << 20);
        let mp = find_detector("matrix_profile").unwrap();
        let p = mp.parse_params(Some(&serde_json::json!({"window": 100}))).unwrap();
        assert!(mp.working_bytes(&p, 3_000_000) < 200 << 20);
        // Every default fits a series of 100,000 values.
        for d in registry() {
            let bytes = d.working_bytes(&Params::defaults(d.params), 100_000);
            assert!(bytes < MEMORY_LIMIT, "{} needs {bytes}", d.name);
        }
    }

    #[test]
    fn registry_names_are_unique_and_findable() {
        for d in registry() {
            assert!(std::ptr::eq(find_detector(d.name).unwrap(), *d));
            assert!(!d.description.is_empty());
        }
        assert!(find_detector("nope").is_none());
    }

    fn modes(d: &DetectorInfo) -> Vec<Mode> {
        if d.supports_online(&Params::defaults(d.params)) { vec![Mode::Batch, Mode::Online] } else { vec![Mode::Batch] }
    }

    fn noise(i: usize) -> f64 {
        ((i * 7919) % 1000) as f64 / 1000.0 - 0.5
    }

    #[test]
    fn spike_detectors_flag_an_obvious_spike_in_each_mode() {
        // A gentle sine with one huge spike: every detector must flag it and little else.
        // Long enough for the calibration of the extreme-value detectors; a little noise, as
        // real data has (a noise-free wave leaves robust scales of nothing).
        let noise = white_noise(3000, 0.05);
        let mut xs: Vec<f64> = (0..3000).map(|i| (i as f64 / 10.0).sin() + noise[i]).collect();
        xs[2500] = 25.0;
        for d in registry().iter().filter(|d| d.finds == Finds::Spikes) {
            let params = Params::defaults(d.params);
            for mode in modes(d) {
                let out = score_series(d, &params, mode, &xs);
                assert_eq!(out.len(), xs.len());
                assert_eq!(out[2500].is_anomaly, Some(true), "{} {:?} missed the spike", d.name, mode);
                let flagged = out.iter().filter(|s| s.is_anomaly == Some(true)).count();
                assert!(flagged <= 12, "{} {:?} flagged {flagged} points", d.name, mode);
            }
        }
    }

    #[test]
    fn shape_detectors_flag_a_distorted_cycle_and_little_else() {
        // A noisy sine of period 50 with one cycle replaced by a faster wave of the same size:
        // no single value is out of range, only the shape is wrong.
        let noise = white_noise(3000, 0.05);
        let mut xs: Vec<f64> = (0..3000).map(|i| (i as f64 * std::f64::consts::TAU / 50.0).sin() + noise[i]).collect();
        for (k, x) in xs[2000..2050].iter_mut().enumerate() {
            *x = (k as f64 * std::f64::consts::TAU / 12.5).sin() + noise[2000 + k];
        }
        for d in registry().iter().filter(|d| d.finds == Finds::Shapes) {
            for mode in modes(d).into_iter().filter(|&m| m == Mode::Online) {
                // Online, a window is scored when it completes: up to a window after the cycle.
                let out = score_series(d, &Params::defaults(d.params), mode, &xs);
                let flagged: Vec<usize> = (0..xs.len()).filter(|&i| out[i].is_anomaly == Some(true)).collect();
                assert!(flagged.iter().any(|&i| (2000..2100).contains(&i)), "{} online missed it: {flagged:?}", d.name);
                let outside = flagged.iter().filter(|&&i| !(2000..2100).contains(&i)).count();
                assert!(outside <= 10, "{} online flagged {outside} points away from it: {flagged:?}", d.name);
            }
            let out = score_series(d, &Params::defaults(d.params), Mode::Batch, &xs);
            assert_eq!(out.len(), xs.len());
            // Every windowed detector says what it expected: the wave, away from the anomaly.
            assert!(out.iter().all(|s| s.expected.is_some()), "{} has no expected values", d.name);
            for t in [500, 1234, 2510] {
                let wave = (t as f64 * std::f64::consts::TAU / 50.0).sin();
                let miss = (out[t].expected.unwrap() - wave).abs();
                assert!(miss < 0.3, "{} expected {:?} at {t} where the wave is {wave}", d.name, out[t].expected);
            }
            let flagged: Vec<usize> = (0..xs.len()).filter(|&i| out[i].is_anomaly == Some(true)).collect();
            assert!(flagged.iter().any(|&i| (2000..2050).contains(&i)), "{} missed the cycle: {flagged:?}", d.name);
            let outside = flagged.iter().filter(|&&i| !(1950..2100).contains(&i)).count();
            assert!(outside <= 10, "{} flagged {outside} points away from it: {flagged:?}", d.name);
            // Threshold-free: the anomaly's best score beats every score away from it.
            let best = |r: std::ops::Range<usize>| r.map(|i| out[i].score.unwrap_or(0.0)).fold(f64::MIN, f64::max);
            let far = best(0..1900).max(best(2150..3000));
            assert!(best(2000..2050) > far, "{}: {} vs {far}", d.name, best(2000..2050));
        }
    }

    #[test]
    fn change_detectors_flag_a_level_shift_near_its_start() {
        let xs: Vec<f64> = (0..1000).map(|i| 10.0 + noise(i) + if i >= 500 { 3.0 } else { 0.0 }).collect();
        for d in registry().iter().filter(|d| d.finds == Finds::LevelShifts) {
            for mode in modes(d) {
                let out = score_series(d, &Params::defaults(d.params), mode, &xs);
                let flagged: Vec<usize> = (0..xs.len()).filter(|&i| out[i].is_anomaly == Some(true)).collect();
                assert!(
                    flagged.first().is_some_and(|&f| (490..530).contains(&f)),
                    "{} {:?}: {flagged:?}",
                    d.name,
                    mode
                );
                assert!(flagged.len() <= 20, "{} {:?} flagged {}", d.name, mode, flagged.len());
            }
        }
    }

    #[test]
    fn volatility_detectors_flag_rising_noise() {
        let xs: Vec<f64> = (0..1000).map(|i| noise(i) * if i >= 500 { 8.0 } else { 1.0 }).collect();
        for d in registry().iter().filter(|d| d.finds == Finds::VolatilityShifts) {
            for mode in modes(d) {
                let out = score_series(d, &Params::defaults(d.params), mode, &xs);
                let flagged: Vec<usize> = (0..xs.len()).filter(|&i| out[i].is_anomaly == Some(true)).collect();
                assert!(
                    flagged.first().is_some_and(|&f| (485..515).contains(&f)),
                    "{} {:?}: {flagged:?}",
                    d.name,
                    mode
                );
            }
        }
    }

    #[test]
    fn scores_are_finite_on_constant_series() {
        let xs = vec![5.0; 200];
        for d in registry() {
            let params = Params::defaults(d.params);
            for mode in modes(d) {
                for s in score_series(d, &params, mode, &xs) {
                    if let Some(score) = s.score {
                        assert!(score.is_finite(), "{} {:?}", d.name, mode);
                        assert_eq!(s.is_anomaly, Some(false), "{} {:?}", d.name, mode);
                    }
                }
            }
        }
    }
}
