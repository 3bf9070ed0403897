//! What one pass of a detector costs as its series grows. Each detector declares it in its
//! file (`detect/`) from `examples/cost_curves` (default parameters, one core of the 2-core
//! reference machine), so `anomdet.detectors()` can tell a user which detectors stay cheap and
//! where the others stop being practical. The example prints each declaration beside what it
//! measures.

/// How the time of one pass grows with the values of the series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Growth {
    /// ×10 per ×10 values.
    Linear,
    /// ×100 per ×10 values (all pairs of windows).
    Quadratic,
}

/// One pass in one mode: its growth and what it took at a measured size.
#[derive(Clone, Copy, Debug)]
pub struct Pass {
    pub growth: Growth,
    pub seconds: f64,
    /// The values `seconds` were measured on.
    pub values: f64,
}

/// Seconds of a pass that bound the sizes called practical here.
pub const PRACTICAL_SECONDS: f64 = 60.0;

/// Past this many values a minute a pass is called cheap, without a limit.
const UNBOUNDED_VALUES: f64 = 100e6;

impl Pass {
    /// `seconds` per million values, growing linearly.
    pub const fn linear(seconds: f64) -> Pass {
        Pass { growth: Growth::Linear, seconds, values: 1e6 }
    }

    /// `seconds` at 100,000 values, growing with their square.
    pub const fn quadratic(seconds: f64) -> Pass {
        Pass { growth: Growth::Quadratic, seconds, values: 1e5 }
    }

    /// The time this declaration predicts for a pass over `n` values.
    pub fn seconds_for(&self, n: f64) -> f64 {
        let ratio = n / self.values;
        match self.growth {
            Growth::Linear => self.seconds * ratio,
            Growth::Quadratic => self.seconds * ratio * ratio,
        }
    }

    /// The most values one pass scores in `seconds`.
    pub fn values_within(&self, seconds: f64) -> f64 {
        let ratio = seconds / self.seconds;
        match self.growth {
            Growth::Linear => self.values * ratio,
            Growth::Quadratic => self.values * ratio.sqrt(),
        }
    }

    fn describe(&self) -> String {
        let (growth, size) = match self.growth {
            Growth::Linear => ("linear", "1M"),
            Growth::Quadratic => ("quadratic", "100k"),
        };
        let within = self.values_within(PRACTICAL_SECONDS);
        let limit =
            if within >= UNBOUNDED_VALUES { String::new() } else { format!(", ~{} a minute", short_count(within)) };
        format!("{growth}, {} s per {size} values{limit}", short_seconds(self.seconds))
    }
}

/// A detector's passes: batch always, online when it has that mode.
#[derive(Clone, Copy, Debug)]
pub struct Cost {
    pub batch: Pass,
    pub online: Option<Pass>,
}

impl Cost {
    /// One line for `detectors()`: "batch: linear, 0.2 s per 1M values; online: ...".
    pub fn describe(&self) -> String {
        let batch = format!("batch: {}", self.batch.describe());
        match &self.online {
            Some(online) => format!("{batch}; online: {}", online.describe()),
            None => batch,
        }
    }
}

/// Two significant figures at most, never in exponent notation.
fn short_seconds(s: f64) -> String {
    if s >= 10.0 {
        format!("{s:.0}")
    } else if s >= 1.0 {
        format!("{s:.1}")
    } else {
        format!("{s:.2}")
    }
}

fn short_count(n: f64) -> String {
    if n >= 1e6 { format!("{:.0}M", (n / 1e6).floor().max(1.0)) } else { format!("{:.0}k", (n / 1e3).floor().max(1.0)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_passes_scale_with_the_values() {
        let p = Pass::linear(23.0);
        assert!((p.seconds_for(1e5) - 2.3).abs() < 1e-9);
        assert!((p.values_within(60.0) - 60.0 / 23.0 * 1e6).abs() < 1.0);
        assert_eq!(p.describe(), "linear, 23 s per 1M values, ~2M a minute");
        assert_eq!(Pass::linear(0.2).describe(), "linear, 0.20 s per 1M values");
    }

    #[test]
    fn quadratic_passes_scale_with_the_square() {
        let p = Pass::quadratic(6.8);
        assert!((p.seconds_for(1e6) - 680.0).abs() < 1e-9);
        assert!((p.seconds_for(p.values_within(60.0)) - 60.0).abs() < 1e-9);
        assert_eq!(p.describe(), "quadratic, 6.8 s per 100k values, ~297k a minute");
    }

    #[test]
    fn both_modes_are_described_in_one_line() {
        let c = Cost { batch: Pass::linear(23.4), online: Some(Pass::linear(4.3)) };
        assert_eq!(
            c.describe(),
            "batch: linear, 23 s per 1M values, ~2M a minute; online: linear, 4.3 s per 1M values, ~13M a minute"
        );
    }

    #[test]
    fn every_detector_declares_a_pass_for_each_of_its_modes() {
        for d in crate::detect::registry() {
            assert_eq!(d.cost.online.is_some(), d.online, "{}: online pass declared iff online", d.name);
            for p in [Some(d.cost.batch), d.cost.online].into_iter().flatten() {
                assert!(p.seconds > 0.0 && p.seconds.is_finite(), "{}", d.name);
            }
        }
    }
}
