//! How long VUS takes on 1,000,000 points (buffers 0..100), exact and with 250 thresholds,
//! and the whole `evaluate` (every metric). Median of 3.
//! `cargo run --release -p anomdet-core --example vus_timing`
use anomdet_core::evaluate::{evaluate, vus};
use std::time::Instant;

fn median_secs(mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..3)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[1]
}

fn main() {
    let n = 1_000_000;
    let labels: Vec<bool> = (0..n).map(|i| i % 10_000 >= 5_000 && i % 10_000 < 5_020).collect();
    let mut state = 1u64;
    let scores: Vec<f64> = (0..n)
        .map(|i| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 40) as f64 / 16_777_216.0 + if labels[i] { 0.5 } else { 0.0 }
        })
        .collect();
    let flags: Vec<bool> = scores.iter().map(|&s| s > 1.2).collect();
    let exact = median_secs(|| {
        std::hint::black_box(vus::vus(&labels, &scores, 100, vus::Thresholds::Exact));
    });
    let sampled = median_secs(|| {
        std::hint::black_box(vus::vus(&labels, &scores, 100, vus::Thresholds::Sampled(250)));
    });
    let all = median_secs(|| {
        std::hint::black_box(evaluate(&labels, &scores, &flags));
    });
    println!("1,000,000 points, 100 labelled ranges, buffers 0..=100:");
    println!("  VUS exact (every distinct score): {exact:.2} s");
    println!("  VUS with 250 sampled thresholds:  {sampled:.2} s");
    println!("  evaluate(), every metric:          {all:.2} s");
}
