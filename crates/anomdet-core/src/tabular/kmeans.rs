//! k-means (Lloyd's iterations from a k-means++ start, seeded), for KMeansAD (Yairi et al. 2001,
//! as TSB-AD): a row's score is its distance to the nearest centre.

use super::{Matrix, squared_distance};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KMeans {
    pub centres: Matrix,
}

impl KMeans {
    pub fn fit(data: &Matrix, k: usize, iterations: usize, seed: u64) -> KMeans {
        let k = k.clamp(1, data.rows.max(1));
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut centres = Matrix::zeros(k, data.cols);
        // k-means++: each next centre drawn with probability ∝ squared distance to the nearest.
        let first = rng.random_range(0..data.rows.max(1));
        centres.row_mut(0).copy_from_slice(data.row(first));
        let mut nearest: Vec<f64> = (0..data.rows).map(|i| squared_distance(data.row(i), centres.row(0))).collect();
        for c in 1..k {
            crate::interrupt::check();
            let total: f64 = nearest.iter().sum();
            let pick = if total > 0.0 {
                let mut target = rng.random::<f64>() * total;
                nearest
                    .iter()
                    .position(|&d| {
                        target -= d;
                        target <= 0.0
                    })
                    .unwrap_or(data.rows - 1)
            } else {
                rng.random_range(0..data.rows)
            };
            centres.row_mut(c).copy_from_slice(data.row(pick));
            for (i, n) in nearest.iter_mut().enumerate() {
                *n = n.min(squared_distance(data.row(i), centres.row(c)));
            }
        }
        let mut assignment = vec![usize::MAX; data.rows];
        for _ in 0..iterations {
            let mut changed = false;
            for (i, a) in assignment.iter_mut().enumerate() {
                crate::interrupt::check_every(i * k);
                let (best, _) = nearest_centre(&centres, data.row(i));
                if best != *a {
                    *a = best;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
            let mut sums = Matrix::zeros(k, data.cols);
            let mut counts = vec![0usize; k];
            for (i, &a) in assignment.iter().enumerate() {
                counts[a] += 1;
                for (s, v) in sums.row_mut(a).iter_mut().zip(data.row(i)) {
                    *s += v;
                }
            }
            for (c, &count) in counts.iter().enumerate() {
                if count > 0 {
                    let inv = 1.0 / count as f64;
                    for (dst, s) in centres.row_mut(c).iter_mut().zip(sums.row(c)) {
                        *dst = s * inv;
                    }
                }
            }
        }
        KMeans { centres }
    }

    /// The nearest centre of a row and the distance to it.
    pub fn assign(&self, row: &[f64]) -> (usize, f64) {
        let (c, d2) = nearest_centre(&self.centres, row);
        (c, d2.sqrt())
    }
}

fn nearest_centre(centres: &Matrix, row: &[f64]) -> (usize, f64) {
    let mut best = (0, f64::INFINITY);
    for c in 0..centres.rows {
        let d = squared_distance(row, centres.row(c));
        if d < best.1 {
            best = (c, d);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_two_clusters_and_scores_a_stray_row_highest() {
        let mut data = Vec::new();
        for i in 0..100 {
            let jitter = ((i * 13) % 10) as f64 / 100.0;
            data.extend_from_slice(&[jitter, jitter]);
            data.extend_from_slice(&[10.0 + jitter, 10.0 - jitter]);
        }
        data.extend_from_slice(&[5.0, 5.0]);
        let m = Matrix::new(201, 2, data);
        let km = KMeans::fit(&m, 2, 50, 4);
        let mut centres: Vec<f64> = (0..2).map(|c| km.centres.row(c)[0]).collect();
        centres.sort_by(f64::total_cmp);
        assert!(centres[0] < 0.2 && (centres[1] - 10.0).abs() < 0.2, "{centres:?}");
        let scores: Vec<f64> = (0..201).map(|i| km.assign(m.row(i)).1).collect();
        let top = (0..201).max_by(|&a, &b| scores[a].total_cmp(&scores[b])).unwrap();
        assert_eq!(top, 200);
    }
}
