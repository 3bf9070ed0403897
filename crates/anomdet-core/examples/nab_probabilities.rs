//! Online calibrated probabilities of one detector on the NAB files, without PostgreSQL, as JSON
//! `{file: [probability or null, ...]}` for `bench/nab_score.py`'s protocol.
//! `cargo run --release -p anomdet-core --example nab_probabilities -- <detector> '<params json>' <nab dir> [--alerts] > out.json`
use anomdet_core::{Mode, find_detector, score_series};
use std::collections::BTreeMap;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, name, params, nab, rest @ ..] = &args[..] else {
        eprintln!("usage: nab_probabilities <detector> <params json> <nab dir> [--alerts]");
        std::process::exit(2);
    };
    let info = find_detector(name).unwrap_or_else(|| panic!("no detector {name}"));
    let json: serde_json::Value = serde_json::from_str(params).expect("params: JSON");
    let params = info.parse_params(Some(&json)).unwrap_or_else(|e| panic!("{e}"));
    let windows: BTreeMap<String, serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(format!("{nab}/combined_windows.json")).unwrap()).unwrap();
    let mut out = BTreeMap::new();
    for file in windows.keys() {
        let text = std::fs::read_to_string(format!("{nab}/data/{file}")).unwrap();
        let xs: Vec<f64> =
            text.lines().skip(1).map(|l| l.rsplit(',').next().unwrap().trim().parse().unwrap()).collect();
        let scored = score_series(info, &params, Mode::Online, &xs);
        // --alerts: the alert's strength 1 − 10^(−score), 0 off alerts (sentinel's score is its
        // alert's surprise).
        let alerts = rest.iter().any(|a| a == "--alerts");
        let column = |s: &anomdet_core::Scored| {
            if alerts { s.score.map(|v| if v <= 0.0 { 0.0 } else { 1.0 - 10f64.powf(-v) }) } else { s.probability }
        };
        out.insert(file.clone(), scored.iter().map(column).collect::<Vec<_>>());
    }
    println!("{}", serde_json::to_string(&out).unwrap());
}
