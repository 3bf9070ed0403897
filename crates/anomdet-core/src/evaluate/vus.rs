//! Range-AUC and the volume under the surface, VUS-ROC and VUS-PR (Paparrizos et al., VLDB
//! 2022), with TSB-AD's semantics: for each buffer length ℓ = 0..=L, labels get soft √ slopes of
//! ⌊ℓ/2⌋ rows on both sides of every labelled range, TPR is scaled by the share of (merged,
//! extended) ranges that are hit, and the curves are averaged over ℓ.
//!
//! Computed with sorted scores and prefix sums instead of a pass over the series per (ℓ, θ):
//! only rows near a labelled range carry weight, so each ℓ costs O(weighted rows + thresholds)
//! after one sort. `Thresholds::Sampled(250)` reproduces TSB-AD's 250 sampled thresholds;
//! `Thresholds::Exact` uses every distinct score.

use super::runs;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Thresholds {
    /// Every distinct score, highest first.
    Exact,
    /// `sorted_desc[floor(linspace(0, n-1, k))]`, as TSB-AD does with k = 250.
    Sampled(usize),
}

/// (VUS-ROC, VUS-PR) for buffer lengths 0..=`max_buffer`.
pub fn vus(labels: &[bool], scores: &[f64], max_buffer: usize, thresholds: Thresholds) -> (f64, f64) {
    let n = labels.len();
    let ranges = runs(labels);
    if n == 0 || ranges.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mut desc: Vec<f64> = scores.iter().map(|&s| if s.is_nan() { f64::NEG_INFINITY } else { s }).collect();
    desc.sort_by(|a, b| b.total_cmp(a));
    let thetas: Vec<f64> = match thresholds {
        Thresholds::Exact => {
            let mut t = desc.clone();
            t.dedup();
            t
        }
        Thresholds::Sampled(k) => {
            (0..k).map(|j| desc[((n - 1) as f64 * j as f64 / (k.max(2) - 1) as f64).floor() as usize]).collect()
        }
    };
    let clean = |s: f64| if s.is_nan() { f64::NEG_INFINITY } else { s };
    // Labelled rows scoring at least θ, from their scores sorted high to low.
    let mut gt: Vec<f64> = ranges.iter().flat_map(|r| r.clone()).map(|i| clean(scores[i])).collect();
    gt.sort_by(|a, b| b.total_cmp(a));
    let positives = gt.len() as f64;

    let (mut roc_sum, mut pr_sum) = (0.0, 0.0);
    for l in 0..=max_buffer {
        let half = l / 2;
        // Buffer weights outside the labelled rows (clipped at 1), sorted by score, as prefix sums.
        let mut weight = std::collections::HashMap::<usize, f64>::new();
        if l > 0 {
            for r in &ranges {
                let (s, e) = (r.start, r.end - 1);
                for t in (e + 1)..=(e + half).min(n - 1) {
                    *weight.entry(t).or_default() += (1.0 - (t - e) as f64 / l as f64).sqrt();
                }
                for t in s.saturating_sub(half)..s {
                    *weight.entry(t).or_default() += (1.0 - (s - t) as f64 / l as f64).sqrt();
                }
            }
        }
        let mut buffer: Vec<(f64, f64)> =
            weight.into_iter().filter(|(t, _)| !labels[*t]).map(|(t, w)| (clean(scores[t]), w.min(1.0))).collect();
        buffer.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut prefix = Vec::with_capacity(buffer.len() + 1);
        prefix.push(0.0);
        for (_, w) in &buffer {
            prefix.push(prefix.last().copied().unwrap_or(0.0) + w);
        }
        // Extended ranges, merged where they touch; each is hit once its best score is ≥ θ.
        let mut merged: Vec<(usize, usize, f64)> = Vec::new();
        for r in &ranges {
            let (a, b) = (r.start.saturating_sub(half), (r.end - 1 + half).min(n - 1));
            let best = (a..=b).map(|i| clean(scores[i])).fold(f64::NEG_INFINITY, f64::max);
            match merged.last_mut() {
                Some(last) if a <= last.1 + 1 => {
                    last.1 = last.1.max(b);
                    last.2 = last.2.max(best);
                }
                _ => merged.push((a, b, best)),
            }
        }
        let mut maxima: Vec<f64> = merged.iter().map(|m| m.2).collect();
        maxima.sort_by(|a, b| b.total_cmp(a));

        let mut roc = vec![(0.0, 0.0)];
        let (mut pr, mut prev_tpr) = (0.0, 0.0);
        // Thresholds only go down, so every count is a pointer that only moves forward.
        let (mut at_all, mut at_gt, mut at_buffer, mut at_max) = (0usize, 0usize, 0usize, 0usize);
        for &theta in &thetas {
            while at_all < desc.len() && desc[at_all] >= theta {
                at_all += 1;
            }
            while at_gt < gt.len() && gt[at_gt] >= theta {
                at_gt += 1;
            }
            while at_buffer < buffer.len() && buffer[at_buffer].0 >= theta {
                at_buffer += 1;
            }
            while at_max < maxima.len() && maxima[at_max] >= theta {
                at_max += 1;
            }
            let hits_buffer = prefix[at_buffer];
            let tp = at_gt as f64 + hits_buffer;
            let p_l = positives + hits_buffer / 2.0;
            let existence = at_max as f64 / maxima.len() as f64;
            let tpr = (tp / p_l).min(1.0) * existence;
            let all = at_all as f64;
            let fpr = if n as f64 > p_l { (all - tp) / (n as f64 - p_l) } else { 0.0 };
            let precision = if all > 0.0 { tp / all } else { 0.0 };
            roc.push((fpr, tpr));
            pr += (tpr - prev_tpr) * precision;
            prev_tpr = tpr;
        }
        roc.push((1.0, 1.0));
        roc_sum += roc.windows(2).map(|w| (w[1].0 - w[0].0) * (w[1].1 + w[0].1) / 2.0).sum::<f64>();
        pr_sum += pr;
    }
    let volumes = (max_buffer + 1) as f64;
    (roc_sum / volumes, pr_sum / volumes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition, row by row, for every (ℓ, θ): slow and obviously right.
    #[allow(clippy::needless_range_loop)]
    fn reference(labels: &[bool], scores: &[f64], max_buffer: usize, k: usize) -> (f64, f64) {
        let n = labels.len();
        let mut desc = scores.to_vec();
        desc.sort_by(|a, b| b.total_cmp(a));
        let thetas: Vec<f64> =
            (0..k).map(|j| desc[((n - 1) as f64 * j as f64 / (k - 1) as f64).floor() as usize]).collect();
        let ranges = runs(labels);
        let (mut rs, mut ps) = (0.0, 0.0);
        for l in 0..=max_buffer {
            let half = l / 2;
            let mut w = vec![0.0f64; n];
            for r in &ranges {
                let (s, e) = (r.start, r.end - 1);
                w[s..=e].fill(1.0);
            }
            let mut extra = vec![0.0f64; n];
            if l > 0 {
                for r in &ranges {
                    let (s, e) = (r.start, r.end - 1);
                    for t in (e + 1)..=(e + half).min(n - 1) {
                        extra[t] += (1.0 - (t - e) as f64 / l as f64).sqrt();
                    }
                    for t in s.saturating_sub(half)..s {
                        extra[t] += (1.0 - (s - t) as f64 / l as f64).sqrt();
                    }
                }
            }
            let ext: Vec<(usize, usize)> =
                ranges.iter().map(|r| (r.start.saturating_sub(half), (r.end - 1 + half).min(n - 1))).collect();
            let mut merged: Vec<(usize, usize)> = vec![];
            for (a, b) in ext {
                match merged.last_mut() {
                    Some(m) if a <= m.1 + 1 => m.1 = m.1.max(b),
                    _ => merged.push((a, b)),
                }
            }
            let mut roc = vec![(0.0, 0.0)];
            let (mut pr, mut prev) = (0.0, 0.0);
            for &th in &thetas {
                let y: Vec<bool> = scores.iter().map(|&s| s >= th).collect();
                let gt: f64 = (0..n).filter(|&t| labels[t] && y[t]).count() as f64;
                let buf: f64 = (0..n).filter(|&t| !labels[t] && y[t]).map(|t| extra[t].min(1.0)).sum();
                let tp = gt + buf;
                let p_l = w.iter().sum::<f64>() + buf / 2.0;
                let exist = merged.iter().filter(|(a, b)| (*a..=*b).any(|t| y[t])).count() as f64 / merged.len() as f64;
                let tpr = (tp / p_l).min(1.0) * exist;
                let all = y.iter().filter(|&&v| v).count() as f64;
                roc.push(((all - tp) / (n as f64 - p_l), tpr));
                pr += (tpr - prev) * (tp / all);
                prev = tpr;
            }
            roc.push((1.0, 1.0));
            rs += roc.windows(2).map(|w| (w[1].0 - w[0].0) * (w[1].1 + w[0].1) / 2.0).sum::<f64>();
            ps += pr;
        }
        (rs / (max_buffer + 1) as f64, ps / (max_buffer + 1) as f64)
    }

    #[test]
    fn matches_the_row_by_row_definition() {
        let mut state = 7u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % 10_000) as f64 / 10_000.0
        };
        for case in 0..20 {
            let n = 200 + case * 7;
            let labels: Vec<bool> =
                (0..n).map(|i| (40..48).contains(&i) || (120..121).contains(&i) || (125..140).contains(&i)).collect();
            let scores: Vec<f64> = (0..n).map(|i| next() + if labels[i] { 0.4 } else { 0.0 }).collect();
            let fast = vus(&labels, &scores, 12, Thresholds::Sampled(250));
            let slow = reference(&labels, &scores, 12, 250);
            assert!((fast.0 - slow.0).abs() < 1e-9 && (fast.1 - slow.1).abs() < 1e-9, "{fast:?} vs {slow:?}");
        }
    }

    /// Golden values printed by TSB-AD 1.5 itself (`evaluation/basic_metrics.py`:
    /// `generate_curve(labels, score, w, 'opt', 250)`, and `metric_ROC`/`metric_PR`, which are
    /// scikit-learn's `roc_auc_score` and `average_precision_score`) on this deterministic series.
    #[test]
    fn agrees_with_tsb_ad() {
        let n = 400;
        let labels: Vec<bool> = (0..n).map(|i| (50..60).contains(&i) || i == 200 || (300..330).contains(&i)).collect();
        let scores: Vec<f64> =
            (0..n).map(|i| ((i * 37) % 101) as f64 / 101.0 + if labels[i] { 0.35 } else { 0.0 }).collect();
        for (buffer, roc, pr) in [
            (0, 0.7091740833842879, 0.37799404891174815),
            (10, 0.7967180004209008, 0.44208817162164116),
            (100, 0.9263358437968893, 0.6861308002342071),
        ] {
            let (r, p) = vus(&labels, &scores, buffer, Thresholds::Sampled(250));
            assert!((r - roc).abs() < 1e-9 && (p - pr).abs() < 1e-9, "buffer {buffer}: {r} {p} vs {roc} {pr}");
        }
        let clean = scores.clone();
        assert!((super::super::auc::roc_auc(&labels, &clean) - 0.7742373802568109).abs() < 1e-12);
        assert!((super::super::auc::average_precision(&labels, &clean) - 0.48269046338852295).abs() < 1e-12);
    }

    #[test]
    fn perfect_and_random_detectors() {
        let n = 2000;
        let labels: Vec<bool> = (0..n).map(|i| (500..520).contains(&i) || (1500..1540).contains(&i)).collect();
        let perfect: Vec<f64> = labels.iter().map(|&l| if l { 1.0 } else { 0.0 }).collect();
        let (roc, pr) = vus(&labels, &perfect, 0, Thresholds::Exact);
        assert!((roc - 1.0).abs() < 1e-12 && (pr - 1.0).abs() < 1e-12, "{roc} {pr}");
        let mut state = 3u64;
        let random: Vec<f64> = (0..n)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (state >> 33) as f64
            })
            .collect();
        // Without a buffer a random score sits near chance; TSB-AD's buffers count hits near a
        // range fully in TP but only half in the positives, which lifts every ROC curve.
        let (roc0, _) = vus(&labels, &random, 0, Thresholds::Exact);
        assert!(roc0 > 0.4 && roc0 < 0.6, "random R-AUC-ROC at l=0: {roc0}");
        let (roc, pr) = vus(&labels, &random, 100, Thresholds::Exact);
        assert!(roc < 0.9 && pr < 0.15, "random VUS {roc} {pr}");
    }
}
