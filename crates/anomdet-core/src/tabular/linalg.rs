//! The small dense linear algebra the models need: a symmetric eigendecomposition (Householder
//! reduction to tridiagonal form, then QL with implicit shifts: O(d³) once, where cyclic Jacobi
//! took O(d³) per sweep and 18 s for the 512-wide windows of `sub_pca` on 10,000 rows) and a
//! least-squares solve by Cholesky.

/// Eigenvalues (descending) and unit eigenvectors (`vectors[k]` belongs to `values[k]`) of the
/// symmetric `d x d` matrix `a` (row-major).
pub fn symmetric_eigen(a: &[f64], d: usize) -> (Vec<f64>, Vec<Vec<f64>>) {
    assert_eq!(a.len(), d * d);
    if d == 0 {
        return (Vec::new(), Vec::new());
    }
    let mut z = a.to_vec();
    let (mut diag, mut off) = (vec![0.0; d], vec![0.0; d]);
    tridiagonalize(&mut z, d, &mut diag, &mut off);
    tridiagonal_ql(&mut diag, &mut off, &mut z, d);
    let mut order: Vec<usize> = (0..d).collect();
    order.sort_by(|&x, &y| diag[y].total_cmp(&diag[x]));
    let values = order.iter().map(|&k| diag[k]).collect();
    let vectors = order.iter().map(|&k| (0..d).map(|i| z[i * d + k]).collect()).collect();
    (values, vectors)
}

/// Householder reduction of the symmetric `z` to tridiagonal form: `diag` and `off` (`off[i]`
/// joins rows i - 1 and i) on return, and `z` holds the orthogonal transformation.
fn tridiagonalize(z: &mut [f64], n: usize, diag: &mut [f64], off: &mut [f64]) {
    for i in (1..n).rev() {
        crate::interrupt::check();
        let l = i - 1;
        let mut h = 0.0;
        if l > 0 {
            let scale: f64 = (0..=l).map(|k| z[i * n + k].abs()).sum();
            if scale == 0.0 {
                off[i] = z[i * n + l];
            } else {
                for k in 0..=l {
                    z[i * n + k] /= scale;
                    h += z[i * n + k] * z[i * n + k];
                }
                let f = z[i * n + l];
                let g = if f >= 0.0 { -h.sqrt() } else { h.sqrt() };
                off[i] = scale * g;
                h -= f * g;
                z[i * n + l] = f - g;
                let mut f = 0.0;
                for j in 0..=l {
                    z[j * n + i] = z[i * n + j] / h;
                    let mut g = 0.0;
                    for k in 0..=j {
                        g += z[j * n + k] * z[i * n + k];
                    }
                    for k in j + 1..=l {
                        g += z[k * n + j] * z[i * n + k];
                    }
                    off[j] = g / h;
                    f += off[j] * z[i * n + j];
                }
                let hh = f / (h + h);
                for j in 0..=l {
                    let f = z[i * n + j];
                    let g = off[j] - hh * f;
                    off[j] = g;
                    for k in 0..=j {
                        z[j * n + k] -= f * off[k] + g * z[i * n + k];
                    }
                }
            }
        } else {
            off[i] = z[i * n + l];
        }
        diag[i] = h;
    }
    diag[0] = 0.0;
    off[0] = 0.0;
    // Accumulate the transformations.
    for i in 0..n {
        crate::interrupt::check();
        if diag[i] != 0.0 {
            for j in 0..i {
                let g: f64 = (0..i).map(|k| z[i * n + k] * z[k * n + j]).sum();
                for k in 0..i {
                    z[k * n + j] -= g * z[k * n + i];
                }
            }
        }
        diag[i] = z[i * n + i];
        z[i * n + i] = 1.0;
        for j in 0..i {
            z[j * n + i] = 0.0;
            z[i * n + j] = 0.0;
        }
    }
}

/// Eigenvalues of the tridiagonal (`diag`, `off`) into `diag`, by QL with implicit shifts; the
/// rotations are applied to the columns of `z`, which become the eigenvectors.
fn tridiagonal_ql(diag: &mut [f64], off: &mut [f64], z: &mut [f64], n: usize) {
    for i in 1..n {
        off[i - 1] = off[i];
    }
    off[n - 1] = 0.0;
    for l in 0..n {
        crate::interrupt::check();
        for _iteration in 0..100 {
            // The first negligible off-diagonal element at or after l splits the matrix.
            let mut m = l;
            while m + 1 < n && off[m].abs() > f64::EPSILON * (diag[m].abs() + diag[m + 1].abs()) {
                m += 1;
            }
            if m == l {
                break;
            }
            let mut g = (diag[l + 1] - diag[l]) / (2.0 * off[l]);
            let mut r = g.hypot(1.0);
            g = diag[m] - diag[l] + off[l] / (g + r.copysign(g));
            let (mut s, mut c, mut p) = (1.0, 1.0, 0.0);
            let mut underflow = false;
            for i in (l..m).rev() {
                let f = s * off[i];
                let b = c * off[i];
                r = f.hypot(g);
                off[i + 1] = r;
                if r == 0.0 {
                    diag[i + 1] -= p;
                    off[m] = 0.0;
                    underflow = true;
                    break;
                }
                s = f / r;
                c = g / r;
                g = diag[i + 1] - p;
                r = (diag[i] - g) * s + 2.0 * c * b;
                p = s * r;
                diag[i + 1] = g + p;
                g = c * r - b;
                for k in 0..n {
                    let zk = &mut z[k * n..k * n + n];
                    let f = zk[i + 1];
                    zk[i + 1] = s * zk[i] + c * f;
                    zk[i] = c * zk[i] - s * f;
                }
            }
            if underflow {
                continue;
            }
            diag[l] -= p;
            off[l] = g;
            off[m] = 0.0;
        }
    }
}

/// Solve the symmetric positive definite system `a x = b` (`a` row-major, `d x d`) by
/// Cholesky; None when `a` is not positive definite (a degenerate fit).
pub fn solve_spd(a: &[f64], b: &[f64], d: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..=i {
            let mut sum = a[i * d + j];
            for k in 0..j {
                sum -= l[i * d + k] * l[j * d + k];
            }
            if i == j {
                if sum <= 1e-14 * a[i * d + i].abs().max(1e-300) {
                    return None;
                }
                l[i * d + i] = sum.sqrt();
            } else {
                l[i * d + j] = sum / l[j * d + j];
            }
        }
    }
    let mut y = vec![0.0; d];
    for i in 0..d {
        let s: f64 = (0..i).map(|k| l[i * d + k] * y[k]).sum();
        y[i] = (b[i] - s) / l[i * d + i];
    }
    let mut x = vec![0.0; d];
    for i in (0..d).rev() {
        let s: f64 = (i + 1..d).map(|k| l[k * d + i] * x[k]).sum();
        x[i] = (y[i] - s) / l[i * d + i];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eigen_of_a_known_matrix() {
        // [[2, 1], [1, 2]]: eigenvalues 3 and 1, vectors (1, 1)/√2 and (1, -1)/√2.
        let (values, vectors) = symmetric_eigen(&[2.0, 1.0, 1.0, 2.0], 2);
        assert!((values[0] - 3.0).abs() < 1e-12 && (values[1] - 1.0).abs() < 1e-12);
        assert!((vectors[0][0].abs() - 0.5f64.sqrt()).abs() < 1e-12);
        assert!((vectors[0][0] - vectors[0][1]).abs() < 1e-12);
        assert!((vectors[1][0] + vectors[1][1]).abs() < 1e-12);
    }

    #[test]
    fn eigenpairs_hold_on_larger_and_degenerate_matrices() {
        // A pseudo-random 120 x 120 matrix, a rank-one one (119 zero eigenvalues) and the identity.
        let d = 120;
        let mut seed = 7u64;
        let mut random = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        let mut a = vec![0.0; d * d];
        for i in 0..d {
            for j in 0..=i {
                let v = random();
                a[i * d + j] = v;
                a[j * d + i] = v;
            }
        }
        let u: Vec<f64> = (0..d).map(|i| (i as f64 * 0.37).sin()).collect();
        let rank_one: Vec<f64> = (0..d * d).map(|k| u[k / d] * u[k % d]).collect();
        let identity: Vec<f64> = (0..d * d).map(|k| f64::from(u8::from(k / d == k % d))).collect();
        for m in [&a, &rank_one, &identity] {
            let (values, vectors) = symmetric_eigen(m, d);
            assert!(values.windows(2).all(|w| w[0] >= w[1]), "not descending");
            for (k, v) in vectors.iter().enumerate() {
                let norm: f64 = v.iter().map(|x| x * x).sum();
                assert!((norm - 1.0).abs() < 1e-9, "vector {k} has norm² {norm}");
                for i in 0..d {
                    let av: f64 = (0..d).map(|j| m[i * d + j] * v[j]).sum();
                    assert!((av - values[k] * v[i]).abs() < 1e-9, "A v != λ v for pair {k}");
                }
                if k > 0 {
                    let dot: f64 = v.iter().zip(&vectors[k - 1]).map(|(x, y)| x * y).sum();
                    assert!(dot.abs() < 1e-9, "vectors {k} and {} not orthogonal", k - 1);
                }
            }
        }
    }

    #[test]
    fn eigen_reconstructs_a_random_symmetric_matrix() {
        let d = 12;
        let mut a = vec![0.0; d * d];
        for i in 0..d {
            for j in 0..=i {
                let v = ((i * 31 + j * 17) % 23) as f64 / 7.0 - 1.5;
                a[i * d + j] = v;
                a[j * d + i] = v;
            }
        }
        let (values, vectors) = symmetric_eigen(&a, d);
        for i in 0..d {
            for j in 0..d {
                let r: f64 = (0..d).map(|k| values[k] * vectors[k][i] * vectors[k][j]).sum();
                assert!((r - a[i * d + j]).abs() < 1e-9, "({i}, {j}): {r} vs {}", a[i * d + j]);
            }
        }
        assert!(values.windows(2).all(|w| w[0] >= w[1]));
    }

    #[test]
    fn cholesky_solves_and_refuses_a_singular_system() {
        let x = solve_spd(&[4.0, 2.0, 2.0, 3.0], &[2.0, 1.0], 2).unwrap();
        assert!((4.0 * x[0] + 2.0 * x[1] - 2.0).abs() < 1e-12 && (2.0 * x[0] + 3.0 * x[1] - 1.0).abs() < 1e-12);
        assert!(solve_spd(&[1.0, 1.0, 1.0, 1.0], &[1.0, 1.0], 2).is_none());
    }
}
