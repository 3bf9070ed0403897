//! Local outlier factor (Breunig et al. 2000), as PyOD's `LOF` (scikit-learn's): a row's
//! score is the mean local reachability density of its k nearest neighbours over its own;
//! about 1 inside a cluster, well above 1 for a row in a sparser place than its neighbours.
//! Neighbours come from at most `max_reference` rows drawn with the seed (exact below that).

use super::{Matrix, gather_rows, squared_distance_within};
use rand::SeedableRng;
use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Rows below which a second thread costs more than it saves.
const PARALLEL_ROWS: usize = 1024;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Lof {
    /// Row indices of the fitted matrix that serve as neighbours.
    reference: Vec<usize>,
    k: usize,
    /// For each reference row: its k-distance and its local reachability density.
    k_distance: Vec<f64>,
    lrd: Vec<f64>,
    /// The least reachability distance (0: none). On quantized data many rows are duplicates,
    /// whose reachability of 0 made densities infinite and the LOF of a row beside them 1e10
    /// or ∞; a caller that knows the data's resolution passes half a step.
    least_reach: f64,
}

impl Lof {
    pub fn fit(data: &Matrix, k: usize, max_reference: usize, seed: u64) -> Lof {
        Lof::fit_resolved(data, k, max_reference, seed, 0.0)
    }

    /// [`Lof::fit`] on data that moves in steps: no reachability distance below `least_reach`.
    pub fn fit_resolved(data: &Matrix, k: usize, max_reference: usize, seed: u64, least_reach: f64) -> Lof {
        let mut reference: Vec<usize> = if data.rows <= max_reference {
            (0..data.rows).collect()
        } else {
            sample(&mut ChaCha8Rng::seed_from_u64(seed), data.rows, max_reference).into_vec()
        };
        reference.sort_unstable();
        let k = k.clamp(1, reference.len().saturating_sub(1).max(1));
        let mut lof = Lof { reference, k, k_distance: Vec::new(), lrd: Vec::new(), least_reach };
        // Neighbours of each reference row among the others: its k-distance first, then its lrd.
        let neighbours: Vec<Vec<(f64, usize)>> = crate::parallel::map_rows(
            lof.reference.len(),
            PARALLEL_ROWS,
            || (),
            |_, a| lof.nearest(data, data.row(lof.reference[a]), Some(a)),
        );
        lof.k_distance = neighbours.iter().map(|n| n.last().map_or(0.0, |p| p.0)).collect();
        lof.lrd = neighbours.iter().map(|n| lof.density(n)).collect();
        lof
    }

    /// The k nearest reference rows of `row` as (distance, reference position), nearest first;
    /// `skip` leaves one reference row out (the row itself).
    fn nearest(&self, data: &Matrix, row: &[f64], skip: Option<usize>) -> Vec<(f64, usize)> {
        let mut best: Vec<(f64, usize)> = Vec::with_capacity(self.k + 1);
        for (b, &j) in self.reference.iter().enumerate() {
            if Some(b) == skip {
                continue;
            }
            let bound = if best.len() < self.k { f64::INFINITY } else { best[best.len() - 1].0 };
            let d = squared_distance_within(row, data.row(j), bound);
            if best.len() < self.k || d < bound {
                let at = best.partition_point(|&(x, _)| x <= d);
                best.insert(at, (d, b));
                best.truncate(self.k);
            }
        }
        best.iter_mut().for_each(|p| p.0 = p.0.sqrt());
        best
    }

    /// Local reachability density: 1 / mean over the neighbours of max(k-distance(o), d(x, o)).
    fn density(&self, neighbours: &[(f64, usize)]) -> f64 {
        if neighbours.is_empty() {
            return 0.0;
        }
        let reach: f64 = neighbours
            .iter()
            .map(|&(d, o)| d.max(self.k_distance.get(o).copied().unwrap_or(d)).max(self.least_reach))
            .sum();
        let mean = reach / neighbours.len() as f64;
        if mean > 0.0 { 1.0 / mean } else { f64::INFINITY }
    }

    /// The LOF of a row of `data` (the fitted matrix: `index` keeps it from being its own neighbour).
    pub fn score_row(&self, data: &Matrix, row: &[f64], index: Option<usize>) -> f64 {
        let skip = index.and_then(|i| self.reference.binary_search(&i).ok());
        let neighbours = self.nearest(data, row, skip);
        let own = self.density(&neighbours);
        if neighbours.is_empty() {
            return 1.0;
        }
        let around = neighbours.iter().map(|&(_, o)| self.lrd[o]).sum::<f64>() / neighbours.len() as f64;
        match (own.is_finite(), around.is_finite()) {
            (true, true) if own > 0.0 => around / own,
            // Duplicates: a point among identical neighbours is as dense as they are.
            (false, false) => 1.0,
            (false, true) => 0.0,
            _ => f64::INFINITY,
        }
    }

    /// The model with only its reference rows, in a matrix of their own that the returned
    /// model indexes (see `Knn::keep_reference`); score new rows with `score_row(kept, row, None)`.
    pub fn keep_reference(&self, data: &Matrix) -> (Lof, Matrix) {
        let kept = gather_rows(data, &self.reference);
        (Lof { reference: (0..self.reference.len()).collect(), ..self.clone() }, kept)
    }

    /// Every row's LOF, the rows shared between two threads.
    pub fn score_all(&self, data: &Matrix) -> Vec<f64> {
        crate::parallel::map_rows(data.rows, PARALLEL_ROWS, || (), |_, i| self.score_row(data, data.row(i), Some(i)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uniform_cluster_scores_about_one_and_a_stray_point_far_above() {
        let mut data = Vec::new();
        for i in 0..20 {
            for j in 0..20 {
                data.extend_from_slice(&[i as f64, j as f64]);
            }
        }
        data.extend_from_slice(&[40.0, 40.0]);
        let m = Matrix::new(401, 2, data);
        let lof = Lof::fit(&m, 10, 10_000, 0);
        let scores = lof.score_all(&m);
        // Interior grid points: neighbours as dense as they are.
        assert!((scores[10 * 20 + 10] - 1.0).abs() < 0.05, "{}", scores[210]);
        assert!(scores[400] > 10.0, "{}", scores[400]);
    }

    #[test]
    fn local_density_matters_not_global_distance() {
        // A tight cluster and a loose one; a point just outside the tight one is more
        // anomalous than a point inside the loose one that is farther from its neighbours.
        let mut data = Vec::new();
        for i in 0..100 {
            data.extend_from_slice(&[(i % 10) as f64 * 0.1, (i / 10) as f64 * 0.1]);
            data.extend_from_slice(&[100.0 + (i % 10) as f64 * 5.0, (i / 10) as f64 * 5.0]);
        }
        data.extend_from_slice(&[2.0, 0.45]);
        let m = Matrix::new(201, 2, data);
        let scores = Lof::fit(&m, 10, 10_000, 0).score_all(&m);
        let loose_max = (0..100).map(|i| scores[2 * i + 1]).fold(f64::MIN, f64::max);
        assert!(scores[200] > 2.0 * loose_max, "{} vs {loose_max}", scores[200]);
    }
}
