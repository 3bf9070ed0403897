//! Defaults that catch the obvious: on the README demo's kind of series (a daily wave with a
//! little noise, one value a minute) with five planted spikes and dips, every detector meant for
//! single values (`Finds::Spikes`) flags at least 4 of the 5 at its defaults (within 2 rows), in
//! each of its modes — or its one-line description in `anomdet.detectors()` says why it misses
//! them (the text after "; "). Detectors of level shifts, volatility shifts and shapes are not
//! held to it (the demo's table shows them all).

use super::{Finds, Mode, Params, registry, score_series};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const PLANTED: [(usize, f64); 5] = [(1200, 25.0), (3100, -20.0), (5000, 15.0), (7400, -12.0), (9000, 30.0)];

fn demo_series() -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let mut xs: Vec<f64> = (0..10_000)
        .map(|i| 50.0 + 10.0 * (std::f64::consts::TAU * i as f64 / 1440.0).sin() + rng.random_range(-1.0..1.0))
        .collect();
    for (at, by) in PLANTED {
        xs[at] += by;
    }
    xs
}

#[test]
fn every_point_detector_finds_the_planted_spikes_or_says_why_not() {
    let xs = demo_series();
    let mut failures = Vec::new();
    for d in registry().iter().filter(|d| matches!(d.finds, Finds::Spikes)) {
        let params = Params::defaults(d.params);
        let explained = d.description.contains("; ");
        let modes: &[Mode] = if d.supports_online(&params) { &[Mode::Batch, Mode::Online] } else { &[Mode::Batch] };
        for &mode in modes {
            let out = score_series(d, &params, mode, &xs);
            let found =
                PLANTED.iter().filter(|(at, _)| (at - 2..=at + 2).any(|i| out[i].is_anomaly == Some(true))).count();
            eprintln!("{} {mode:?}: {found} / 5{}", d.name, if explained { " (explained)" } else { "" });
            if found < 4 && !explained {
                failures.push(format!("{} {mode:?}: {found} / 5", d.name));
            }
        }
    }
    assert!(failures.is_empty(), "finds fewer than 4 of 5 and does not say why:\n{}", failures.join("\n"));
}
