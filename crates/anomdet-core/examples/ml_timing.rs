//! Median wall time of one of the machine-learning models on a matrix or series read from a file
//! of little-endian f64s, for bench/ml_peers.py. Writes the scores next to the input
//! (`FILE.scores`) so the script can compare them with the peer's. A model's matrix is built
//! before the clock starts, as the peer's X is.
//! `cargo run --release -p anomdet-core --example ml_timing -- FILE MODEL COLUMNS [ARG]`
//! MODEL: iforest | hbos | copod | ocsvm | ocsvm-fourier (COLUMNS wide rows) | stomp (a series; ARG = m) |
//! hst (a series, online; ARG = window_size) | rrcf (a series, online, 40 trees, shingle 4; ARG = tree_size) |
//! leftmp (a series, online left matrix profile, history 5,000 windows; ARG = m)
use anomdet_core::matrix_profile::stomp;
use anomdet_core::tabular::Matrix;
use anomdet_core::tabular::copod::Copod;
use anomdet_core::tabular::hbos::Hbos;
use anomdet_core::tabular::isolation_forest::IsolationForest;
use anomdet_core::tabular::one_class_svm::{Approximation, OneClassSvm, Settings};
use anomdet_core::{Mode, find_detector, score_series};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bytes = std::fs::read(&args[1]).expect("input file");
    let xs: Vec<f64> = bytes.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))).collect();
    let model = args[2].as_str();
    let cols: usize = args[3].parse().expect("columns");
    let arg: usize = args.get(4).map_or(0, |a| a.parse().expect("number"));
    // The matrix exists before the clock starts, as the peers' X does.
    let m = Matrix::new(xs.len() / cols, cols, xs.clone());
    let run = || -> Vec<f64> {
        match model {
            "iforest" | "hbos" | "copod" | "ocsvm" | "ocsvm-fourier" => match model {
                "iforest" => IsolationForest::fit(&m, 100, 256, 0).score_all(&m),
                "hbos" => Hbos::fit(&m, 10, 0.1, 0.5).score_all(&m),
                "ocsvm" | "ocsvm-fourier" => {
                    let approximation = if model == "ocsvm" { Approximation::Nystroem } else { Approximation::Fourier };
                    let settings = Settings {
                        approximation,
                        nu: 0.5,
                        gamma: 0.0,
                        components: 100,
                        epochs: 10,
                        sample: 10_000,
                        seed: 0,
                    };
                    OneClassSvm::fit(&m, &settings).score_all(&m)
                }
                _ => Copod::score_fitted(&m),
            },
            "stomp" => stomp(&xs, arg).distance,
            "hst" => {
                let d = find_detector("half_space_trees").expect("registered");
                let params = d.parse_params(Some(&serde_json::json!({"window_size": arg}))).expect("params");
                score_series(d, &params, Mode::Online, &xs).iter().map(|s| s.score.unwrap_or(0.0)).collect()
            }
            "leftmp" => {
                let d = find_detector("matrix_profile").expect("registered");
                let params =
                    d.parse_params(Some(&serde_json::json!({"window": arg, "history": 5000}))).expect("params");
                score_series(d, &params, Mode::Online, &xs).iter().map(|s| s.score.unwrap_or(f64::NAN)).collect()
            }
            "rrcf" => {
                let d = find_detector("rrcf").expect("registered");
                let params = d.parse_params(Some(&serde_json::json!({"tree_size": arg}))).expect("params");
                score_series(d, &params, Mode::Online, &xs).iter().map(|s| s.score.unwrap_or(0.0)).collect()
            }
            other => panic!("unknown model {other}"),
        }
    };
    let runs = if model == "stomp" { 3 } else { 5 };
    let mut times = Vec::new();
    let mut scores = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        scores = run();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let out: Vec<u8> = scores.iter().flat_map(|s| s.to_le_bytes()).collect();
    std::fs::write(format!("{}.scores", args[1]), out).expect("write scores");
    println!("{{\"seconds\": {}, \"runs\": {runs}}}", times[runs / 2]);
}
