//! How long the evaluation takes on 1,000,000 points (buffers 0..100), exact and with 250
//! thresholds, and the whole `evaluate` (every metric), for two shapes of labels: 100 ranges
//! of 20 rows, and 10,000 one-row events (spikes). Then the whole `evaluate` on 300,000,
//! 1,000,000 and 3,000,000 points with 10,000 events, and with one event every 100 rows.
//! Medians of 3. `cargo run --release -p anomdet-core --example vus_timing`
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

/// Uniform scores in [0, 1), lifted by 0.5 on labelled rows.
fn scores(labels: &[bool]) -> Vec<f64> {
    let mut state = 1u64;
    labels
        .iter()
        .map(|&l| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 40) as f64 / 16_777_216.0 + if l { 0.5 } else { 0.0 }
        })
        .collect()
}

fn whole(labels: &[bool]) -> f64 {
    let s = scores(labels);
    let flags: Vec<bool> = s.iter().map(|&x| x > 1.2).collect();
    median_secs(|| {
        std::hint::black_box(evaluate(labels, &s, &flags));
    })
}

fn main() {
    let n = 1_000_000;
    let shapes: [(&str, Vec<bool>); 2] = [
        ("100 ranges of 20 rows", (0..n).map(|i| i % 10_000 >= 5_000 && i % 10_000 < 5_020).collect()),
        ("10,000 one-row events", (0..n).map(|i| i % 100 == 0).collect()),
    ];
    for (name, labels) in &shapes {
        let s = scores(labels);
        let exact = median_secs(|| {
            std::hint::black_box(vus::vus(labels, &s, 100, vus::Thresholds::Exact));
        });
        let sampled = median_secs(|| {
            std::hint::black_box(vus::vus(labels, &s, 100, vus::Thresholds::Sampled(250)));
        });
        println!("1,000,000 points, {name}, buffers 0..=100:");
        println!("  VUS exact (every distinct score): {exact:.2} s");
        println!("  VUS with 250 sampled thresholds:  {sampled:.2} s");
        println!("  evaluate(), every metric:          {:.2} s", whole(labels));
    }
    println!("evaluate(), every metric, by length (seconds):");
    println!("  points     10,000 events   an event every 100 rows");
    for n in [300_000usize, 1_000_000, 3_000_000] {
        let fixed: Vec<bool> = (0..n).map(|i| i % (n / 10_000) == 0).collect();
        let dense: Vec<bool> = (0..n).map(|i| i % 100 == 0).collect();
        println!("  {n:>9}  {:>13.2}   {:>23.2}", whole(&fixed), whole(&dense));
    }
}
