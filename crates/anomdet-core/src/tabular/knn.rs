//! k-nearest-neighbour distance (Ramaswamy et al. 2000), as PyOD's `KNN`: a row's score is the
//! distance to its k-th nearest other row (`largest`) or the mean of the k (`mean`). Neighbours
//! are searched among at most `max_reference` rows drawn with the seed, which bounds the cost
//! at rows × max_reference distances; with fewer rows it is exact.

use super::{Matrix, gather_rows, squared_distance_within};
use rand::SeedableRng;
use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Rows below which a second thread costs more than it saves.
const PARALLEL_ROWS: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Aggregate {
    Largest,
    Mean,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Knn {
    /// Row indices of the fitted matrix that serve as neighbours, ascending.
    reference: Vec<usize>,
    k: usize,
    aggregate: Aggregate,
}

/// A row's score and its nearest neighbour among the reference rows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Neighbours {
    pub score: f64,
    pub nearest: usize,
}

impl Knn {
    pub fn fit(rows: usize, k: usize, aggregate: Aggregate, max_reference: usize, seed: u64) -> Knn {
        let mut reference: Vec<usize> = if rows <= max_reference {
            (0..rows).collect()
        } else {
            sample(&mut ChaCha8Rng::seed_from_u64(seed), rows, max_reference).into_vec()
        };
        reference.sort_unstable();
        Knn { reference, k: k.max(1), aggregate }
    }

    /// Score row `i` of `data` (the matrix the model was fitted for), itself excluded.
    pub fn score_row(&self, data: &Matrix, i: usize, nearest: &mut Vec<(f64, usize)>) -> Neighbours {
        self.search(data, data.row(i), Some(i), nearest).unwrap_or(Neighbours { score: 0.0, nearest: i })
    }

    /// Score a row that is not one of `data`'s (a new window against a stored model); `None`
    /// when the model has no reference rows.
    pub fn score_new(&self, data: &Matrix, row: &[f64], nearest: &mut Vec<(f64, usize)>) -> Option<Neighbours> {
        self.search(data, row, None, nearest)
    }

    fn search(
        &self,
        data: &Matrix,
        row: &[f64],
        skip: Option<usize>,
        nearest: &mut Vec<(f64, usize)>,
    ) -> Option<Neighbours> {
        nearest.clear();
        for &j in &self.reference {
            if Some(j) == skip {
                continue;
            }
            let bound = if nearest.len() < self.k { f64::INFINITY } else { nearest[self.k - 1].0 };
            let d = squared_distance_within(row, data.row(j), bound);
            if nearest.len() < self.k {
                let at = nearest.partition_point(|&(x, _)| x <= d);
                nearest.insert(at, (d, j));
            } else if d < nearest[self.k - 1].0 {
                nearest.pop();
                let at = nearest.partition_point(|&(x, _)| x <= d);
                nearest.insert(at, (d, j));
            }
        }
        let &(_, index) = nearest.first()?;
        let score = match self.aggregate {
            Aggregate::Largest => nearest[nearest.len() - 1].0.sqrt(),
            Aggregate::Mean => nearest.iter().map(|(d, _)| d.sqrt()).sum::<f64>() / nearest.len() as f64,
        };
        Some(Neighbours { score, nearest: index })
    }

    /// The model with only its reference rows: the rows themselves (in a matrix of their own,
    /// which the returned model indexes), all a stored model needs of the fitted matrix.
    pub fn keep_reference(&self, data: &Matrix) -> (Knn, Matrix) {
        let kept = gather_rows(data, &self.reference);
        (Knn { reference: (0..self.reference.len()).collect(), ..self.clone() }, kept)
    }

    /// Every row's score, the rows shared between two threads.
    pub fn score_all(&self, data: &Matrix) -> Vec<Neighbours> {
        crate::parallel::map_rows(
            data.rows,
            PARALLEL_ROWS,
            || Vec::with_capacity(self.k + 1),
            |scratch, i| self.score_row(data, i, scratch),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_distances_on_a_line() {
        // Points 0, 1, 2, 3 and 10 on a line; k = 2.
        let m = Matrix::new(5, 1, vec![0.0, 1.0, 2.0, 3.0, 10.0]);
        let largest = Knn::fit(5, 2, Aggregate::Largest, 100, 0).score_all(&m);
        assert_eq!(largest.iter().map(|n| n.score).collect::<Vec<_>>(), vec![2.0, 1.0, 1.0, 2.0, 8.0]);
        assert_eq!(largest[4].nearest, 3);
        let mean = Knn::fit(5, 2, Aggregate::Mean, 100, 0).score_all(&m);
        assert_eq!(mean.iter().map(|n| n.score).collect::<Vec<_>>(), vec![1.5, 1.0, 1.0, 1.5, 7.5]);
    }

    #[test]
    fn a_sampled_reference_still_finds_the_outlier() {
        let mut data: Vec<f64> =
            (0..2000).flat_map(|i| [((i * 37) % 100) as f64 / 100.0, ((i * 11) % 100) as f64 / 100.0]).collect();
        data.extend_from_slice(&[5.0, 5.0]);
        let m = Matrix::new(2001, 2, data);
        let scores = Knn::fit(2001, 5, Aggregate::Largest, 300, 9).score_all(&m);
        let top = (0..2001).max_by(|&a, &b| scores[a].score.total_cmp(&scores[b].score)).unwrap();
        assert_eq!(top, 2000);
    }
}
