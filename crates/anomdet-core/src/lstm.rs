//! A small LSTM forecaster (Hochreiter & Schmidhuber 1997, with a forget gate): one layer of
//! `hidden` cells reads the last `lookback` values and a linear layer predicts the next one.
//! Trained by backpropagation through time on mean squared error with Adam (Kingma & Ba 2015),
//! gradients clipped to norm 5, weights drawn from a seeded generator, so the same seed gives
//! the same model. Written on ndarray; the sizes are small enough that no BLAS is needed.

use ndarray::{Array1, Array2};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

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
#[derive(Clone)]
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

/// What the forward pass keeps of one step for the backward pass.
struct Step {
    x: f64,
    h_prev: Array1<f64>,
    c_prev: Array1<f64>,
    gates: Array1<f64>,
    tanh_c: Array1<f64>,
}

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

    /// Run the cells over `seq`; returns the prediction of the next value.
    fn forward(&self, seq: &[f64], mut tape: Option<&mut Vec<Step>>) -> f64 {
        let h = self.hidden;
        let (mut hs, mut cs) = (Array1::<f64>::zeros(h), Array1::<f64>::zeros(h));
        for &x in seq {
            let mut gates = self.w.wh.dot(&hs) + &self.w.b;
            gates.scaled_add(x, &self.w.wx);
            for (k, z) in gates.iter_mut().enumerate() {
                *z = if (2 * h..3 * h).contains(&k) { z.tanh() } else { sigmoid(*z) };
            }
            let mut c_new = Array1::zeros(h);
            let mut h_new = Array1::zeros(h);
            let mut tanh_c = Array1::zeros(h);
            for j in 0..h {
                let (i, f, g, o) = (gates[j], gates[h + j], gates[2 * h + j], gates[3 * h + j]);
                c_new[j] = f * cs[j] + i * g;
                tanh_c[j] = f64::tanh(c_new[j]);
                h_new[j] = o * tanh_c[j];
            }
            let (h_prev, c_prev) = (std::mem::replace(&mut hs, h_new), std::mem::replace(&mut cs, c_new));
            if let Some(t) = tape.as_deref_mut() {
                t.push(Step { x, h_prev, c_prev, gates, tanh_c });
            }
        }
        self.w.v.dot(&hs) + self.w.c
    }

    /// Add to `g` the gradient of `dy · prediction` through the recorded steps.
    fn backward(&self, tape: &[Step], dy: f64, g: &mut Weights) {
        let h = self.hidden;
        let last = tape.last().map_or_else(|| Array1::zeros(h), |s| &s.gates.slice(ndarray::s![3 * h..]) * &s.tanh_c);
        g.v.scaled_add(dy, &last);
        g.c += dy;
        let mut dh = &self.w.v * dy;
        let mut dc = Array1::<f64>::zeros(h);
        let mut dz = Array1::<f64>::zeros(4 * h);
        for step in tape.iter().rev() {
            for j in 0..h {
                let (i, f, gg, o) = (step.gates[j], step.gates[h + j], step.gates[2 * h + j], step.gates[3 * h + j]);
                let tc = step.tanh_c[j];
                let dcj = dc[j] + dh[j] * o * (1.0 - tc * tc);
                dz[j] = dcj * gg * i * (1.0 - i);
                dz[h + j] = dcj * step.c_prev[j] * f * (1.0 - f);
                dz[2 * h + j] = dcj * i * (1.0 - gg * gg);
                dz[3 * h + j] = dh[j] * tc * o * (1.0 - o);
                dc[j] = dcj * f;
            }
            g.wx.scaled_add(step.x, &dz);
            g.b += &dz;
            for r in 0..4 * h {
                g.wh.row_mut(r).scaled_add(dz[r], &step.h_prev);
            }
            dh = self.w.wh.t().dot(&dz);
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
        let mut tape = Vec::with_capacity(s.lookback);
        for _ in 0..s.epochs {
            order.shuffle(&mut rng);
            for (b, batch) in order[..s.sample.min(order.len())].chunks(s.batch).enumerate() {
                crate::interrupt::check_every(b * s.batch * s.lookback / 16);
                let mut g = Weights::zeros(s.hidden);
                for &t in batch {
                    tape.clear();
                    let y = model.forward(&xs[t - s.lookback..t], Some(&mut tape));
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
        self.forward(seq, None)
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
        let mut tape = Vec::new();
        model.forward(&seq, Some(&mut tape));
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
