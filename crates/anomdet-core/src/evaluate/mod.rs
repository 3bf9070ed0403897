//! Scoring a detector against ground truth: point-wise, point-adjusted, event-wise and
//! range-based (Tatbul et al. 2018) precision/recall/F1, ROC-AUC, PR-AUC in both published
//! forms, and detection delay. Definitions follow `docs/evaluation.md` of the project brief;
//! each function names the variant it computes.

pub mod affiliation;
pub mod auc;
pub mod delay;
pub mod nab;
pub mod point;
pub mod range;
pub mod ranking;
pub mod vus;

use std::ops::Range;

/// Maximal runs of `true` in `labels` (the ground-truth or predicted anomaly ranges).
pub fn runs(labels: &[bool]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, &l) in labels.iter().enumerate() {
        match (l, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(s..labels.len());
    }
    out
}

/// Predictions from scores at threshold `theta` (s ≥ θ), NaN never firing.
pub fn predict(scores: &[f64], theta: f64) -> Vec<bool> {
    scores.iter().map(|&s| s >= theta).collect()
}

/// One named metric value, with a note on how to read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub name: &'static str,
    pub value: f64,
    pub note: &'static str,
}

/// Every metric for one labelled series: `labels` (truth), `scores` (NaN = unscored, treated as
/// the lowest score) and `predicted` (the flags of the chosen threshold).
/// Buffer length L of VUS: TSB-AD's default when no sliding window is given.
pub const VUS_BUFFER: usize = 100;

pub fn evaluate(labels: &[bool], scores: &[f64], predicted: &[bool]) -> Vec<Metric> {
    evaluate_series(labels, scores, predicted, std::slice::from_ref(&(0..labels.len())))
}

/// [`evaluate`] over several series laid end to end: `series` are their row ranges, which NAB's
/// protocol needs (each series has its own probationary period; one threshold for all).
pub fn evaluate_series(labels: &[bool], scores: &[f64], predicted: &[bool], series: &[Range<usize>]) -> Vec<Metric> {
    // One sort serves every threshold sweep below.
    let ranking = ranking::Ranking::new(scores);
    let p = point::prf(labels, predicted);
    let pa = point::prf(labels, &point::adjust(labels, predicted, 0.0));
    let ev = point::event_f1(labels, predicted);
    let rb = range::prf(labels, predicted, 0.0);
    let af = affiliation::prf(labels, predicted);
    let best = point::best_f1_ranked(labels, &ranking);
    let delays = delay::delays(labels, predicted);
    let vus_both =
        vus::vus_ranked(labels, &ranking, VUS_BUFFER, &[vus::Thresholds::Exact, vus::Thresholds::Sampled(250)]);
    let ((vus_roc, vus_pr), (tsb_roc, tsb_pr)) = (vus_both[0], vus_both[1]);
    let corpus = nab::Corpus::new(labels, series);
    let nab_at: Vec<f64> = nab::PROFILES.iter().map(|&p| corpus.at_flags(predicted, p)).collect();
    let nab_best: Vec<nab::Best> = nab::PROFILES.iter().map(|&p| corpus.best_threshold(&ranking, p)).collect();
    let m = |name, value, note| Metric { name, value, note };
    vec![
        m("precision", p.precision, "point-wise, at the chosen threshold"),
        m("recall", p.recall, "point-wise, at the chosen threshold"),
        m("f1", p.f1, "point-wise, at the chosen threshold"),
        m("pa_f1", pa.f1, "point-adjusted F1: optimistic, a random score can look good (Kim et al. 2022)"),
        m("event_recall", ev.recall, "share of labelled ranges with at least one flag"),
        m("event_f1", ev.f1, "point-wise precision with event recall (Garg et al. 2021)"),
        m("range_precision", rb.precision, "Tatbul et al. 2018: flat bias, reciprocal cardinality"),
        m("range_recall", rb.recall, "Tatbul et al. 2018: flat bias, reciprocal cardinality, existence reward 0"),
        m("range_f1", rb.f1, "Tatbul et al. 2018"),
        m("affiliation_precision", af.precision, "Huet et al. 2022, exact; NaN when nothing is flagged"),
        m("affiliation_recall", af.recall, "Huet et al. 2022, exact; lenient: near misses score high"),
        m("affiliation_f1", af.f1, "harmonic mean of the two; report, but do not rank by it"),
        m("roc_auc", auc::roc_auc_ranked(labels, &ranking), "threshold-free; 0.5 is random"),
        m(
            "pr_auc_ap",
            auc::average_precision_ranked(labels, &ranking),
            "threshold-free; step-wise average precision (TSB-AD)",
        ),
        m(
            "pr_auc_trapezoid",
            auc::pr_auc_trapezoid_ranked(labels, &ranking),
            "threshold-free; trapezoid rule (TimeEval PrAUC)",
        ),
        m("vus_pr", vus_pr, "headline: volume under the range-PR surface, buffers 0..100 rows, every distinct score"),
        m("vus_roc", vus_roc, "volume under the range-ROC surface, buffers 0..100 rows, every distinct score"),
        m("vus_pr_tsbad", tsb_pr, "VUS-PR with TSB-AD's 250 sampled thresholds (its leaderboard's numbers)"),
        m("vus_roc_tsbad", tsb_roc, "VUS-ROC with TSB-AD's 250 sampled thresholds"),
        m(
            "nab_standard",
            nab_at[0],
            "NAB score (standard profile) of the flags at the chosen threshold: 0 = null, 100 = perfect",
        ),
        m("nab_low_fp", nab_at[1], "NAB score, reward-low-FP profile (A_FP 0.22), at the chosen threshold"),
        m("nab_low_fn", nab_at[2], "NAB score, reward-low-FN profile (A_FN 2), at the chosen threshold"),
        m(
            "nab_standard_best",
            nab_best[0].score,
            "NAB's protocol: the one threshold for all rows that scores best, chosen with hindsight (an upper bound)",
        ),
        m("nab_low_fp_best", nab_best[1].score, "NAB's protocol, reward-low-FP profile, best threshold"),
        m("nab_low_fn_best", nab_best[2].score, "NAB's protocol, reward-low-FN profile, best threshold"),
        m(
            "nab_standard_best_threshold",
            if nab_best[0].threshold.is_finite() { nab_best[0].threshold } else { f64::NAN },
            "the score threshold of nab_standard_best",
        ),
        m("best_f1", best.f1, "oracle: best point-wise F1 over all thresholds, an upper bound"),
        m("best_f1_threshold", best.threshold, "the score threshold of best_f1"),
        m("mean_delay_rows", delay::mean(&delays), "rows from a range's start to its first flag, detected ranges only"),
        m(
            "median_delay_rows",
            delay::median(&delays),
            "rows from a range's start to its first flag, detected ranges only",
        ),
        m(
            "contamination",
            labels.iter().filter(|&&l| l).count() as f64 / labels.len().max(1) as f64,
            "share of labelled rows: the PR-AUC of a random score",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_maximal() {
        let l = [false, true, true, false, true, false, false, true];
        assert_eq!(runs(&l), vec![1..3, 4..5, 7..8]);
        assert!(runs(&[false, false]).is_empty());
    }

    #[test]
    fn a_perfect_detector_scores_one_everywhere() {
        let labels: Vec<bool> = (0..100).map(|i| (40..45).contains(&i) || i == 80).collect();
        let scores: Vec<f64> = labels.iter().map(|&l| if l { 10.0 } else { 0.0 }).collect();
        let out = evaluate(&labels, &scores, &labels);
        for m in &out {
            match m.name {
                "best_f1_threshold"
                | "nab_standard_best_threshold"
                | "contamination"
                | "mean_delay_rows"
                | "median_delay_rows" => {}
                // Labels in the probationary period are not scored by NAB.
                "nab_standard" | "nab_low_fp" | "nab_low_fn" | "nab_standard_best" | "nab_low_fp_best"
                | "nab_low_fn_best" => assert!(m.value.is_nan() || m.value > 99.0),
                // Sampled thresholds can miss the perfect split on sparse labels (brief §3.6).
                "vus_pr_tsbad" | "vus_roc_tsbad" => assert!(m.value > 0.5, "{} = {}", m.name, m.value),
                _ => assert!((m.value - 1.0).abs() < 1e-12, "{} = {}", m.name, m.value),
            }
        }
    }
}

#[cfg(test)]
mod edge_cases {
    use super::*;

    fn metric(ms: &[Metric], name: &str) -> f64 {
        ms.iter().find(|m| m.name == name).map(|m| m.value).unwrap_or(f64::NAN)
    }

    /// One labelled point at 50 and an adjacent pair of ranges 70..72 and 72..75 (which, being
    /// adjacent, are one range: runs() merges them, as any boolean label column would).
    fn labels() -> Vec<bool> {
        (0..100).map(|i| i == 50 || (70..75).contains(&i)).collect()
    }

    #[test]
    fn no_detections() {
        let l = labels();
        let ms = evaluate(&l, &[0.0; 100], &[false; 100]);
        // Nothing flagged: precision is defined as 0, recall 0, F1 0, no delay to report.
        for name in ["precision", "recall", "f1", "pa_f1", "event_recall", "range_precision", "range_recall"] {
            assert_eq!(metric(&ms, name), 0.0, "{name}");
        }
        assert!(metric(&ms, "mean_delay_rows").is_nan());
        // A constant score cannot rank anything: ROC-AUC is exactly chance.
        assert_eq!(metric(&ms, "roc_auc"), 0.5);
    }

    #[test]
    fn all_detections() {
        let l = labels();
        let ms = evaluate(&l, &[1.0; 100], &[true; 100]);
        // 6 labelled rows of 100 flagged: precision 0.06, recall 1.
        assert!((metric(&ms, "precision") - 0.06).abs() < 1e-12);
        assert_eq!(metric(&ms, "recall"), 1.0);
        assert_eq!(metric(&ms, "event_recall"), 1.0);
        // One predicted range covering everything: range precision = 6/100 covered, split over
        // 2 real ranges → reciprocal cardinality 1/2 → 0.03.
        assert!((metric(&ms, "range_precision") - 0.03).abs() < 1e-12);
        // Both real ranges are fully covered by one prediction each: range recall 1.
        assert_eq!(metric(&ms, "range_recall"), 1.0);
        assert_eq!(metric(&ms, "mean_delay_rows"), 0.0);
    }

    #[test]
    fn single_point_event_and_delay() {
        let l = labels();
        let mut flags = vec![false; 100];
        flags[50] = true; // the point event
        flags[73] = true; // the range, 3 rows late
        let scores: Vec<f64> = flags.iter().map(|&f| if f { 1.0 } else { 0.0 }).collect();
        let ms = evaluate(&l, &scores, &flags);
        assert_eq!(metric(&ms, "precision"), 1.0);
        assert!((metric(&ms, "recall") - 2.0 / 6.0).abs() < 1e-12);
        assert_eq!(metric(&ms, "event_recall"), 1.0);
        assert_eq!(metric(&ms, "pa_f1"), 1.0); // PA credits the whole range for one hit
        assert!((metric(&ms, "mean_delay_rows") - 1.5).abs() < 1e-12); // (0 + 3) / 2
        assert!((metric(&ms, "median_delay_rows") - 1.5).abs() < 1e-12);
    }

    #[test]
    fn adjacent_labels_are_one_range() {
        assert_eq!(runs(&labels()), vec![50..51, 70..75]);
    }
}
