//! One group of `LANES` diagonals with AVX2 (four cells to a register), the same arithmetic as
//! the scalar walk in the same order (no FMA), so the same correlations bit for bit.
//!
//! A cell (i, i + k + lane) updates row i and column i + k + lane. The row takes "is any lane
//! better than the row's best?", which is rarely true once the walk is under way. The columns
//! are kept in registers while the group passes over them: lane 0's column gets its last cell
//! at this step and goes to memory; every other column moves down a lane. Loading and storing
//! columns in memory instead, each step one cell on from the last, would make every load wait
//! for the stores before it.

use super::{Job, LANES, RESYNC, Share, dot};

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// Whether this CPU can take the vector walk.
pub(super) fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[cfg(not(target_arch = "x86_64"))]
pub(super) fn walk(_: &Job, _: usize, _: &mut Share) {
    unreachable!("available() is false off x86_64")
}

const REGS: usize = LANES / 4;

/// Diagonals k..k + LANES, then the cells the longer ones have beyond the shortest. Callers
/// make sure the CPU has AVX2 (`available()`).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
pub(super) fn walk(job: &Job, k: usize, share: &mut Share) {
    let (xs, m, u, z) = (job.xs, job.m, job.u, job.z);
    let common = job.l - (k + LANES - 1);
    let mut start = [0.0f64; LANES];
    for (lane, q) in start.iter_mut().enumerate() {
        *q = dot(&xs[0..m], &xs[k + lane..k + lane + m]);
    }
    let mut qt: [__m256d; REGS] = std::array::from_fn(|r| load(&start, 4 * r));
    // The columns j..j + LANES at row i (j = i + k): best correlation so far and its row.
    let fresh_best = _mm256_set1_pd(f64::NEG_INFINITY);
    let fresh_row = _mm256_castsi256_pd(_mm256_set1_epi64x(-1));
    let mut col_best = [fresh_best; REGS];
    let mut col_row = [fresh_row; REGS];
    for i in 0..common {
        let j = i + k;
        if i > 0 {
            if i.is_multiple_of(RESYNC) {
                for (lane, q) in start.iter_mut().enumerate() {
                    *q = dot(&xs[i..i + m], &xs[j + lane..j + lane + m]);
                }
                qt = std::array::from_fn(|r| load(&start, 4 * r));
            } else {
                let (enter, leave) = (_mm256_set1_pd(xs[i + m - 1]), _mm256_set1_pd(xs[i - 1]));
                for (r, q) in qt.iter_mut().enumerate() {
                    let gained = _mm256_mul_pd(enter, load(xs, j + m - 1 + 4 * r));
                    let lost = _mm256_mul_pd(leave, load(xs, j - 1 + 4 * r));
                    *q = _mm256_sub_pd(_mm256_add_pd(*q, gained), lost);
                }
            }
        }
        let (ui, zi) = (_mm256_set1_pd(u[i]), _mm256_set1_pd(z[i]));
        let corr: [__m256d; REGS] = std::array::from_fn(|r| {
            let scaled = _mm256_mul_pd(_mm256_mul_pd(qt[r], ui), load(u, j + 4 * r));
            _mm256_sub_pd(scaled, _mm256_mul_pd(zi, load(z, j + 4 * r)))
        });
        let row = _mm256_castsi256_pd(_mm256_set1_epi64x(i as i64));
        for r in 0..REGS {
            let better = _mm256_cmp_pd::<_CMP_GT_OQ>(corr[r], col_best[r]);
            col_best[r] = _mm256_blendv_pd(col_best[r], corr[r], better);
            col_row[r] = _mm256_blendv_pd(col_row[r], row, better);
        }
        let row_best = _mm256_set1_pd(share.best[i]);
        let mut any = _mm256_setzero_pd();
        for c in &corr {
            any = _mm256_or_pd(any, _mm256_cmp_pd::<_CMP_GT_OQ>(*c, row_best));
        }
        if _mm256_movemask_pd(any) != 0 {
            let mut cells = [0.0f64; LANES];
            for (r, c) in corr.iter().enumerate() {
                store(&mut cells, 4 * r, *c);
            }
            for (lane, &c) in cells.iter().enumerate() {
                share.offer(i, c, j + lane);
            }
        }
        // Column j has had its last cell of this group.
        share.offer(j, _mm256_cvtsd_f64(col_best[0]), lane0_bits(col_row[0]) as usize);
        col_best = shift_down(col_best, fresh_best);
        col_row = shift_down(col_row, fresh_row);
    }
    // The columns still open (lane L is column common + k + L) go to memory before the rows
    // below the shortest diagonal reach them.
    let (mut open_best, mut open_row) = ([0.0f64; LANES], [0.0f64; LANES]);
    for r in 0..REGS {
        store(&mut open_best, 4 * r, col_best[r]);
        store(&mut open_row, 4 * r, col_row[r]);
    }
    for lane in 0..LANES - 1 {
        share.offer(common + k + lane, open_best[lane], open_row[lane].to_bits() as usize);
    }
    for (r, q) in qt.iter().enumerate() {
        store(&mut start, 4 * r, *q);
    }
    job.walk_tails(k, LANES, common, &start, share);
}

/// Four values from `at` on (bounds-checked).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn load(xs: &[f64], at: usize) -> __m256d {
    let four: &[f64; 4] = xs[at..at + 4].try_into().expect("four values");
    // SAFETY: four f64s in bounds; loadu needs no alignment (AVX is enabled by the caller).
    unsafe { _mm256_loadu_pd(four.as_ptr()) }
}

/// Four values into `xs` from `at` on (bounds-checked).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn store(xs: &mut [f64], at: usize, v: __m256d) {
    let four: &mut [f64; 4] = (&mut xs[at..at + 4]).try_into().expect("four values");
    // SAFETY: four f64s in bounds; storeu needs no alignment (AVX is enabled by the caller).
    unsafe { _mm256_storeu_pd(four.as_mut_ptr(), v) }
}

/// Lane 0 of a register holding integers as their bits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn lane0_bits(v: __m256d) -> u64 {
    _mm256_cvtsd_f64(v).to_bits()
}

/// Every lane one down across the registers (lane 0 leaves), `fresh` into the last lane.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn shift_down(v: [__m256d; REGS], fresh: __m256d) -> [__m256d; REGS] {
    // [a1, a2, a3, a0] in each register, then the last lane from the next register's first.
    let rotated: [__m256d; REGS] = std::array::from_fn(|r| _mm256_permute4x64_pd::<0b00_11_10_01>(v[r]));
    let fresh_rotated = _mm256_permute4x64_pd::<0b00_11_10_01>(fresh);
    std::array::from_fn(|r| {
        let next = if r + 1 < REGS { rotated[r + 1] } else { fresh_rotated };
        _mm256_blend_pd::<0b1000>(rotated[r], next)
    })
}
