//! Saved states: an online detector stopped anywhere, saved, rebuilt and restored scores the
//! rest of the series bit for bit as one uninterrupted pass does; batch-only detectors keep no
//! state; and the encodings are pinned to `state::FORMAT`.

use super::tests::white_noise;
use super::{Mode, Params, Scored, registry, score_series};
use crate::state::{FORMAT, StateError};

fn series() -> Vec<f64> {
    let noise = white_noise(3000, 0.1);
    let mut xs: Vec<f64> = (0..3000).map(|i| (i as f64 * std::f64::consts::TAU / 48.0).sin() + noise[i]).collect();
    for i in [400, 1300, 2200, 2900] {
        xs[i] += 6.0;
    }
    for x in &mut xs[1800..1900] {
        *x += 2.0;
    }
    xs
}

fn bits(s: &Scored) -> [Option<u64>; 5] {
    let b = |v: Option<f64>| v.map(f64::to_bits);
    [b(s.score), s.is_anomaly.map(u64::from), b(s.expected), b(s.lower), b(s.upper)]
}

#[test]
fn a_resumed_detector_scores_as_one_pass_does() {
    let xs = series();
    for d in registry() {
        let params = Params::defaults(d.params);
        if !d.supports_online(&params) {
            continue;
        }
        let whole = score_series(d, &params, Mode::Online, &xs);
        for split in [1, 37, 700, 2999] {
            let mut first = (d.build)(&params);
            for &x in &xs[..split] {
                first.update(x);
            }
            let saved = first.save().unwrap_or_else(|| panic!("{} saved nothing", d.name));
            assert_eq!(first.save(), Some(saved.clone()), "{}: saving twice differs", d.name);
            drop(first);
            let mut resumed = (d.build)(&params);
            resumed.restore(&saved).unwrap_or_else(|e| panic!("{} at {split}: {e}", d.name));
            for (i, &x) in xs.iter().enumerate().skip(split) {
                let s = resumed.update(x);
                assert_eq!(bits(&s), bits(&whole[i]), "{} resumed at {split} differs at {i}", d.name);
            }
        }
    }
}

#[test]
fn detectors_without_a_stored_form_keep_no_state_and_bad_bytes_are_refused() {
    for d in registry() {
        let params = Params::defaults(d.params);
        let mut detector = (d.build)(&params);
        if d.supports_online(&params) {
            for x in series().into_iter().take(300) {
                detector.update(x);
            }
            let saved = detector.save().unwrap();
            let mut fresh = (d.build)(&params);
            assert!(fresh.restore(&saved[..saved.len() - 1]).is_err(), "{}: a truncated state was read", d.name);
            let mut longer = saved.clone();
            longer.push(0);
            assert!(fresh.restore(&longer).is_err(), "{}: a state with trailing bytes was read", d.name);
        } else if detector.save().is_none() {
            // A batch-only detector with no stored form yet.
            assert_eq!(detector.restore(&[1, 2, 3]), Err(StateError::NotSaved), "{}", d.name);
        }
    }
}

/// A model: fitted on the first 2,000 values (twice: the same bytes), saved, restored into a
/// fresh detector; it scores the last 1,000 as the fitted detector does, and twice the same
/// (scoring never refits).
#[test]
fn a_stored_model_scores_new_values_as_the_fitted_detector_does() {
    let xs = series();
    let (train, new) = xs.split_at(2000);
    let mut trained = 0;
    for d in registry() {
        let params = Params::defaults(d.params);
        let mut fitted = (d.build)(&params);
        if fitted.save().is_none() {
            continue;
        }
        trained += 1;
        fitted.fit(train);
        let model = fitted.save().unwrap();
        // Same seed, same values: the same bytes.
        let mut again = (d.build)(&params);
        again.fit(train);
        assert_eq!(again.save().unwrap(), model, "{}: fitting twice gave another model", d.name);
        let score = |bytes: &[u8]| {
            let mut copy = (d.build)(&params);
            copy.restore(bytes).unwrap_or_else(|e| panic!("{}: {e}", d.name));
            copy.score_fitted(new)
        };
        let first = score(&model);
        let direct = fitted.score_fitted(new);
        assert_eq!(first.len(), new.len(), "{}", d.name);
        for (i, (a, b)) in first.iter().zip(&direct).enumerate() {
            assert_eq!(bits(a), bits(b), "{}: a restored model differs at {i}", d.name);
        }
        for (i, (a, b)) in first.iter().zip(&score(&model)).enumerate() {
            assert_eq!(bits(a), bits(b), "{}: scoring twice differs at {i}", d.name);
        }
    }
    assert_eq!(trained, registry().len(), "every detector has a stored form");
}

/// A model in a stream or a schedule scores one value at a time and is saved between runs:
/// stopped anywhere, saved and restored, it goes on exactly as one uninterrupted pass does.
#[test]
fn a_model_scores_value_by_value_across_saves_as_one_pass_does() {
    let xs = series();
    let (train, new) = xs.split_at(2000);
    for d in registry() {
        let params = Params::defaults(d.params);
        let mut fitted = (d.build)(&params);
        fitted.fit(train);
        let model = fitted.save().unwrap_or_else(|| panic!("{} has no stored form", d.name));
        let start = || {
            let mut copy = (d.build)(&params);
            copy.restore(&model).unwrap_or_else(|e| panic!("{}: {e}", d.name));
            copy
        };
        let mut one = start();
        let whole: Vec<Scored> = new.iter().map(|&x| one.update(x)).collect();
        if !d.supports_online(&params) {
            assert!(whole.iter().all(|s| s.score.is_some()), "{}: a model left a new value unscored", d.name);
        }
        for split in [1, 333] {
            let mut first = start();
            new[..split].iter().for_each(|&x| {
                first.update(x);
            });
            let saved = first.save().unwrap();
            let mut resumed = (d.build)(&params);
            resumed.restore(&saved).unwrap_or_else(|e| panic!("{} at {split}: {e}", d.name));
            for (i, &x) in new.iter().enumerate().skip(split) {
                assert_eq!(bits(&resumed.update(x)), bits(&whole[i]), "{} resumed at {split} differs at {i}", d.name);
            }
        }
    }
}

/// The batch-only models judge new values by what the training stretch was like: a level shift,
/// a rise in volatility and a spike in the new values are flagged where they are.
#[test]
fn batch_only_models_flag_new_anomalies_by_the_training_stretch() {
    let noise = white_noise(3000, 0.2);
    let base: Vec<f64> = (0..3000).map(|i| 10.0 + (i as f64 / 30.0).sin() + noise[i]).collect();
    let case = |name: &str, new: Vec<f64>, at: usize| {
        let d = super::find_detector(name).unwrap();
        let mut det = (d.build)(&Params::defaults(d.params));
        det.fit(&base[..2000]);
        let out = det.score_fitted(&new);
        let flagged: Vec<usize> = (0..new.len()).filter(|&i| out[i].is_anomaly == Some(true)).collect();
        assert!(flagged.iter().any(|&i| i.abs_diff(at) <= 12), "{name}: {flagged:?}");
        assert!(flagged.iter().all(|&i| i + 30 >= at), "{name} flagged before the anomaly: {flagged:?}");
    };
    let mut shifted = base[2000..].to_vec();
    shifted[500..].iter_mut().for_each(|x| *x += 5.0);
    case("level_shift", shifted, 500);
    let mut louder = base[2000..].to_vec();
    louder[500..].iter_mut().enumerate().for_each(|(k, x)| *x += 4.0 * noise[k]);
    case("volatility_shift", louder, 500);
    let mut spiked = base[2000..].to_vec();
    spiked[700] += 8.0;
    case("gesd", spiked.clone(), 700);
    // The rest score each new value as it arrives (so does a fitted level_shift in a stream:
    // it sees the shift `window` values late).
    let arriving = |name: &str, new: &[f64]| {
        let d = super::find_detector(name).unwrap();
        let mut det = (d.build)(&Params::defaults(d.params));
        det.fit(&base[..2000]);
        (0..new.len()).filter(|&i| det.update(new[i]).is_anomaly == Some(true)).collect::<Vec<usize>>()
    };
    let found = |flagged: &[usize], at: usize| flagged.iter().any(|&i| (at..=at + 12).contains(&i));
    // Not hbos: as PyOD's, it gives a value beyond the training range the lowest density seen
    // in training, no more, so a far spike ranks with the rare values of the training stretch.
    for name in ["shesd", "stl", "poly", "lstm", "knn", "sub_knn", "sub_pca", "kmeans", "lof", "one_class_svm", "gesd"]
    {
        let clean = arriving(name, &base[2000..]);
        assert!(clean.len() <= 10, "{name} flagged {} of 1,000 clean values: {clean:?}", clean.len());
        let spiked = arriving(name, &spiked);
        assert!(found(&spiked, 700), "{name}: {spiked:?}");
        let extra: Vec<&usize> = spiked.iter().filter(|i| !clean.contains(i)).collect();
        assert!(extra.len() <= 3, "{name} flagged more than the spike: {extra:?}");
    }
    let mut shifted = base[2000..].to_vec();
    shifted[500..].iter_mut().for_each(|x| *x += 5.0);
    let flagged = arriving("level_shift", &shifted);
    assert!(found(&flagged, 500) && flagged.iter().all(|&i| i >= 500), "level_shift: {flagged:?}");
}

/// FNV-1a: a stable fingerprint of the bytes.
fn fingerprint(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100000001b3))
}

/// The encodings of format 2 after the first 500 values of `series()` with default parameters.
/// A change here is a change of layout: raise `state::FORMAT`, then update the pins (a detector
/// added later is pinned when it is listed). The pins also move when a fitted number saved in
/// the state changes in its last bits (dspot's fit, when its logarithms came to be summed in
/// lanes): then the layout is the same and only the pin is updated.
const PINNED: &[(&str, u64)] = &[
    ("zscore", 0xd793cada0bc4ebf7),
    ("mad", 0x9a1d6a2a8264cda0),
    ("iqr", 0xbbfdb8ae55d4e0c7),
    ("ewma", 0x4deb146bd194464c),
    ("cusum", 0x6ced1c4ab2b16dba),
    ("page_hinkley", 0x9619b57697f9867e),
    ("persist", 0xb01cd05b9dfb8e0f),
    ("spot", 0xd6aee4a247947300),
    ("dspot", 0x9c13479e48ec91da),
    ("holt_winters", 0xe343b4f94da8cf66),
    ("ar_residual", 0xbe2633e639a50798),
    ("ensemble", 0xae77633af60acfe8),
    ("isolation_forest", 0x64b0eea2b8467cb3),
    ("half_space_trees", 0x34ad9c674fe964a8),
    ("matrix_profile", 0xce9e1b0d0d5ce00),
    ("rrcf", 0xbc6447a49fd9ee03),
    ("sentinel", 0xbd8c95625dbc7895),
];

#[test]
fn state_layouts_are_pinned_to_the_format() {
    assert_eq!(FORMAT, 3, "the format changed: re-pin every layout below");
    let xs = series();
    let mut seen = Vec::new();
    for d in registry() {
        let params = Params::defaults(d.params);
        if !d.supports_online(&params) {
            continue;
        }
        let mut detector = (d.build)(&params);
        for &x in &xs[..500] {
            detector.update(x);
        }
        let print = fingerprint(&detector.save().unwrap());
        seen.push(format!("(\"{}\", {print:#x}),", d.name));
        if let Some(&(_, pinned)) = PINNED.iter().find(|(name, _)| *name == d.name) {
            assert_eq!(print, pinned, "{}'s saved state changed layout: raise state::FORMAT", d.name);
        }
    }
    assert!(!PINNED.is_empty(), "pin these:\n{}", seen.join("\n"));
}
