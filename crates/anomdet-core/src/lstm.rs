//! A small LSTM forecaster (Hochreiter & Schmidhuber 1997, with a forget gate): one layer of
//! `hidden` cells reads the last `lookback` values and a linear layer predicts the next one.
//! Trained by backpropagation through time on mean squared error with Adam (Kingma & Ba 2015),
//! gradients clipped to norm 5, weights drawn from a seeded generator, so the same seed gives
//! the same model. Written on ndarray; the sizes are small enough that no BLAS is needed.

use ndarray::{Array1, Array2};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct Settings {
    pub lookback: usize,
    pub hidden: usize,
    pub epochs: usize,
    /// Training windows drawn per epoch at most.
    pub sample: usize,
    pub batch: usize,
    pub learning_rate: f64,
    pub seed: u64,
}

/// The weights; the gates are stacked in the order input, forget, cell, output (H rows each).
#[derive(Clone, Serialize, Deserialize)]
struct Weights {
    wx: Array1<f64>,
    wh: Array2<f64>,
    b: Array1<f64>,
    v: Array1<f64>,
    c: f64,
}

impl Weights {
    fn zeros(h: usize) -> Weights {
        Weights {
            wx: Array1::zeros(4 * h),
            wh: Array2::zeros((4 * h, h)),
            b: Array1::zeros(4 * h),
            v: Array1::zeros(h),
            c: 0.0,
        }
    }

    fn norm_sq(&self) -> f64 {
        let sq = |a: f64, x: &f64| a + x * x;
        self.wx.fold(0.0, sq) + self.wh.fold(0.0, sq) + self.b.fold(0.0, sq) + self.v.fold(0.0, sq) + self.c * self.c
    }

    /// Every parameter with its counterpart in `other`, in one fixed order.
    fn zip_mut(&mut self, other: &Weights, mut f: impl FnMut(&mut f64, f64)) {
        self.wx.zip_mut_with(&other.wx, |a, &b| f(a, b));
        self.wh.zip_mut_with(&other.wh, |a, &b| f(a, b));
        self.b.zip_mut_with(&other.b, |a, &b| f(a, b));
        self.v.zip_mut_with(&other.v, |a, &b| f(a, b));
        f(&mut self.c, other.c);
    }
}

/// What the forward pass keeps of each step for the backward pass, in flat buffers reused
/// from one window to the next (step t's part of `gates` is `gates[t*4H..(t+1)*4H]`).
#[derive(Default)]
struct Tape {
    x: Vec<f64>,
    h_prev: Vec<f64>,
    c_prev: Vec<f64>,
    gates: Vec<f64>,
    tanh_c: Vec<f64>,
}

impl Tape {
    fn clear(&mut self) {
        self.x.clear();
        self.h_prev.clear();
        self.c_prev.clear();
        self.gates.clear();
        self.tanh_c.clear();
    }
}

/// The forward pass's working state, reused across calls.
struct Cells {
    h: Vec<f64>,
    c: Vec<f64>,
    gates: Vec<f64>,
}

#[derive(Serialize, Deserialize)]
pub struct Lstm {
    hidden: usize,
    w: Weights,
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

impl Lstm {
    fn new(hidden: usize, rng: &mut ChaCha8Rng) -> Lstm {
        // Glorot-uniform weights; the forget gate starts open (bias 1), as is usual.
        let h = hidden;
        let limit = (6.0 / (1 + h + 4 * h) as f64).sqrt();
        let mut draw = |_| (rng.random::<f64>() * 2.0 - 1.0) * limit;
        let mut w = Weights::zeros(h);
        w.wx.mapv_inplace(&mut draw);
        w.wh.mapv_inplace(&mut draw);
        w.v.mapv_inplace(&mut draw);
        w.b.slice_mut(ndarray::s![h..2 * h]).fill(1.0);
        Lstm { hidden, w }
    }

    fn cells(&self) -> Cells {
        Cells { h: vec![0.0; self.hidden], c: vec![0.0; self.hidden], gates: vec![0.0; 4 * self.hidden] }
    }

    /// Run the cells over `seq`; returns the prediction of the next value.
    fn forward(&self, seq: &[f64], cells: &mut Cells, mut tape: Option<&mut Tape>) -> f64 {
        let h = self.hidden;
        let wh = self.w.wh.as_slice().expect("standard layout");
        let (wx, b) = (self.w.wx.as_slice().expect("contiguous"), self.w.b.as_slice().expect("contiguous"));
        cells.h.fill(0.0);
        cells.c.fill(0.0);
        for &x in seq {
            for (r, z) in cells.gates.iter_mut().enumerate() {
                let row = &wh[r * h..(r + 1) * h];
                let pre = b[r] + wx[r] * x + row.iter().zip(&cells.h).map(|(w, v)| w * v).sum::<f64>();
                *z = if (2 * h..3 * h).contains(&r) { pre.tanh() } else { sigmoid(pre) };
            }
            if let Some(t) = tape.as_deref_mut() {
                t.x.push(x);
                t.h_prev.extend_from_slice(&cells.h);
                t.c_prev.extend_from_slice(&cells.c);
                t.gates.extend_from_slice(&cells.gates);
            }
            let g = &cells.gates;
            for j in 0..h {
                let c = g[h + j] * cells.c[j] + g[j] * g[2 * h + j];
                let tc = c.tanh();
                cells.c[j] = c;
                cells.h[j] = g[3 * h + j] * tc;
                if let Some(t) = tape.as_deref_mut() {
                    t.tanh_c.push(tc);
                }
            }
        }
        self.w.v.iter().zip(&cells.h).map(|(v, hj)| v * hj).sum::<f64>() + self.w.c
    }

    /// Add to `g` the gradient of `dy · prediction` through the recorded steps.
    fn backward(&self, tape: &Tape, dy: f64, g: &mut Weights) {
        let h = self.hidden;
        let steps = tape.x.len();
        let wh = self.w.wh.as_slice().expect("standard layout");
        if steps > 0 {
            let (gates, tanh_c) = (&tape.gates[(steps - 1) * 4 * h..], &tape.tanh_c[(steps - 1) * h..]);
            for j in 0..h {
                g.v[j] += dy * gates[3 * h + j] * tanh_c[j];
            }
        }
        g.c += dy;
        let mut dh: Vec<f64> = self.w.v.iter().map(|v| v * dy).collect();
        let mut dc = vec![0.0; h];
        let mut dz = vec![0.0; 4 * h];
        let gwh = g.wh.as_slice_mut().expect("standard layout");
        for t in (0..steps).rev() {
            let gates = &tape.gates[t * 4 * h..(t + 1) * 4 * h];
            let (tanh_c, c_prev, h_prev) =
                (&tape.tanh_c[t * h..(t + 1) * h], &tape.c_prev[t * h..(t + 1) * h], &tape.h_prev[t * h..(t + 1) * h]);
            for j in 0..h {
                let (i, f, gg, o) = (gates[j], gates[h + j], gates[2 * h + j], gates[3 * h + j]);
                let tc = tanh_c[j];
                let dcj = dc[j] + dh[j] * o * (1.0 - tc * tc);
                dz[j] = dcj * gg * i * (1.0 - i);
                dz[h + j] = dcj * c_prev[j] * f * (1.0 - f);
                dz[2 * h + j] = dcj * i * (1.0 - gg * gg);
                dz[3 * h + j] = dh[j] * tc * o * (1.0 - o);
                dc[j] = dcj * f;
            }
            let x = tape.x[t];
            dh.fill(0.0);
            for (r, &d) in dz.iter().enumerate() {
                g.wx[r] += x * d;
                g.b[r] += d;
                let (grow, wrow) = (&mut gwh[r * h..(r + 1) * h], &wh[r * h..(r + 1) * h]);
                for k in 0..h {
                    grow[k] += d * h_prev[k];
                    dh[k] += wrow[k] * d;
                }
            }
        }
    }

    /// Fit on windows of `xs` (already scaled): each `lookback` values predict the next.
    pub fn fit(xs: &[f64], s: &Settings) -> Lstm {
        let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
        let mut model = Lstm::new(s.hidden, &mut rng);
        let targets: Vec<usize> = (s.lookback..xs.len()).collect();
        if targets.is_empty() {
            return model;
        }
        let (mut m, mut v) = (Weights::zeros(s.hidden), Weights::zeros(s.hidden));
        let (beta1, beta2, eps) = (0.9f64, 0.999f64, 1e-8);
        let mut updates = 0i32;
        let mut order = targets;
        let mut tape = Tape::default();
        let mut cells = model.cells();
        for _ in 0..s.epochs {
            order.shuffle(&mut rng);
            for (b, batch) in order[..s.sample.min(order.len())].chunks(s.batch).enumerate() {
                crate::interrupt::check_every(b * s.batch * s.lookback / 16);
                let mut g = Weights::zeros(s.hidden);
                for &t in batch {
                    tape.clear();
                    let y = model.forward(&xs[t - s.lookback..t], &mut cells, Some(&mut tape));
                    model.backward(&tape, 2.0 * (y - xs[t]) / batch.len() as f64, &mut g);
                }
                let norm = g.norm_sq().sqrt();
                let clip = if norm > 5.0 { 5.0 / norm } else { 1.0 };
                updates += 1;
                let (c1, c2) = (1.0 - beta1.powi(updates), 1.0 - beta2.powi(updates));
                m.zip_mut(&g, |m, g| *m = beta1 * *m + (1.0 - beta1) * g * clip);
                v.zip_mut(&g, |v, g| *v = beta2 * *v + (1.0 - beta2) * (g * clip) * (g * clip));
                let mut step = m.clone();
                step.zip_mut(&v, |m, v| *m = s.learning_rate * (*m / c1) / ((v / c2).sqrt() + eps));
                model.w.zip_mut(&step, |w, d| *w -= d);
            }
        }
        model
    }

    /// The prediction of the value after `seq`.
    pub fn predict(&self, seq: &[f64]) -> f64 {
        self.forward(seq, &mut self.cells(), None)
    }

    /// The prediction of the value after each window of `lookback` values of `xs` (the
    /// prediction of `xs[t]` is at `t − lookback`), with one working state for all.
    pub fn predict_all(&self, xs: &[f64], lookback: usize) -> Vec<f64> {
        let mut cells = self.cells();
        (lookback..xs.len())
            .map(|t| {
                crate::interrupt::check_every(t);
                self.forward(&xs[t - lookback..t], &mut cells, None)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings { lookback: 8, hidden: 8, epochs: 30, sample: 1000, batch: 32, learning_rate: 0.01, seed: 1 }
    }

    #[test]
    fn the_gradient_matches_finite_differences() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mut model = Lstm::new(3, &mut rng);
        model.w.b.mapv_inplace(|b| b + 0.1);
        let seq = [0.3, -0.7, 1.1, 0.2, -0.4];
        let mut tape = Tape::default();
        model.forward(&seq, &mut model.cells(), Some(&mut tape));
        let mut g = Weights::zeros(3);
        model.backward(&tape, 1.0, &mut g);
        // Perturb each parameter in turn, in the order zip_mut visits them.
        let mut analytic = Vec::new();
        let mut probe = Weights::zeros(3);
        probe.zip_mut(&g, |_, d| analytic.push(d));
        for (k, &d) in analytic.iter().enumerate() {
            let nudge = |delta: f64| {
                let mut m = Lstm { hidden: 3, w: model.w.clone() };
                let mut idx = 0;
                let zero = Weights::zeros(3);
                m.w.zip_mut(&zero, |w, _| {
                    if idx == k {
                        *w += delta;
                    }
                    idx += 1;
                });
                m.predict(&seq)
            };
            let numeric = (nudge(1e-6) - nudge(-1e-6)) / 2e-6;
            assert!((numeric - d).abs() < 1e-6 * numeric.abs().max(1.0), "parameter {k}: {numeric} vs {d}");
        }
    }

    #[test]
    fn it_learns_to_forecast_a_sine() {
        let xs: Vec<f64> = (0..600).map(|i| (i as f64 * std::f64::consts::TAU / 25.0).sin()).collect();
        let model = Lstm::fit(&xs, &settings());
        let mse: f64 = (500..600).map(|t| (model.predict(&xs[t - 8..t]) - xs[t]).powi(2)).sum::<f64>() / 100.0;
        assert!(mse < 0.005, "mse {mse}");
        let untrained = Lstm::fit(&xs, &Settings { epochs: 0, ..settings() });
        let before: f64 = (500..600).map(|t| (untrained.predict(&xs[t - 8..t]) - xs[t]).powi(2)).sum::<f64>() / 100.0;
        assert!(before > 10.0 * mse, "{before} vs {mse}");
    }

    #[test]
    fn the_same_seed_gives_the_same_model() {
        let xs: Vec<f64> = (0..200).map(|i| ((i * 37) % 17) as f64 / 17.0).collect();
        let a = Lstm::fit(&xs, &settings()).predict(&xs[..8]);
        let b = Lstm::fit(&xs, &settings()).predict(&xs[..8]);
        assert_eq!(a.to_bits(), b.to_bits());
    }
}
