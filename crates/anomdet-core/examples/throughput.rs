//! Points per second of every detector in the core, without PostgreSQL, median of 5 runs.
//! `cargo run --release -p anomdet-core --example throughput`
use anomdet_core::{Mode, Params, registry, score_series};
use std::time::Instant;

fn main() {
    let n = 1_000_000;
    let xs: Vec<f64> =
        (0..n).map(|i| 50.0 + 10.0 * (i as f64 / 500.0).sin() + ((i * 7919) % 101) as f64 / 101.0).collect();
    println!("{:<8} {:<7} {:>14}", "detector", "mode", "points/s");
    for d in registry() {
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
}
