//! Threshold-free metrics: ROC-AUC and the two published PR-AUCs, named apart.

use super::ranking::Ranking;

/// (true positives, false positives) after each distinct score, highest first.
fn curve(labels: &[bool], ranking: &Ranking) -> (Vec<(usize, usize)>, usize, usize) {
    let positives = labels.iter().filter(|&&l| l).count();
    let negatives = labels.len() - positives;
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut points = Vec::new();
    for tie in ranking.ties() {
        let hits = tie.clone().filter(|&p| labels[ranking.row_at(p)]).count();
        tp += hits;
        fp += tie.len() - hits;
        points.push((tp, fp));
    }
    (points, positives, negatives)
}

/// Area under the ROC curve by the trapezoid rule over all distinct thresholds; equal to the
/// Mann-Whitney probability that an anomaly outscores a normal point, ties counting ½.
/// 0.5 when either class is missing (undefined; reported as chance).
pub fn roc_auc(labels: &[bool], scores: &[f64]) -> f64 {
    roc_auc_ranked(labels, &Ranking::new(scores))
}

pub fn roc_auc_ranked(labels: &[bool], ranking: &Ranking) -> f64 {
    let (points, pos, neg) = curve(labels, ranking);
    if pos == 0 || neg == 0 {
        return 0.5;
    }
    let (mut area, mut prev) = (0.0, (0usize, 0usize));
    for &(tp, fp) in &points {
        area += (fp - prev.1) as f64 * (tp + prev.0) as f64 / 2.0;
        prev = (tp, fp);
    }
    area / (pos as f64 * neg as f64)
}

/// Average precision, AP = Σ (R_k − R_{k−1})·P_k (step-wise; scikit-learn, TSB-AD).
pub fn average_precision(labels: &[bool], scores: &[f64]) -> f64 {
    average_precision_ranked(labels, &Ranking::new(scores))
}

pub fn average_precision_ranked(labels: &[bool], ranking: &Ranking) -> f64 {
    let (points, pos, _) = curve(labels, ranking);
    if pos == 0 {
        return 0.0;
    }
    let (mut ap, mut prev_recall) = (0.0, 0.0);
    for &(tp, fp) in &points {
        let recall = tp as f64 / pos as f64;
        let precision = tp as f64 / (tp + fp) as f64;
        ap += (recall - prev_recall) * precision;
        prev_recall = recall;
    }
    ap
}

/// PR-AUC by the trapezoid rule (scikit-learn `auc(recall, precision)`, TimeEval `PrAUC`),
/// starting from (recall 0, precision 1) as scikit-learn's curve does.
pub fn pr_auc_trapezoid(labels: &[bool], scores: &[f64]) -> f64 {
    pr_auc_trapezoid_ranked(labels, &Ranking::new(scores))
}

pub fn pr_auc_trapezoid_ranked(labels: &[bool], ranking: &Ranking) -> f64 {
    let (points, pos, _) = curve(labels, ranking);
    if pos == 0 {
        return 0.0;
    }
    let (mut area, mut prev) = (0.0, (0.0, 1.0));
    for &(tp, fp) in &points {
        let point = (tp as f64 / pos as f64, tp as f64 / (tp + fp) as f64);
        area += (point.0 - prev.0) * (point.1 + prev.1) / 2.0;
        prev = point;
    }
    area
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn roc_auc_is_mann_whitney() {
        let l = [false, true, false, true, false];
        let s = [0.1, 0.9, 0.4, 0.35, 0.2];
        // Pairs (anomaly, normal): 0.9 beats all 3; 0.35 beats 0.1 and 0.2 → 5/6.
        assert_relative_eq!(roc_auc(&l, &s), 5.0 / 6.0);
        assert_relative_eq!(roc_auc(&l, &[1.0; 5]), 0.5); // all tied
    }

    #[test]
    fn ap_and_trapezoid_match_scikit_learn() {
        // sklearn: average_precision_score([0,0,1,1], [0.1,0.4,0.35,0.8]) = 0.8333...
        let l = [false, false, true, true];
        let s = [0.1, 0.4, 0.35, 0.8];
        assert_relative_eq!(average_precision(&l, &s), 0.8333333333333333, epsilon = 1e-12);
        // sklearn: precision_recall_curve → auc(recall, precision) = 0.7916666...
        assert_relative_eq!(pr_auc_trapezoid(&l, &s), 0.7916666666666666, epsilon = 1e-12);
    }
}
