//! Sentinel: one online detector for a fleet of unknown series, built for one alert rule.
//!
//! It looks at each value three ways, each turned into a calibrated probability
//! (`crate::calibrated`): how far it is from everything seen (`zscore`), how deep in the fitted
//! tail of the values' distribution (`spot`), and how far it is from the same moment of the
//! last seasons (a rolling robust z of x(t) minus the median of x(t − kP), k = 1..3, once a
//! period P is found in the series' own autocorrelation; the median, so that one spike does
//! not return as an anomaly a season later). A value is as surprising as its most surprising view;
//! with k views the largest probability p is reported as pᵏ (Šidák's correction), the chance
//! that k independent views all stay below it, so the probability keeps its meaning.
//!
//! An alert weighs the level views by how new the value is (`crate::familiarity`): a value the
//! series has taken several times before (a cap at 100 %, a burst that recurs every few days)
//! is far in the tail but not news, so its level probability falls to the novelty's, though
//! never below p^20 (at most 20 times as likely as the tail says). The reported probability
//! is the views' own, calibrated; the familiarity only weighs alerts.
//!
//! Then the post-processing NAB's leaders use: an alert is raised only when its strength
//! beats every strength of the last `quiet` values, so one incident raises one alert and
//! not fifty. The score is the alert's surprise, −log10(1 − strength), on the rows that beat
//! the last `quiet` values and 0 on the others; the probability is reported on every row.
//!
//! Why these three views: a global z sees a value outside the series' usual range, the tail
//! sees a rare value before the range has grown, and the seasonal difference sees a normal
//! value at the wrong time (a daily jump missing, a flat day). On the NAB files of
//! `bench/NAB-RESULTS.md`, with one threshold for all, together they miss 1 of the 25 labelled
//! windows where `zscore` alone misses 9 and `spot` 9.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::{Detector, Cost, DetectorInfo, Finds, Memory, Pass, Scored, find_detector};
use crate::calibration::Calibration;
use crate::familiarity::Familiarity;
use crate::params::{ParamSpec, Params};
use crate::resolution::Resolution;
use crate::seasonal::detect_period;
use crate::series::{mad_sorted, quantile_sorted};
use crate::state::StateError;
use crate::window::TrailingWindow;

const PARAMS: &[ParamSpec] = &[
    ParamSpec::float(
        "threshold",
        0.999,
        crate::params::Bound::excl(0.0),
        crate::params::Bound::excl(1.0),
        "raise an alert when its strength (the probability, weighed by how new the value is) is at least this and beats the last `quiet` values",
    ),
    ParamSpec::int("quiet", 500.0, 0.0, 1e7, "values after an alert during which only a stronger one is raised"),
    ParamSpec::int(
        "period",
        0.0,
        0.0,
        100_000.0,
        "season length in values for the seasonal view; 0: found from the series (re-checked as it grows), 1: none",
    ),
];

pub static INFO: DetectorInfo = DetectorInfo {
    name: "sentinel",
    family: "ensemble",
    online: true,
    multivariate: false,
    params: PARAMS,
    description: "Online watcher for fleets: the most surprising of three calibrated views (global z, SPOT tail, change from the same moment of the last seasons), its probability pᵏ of the largest of k views; an alert discounts a value the series has taken 3 times before (a cap, a recurring burst); a spike inside a daily swing is seen only once two seasons are in view (3 of 5 planted in a one-minute daily wave, the first two come earlier), and a weaker one within `quiet` (500) values of an alert is not raised",
    finds: Finds::Spikes,
    min_points: |_| 2,
    // The history (twice: in arrival order and sorted, for the familiarity), the recent alerts,
    // and the familiarity's histogram.
    cost: Cost { batch: Pass::linear(1.2), online: Some(Pass::linear(1.2)) },
    memory: Memory::Model(|p, _| {
        HISTORY.max(p.int("period")) as u64 * 16 + p.int("quiet") as u64 * 16 + crate::familiarity::HISTOGRAM_BYTES
    }),
    build: |p| Box::new(Sentinel::new(p)),
};

/// Values kept for finding the period (and for x(t − period)).
const HISTORY: usize = 12_288;
/// The period is looked for when this many values have been seen, then at each doubling up to
/// `HISTORY`: a season needs two full cycles in view, so a daily season of 5-minute values
/// (288) is found at 768 values and one of 1-minute values (1,440) at 3,072.
const FIRST_LOOK: usize = 768;
/// The seasonal differences' robust scale: median absolute deviation of the last this many,
/// from the first `SEASONAL_START` on.
const SEASONAL_WINDOW: usize = 1000;
const SEASONAL_START: usize = 50;
/// The seasonal reference is the median of this many seasons back.
const SEASONS_BACK: usize = 3;

/// The views' detectors, each with its calibrated probability.
fn view(name: &str, params: serde_json::Value) -> Box<dyn Detector> {
    let info = find_detector(name).expect("a registered detector");
    let params = info.parse_params(Some(&params)).expect("valid parameters");
    info.build_calibrated(&params)
}

fn level_views() -> Vec<Box<dyn Detector>> {
    vec![view("zscore", serde_json::json!({})), view("spot", serde_json::json!({}))]
}

/// The seasonal view: x(t) − x(t − period) in robust z units of the recent differences, and
/// the share of its own past scores below that (`crate::calibration`).
#[derive(Serialize, Deserialize)]
struct SeasonalChange {
    recent: TrailingWindow,
    calibration: Calibration,
    resolution: Resolution,
}

impl SeasonalChange {
    fn new() -> SeasonalChange {
        SeasonalChange {
            recent: TrailingWindow::new(SEASONAL_WINDOW),
            calibration: Calibration::online(),
            resolution: Resolution::default(),
        }
    }

    /// The probability of `x` given `back`, its value at the same moment of the last seasons.
    fn update(&mut self, x: f64, back: f64) -> Option<f64> {
        self.resolution.observe(x);
        let change = x - back;
        let past = self.recent.sorted();
        let probability = (past.len() >= SEASONAL_START).then(|| {
            let median = quantile_sorted(past, 0.5);
            let scale = self.resolution.floor(NORMAL_CONSISTENCY * mad_sorted(past, median), back);
            let score = (change - median).abs() / scale;
            let p = self.calibration.probability(score);
            self.calibration.learn(score);
            p
        });
        self.recent.push(change);
        probability.flatten()
    }
}

/// Makes the MAD estimate σ under normality (as `mad`).
const NORMAL_CONSISTENCY: f64 = 1.4826;

#[derive(Serialize, Deserialize)]
struct Sentinel {
    threshold: f64,
    quiet: usize,
    /// The period asked for (0: find it, 1: none).
    given_period: usize,
    /// The period in use.
    period: Option<usize>,
    /// The last values, newest last.
    history: VecDeque<f64>,
    seen: u64,
    /// The probabilities of the last `quiet` values that no later one has beaten, with their
    /// position: a monotone queue, whose front is the largest.
    recent: VecDeque<(u64, f64)>,
    #[serde(skip, default = "level_views")]
    levels: Vec<Box<dyn Detector>>,
    familiarity: Familiarity,
    seasonal: Option<SeasonalChange>,
}

impl Sentinel {
    fn new(p: &Params) -> Sentinel {
        let given_period = p.int("period");
        let period = (given_period >= 2).then_some(given_period);
        Sentinel {
            threshold: p.flag_probability().unwrap_or(p.float("threshold")),
            quiet: p.int("quiet"),
            given_period,
            period,
            history: VecDeque::new(),
            seen: 0,
            recent: VecDeque::new(),
            levels: level_views(),
            familiarity: Familiarity::default(),
            seasonal: period.map(|_| SeasonalChange::new()),
        }
    }

    fn keep(&self) -> usize {
        HISTORY.max(self.period.unwrap_or(0) + 1)
    }

    /// At 768, 1,536, ... values: find the season again; a new one restarts the seasonal view.
    fn look_for_period(&mut self) {
        let n = self.seen as usize;
        let due = n.is_multiple_of(FIRST_LOOK) && (n / FIRST_LOOK).is_power_of_two() && n <= HISTORY;
        if self.given_period != 0 || !due {
            return;
        }
        let values: Vec<f64> = self.history.iter().copied().collect();
        let found = detect_period(&values, n / 2, MIN_SEASONAL_ACF);
        // A season re-measured within 3% is the same one (the estimate wobbles as data grows);
        // a different one (or none) restarts the seasonal view.
        let same = |a: usize, b: usize| a.abs_diff(b) * 100 <= 3 * a.max(b);
        match (self.period, found) {
            (Some(old), Some(new)) if same(old, new) => {}
            (None, None) => {}
            _ => {
                self.period = found;
                self.seasonal = found.map(|_| SeasonalChange::new());
            }
        }
    }

    /// The seasonal view's score of `x`, the value one period back being in `history`.
    fn seasonal_probability(&mut self, x: f64) -> Option<f64> {
        let period = self.period?;
        let n = self.history.len();
        // The median of the same moment of the last (up to) three seasons, so that one spike
        // does not come back as an anomaly a season later.
        let mut same_moment: Vec<f64> =
            (1..=SEASONS_BACK).filter_map(|k| self.history.get(n.checked_sub(k * period)?).copied()).collect();
        if same_moment.is_empty() {
            return None;
        }
        same_moment.sort_by(f64::total_cmp);
        let back = same_moment[(same_moment.len() - 1) / 2];
        self.seasonal.as_mut()?.update(x, back)
    }

    /// Whether `p` beats every probability of the last `quiet` values; then it joins them.
    fn beats_recent(&mut self, p: f64) -> bool {
        let now = self.seen;
        while self.recent.front().is_some_and(|&(at, _)| at + (self.quiet as u64) < now) {
            self.recent.pop_front();
        }
        let beats = self.recent.front().is_none_or(|&(_, best)| p > best);
        while self.recent.back().is_some_and(|&(_, q)| q <= p) {
            self.recent.pop_back();
        }
        if self.quiet > 0 {
            self.recent.push_back((now, p));
        }
        beats
    }
}

/// A familiar value's level probability p falls to its novelty, but not below p^this: at most
/// this many times as likely as the tail says (1 − p^k ≈ k(1 − p) near 1).
const FAMILIAR_DISCOUNT: i32 = 20;

/// The autocorrelation a season must reach to be used (as `stl` and `holt_winters` use it).
const MIN_SEASONAL_ACF: f64 = 0.3;

impl Detector for Sentinel {
    /// Batch mode is the online pass replayed (the trait's `score_batch`).
    fn batch_pieces(&mut self, _xs: &[f64]) -> super::BatchPieces {
        super::BatchPieces::Online
    }

    fn update(&mut self, x: f64) -> Scored {
        self.seen += 1;
        let novelty = self.familiarity.novelty(x);
        // The views' probabilities: the largest level one, the seasonal one, and how many
        // views have one yet.
        let (mut level, mut views, mut expected) = (None::<f64>, 0i32, None);
        for view in &mut self.levels {
            let s = view.update(x);
            if let Some(p) = s.probability {
                level = Some(level.map_or(p, |l| l.max(p)));
                views += 1;
            }
            // The value expected is the running mean's (zscore's), for the picture.
            expected = expected.or(s.expected);
        }
        let seasonal = self.seasonal_probability(x);
        views += i32::from(seasonal.is_some());
        self.history.push_back(x);
        let leaving = (self.history.len() > self.keep()).then(|| self.history.pop_front()).flatten();
        self.familiarity.remember(x, leaving);
        self.look_for_period();
        if views == 0 {
            return Scored::WARMUP;
        }
        let weighed = level.map(|p| novelty.map_or(p, |n| p.min(n).max(p.powi(FAMILIAR_DISCOUNT))));
        let largest = |level: Option<f64>| level.unwrap_or(0.0).max(seasonal.unwrap_or(0.0)).powi(views);
        let (probability, strength) = (largest(level), largest(weighed));
        let alert = self.beats_recent(strength);
        let surprise = -(1.0 - strength).max(1e-12).log10();
        Scored {
            score: Some(if alert { surprise } else { 0.0 }),
            is_anomaly: Some(alert && strength >= self.threshold),
            expected,
            lower: None,
            upper: None,
            probability: Some(probability),
        }
    }

    fn calibrates_itself(&self) -> bool {
        true
    }

    fn save(&self) -> Option<Vec<u8>> {
        let levels: Option<Vec<Vec<u8>>> = self.levels.iter().map(|d| d.save()).collect();
        crate::state::save(&(crate::state::save(self)?, levels?))
    }

    fn restore(&mut self, state: &[u8]) -> Result<(), StateError> {
        let mut saved: (Vec<u8>, Vec<Vec<u8>>) = (Vec::new(), Vec::new());
        crate::state::restore(&mut saved, state)?;
        let (own, levels) = saved;
        if levels.len() != self.levels.len() {
            return Err(StateError::Corrupt(format!("{} level views saved for {}", levels.len(), self.levels.len())));
        }
        crate::state::restore(self, &own)?;
        self.familiarity.rebuild(&self.history);
        for (d, bytes) in self.levels.iter_mut().zip(&levels) {
            d.restore(bytes)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::tests::white_noise;
    use crate::detect::{Mode, score_series};

    fn sentinel(params: serde_json::Value) -> (Params, &'static DetectorInfo) {
        (INFO.parse_params(Some(&params)).unwrap(), &INFO)
    }

    /// 40 days of 96 values: 20 at night, 80 by day (values 30 to 89 of each day), ±1 noise.
    fn days_with_a_missing_jump(missing_day: Option<usize>) -> Vec<f64> {
        let noise = white_noise(40 * 96, 1.0);
        (0..40 * 96)
            .map(|i| {
                let (day, hour) = (i / 96, i % 96);
                let by_day = (30..90).contains(&hour) && Some(day) != missing_day;
                (if by_day { 80.0 } else { 20.0 }) + noise[i]
            })
            .collect()
    }

    fn alerts(xs: &[f64], params: serde_json::Value) -> Vec<usize> {
        let (p, info) = sentinel(params);
        let out = score_series(info, &p, Mode::Online, xs);
        out.iter().enumerate().filter(|(_, s)| s.is_anomaly == Some(true)).map(|(i, _)| i).collect()
    }

    #[test]
    fn a_normal_value_at_the_wrong_time_is_seen_by_the_seasonal_view_only() {
        let day = 30;
        let missing = day * 96 + 30..day * 96 + 90;
        let xs = days_with_a_missing_jump(Some(day));
        let found = alerts(&xs, serde_json::json!({}));
        assert!(found.iter().any(|i| missing.contains(i)), "no alert on the day without its jump: {found:?}");
        let without_season = alerts(&xs, serde_json::json!({"period": 1}));
        assert!(!without_season.iter().any(|i| missing.contains(i)), "a level view saw it: {without_season:?}");
        // Ordinary days raise about what the threshold promises: 3,840 values at 0.999, ~4.
        let ordinary = alerts(&days_with_a_missing_jump(None), serde_json::json!({}));
        assert!(ordinary.len() <= 4, "alerts on ordinary days: {ordinary:?}");
    }

    #[test]
    fn one_incident_raises_one_alert_unless_quiet_is_0() {
        let mut xs = white_noise(3000, 1.0);
        for x in &mut xs[2000..2020] {
            *x += 12.0;
        }
        let incident = |found: &[usize]| found.iter().filter(|&&i| (2000..2020).contains(&i)).count();
        assert_eq!(incident(&alerts(&xs, serde_json::json!({}))), 1);
        assert!(incident(&alerts(&xs, serde_json::json!({"quiet": 0}))) > 1);
    }

    #[test]
    fn the_probability_is_its_own_and_flags_follow_it() {
        let xs = white_noise(3000, 1.0);
        let (p, info) = sentinel(serde_json::json!({"probability": 0.5}));
        let out = score_series(info, &p, Mode::Online, &xs);
        // Every flag is an alert (a positive score) at or above the asked probability.
        for s in out.iter().filter(|s| s.is_anomaly == Some(true)) {
            assert!(s.score.unwrap() > 0.0 && s.probability.unwrap() >= 0.5);
        }
        // The probability is reported on every scored row, alert or not.
        assert!(out[200..].iter().all(|s| s.probability.is_some()));
        assert!(out.iter().filter(|s| s.score == Some(0.0)).count() > 2000);
    }
}
