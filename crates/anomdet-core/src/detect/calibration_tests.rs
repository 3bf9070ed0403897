//! The calibrated probability means the same false-alarm rate for every detector: on noisy
//! series without anomalies (Gaussian, heavy-tailed, integer counts, and NAB's two noisy
//! artificial no-anomaly files when ../shared/data/nab is present), the share of scored rows
//! at or above p is within a factor of 2 of 1 − p, for p = 0.99 and 0.999, pooled over the
//! series, in online mode (each detector that has one) and in batch mode.
//!
//! Series without noise are reported, not held to that: on NAB's flat line, sine without
//! noise and square wave, and on constant stretches, a detector's scores tie (ties count half,
//! so a constant score is 0.5) or each level change is a new extreme; on the flat line no row
//! may reach 0.99 at all.

use super::{Mode, Params, registry, score_series};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal, Poisson, StudentT};

fn generated() -> Vec<(&'static str, Vec<f64>)> {
    let n = 5000;
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let g = Normal::new(10.0, 1.0).unwrap();
    let t = StudentT::new(3.0).unwrap();
    let p = Poisson::new(4.0).unwrap();
    let gaussian = (0..n).map(|_| g.sample(&mut rng)).collect();
    let heavy = (0..n).map(|_| 10.0 + t.sample(&mut rng)).collect();
    let counts = (0..n).map(|_| p.sample(&mut rng)).collect();
    // Constant stretches of 50 to 300 rows at levels a little apart, read to one decimal.
    let mut stretches = Vec::with_capacity(n);
    let mut level: f64 = 20.0;
    while stretches.len() < n {
        let run = 50 + (stretches.len() * 7919) % 250;
        stretches.extend(std::iter::repeat_n((level * 10.0).round() / 10.0, run.min(n - stretches.len())));
        level += g.sample(&mut rng) - 10.0;
    }
    vec![
        ("gaussian", gaussian),
        ("heavy-tailed", heavy),
        ("counts", counts),
        ("constant stretches (reported)", stretches),
    ]
}

/// NAB's artificial files without anomalies, when the data is there.
fn nab_quiet() -> Vec<(&'static str, Vec<f64>)> {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/nab/data/artificialNoAnomaly");
    let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut out = Vec::new();
    for e in entries.flatten() {
        let text = std::fs::read_to_string(e.path()).unwrap();
        let xs = text.lines().skip(1).filter_map(|l| l.split(',').nth(1)?.parse().ok()).collect();
        let name = e.file_name().to_string_lossy().into_owned();
        out.push((Box::leak(name.into_boxed_str()) as &'static str, xs));
    }
    out
}

fn is_noisy(name: &str) -> bool {
    ["gaussian", "heavy-tailed", "counts", "art_noisy", "art_daily_small_noise"].iter().any(|k| name.starts_with(k))
}

#[test]
fn every_detector_is_calibrated_on_quiet_series() {
    let mut series = generated();
    series.extend(nab_quiet());
    let mut failures = Vec::new();
    let mut report = Vec::new();
    for d in registry() {
        let params = Params::defaults(d.params);
        let modes: &[Mode] = if d.supports_online(&params) { &[Mode::Online, Mode::Batch] } else { &[Mode::Batch] };
        for &mode in modes {
            let (mut n, mut at99, mut at999) = (0usize, 0usize, 0usize);
            for (name, xs) in &series {
                let (mut k, mut a, mut b) = (0, 0, 0);
                for s in score_series(d, &params, mode, xs) {
                    if let Some(p) = s.probability {
                        k += 1;
                        a += usize::from(p >= 0.99);
                        b += usize::from(p >= 0.999);
                    }
                }
                if std::env::var("CALIBRATION_DETAIL").is_ok() {
                    eprintln!("  {} {mode:?} {name}: {a} / {b} of {k}", d.name);
                }
                if name.contains("flatline") && a > 0 {
                    failures.push(format!("{} {mode:?}: {a} rows at 0.99 on a flat line", d.name));
                }
                if !is_noisy(name) {
                    continue;
                }
                (n, at99, at999) = (n + k, at99 + a, at999 + b);
            }
            let (r99, r999) = (at99 as f64 / n as f64 / 0.01, at999 as f64 / n as f64 / 0.001);
            report.push(format!("{} {mode:?}: {r99:.2} {r999:.2} of 1 − p ({n} rows)", d.name));
            // Every detector, both modes: the three whose online scores drift by construction
            // (matrix_profile, page_hinkley, dspot) are ranked as `crate::comparable` makes them.
            if !(0.5..=2.0).contains(&r99) || !(0.5..=2.0).contains(&r999) {
                failures.push(report.last().unwrap().clone());
            }
        }
    }
    eprintln!("{}", report.join("\n"));
    assert!(failures.is_empty(), "outside a factor of 2:\n{}", failures.join("\n"));
}
