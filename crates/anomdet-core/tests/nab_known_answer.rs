//! NAB's protocol against NAB's own published numbers: Numenta HTM's per-row scores on the 18
//! files of ../shared/data/nab give 61.3 standard / 54.3 low-FP / 66.2 low-FN under NAB's
//! scorer (one threshold for the 18 files). Skips when the data is absent.
use anomdet_core::evaluate::nab::{Corpus, PROFILES};
use anomdet_core::evaluate::ranking::Ranking;
use std::path::PathBuf;

fn nab_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/nab")
}

/// "2014-10-30 15:30:00.000000" and "2014-10-30 15:30:00" name the same instant.
fn instant(text: &str) -> String {
    text.trim().trim_end_matches(".000000").to_string()
}

#[test]
fn numenta_htm_scores_as_nab_published() {
    let dir = nab_dir();
    let Ok(windows) = std::fs::read_to_string(dir.join("combined_windows.json")) else {
        eprintln!("skipped: {} not found", dir.display());
        return;
    };
    let windows: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&windows).unwrap();
    let (mut labels, mut scores, mut series) = (Vec::new(), Vec::new(), Vec::new());
    for (name, spans) in &windows {
        let (category, file) = name.split_once('/').unwrap();
        let text = std::fs::read_to_string(dir.join("results/numenta").join(category).join(format!("numenta_{file}")))
            .unwrap();
        let spans: Vec<(String, String)> = spans
            .as_array()
            .unwrap()
            .iter()
            .map(|w| (instant(w[0].as_str().unwrap()), instant(w[1].as_str().unwrap())))
            .collect();
        let start = labels.len();
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split(',').collect();
            let ts = instant(fields[0]);
            labels.push(spans.iter().any(|(a, b)| *a <= ts && ts <= *b));
            scores.push(fields[2].parse::<f64>().unwrap());
        }
        series.push(start..labels.len());
    }
    let corpus = Corpus::new(&labels, &series);
    let ranking = Ranking::new(&scores);
    let got: Vec<f64> = PROFILES.iter().map(|&p| corpus.best_threshold(&ranking, p).score).collect();
    for (g, want) in got.iter().zip([61.3, 54.3, 66.2]) {
        assert!((g - want).abs() < 0.05, "{got:?}");
    }
}
