//! The matrix profile (Yeh et al. 2016) by STOMP (Zhu et al. 2016): for every subsequence of
//! length m, the z-normalised Euclidean distance to its nearest other subsequence outside an
//! exclusion zone of ⌈m/4⌉ (as STUMPY), and where that is. O(n²) time walking the diagonals
//! of the distance matrix, O(n) memory. The largest values are discords: shapes seen nowhere
//! else in the series. Two threads share the diagonals (pure arithmetic: only the calling
//! thread checks for interrupts, and a cancel stops the other before the error goes on).

use crate::parallel::Turn;

mod avx2;

/// Nearest-neighbour distance and index of each subsequence.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub distance: Vec<f64>,
    pub nearest: Vec<usize>,
}

/// The exclusion zone STUMPY uses: trivial matches closer than this are not neighbours.
pub fn exclusion_zone(m: usize) -> usize {
    m.div_ceil(4)
}

/// Dot products along a diagonal are updated incrementally; recomputed exactly this often so
/// rounding cannot build up over long series.
const RESYNC: usize = 4096;

/// Diagonals walked side by side: their running dot products are independent chains, and
/// their cells in one row are neighbours in memory (vector registers take them at once).
const LANES: usize = 16;

pub fn stomp(xs: &[f64], m: usize) -> Profile {
    profile(xs, m, avx2::available())
}

/// The profile, walking full groups with vector registers when `vectors` (the CPU has AVX2).
fn profile(xs: &[f64], m: usize, vectors: bool) -> Profile {
    let n = xs.len();
    assert!(m >= 2 && n >= m, "need 2 <= m <= n");
    let l = n - m + 1;
    let (mean, sd) = rolling_moments(xs, m);
    let root_m = (m as f64).sqrt();
    // corr(i, j) = qt(i, j) · u_i · u_j − z_i · z_j, with u = 1/(σ√m) and z = μ/σ; flat
    // windows get u = z = 0 (correlation 0 with everything), fixed up at the end.
    let u: Vec<f64> = sd.iter().map(|&s| if s > 0.0 { 1.0 / (s * root_m) } else { 0.0 }).collect();
    let z: Vec<f64> = mean.iter().zip(&sd).map(|(&mu, &s)| if s > 0.0 { mu / s } else { 0.0 }).collect();
    let excl = exclusion_zone(m);
    let job = Job { xs, m, l, u: &u, z: &z, first: excl + 1, vectors };
    let threads = if l > 4096 { crate::parallel::THREADS } else { 1 };
    let shares = crate::parallel::on_threads(threads, |t, turn| job.run(t, threads, turn));
    let mut best = vec![f64::NEG_INFINITY; l];
    let mut nearest = vec![usize::MAX; l];
    for share in shares {
        for i in 0..l {
            if share.best[i] > best[i] {
                best[i] = share.best[i];
                nearest[i] = share.nearest[i];
            }
        }
    }
    match_flat_windows(&sd, excl, &mut best, &mut nearest);
    let distance =
        best.iter()
            .map(|&c| {
                if c == f64::NEG_INFINITY {
                    f64::INFINITY
                } else {
                    (2.0 * m as f64 * (1.0 - c.min(1.0))).max(0.0).sqrt()
                }
            })
            .collect();
    Profile { distance, nearest }
}

struct Job<'a> {
    xs: &'a [f64],
    m: usize,
    l: usize,
    u: &'a [f64],
    z: &'a [f64],
    /// The first diagonal outside the exclusion zone.
    first: usize,
    /// Full groups of diagonals go to the AVX2 walk.
    vectors: bool,
}

/// One thread's best correlations and where they were found.
struct Share {
    best: Vec<f64>,
    nearest: Vec<usize>,
}

impl Share {
    /// Window `at` meets `other` with correlation `corr`: kept if better than its best so far
    /// (strictly: of equal ones, the first found stays).
    #[inline(always)]
    fn offer(&mut self, at: usize, corr: f64, other: usize) {
        if corr > self.best[at] {
            self.best[at] = corr;
            self.nearest[at] = other;
        }
    }
}

impl Job<'_> {
    /// Walk groups of `LANES` diagonals: group g goes to thread g mod `threads`.
    fn run(&self, thread: usize, threads: usize, turn: &Turn) -> Share {
        let mut share = Share { best: vec![f64::NEG_INFINITY; self.l], nearest: vec![usize::MAX; self.l] };
        let mut k = self.first + thread * LANES;
        while k < self.l {
            if !turn.go_on() {
                break;
            }
            let lanes = LANES.min(self.l - k);
            if self.vectors && lanes == LANES {
                // SAFETY: `vectors` only when the CPU has AVX2.
                unsafe { avx2::walk(self, k, &mut share) };
            } else {
                self.walk(k, lanes, &mut share);
            }
            k += threads * LANES;
        }
        share
    }

    /// Diagonals k..k + lanes side by side, cell by cell.
    fn walk(&self, k: usize, lanes: usize, share: &mut Share) {
        let (xs, m) = (self.xs, self.m);
        let common = self.l - (k + lanes - 1);
        let mut qt = [0.0f64; LANES];
        for (lane, q) in qt.iter_mut().enumerate().take(lanes) {
            *q = dot(&xs[0..m], &xs[k + lane..k + lane + m]);
        }
        for i in 0..common {
            if i > 0 {
                for (lane, q) in qt.iter_mut().enumerate().take(lanes) {
                    *q = self.next_dot(i, i + k + lane, *q);
                }
            }
            for (lane, &q) in qt.iter().enumerate().take(lanes) {
                self.record(i, i + k + lane, q, share);
            }
        }
        self.walk_tails(k, lanes, common, &qt, share);
    }

    /// Beyond the shortest (the last) diagonal of a group: lane d has lanes − 1 − d more cells,
    /// from row `common` on; `qt` holds each lane's dot product at row `common` − 1.
    fn walk_tails(&self, k: usize, lanes: usize, common: usize, qt: &[f64; LANES], share: &mut Share) {
        for (lane, &start) in qt.iter().enumerate().take(lanes - 1) {
            let mut q = start;
            for i in common..self.l - (k + lane) {
                q = self.next_dot(i, i + k + lane, q);
                self.record(i, i + k + lane, q, share);
            }
        }
    }

    /// The dot product of windows i and j from that of i − 1 and j − 1; recomputed whole on
    /// every RESYNC-th row, so each cell's value depends on its place alone.
    #[inline(always)]
    fn next_dot(&self, i: usize, j: usize, previous: f64) -> f64 {
        let (xs, m) = (self.xs, self.m);
        if i.is_multiple_of(RESYNC) {
            dot(&xs[i..i + m], &xs[j..j + m])
        } else {
            previous + xs[i + m - 1] * xs[j + m - 1] - xs[i - 1] * xs[j - 1]
        }
    }

    #[inline]
    fn record(&self, i: usize, j: usize, qt: f64, share: &mut Share) {
        let corr = qt * self.u[i] * self.u[j] - self.z[i] * self.z[j];
        share.offer(i, corr, j);
        share.offer(j, corr, i);
    }
}

/// Two flat windows have the same (undefined) shape: distance 0 to each other, as STUMPY.
fn match_flat_windows(sd: &[f64], excl: usize, best: &mut [f64], nearest: &mut [usize]) {
    let flat: Vec<usize> = (0..sd.len()).filter(|&i| sd[i] <= 0.0).collect();
    for &i in &flat {
        // The farthest flat window is outside the zone if any is.
        let candidate = if flat[flat.len() - 1] > i + excl {
            Some(flat[flat.len() - 1])
        } else if flat[0] + excl < i {
            Some(flat[0])
        } else {
            None
        };
        if let Some(j) = candidate {
            best[i] = 1.0;
            nearest[i] = j;
        }
    }
}

/// Mean and population standard deviation of every length-m window, from running sums of the
/// series minus its mean (which keeps the variance's cancellation small).
fn rolling_moments(xs: &[f64], m: usize) -> (Vec<f64>, Vec<f64>) {
    let shift = xs.iter().sum::<f64>() / xs.len() as f64;
    let (mut s1, mut s2) = (0.0, 0.0);
    for &x in &xs[..m] {
        s1 += x - shift;
        s2 += (x - shift) * (x - shift);
    }
    let l = xs.len() - m + 1;
    let mut mean = Vec::with_capacity(l);
    let mut sd = Vec::with_capacity(l);
    let mf = m as f64;
    for i in 0..l {
        if i > 0 {
            let (old, new) = (xs[i - 1] - shift, xs[i + m - 1] - shift);
            s1 += new - old;
            s2 += new * new - old * old;
        }
        let mu = s1 / mf;
        let var = (s2 / mf - mu * mu).max(0.0);
        mean.push(mu + shift);
        // Below this relative size the window is flat up to rounding.
        let scale = xs[i..i + m].iter().fold(0.0f64, |a, &x| a.max(x.abs())).max(1e-300);
        sd.push(if var.sqrt() > 1e-10 * scale { var.sqrt() } else { 0.0 });
    }
    (mean, sd)
}

#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let chunks = a.len() / 4;
    for c in 0..chunks {
        for lane in 0..4 {
            acc[lane] += a[4 * c + lane] * b[4 * c + lane];
        }
    }
    let mut s = acc[0] + acc[1] + acc[2] + acc[3];
    for k in 4 * chunks..a.len() {
        s += a[k] * b[k];
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition, computed naively.
    fn brute_force(xs: &[f64], m: usize) -> Vec<f64> {
        let l = xs.len() - m + 1;
        let norm = |i: usize| {
            let w = &xs[i..i + m];
            let mu = w.iter().sum::<f64>() / m as f64;
            let sd = (w.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / m as f64).sqrt();
            w.iter().map(|x| (x - mu) / sd).collect::<Vec<_>>()
        };
        let excl = exclusion_zone(m);
        (0..l)
            .map(|i| {
                let a = norm(i);
                (0..l)
                    .filter(|&j| i.abs_diff(j) > excl)
                    .map(|j| a.iter().zip(norm(j)).map(|(p, q)| (p - q).powi(2)).sum::<f64>().sqrt())
                    .fold(f64::INFINITY, f64::min)
            })
            .collect()
    }

    #[test]
    fn equals_the_definition() {
        let xs: Vec<f64> = (0..300).map(|i| (i as f64 / 7.0).sin() + ((i * 7919) % 113) as f64 / 200.0).collect();
        for m in [4, 10, 33] {
            let p = stomp(&xs, m);
            let b = brute_force(&xs, m);
            for (i, (got, want)) in p.distance.iter().zip(&b).enumerate() {
                assert!((got - want).abs() < 1e-6, "m {m} i {i}: {got} vs {want}");
            }
        }
    }

    #[test]
    fn two_threads_give_the_definition_too() {
        // Long enough for the second thread (more than 4,096 windows); checked at 60 rows.
        let xs: Vec<f64> = (0..6000).map(|i| (i as f64 / 9.0).sin() + ((i * 7919) % 113) as f64 / 150.0).collect();
        let m = 16;
        let p = stomp(&xs, m);
        let norm = |i: usize| {
            let w = &xs[i..i + m];
            let mu = w.iter().sum::<f64>() / m as f64;
            let sd = (w.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / m as f64).sqrt();
            w.iter().map(|x| (x - mu) / sd).collect::<Vec<_>>()
        };
        let l = xs.len() - m + 1;
        for i in (0..l).step_by(l / 60) {
            let a = norm(i);
            let truth = (0..l)
                .filter(|&j| i.abs_diff(j) > exclusion_zone(m))
                .map(|j| a.iter().zip(norm(j)).map(|(p, q)| (p - q).powi(2)).sum::<f64>().sqrt())
                .fold(f64::INFINITY, f64::min);
            assert!((p.distance[i] - truth).abs() < 1e-6, "i {i}: {} vs {truth}", p.distance[i]);
        }
    }

    #[test]
    fn the_vector_walk_gives_the_scalar_walks_profile_bit_for_bit() {
        // Both threads, resyncs (rows past 4,096), narrow last groups, flat windows, ties.
        let mut xs: Vec<f64> = (0..9000).map(|i| (i as f64 / 11.0).sin() + ((i * 7919) % 113) as f64 / 90.0).collect();
        for x in &mut xs[3000..3040] {
            *x = 2.0;
        }
        for (i, x) in xs[6000..6400].iter_mut().enumerate() {
            *x = (i as f64 * std::f64::consts::TAU / 20.0).sin(); // exact repeats: equal correlations
        }
        if !avx2::available() {
            eprintln!("no AVX2 here: only the scalar walk runs");
            return;
        }
        for m in [8, 37, 100] {
            let (vector, scalar) = (profile(&xs, m, true), profile(&xs, m, false));
            assert_eq!(vector.nearest, scalar.nearest, "m {m}");
            let bits = |p: &Profile| p.distance.iter().map(|d| d.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&vector), bits(&scalar), "m {m}");
        }
    }

    #[test]
    fn the_discord_is_the_distorted_cycle_and_its_neighbour_is_a_true_match() {
        let mut xs: Vec<f64> = (0..2000).map(|i| (i as f64 * std::f64::consts::TAU / 50.0).sin()).collect();
        for x in &mut xs[1000..1025] {
            *x *= -1.0; // half a cycle upside down
        }
        let p = stomp(&xs, 50);
        let top = (0..p.distance.len()).max_by(|&a, &b| p.distance[a].total_cmp(&p.distance[b])).unwrap();
        assert!((960..1030).contains(&top), "discord at {top}");
        // A clean window's neighbour is a whole number of cycles away, at distance ~0.
        assert!(p.distance[100] < 1e-6);
        assert_eq!((p.nearest[100] as i64 - 100).rem_euclid(50), 0);
    }

    #[test]
    fn flat_windows_match_each_other() {
        let mut xs: Vec<f64> = (0..200).map(|i| (i as f64 / 3.0).sin()).collect();
        for x in &mut xs[20..40] {
            *x = 1.0;
        }
        for x in &mut xs[120..140] {
            *x = 1.0;
        }
        let p = stomp(&xs, 10);
        assert_eq!(p.distance[25], 0.0);
        assert!(p.nearest[25] >= 120);
    }
}
