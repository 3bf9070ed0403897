//! Any detector, with its calibrated anomaly probability (`crate::calibration`) beside its
//! score, and flags by probability when asked (`"probability": 0.999` in any detector's
//! parameters). Online the probability comes from the detector's own past scores; in batch
//! mode from every score of the series; a model carries the histogram of its training scores
//! and goes on learning from the scores of the values it is given.

use crate::calibration::{Calibration, shares_below, shares_below_at};
use crate::detector::{BatchPieces, Detector, ProbabilityFor, Scored, online_pass};
use crate::state::StateError;

/// Builds a fresh copy of the inner detector (to replay training values for the histogram).
pub type Rebuild = Box<dyn Fn() -> Box<dyn Detector> + Send>;

pub struct Calibrated {
    inner: Box<dyn Detector>,
    calibration: Calibration,
    /// Flag by probability at or above this instead of the detector's own rule.
    flag_at: Option<f64>,
    rebuild: Rebuild,
    /// Whether the detector scores online (its training scores are then replayed online).
    online: bool,
    /// The rows whose probability is read; the others' scores are only learnt.
    probability_for: ProbabilityFor,
}

impl Calibrated {
    pub fn new(rebuild: Rebuild, online: bool, flag_at: Option<f64>) -> Calibrated {
        Calibrated {
            inner: rebuild(),
            calibration: Calibration::online(),
            flag_at,
            rebuild,
            online,
            probability_for: ProbabilityFor::EveryRow,
        }
    }

    fn flag(&self, s: &mut Scored) {
        if let (Some(at), Some(_)) = (self.flag_at, s.score) {
            s.is_anomaly = Some(s.probability.is_some_and(|p| p >= at));
        }
    }

    /// Score with the probability against what is known, then learn the score (as the
    /// detector makes it comparable over time). In place: a score passed by value through each layer was copied each time, and the copy
    /// of one just written stalled (a tenth of zscore's time per row).
    fn judge_and_learn(&mut self, s: &mut Scored) {
        if s.score.is_some() {
            if self.probability_read(s) {
                s.probability = self.inner.comparable(s).and_then(|c| self.calibration.judge(c));
            } else if self.probability_for != ProbabilityFor::NoRow
                && let Some(c) = self.inner.comparable(s)
            {
                // Learnt for the flagged rows still to come.
                self.calibration.learn(c);
            }
        }
        self.flag(s);
    }

    /// Whether the caller reads this row's probability (always when flags come from it).
    fn probability_read(&self, s: &Scored) -> bool {
        self.flag_at.is_some()
            || match self.probability_for {
                ProbabilityFor::EveryRow => true,
                ProbabilityFor::FlaggedRows => s.is_anomaly == Some(true),
                ProbabilityFor::NoRow => false,
            }
    }
}

impl Detector for Calibrated {
    fn update(&mut self, x: f64) -> Scored {
        let mut s = self.inner.update(x);
        self.judge_and_learn(&mut s);
        s
    }

    fn probability_for(&mut self, rows: ProbabilityFor) {
        self.probability_for = rows;
    }

    /// Each probability is the score's share of the whole series' scores: worked out for the
    /// rows whose probability is read (all of them when flags come from it), the flagged few
    /// without sorting the series (`shares_below_at`).
    fn score_batch(&mut self, xs: &[f64]) -> Vec<Scored> {
        let mut out = self.inner.score_batch(xs);
        let rows = if self.flag_at.is_some() { ProbabilityFor::EveryRow } else { self.probability_for };
        match rows {
            ProbabilityFor::EveryRow => {
                let shares = shares_below(&out.iter().map(|s| s.score).collect::<Vec<_>>());
                for (s, p) in out.iter_mut().zip(shares) {
                    s.probability = p;
                    self.flag(s);
                }
            }
            ProbabilityFor::FlaggedRows => {
                let flagged: Vec<usize> = (0..out.len()).filter(|&i| out[i].is_anomaly == Some(true)).collect();
                let shares = shares_below_at(&out.iter().map(|s| s.score).collect::<Vec<_>>(), &flagged);
                for (i, p) in flagged.into_iter().zip(shares) {
                    out[i].probability = p;
                }
            }
            ProbabilityFor::NoRow => {}
        }
        out
    }

    /// A range at a time only when no probability is read nor flags by one: a probability is a
    /// share of every score of the series, so then they are all needed at once.
    fn batch_pieces(&mut self, xs: &[f64]) -> BatchPieces {
        if self.flag_at.is_none() && self.probability_for == ProbabilityFor::NoRow {
            self.inner.batch_pieces(xs)
        } else {
            BatchPieces::Whole
        }
    }

    /// The inner detector learns as it does alone; the histogram learns the scores the
    /// training values get: online ones replayed value by value through a fresh copy (what a
    /// stream would have said), batch ones from a batch pass over them.
    fn fit(&mut self, xs: &[f64]) {
        self.inner.fit(xs);
        let mut fresh = (self.rebuild)();
        self.calibration = Calibration::online();
        if self.online {
            // The fitted detector's own comparable state follows the replayed scores, as if
            // it had scored them itself.
            for s in online_pass(fresh.as_mut(), xs).iter().filter(|s| s.score.is_some()) {
                if let Some(c) = self.inner.comparable(s) {
                    self.calibration.learn(c);
                }
            }
        } else {
            for s in fresh.score_batch(xs).iter().filter_map(|s| s.score) {
                self.calibration.learn(s);
            }
        }
    }

    fn score_fitted(&mut self, xs: &[f64]) -> Vec<Scored> {
        let mut out = self.inner.score_fitted(xs);
        for s in &mut out {
            self.judge_and_learn(s);
        }
        out
    }

    fn save(&self) -> Option<Vec<u8>> {
        let inner = self.inner.save()?;
        postcard::to_stdvec(&(inner, &self.calibration)).ok()
    }

    fn restore(&mut self, state: &[u8]) -> Result<(), StateError> {
        let ((inner, calibration), rest) = postcard::take_from_bytes::<(Vec<u8>, Calibration)>(state)
            .map_err(|e| StateError::Corrupt(e.to_string()))?;
        if !rest.is_empty() {
            return Err(StateError::Corrupt(format!("{} bytes left over", rest.len())));
        }
        self.inner.restore(&inner)?;
        self.calibration = calibration;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::detect::find_detector;
    use crate::detector::{ProbabilityFor, Scored};
    use crate::params::Params;

    /// A wave with a spike every 997 values: flags to find, scores to learn between them.
    fn series() -> Vec<f64> {
        (0..20_000).map(|i| (i as f64 / 50.0).sin() + if i % 997 == 500 { 8.0 } else { 0.0 }).collect()
    }

    fn scored(rows: ProbabilityFor) -> Vec<Scored> {
        let info = find_detector("zscore").unwrap();
        let mut d = info.build_calibrated(&Params::defaults(info.params));
        d.probability_for(rows);
        series().iter().map(|&x| d.update(x)).collect()
    }

    /// Scores and flags the same whichever probabilities are read; the flagged rows' probability
    /// bit for bit where only they are read, none where none is.
    fn only_unread_left_out(every: &[Scored], flagged: &[Scored], none: &[Scored]) {
        for ((e, f), n) in every.iter().zip(flagged).zip(none) {
            assert_eq!((e.score, e.is_anomaly), (f.score, f.is_anomaly));
            assert_eq!((e.score, e.is_anomaly), (n.score, n.is_anomaly));
            let expected = if e.is_anomaly == Some(true) { e.probability } else { None };
            assert_eq!(f.probability.map(f64::to_bits), expected.map(f64::to_bits));
            assert_eq!(n.probability, None);
        }
    }

    #[test]
    fn leaving_probabilities_out_changes_none_it_gives() {
        let every = scored(ProbabilityFor::EveryRow);
        let flagged = scored(ProbabilityFor::FlaggedRows);
        let none = scored(ProbabilityFor::NoRow);
        assert!(every.iter().filter(|s| s.is_anomaly == Some(true)).count() >= 10);
        only_unread_left_out(&every, &flagged, &none);
    }

    #[test]
    fn batch_leaves_out_only_probabilities_not_read() {
        let info = find_detector("zscore").unwrap();
        let params = info.parse_params(Some(&serde_json::json!({"threshold": 2.5}))).unwrap();
        let run = |rows| {
            let mut d = info.build_calibrated(&params);
            d.probability_for(rows);
            d.score_batch(&series())
        };
        let (every, flagged, none) =
            (run(ProbabilityFor::EveryRow), run(ProbabilityFor::FlaggedRows), run(ProbabilityFor::NoRow));
        assert!(every.iter().filter(|s| s.is_anomaly == Some(true)).count() >= 10);
        only_unread_left_out(&every, &flagged, &none);
        // Flags that come from the probability need every one, whatever is read.
        let by_probability = info.parse_params(Some(&serde_json::json!({"probability": 0.99}))).unwrap();
        let flags = |rows| {
            let mut d = info.build_calibrated(&by_probability);
            d.probability_for(rows);
            d.score_batch(&series()).iter().map(|s| (s.is_anomaly, s.probability.map(f64::to_bits))).collect::<Vec<_>>()
        };
        assert_eq!(flags(ProbabilityFor::NoRow), flags(ProbabilityFor::EveryRow));
    }

    #[test]
    fn flags_by_probability_keep_every_probability() {
        let info = find_detector("zscore").unwrap();
        let params = info.parse_params(Some(&serde_json::json!({"probability": 0.999}))).unwrap();
        let run = |rows| {
            let mut d = info.build_calibrated(&params);
            d.probability_for(rows);
            series().iter().map(|&x| d.update(x).probability).collect::<Vec<_>>()
        };
        assert_eq!(run(ProbabilityFor::NoRow), run(ProbabilityFor::EveryRow));
    }
}
