//! KMeansAD (Yairi et al. 2001; as TSB-AD): k-means over the z-scored sliding windows; a
//! window's score is its distance to the nearest centre (TSB-AD then averages the windows
//! covering a point, which smears a discord a window wide; here a point gets the least score
//! of the windows through it, as every subsequence detector). The expected value is the nearest centre's value at the window's centre.
//! Batch only.

use crate::parts::fitted_windows::{Fit, FittedRows};
use super::{Cost, DetectorInfo, Finds, Memory, Pass};
use crate::parts::window_model::{Rows, SEED, THRESHOLD, WINDOW, WindowScores, Windowed, min_points};
use crate::params::ParamSpec;
use crate::subsequence::Spread;
use crate::tabular::kmeans::KMeans;

const PARAMS: &[ParamSpec] = &[
    WINDOW,
    ParamSpec::int("clusters", 10.0, 1.0, 1000.0, "number of centres"),
    ParamSpec::int("iterations", 30.0, 1.0, 1000.0, "Lloyd iterations at most"),
    SEED,
    THRESHOLD,
];

pub static INFO: DetectorInfo = DetectorInfo {
    name: "kmeans",
    family: "machine learning",
    online: false,
    multivariate: false,
    params: PARAMS,
    description: "KMeansAD: distance of each sliding window to its nearest k-means centre",
    finds: Finds::Shapes,
    min_points,
    cost: Cost { batch: Pass::linear(70.0), online: None },
    memory: Memory::WINDOWS,
    build: |p| {
        let (clusters, iterations, seed) = (p.int("clusters"), p.int("iterations"), p.int("seed") as u64);
        Box::new(Windowed::new(p, Spread::CoveringMin, Rows::Standardized, move |s| {
            let model = KMeans::fit(&s.rows, clusters, iterations, seed);
            let c = s.centre();
            let (scores, expected) = (0..s.rows.rows)
                .map(|i| {
                    crate::interrupt::check_every(i * clusters);
                    let (centre, distance) = model.assign(s.rows.row(i));
                    (distance, s.unscale_centre(model.centres.row(centre)[c]))
                })
                .unzip();
            WindowScores { scores, expected: Some(expected) }
        })
        .fitted_by(move |s| Fit::scoring_itself(FittedRows::KMeans(KMeans::fit(&s.rows, clusters, iterations, seed)), s)))
    },
};
