//! Range-AUC and the volume under the surface, VUS-ROC and VUS-PR (Paparrizos et al., VLDB
//! 2022), with TSB-AD's semantics: for each buffer length ℓ = 0..=L, labels get soft √ slopes of
//! ⌊ℓ/2⌋ rows on both sides of every labelled range, TPR is scaled by the share of (merged,
//! extended) ranges that are hit, and the curves are averaged over ℓ.
//!
//! Computed from one ranking of the scores instead of a pass over the series per (ℓ, θ). Only
//! *relevant* rows can change a count as the threshold goes down: the labelled ones and those
//! within ⌊L/2⌋ rows of a labelled range. Each is reduced once to its ranking position and its
//! distances to the nearest labelled ranges; between two of them every curve runs horizontally,
//! so a buffer length is one pass over the relevant rows and the thresholds that bound them.
//! The cost is O(n log n) for the sort plus O(relevant rows + ranges) per buffer length,
//! whatever the number or shape of the ranges.
//! `Thresholds::Sampled(250)` reproduces TSB-AD's 250 sampled thresholds; `Thresholds::Exact`
//! uses every distinct score.

use super::ranking::{Ranking, sort_checked};
use super::runs;
use crate::{interrupt, parallel};
use std::ops::Range;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Thresholds {
    /// Every distinct score, highest first.
    Exact,
    /// `sorted_desc[floor(linspace(0, n-1, k))]`, as TSB-AD does with k = 250.
    Sampled(usize),
}

/// The longest buffer the compact row records can describe (distances are stored in 16 bits).
pub const MAX_BUFFER: usize = 2 * (u16::MAX as usize - 1);

/// (VUS-ROC, VUS-PR) for buffer lengths 0..=`max_buffer` (at most [`MAX_BUFFER`]).
pub fn vus(labels: &[bool], scores: &[f64], max_buffer: usize, thresholds: Thresholds) -> (f64, f64) {
    vus_ranked(labels, &Ranking::new(scores), max_buffer, &[thresholds])[0]
}

/// A relevant row: where it stands in the ranking, and its distances to the nearest labelled
/// range (0 for a labelled row) and to the second nearest (another range, either side); `FAR`
/// when there is none.
#[derive(Clone, Copy)]
struct Row {
    position: u32,
    nearest: u16,
    second: u16,
}

const FAR: u16 = u16::MAX;

/// What is counted at or above a threshold: labelled rows, buffer weight, extended ranges hit.
#[derive(Clone, Copy, PartialEq, Default)]
struct Counts {
    labelled: usize,
    buffer: f64,
    hit: usize,
}

/// One ROC and one PR curve, built as the threshold goes down. A run of thresholds where the
/// counts do not change lies on one horizontal line, so only its last point is added (the
/// trapezoids under the line sum to the one from its first to its last point).
#[derive(Default)]
struct Curves {
    roc: f64,
    pr: f64,
    fpr: f64,
    tpr: f64,
    added: Counts,
    skipped: Option<usize>,
}

/// The fixed quantities of one buffer length's curve.
struct Frame {
    n: f64,
    positives: f64,
    merged: f64,
}

impl Frame {
    /// (FPR, TPR, precision) with `all` rows at or above the threshold.
    fn point(&self, c: Counts, all: usize) -> (f64, f64, f64) {
        let tp = c.labelled as f64 + c.buffer;
        let p_l = self.positives + c.buffer / 2.0;
        let tpr = (tp / p_l).min(1.0) * (c.hit as f64 / self.merged);
        let all = all as f64;
        let fpr = if self.n > p_l { (all - tp) / (self.n - p_l) } else { 0.0 };
        let precision = if all > 0.0 { tp / all } else { 0.0 };
        (fpr, tpr, precision)
    }
}

impl Curves {
    fn add(&mut self, frame: &Frame, c: Counts, all: usize) {
        if c == self.added && all > 0 {
            self.skipped = Some(all);
            return;
        }
        if let Some(before) = self.skipped.take() {
            self.push(frame.point(self.added, before));
        }
        self.push(frame.point(c, all));
        self.added = c;
    }

    fn push(&mut self, (fpr, tpr, precision): (f64, f64, f64)) {
        self.roc += (fpr - self.fpr) * (tpr + self.tpr) / 2.0;
        self.pr += (tpr - self.tpr) * precision;
        (self.fpr, self.tpr) = (fpr, tpr);
    }

    /// (ROC area, PR area), the ROC curve closed at (1, 1).
    fn close(mut self, frame: &Frame) -> (f64, f64) {
        if let Some(before) = self.skipped.take() {
            self.push(frame.point(self.added, before));
        }
        (self.roc + (1.0 - self.fpr) * (1.0 + self.tpr) / 2.0, self.pr)
    }
}

/// Everything a buffer length's pass reads, shared by the threads.
struct Setup {
    ranges: Vec<Range<usize>>,
    n: usize,
    position: Vec<u32>,
    /// The relevant rows in ranking order.
    rows: Vec<Row>,
    /// Where curve points are taken, in ranking order: (rows at or above the threshold, the
    /// threshold set it belongs to).
    schedule: Vec<(u32, usize)>,
    curves: usize,
    positives: f64,
}

/// [`vus`] for several threshold sets at once, from one ranking of the scores: the pass per
/// buffer length is shared by the sets, and the buffer lengths are shared by the threads.
pub fn vus_ranked(labels: &[bool], ranking: &Ranking, max_buffer: usize, kinds: &[Thresholds]) -> Vec<(f64, f64)> {
    vus_on(labels, ranking, max_buffer, kinds, None)
}

/// [`vus_ranked`] on `threads` threads, or as many as the work is worth.
fn vus_on(
    labels: &[bool],
    ranking: &Ranking,
    max_buffer: usize,
    kinds: &[Thresholds],
    threads: Option<usize>,
) -> Vec<(f64, f64)> {
    let n = labels.len();
    let ranges = runs(labels);
    if n == 0 || ranges.is_empty() {
        return vec![(f64::NAN, f64::NAN); kinds.len()];
    }
    let max_buffer = max_buffer.min(MAX_BUFFER);
    let position = positions(ranking);
    let rows = relevant_rows(&ranges, n, &position, max_buffer / 2);
    let mut schedule: Vec<(u32, usize)> = Vec::new();
    for (k, &kind) in kinds.iter().enumerate() {
        let cuts = match kind {
            Thresholds::Exact => exact_cuts(ranking, &rows),
            Thresholds::Sampled(j) => sampled_cuts(ranking, j),
        };
        schedule.extend(cuts.into_iter().map(|c| (c as u32, k)));
    }
    schedule.sort_by_key(|&(c, _)| c); // stable: each set keeps its own order at a shared cut
    let setup = Setup {
        schedule,
        curves: kinds.len(),
        positives: labels.iter().filter(|&&l| l).count() as f64,
        rows,
        ranges,
        n,
        position,
    };
    // Small inputs are not worth a thread; either way every length's areas are summed in order.
    let work = (setup.rows.len() + setup.schedule.len()) * (max_buffer + 1);
    let threads = threads.unwrap_or(if work >= 1 << 22 { parallel::THREADS } else { 1 });
    let per_thread = parallel::on_threads(threads, |t, turn| {
        let mut grown = Grown::new(&setup);
        let mut areas = Vec::new();
        for l in (t..=max_buffer).step_by(threads) {
            if !turn.go_on() {
                break;
            }
            grown.to(&setup, l / 2);
            areas.push((l, one_length(&setup, &grown.best, l, turn)));
        }
        areas
    });
    let mut areas: Vec<(usize, Vec<(f64, f64)>)> = per_thread.into_iter().flatten().collect();
    areas.sort_by_key(|(l, _)| *l);
    let volumes = (max_buffer + 1) as f64;
    (0..kinds.len())
        .map(|k| {
            let (roc, pr) = areas.iter().fold((0.0, 0.0), |(r, p), (_, a)| (r + a[k].0, p + a[k].1));
            (roc / volumes, pr / volumes)
        })
        .collect()
}

/// Per labelled range, its best (lowest) position over the range grown by `half` rows a side,
/// grown one row at a time as the buffer lengths go up.
struct Grown {
    half: usize,
    best: Vec<u32>,
}

impl Grown {
    fn new(setup: &Setup) -> Grown {
        let best =
            setup.ranges.iter().map(|r| r.clone().map(|t| setup.position[t]).min().unwrap_or(u32::MAX)).collect();
        Grown { half: 0, best }
    }

    fn to(&mut self, setup: &Setup, half: usize) {
        while self.half < half {
            self.half += 1;
            for (r, b) in setup.ranges.iter().zip(self.best.iter_mut()) {
                if let Some(t) = r.start.checked_sub(self.half) {
                    *b = (*b).min(setup.position[t]);
                }
                if r.end - 1 + self.half < setup.n {
                    *b = (*b).min(setup.position[r.end - 1 + self.half]);
                }
            }
        }
    }
}

/// The (ROC area, PR area) of each threshold set at buffer length `l`: one pass over the
/// relevant rows in ranking order, a curve point at each scheduled threshold.
fn one_length(setup: &Setup, best: &[u32], l: usize, turn: &parallel::Turn) -> Vec<(f64, f64)> {
    let (n, half) = (setup.n, l / 2);
    // Extended ranges, merged where they touch: each is hit once its best row is counted.
    let mut hits = Vec::new();
    let mut open: Option<(usize, u32)> = None; // (last row, best position) of the range being merged
    for (r, &b) in setup.ranges.iter().zip(best) {
        let (from, to) = (r.start.saturating_sub(half), (r.end - 1 + half).min(n - 1));
        open = match open {
            Some((end, so_far)) if from <= end + 1 => Some((end.max(to), so_far.min(b))),
            Some((_, so_far)) => {
                hits.push(so_far);
                Some((to, b))
            }
            None => Some((to, b)),
        };
    }
    hits.extend(open.map(|(_, b)| b));
    let frame = Frame { n: n as f64, positives: setup.positives, merged: hits.len() as f64 };
    hits.sort_unstable();
    let slope: Vec<f64> = (0..=half).map(|d| (1.0 - d as f64 / l as f64).sqrt()).collect();

    let mut curves: Vec<Curves> = (0..setup.curves).map(|_| Curves::default()).collect();
    let (mut next_row, mut next_hit, mut counts) = (0usize, 0usize, Counts::default());
    for (i, &(cut, k)) in setup.schedule.iter().enumerate() {
        if i % crate::interrupt::EVERY == 0 && !turn.go_on() {
            break;
        }
        while let Some(row) = setup.rows.get(next_row).filter(|r| r.position < cut) {
            match row.nearest as usize {
                0 => counts.labelled += 1,
                // TSB-AD sums √(1 − d/ℓ) over the ranges in reach and clips at 1; a term is at
                // least √½, so a second range in reach means 1.
                d if d <= half => counts.buffer += if row.second as usize <= half { 1.0 } else { slope[d] },
                _ => {}
            }
            next_row += 1;
        }
        while hits.get(next_hit).is_some_and(|&h| h < cut) {
            counts.hit += 1;
            next_hit += 1;
        }
        curves[k].add(&frame, counts, cut as usize);
    }
    curves.into_iter().map(|c| c.close(&frame)).collect()
}

/// Exact thresholds: every distinct score. A curve point is needed only where a count changes
/// (the end of a tie holding a relevant row), just before (the end of the tie before it), and
/// at the last threshold; between those the curve runs horizontally.
fn exact_cuts(ranking: &Ranking, rows: &[Row]) -> Vec<usize> {
    let mut cuts = Vec::new();
    let mut next = rows.iter().map(|r| r.position as usize).peekable();
    for tie in ranking.ties() {
        let mut holds = false;
        while next.next_if(|&p| p < tie.end).is_some() {
            holds = true;
        }
        if holds {
            if tie.start > 0 && cuts.last() != Some(&tie.start) {
                cuts.push(tie.start);
            }
            cuts.push(tie.end);
        }
    }
    if cuts.last() != Some(&ranking.len()) {
        cuts.push(ranking.len());
    }
    cuts
}

/// The position of every row in the ranking.
fn positions(ranking: &Ranking) -> Vec<u32> {
    let mut position = vec![0u32; ranking.len()];
    for p in 0..ranking.len() {
        position[ranking.row_at(p)] = p as u32;
    }
    position
}

/// TSB-AD's sampled thresholds, highest first, each as the number of rows at or above it.
fn sampled_cuts(ranking: &Ranking, k: usize) -> Vec<usize> {
    let n = ranking.len();
    let mut above = 0;
    (0..k)
        .map(|j| {
            let theta = ranking.score_at(((n - 1) as f64 * j as f64 / (k.max(2) - 1) as f64).floor() as usize);
            while above < n && ranking.score_at(above) >= theta {
                above += 1;
            }
            above
        })
        .collect()
}

/// The relevant rows (labelled, or within `reach` rows of a labelled range) with their
/// distances to the two nearest labelled ranges, in ranking order. Only the two nearest range
/// ends before a row and the two nearest starts after it can be the nearest.
fn relevant_rows(ranges: &[Range<usize>], n: usize, position: &[u32], reach: usize) -> Vec<Row> {
    let mut rows = Vec::new();
    let far = |d: usize| if d <= reach { d as u16 } else { FAR };
    for (k, r) in ranges.iter().enumerate() {
        interrupt::check_every(k);
        // The gap before range k, from the end of range k − 1; only its rows in reach.
        let from = k.checked_sub(1).map_or(0, |i| ranges[i].end);
        let ends = [k.checked_sub(1), k.checked_sub(2)].map(|i| i.map(|i| ranges[i].end - 1));
        let starts = [Some(r.start), ranges.get(k + 1).map(|r| r.start)];
        let gap = from..r.start;
        let near_end = if k > 0 { gap.start..gap.end.min(gap.start + reach) } else { 0..0 };
        let near_start = r.start.saturating_sub(reach).max(near_end.end)..r.start;
        for t in near_end.chain(near_start) {
            rows.push(gap_row(t, position, ends, starts, far));
        }
        rows.extend(r.clone().map(|t| Row { position: position[t], nearest: 0, second: FAR }));
    }
    let last = ranges.len() - 1;
    let ends = [Some(ranges[last].end - 1), last.checked_sub(1).map(|i| ranges[i].end - 1)];
    let tail = ranges[last].end..n.min(ranges[last].end + reach);
    rows.extend(tail.map(|t| gap_row(t, position, ends, [None, None], far)));
    sort_checked(&mut rows, |r| r.position);
    rows
}

fn gap_row(
    t: usize,
    position: &[u32],
    ends: [Option<usize>; 2],
    starts: [Option<usize>; 2],
    far: impl Fn(usize) -> u16,
) -> Row {
    let mut d = [FAR; 4];
    for (slot, e) in d.iter_mut().zip(ends) {
        if let Some(e) = e {
            *slot = far(t - e);
        }
    }
    for (slot, s) in d[2..].iter_mut().zip(starts) {
        if let Some(s) = s {
            *slot = far(s - t);
        }
    }
    d.sort_unstable();
    Row { position: position[t], nearest: d[0], second: d[1] }
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
        reference_at(labels, scores, max_buffer, &thetas)
    }

    /// Every distinct score as a threshold.
    fn reference_exact(labels: &[bool], scores: &[f64], max_buffer: usize) -> (f64, f64) {
        let mut thetas = scores.to_vec();
        thetas.sort_by(|a, b| b.total_cmp(a));
        thetas.dedup();
        reference_at(labels, scores, max_buffer, &thetas)
    }

    #[allow(clippy::needless_range_loop)]
    fn reference_at(labels: &[bool], scores: &[f64], max_buffer: usize, thetas: &[f64]) -> (f64, f64) {
        let n = labels.len();
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
            for &th in thetas {
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

    /// Many short events, few long ones, ranges a row or two apart (so two ranges reach one
    /// row), ranges at both ends, tied and NaN scores: the fast pass agrees with the definition
    /// for both threshold sets.
    #[test]
    fn matches_the_definition_on_every_shape() {
        let mut state = 11u64;
        let mut next = move |m: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % m
        };
        for case in 0..60 {
            let n = 50 + next(250) as usize;
            let mut labels = vec![false; n];
            let mut t = next(4) as usize; // sometimes a range starts at row 0
            while t < n {
                let len = if case % 3 == 0 { 1 } else { 1 + next(20) as usize };
                labels[t..(t + len).min(n)].fill(true);
                t += len + 1 + next(if case % 2 == 0 { 3 } else { 40 }) as usize;
            }
            let levels = if case % 4 == 0 { 5 } else { 100_000 }; // heavy ties, or nearly none
            let scores: Vec<f64> = (0..n)
                .map(|i| {
                    if case % 5 == 0 && next(10) == 0 {
                        f64::NAN
                    } else {
                        next(levels) as f64 + if labels[i] { levels as f64 / 3.0 } else { 0.0 }
                    }
                })
                .collect();
            let clean: Vec<f64> = scores.iter().map(|&s| if s.is_nan() { f64::NEG_INFINITY } else { s }).collect();
            let buffer = [0, 1, 2, 7, 30][case % 5];
            let ranking = Ranking::new(&scores);
            let fast = vus_ranked(&labels, &ranking, buffer, &[Thresholds::Exact, Thresholds::Sampled(250)]);
            let slow = [reference_exact(&labels, &clean, buffer), reference(&labels, &clean, buffer, 250)];
            for (f, s) in fast.iter().zip(&slow) {
                assert!((f.0 - s.0).abs() < 1e-9 && (f.1 - s.1).abs() < 1e-9, "case {case}: {fast:?} vs {slow:?}");
            }
        }
    }

    /// The buffer lengths shared by two threads give the same areas as one thread, bit for bit
    /// (each length's areas are summed in order whichever thread made them).
    #[test]
    fn threads_do_not_change_the_result() {
        let n = 20_000;
        let labels: Vec<bool> = (0..n).map(|i| i % 97 == 0 || (5_000..5_300).contains(&i)).collect();
        let scores: Vec<f64> =
            (0..n).map(|i| ((i * 7919) % 1009) as f64 + if labels[i] { 300.0 } else { 0.0 }).collect();
        let ranking = Ranking::new(&scores);
        let kinds = [Thresholds::Exact, Thresholds::Sampled(250)];
        let one = vus_on(&labels, &ranking, 100, &kinds, Some(1));
        let two = vus_on(&labels, &ranking, 100, &kinds, Some(2));
        assert_eq!(one, two);
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
