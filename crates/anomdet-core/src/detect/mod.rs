//! Detectors: one file each, behind one trait, listed in one registry.
//!
//! Every detector scores a series in two modes:
//! - **online**: [`Detector::update`] sees one value at a time, scores it against the past only,
//!   then learns from it. Memory is bounded by the detector's window.
//! - **batch**: [`Detector::score_batch`] sees the whole series and may look both ways
//!   (a global mean, a centred window). It defaults to running the online mode.

mod ar_residual;
mod cusum;
mod dspot;
mod ensemble;
mod ewma;
mod fences;
mod gesd;
mod half_space_trees;
mod hbos;
mod holt_winters;
mod iqr;
mod isolation_forest;
mod kmeans;
mod knn;
mod level_shift;
mod lof;
mod lstm;
mod mad;
mod matrix_profile;
mod one_class_svm;
mod page_hinkley;
mod persist;
mod poly;
mod recent_flag;
#[cfg(test)]
mod reference_tests;
mod rolling;
mod rrcf;
mod shesd;
mod spot;
mod stl;
mod sub_knn;
mod sub_pca;
mod volatility_shift;
mod windowed;
mod zscore;

use crate::params::{ParamError, ParamSpec, Params};
pub use crate::scored::{Mode, Scored};

/// A univariate detector.
pub trait Detector: Send {
    /// Online mode: score `x` against what came before, then learn from it.
    fn update(&mut self, x: f64) -> Scored;

    /// Batch mode over a whole series; the default replays the online mode.
    fn score_batch(&mut self, xs: &[f64]) -> Vec<Scored> {
        xs.iter()
            .enumerate()
            .map(|(i, &x)| {
                crate::interrupt::check_every(i);
                self.update(x)
            })
            .collect()
    }
}

/// What the catalog knows about a detector, and how to build one.
pub struct DetectorInfo {
    pub name: &'static str,
    pub family: &'static str,
    pub online: bool,
    pub multivariate: bool,
    pub params: &'static [ParamSpec],
    pub description: &'static str,
    /// The fewest values a series must have for this detector with these parameters.
    pub min_points: fn(&Params) -> usize,
    pub build: fn(&Params) -> Box<dyn Detector>,
}

impl DetectorInfo {
    /// Parse and check parameters; a detector list is checked member by member against the registry.
    pub fn parse_params(&self, json: Option<&serde_json::Value>) -> Result<Params, ParamError> {
        let params = Params::parse(&format!("detector {}", self.name), self.params, json)?;
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

    /// True for a detector built from a list of other detectors.
    pub fn combines(&self) -> bool {
        self.params.iter().any(|s| matches!(s.kind, crate::params::ParamKind::Detectors(_)))
    }

    /// Whether these parameters allow online mode: a combination is online when all its members are.
    pub fn supports_online(&self, params: &Params) -> bool {
        self.online && params.members().iter().all(|m| find_detector(&m.detector).is_some_and(|d| d.online))
    }
}

static REGISTRY: &[&DetectorInfo] = &[
    &zscore::INFO,
    &mad::INFO,
    &iqr::INFO,
    &ewma::INFO,
    &gesd::INFO,
    &cusum::INFO,
    &page_hinkley::INFO,
    &persist::INFO,
    &level_shift::INFO,
    &volatility_shift::INFO,
    &spot::INFO,
    &dspot::INFO,
    &holt_winters::INFO,
    &ar_residual::INFO,
    &stl::INFO,
    &shesd::INFO,
    &ensemble::INFO,
    &isolation_forest::INFO,
    &half_space_trees::INFO,
    &hbos::INFO,
    &knn::INFO,
    &sub_knn::INFO,
    &sub_pca::INFO,
    &kmeans::INFO,
    &matrix_profile::INFO,
    &lof::INFO,
    &rrcf::INFO,
    &one_class_svm::INFO,
    &poly::INFO,
    &lstm::INFO,
];

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
    /// values with these parameters: the window matrix of the window models, the trees of the tree ensembles, the kept windows of the online
    /// models. Small fixed costs are left out.
    /// With `window` 0 the period is not known before the data is: it is taken as 512, the
    /// longest searched (see [`DetectorInfo::working_bytes_of`] once the values are read).
    pub fn working_bytes(&self, params: &Params, n: usize) -> u64 {
        self.estimate(params, n, 512 * windowed::periods_of_window(self.params).unwrap_or(1) as u64)
    }

    /// [`DetectorInfo::working_bytes`] for these values, with `window` 0 resolved to the
    /// window the detector will use on them.
    pub fn working_bytes_of(&self, params: &Params, xs: &[f64]) -> u64 {
        let periods = windowed::periods_of_window(self.params).unwrap_or(1);
        let found = match params.get("window") {
            Some(0.0) => crate::subsequence::window_length_in_periods(xs, 0, periods) as u64,
            _ => 512,
        };
        self.estimate(params, xs.len(), found)
    }

    fn estimate(&self, params: &Params, n: usize, found_window: u64) -> u64 {
        let get = |name: &str| params.get(name).unwrap_or(0.0) as u64;
        let n = n as u64;
        let window = match params.get("window") {
            None => 1,
            Some(0.0) => found_window,
            Some(w) => w as u64,
        };
        // The window models (those declaring the shared `window`) hold the matrix of all
        // windows, z-scored in place; the matrix profile walks the series instead.
        let windowed = windowed::periods_of_window(self.params).is_some();
        let matrix = if windowed && self.name != "matrix_profile" {
            let w = window.min((n / 2).max(1));
            (n.saturating_sub(w) + 1) * w * 8
        } else {
            0
        };
        let model = match self.name {
            "rrcf" => get("trees") * 2 * (get("tree_size") + 1) * (32 + 16 * get("shingle")),
            "half_space_trees" => get("trees") * (2u64 << get("height").min(40)) * 24,
            "one_class_svm" => get("components").pow(2) * 16 + get("sample").min(n) * get("components") * 8,
            "isolation_forest" => get("reference") * window * 8 + get("trees") * get("sample_size") * 2 * 32,
            "matrix_profile" => get("history") * 24 + window * 8,
            _ => 0,
        };
        matrix.saturating_add(model).saturating_add(n * 8 * 4)
    }
}

/// Score a whole series in the chosen mode.
pub fn score_series(info: &DetectorInfo, params: &Params, mode: Mode, xs: &[f64]) -> Vec<Scored> {
    let mut detector = (info.build)(params);
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

    /// Adding a detector is one file plus one line in REGISTRY; this catches a forgotten line.
    #[test]
    fn every_declared_detector_is_registered() {
        let sources = [
            include_str!("zscore.rs"),
            include_str!("mad.rs"),
            include_str!("iqr.rs"),
            include_str!("ewma.rs"),
            include_str!("gesd.rs"),
            include_str!("cusum.rs"),
            include_str!("page_hinkley.rs"),
            include_str!("persist.rs"),
            include_str!("level_shift.rs"),
            include_str!("volatility_shift.rs"),
            include_str!("spot.rs"),
            include_str!("dspot.rs"),
            include_str!("holt_winters.rs"),
            include_str!("ar_residual.rs"),
            include_str!("stl.rs"),
            include_str!("shesd.rs"),
            include_str!("ensemble.rs"),
            include_str!("isolation_forest.rs"),
            include_str!("half_space_trees.rs"),
            include_str!("hbos.rs"),
            include_str!("knn.rs"),
            include_str!("sub_knn.rs"),
            include_str!("sub_pca.rs"),
            include_str!("kmeans.rs"),
            include_str!("matrix_profile.rs"),
            include_str!("lof.rs"),
            include_str!("rrcf.rs"),
            include_str!("one_class_svm.rs"),
            include_str!("poly.rs"),
            include_str!("lstm.rs"),
        ];
        let declared: usize = sources.iter().map(|s| s.matches(": DetectorInfo = DetectorInfo {").count()).sum();
        assert_eq!(declared, registry().len());
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

    /// What each detector is designed to find; every registered detector is in one list.
    const FOR_SPIKES: &[&str] = &[
        "zscore",
        "mad",
        "iqr",
        "ewma",
        "gesd",
        "persist",
        "spot",
        "dspot",
        "holt_winters",
        "ar_residual",
        "stl",
        "shesd",
        "ensemble",
        "half_space_trees",
        "hbos",
        "rrcf",
        "poly",
        "lstm",
    ];
    const FOR_LEVEL_SHIFTS: &[&str] = &["cusum", "page_hinkley", "level_shift"];
    const FOR_VOLATILITY: &[&str] = &["volatility_shift"];
    /// Unusual shapes (discords): a stretch of a periodic series that looks like no other.
    const FOR_SHAPES: &[&str] =
        &["isolation_forest", "knn", "sub_knn", "sub_pca", "kmeans", "matrix_profile", "lof", "one_class_svm"];

    fn modes(d: &DetectorInfo) -> Vec<Mode> {
        if d.supports_online(&Params::defaults(d.params)) { vec![Mode::Batch, Mode::Online] } else { vec![Mode::Batch] }
    }

    fn noise(i: usize) -> f64 {
        ((i * 7919) % 1000) as f64 / 1000.0 - 0.5
    }

    #[test]
    fn every_detector_has_a_designed_purpose() {
        for d in registry() {
            assert!(
                [FOR_SPIKES, FOR_LEVEL_SHIFTS, FOR_VOLATILITY, FOR_SHAPES].iter().any(|l| l.contains(&d.name)),
                "{} is in no list",
                d.name
            );
        }
    }

    #[test]
    fn spike_detectors_flag_an_obvious_spike_in_each_mode() {
        // A gentle sine with one huge spike: every detector must flag it and little else.
        // Long enough for the calibration of the extreme-value detectors; a little noise, as
        // real data has (a noise-free wave leaves robust scales of nothing).
        let noise = white_noise(3000, 0.05);
        let mut xs: Vec<f64> = (0..3000).map(|i| (i as f64 / 10.0).sin() + noise[i]).collect();
        xs[2500] = 25.0;
        for d in registry().iter().filter(|d| FOR_SPIKES.contains(&d.name)) {
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
        for d in registry().iter().filter(|d| FOR_SHAPES.contains(&d.name)) {
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
        for d in registry().iter().filter(|d| FOR_LEVEL_SHIFTS.contains(&d.name)) {
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
        for d in registry().iter().filter(|d| FOR_VOLATILITY.contains(&d.name)) {
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
