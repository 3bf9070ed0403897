//! The small dense linear algebra the models need: a symmetric eigendecomposition (cyclic
//! Jacobi: simple, exact to rounding, fast enough for the window lengths used, up to a few
//! hundred) and a least-squares solve by Cholesky.

/// Eigenvalues (descending) and unit eigenvectors (`vectors[k]` belongs to `values[k]`) of the
/// symmetric `d x d` matrix `a` (row-major).
pub fn symmetric_eigen(a: &[f64], d: usize) -> (Vec<f64>, Vec<Vec<f64>>) {
    assert_eq!(a.len(), d * d);
    let mut m = a.to_vec();
    let mut v = vec![0.0; d * d];
    for i in 0..d {
        v[i * d + i] = 1.0;
    }
    for _sweep in 0..100 {
        let off: f64 = (0..d)
            .flat_map(|i| (0..d).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| m[i * d + j].powi(2))
            .sum();
        let total: f64 = m.iter().map(|x| x * x).sum();
        if off <= 1e-30 * total.max(1e-300) {
            break;
        }
        for p in 0..d {
            crate::interrupt::check();
            for q in p + 1..d {
                let apq = m[p * d + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (m[q * d + q] - m[p * d + p]) / (2.0 * apq);
                let sign = if theta >= 0.0 { 1.0 } else { -1.0 };
                let t = sign / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..d {
                    let mkp = m[k * d + p];
                    let mkq = m[k * d + q];
                    m[k * d + p] = c * mkp - s * mkq;
                    m[k * d + q] = s * mkp + c * mkq;
                }
                for k in 0..d {
                    let mpk = m[p * d + k];
                    let mqk = m[q * d + k];
                    m[p * d + k] = c * mpk - s * mqk;
                    m[q * d + k] = s * mpk + c * mqk;
                }
                for k in 0..d {
                    let vkp = v[k * d + p];
                    let vkq = v[k * d + q];
                    v[k * d + p] = c * vkp - s * vkq;
                    v[k * d + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..d).collect();
    order.sort_by(|&a, &b| m[b * d + b].total_cmp(&m[a * d + a]));
    let values = order.iter().map(|&k| m[k * d + k]).collect();
    let vectors = order.iter().map(|&k| (0..d).map(|i| v[i * d + k]).collect()).collect();
    (values, vectors)
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
