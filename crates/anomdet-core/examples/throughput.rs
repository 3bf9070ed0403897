//! Points per second of every detector in the core, without PostgreSQL, median of 5 runs.
//! `cargo run --release -p anomdet-core --example throughput [detector...]` (default: all)
use anomdet_core::{Mode, Params, registry, score_series};
use std::time::Instant;

fn main() {
    let n = 1_000_000;
    let xs: Vec<f64> =
        (0..n).map(|i| 50.0 + 10.0 * (i as f64 / 500.0).sin() + ((i * 7919) % 101) as f64 / 101.0).collect();
    println!("{:<8} {:<7} {:>14}", "detector", "mode", "points/s");
    let only: Vec<String> = std::env::args().skip(1).collect();
    for d in registry().iter().filter(|d| only.is_empty() || only.iter().any(|o| o == d.name)) {
        let modes: &[Mode] = if d.online { &[Mode::Batch, Mode::Online] } else { &[Mode::Batch] };
        for &mode in modes {
            let params = Params::defaults(d.params);
            let mut times: Vec<f64> = (0..5)
                .map(|_| {
                    let t = Instant::now();
                    let out = score_series(d, &params, mode, &xs);
                    std::hint::black_box(out);
                    t.elapsed().as_secs_f64()
                })
                .collect();
            times.sort_by(f64::total_cmp);
            println!("{:<8} {:<7} {:>14.0}", d.name, format!("{mode:?}").to_lowercase(), n as f64 / times[2]);
        }
    }
    // What the calibrated probability costs: the rolling detectors online without it (the
    // bare detector), same values.
    println!("\n{:<8} {:<7} {:>14}", "detector", "bare", "points/s");
    for name in ["zscore", "ewma", "iqr", "mad", "spot"] {
        let d = anomdet_core::find_detector(name).expect("registered");
        let params = Params::defaults(d.params);
        let median = median_seconds(|| {
            let mut bare = (d.build)(&params);
            let out: Vec<_> = xs.iter().map(|&x| bare.update(x)).collect();
            std::hint::black_box(out);
        });
        println!("{:<8} {:<7} {:>14.0}", name, "online", n as f64 / median);
    }
}

fn median_seconds(mut run: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            run();
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[2]
}
