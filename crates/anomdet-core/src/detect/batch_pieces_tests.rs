//! Batch mode a range at a time (`Detector::batch_pieces`) gives `score_batch`'s scores bit
//! for bit, for every detector that says it can, built plain and calibrated with no
//! probability read; a calibrated detector whose probabilities are read says it cannot.

use super::tests::white_noise;
use super::{BatchPieces, Detector, Params, Scored, registry};
use crate::detector::ProbabilityFor;

fn series() -> Vec<f64> {
    let noise = white_noise(5000, 0.1);
    let mut xs: Vec<f64> = (0..5000).map(|i| (i as f64 * std::f64::consts::TAU / 48.0).sin() + noise[i]).collect();
    for i in [3, 400, 1300, 2200, 4997] {
        xs[i] += 6.0;
    }
    for x in &mut xs[1800..1900] {
        *x += 2.0;
    }
    xs
}

fn bits(s: &Scored) -> [Option<u64>; 6] {
    let b = |v: Option<f64>| v.map(f64::to_bits);
    [b(s.score), s.is_anomaly.map(u64::from), b(s.expected), b(s.lower), b(s.upper), b(s.probability)]
}

/// Ranges that split the series at the edges of every window (the first, a middle one, the last).
const SPLITS: [usize; 6] = [0, 1, 29, 2500, 4970, 5000];

/// The pieces' scores, the ranges asked for in order.
fn in_pieces(detector: &mut dyn Detector, xs: &[f64]) -> Option<Vec<Scored>> {
    let mut out = Vec::new();
    match detector.batch_pieces(xs) {
        BatchPieces::Whole => return None,
        BatchPieces::Online => out.extend(xs.iter().map(|&x| detector.update(x))),
        BatchPieces::Learnt(mut by_range) => {
            for w in SPLITS.windows(2) {
                by_range.score_range(xs, w[0]..w[1], &mut out);
            }
            // A range alone, not after the one before it, scores the same, on a copy too.
            let mut alone = Vec::new();
            by_range.fork().score_range(xs, 2000..2100, &mut alone);
            let again: Vec<_> = out[2000..2100].iter().map(bits).collect();
            assert_eq!(alone.iter().map(bits).collect::<Vec<_>>(), again);
        }
    }
    Some(out)
}

#[test]
fn pieces_score_as_the_whole_batch_does() {
    let xs = series();
    let mut checked = Vec::new();
    for d in registry() {
        let params = Params::defaults(d.params);
        let builds: [Box<dyn Fn() -> Box<dyn Detector>>; 2] = [
            Box::new(|| (d.build)(&params)),
            Box::new(|| {
                let mut calibrated = d.build_calibrated(&params);
                calibrated.probability_for(ProbabilityFor::NoRow);
                calibrated
            }),
        ];
        for build in &builds {
            let Some(pieces) = in_pieces(build().as_mut(), &xs) else { continue };
            let whole = build().score_batch(&xs);
            assert_eq!(pieces.len(), whole.len(), "{}", d.name);
            for (i, (p, w)) in pieces.iter().zip(&whole).enumerate() {
                assert_eq!(bits(p), bits(w), "{} differs at {i}", d.name);
            }
            checked.push(d.name);
        }
    }
    for name in ["zscore", "mad", "iqr", "ewma", "spot", "dspot"] {
        assert_eq!(checked.iter().filter(|&&n| n == name).count(), 2, "{name} not scored in pieces");
    }
}

#[test]
fn probabilities_read_need_the_whole_batch() {
    let xs = series();
    let d = super::find_detector("zscore").unwrap();
    for rows in [ProbabilityFor::EveryRow, ProbabilityFor::FlaggedRows] {
        let mut calibrated = d.build_calibrated(&Params::defaults(d.params));
        calibrated.probability_for(rows);
        assert!(matches!(calibrated.batch_pieces(&xs), BatchPieces::Whole));
    }
    let flags_by_probability = d.parse_params(Some(&serde_json::json!({"probability": 0.999}))).unwrap();
    let mut calibrated = d.build_calibrated(&flags_by_probability);
    calibrated.probability_for(ProbabilityFor::NoRow);
    assert!(matches!(calibrated.batch_pieces(&xs), BatchPieces::Whole));
}
