//! Median wall time of one detector over a series read from a file of little-endian f64s,
//! for comparisons with other libraries on the same data (bench/peers.py).
//! `cargo run --release -p anomdet-core --example timing -- FILE DETECTOR MODE [PARAMS_JSON]`
use anomdet_core::{Mode, find_detector, score_series};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bytes = std::fs::read(&args[1]).expect("series file");
    let xs: Vec<f64> = bytes.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))).collect();
    let d = find_detector(&args[2]).expect("detector");
    let mode = Mode::parse(&args[3]).expect("mode");
    let json: serde_json::Value = serde_json::from_str(args.get(4).map_or("{}", String::as_str)).expect("params");
    let params = d.parse_params(Some(&json)).expect("valid params");
    let mut times: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            let out = score_series(d, &params, mode, &xs);
            let flagged = out.iter().filter(|s| s.is_anomaly == Some(true)).count();
            std::hint::black_box(flagged);
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let out = score_series(d, &params, mode, &xs);
    let flagged = out.iter().filter(|s| s.is_anomaly == Some(true)).count();
    println!("{{\"seconds\": {}, \"flagged\": {flagged}}}", times[2]);
}
