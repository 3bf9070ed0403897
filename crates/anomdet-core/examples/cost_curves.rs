//! Cost curves: every detector's time on 10,000, 100,000 and 1,000,000 values, batch and online,
//! without PostgreSQL, as a Markdown table for bench/RESULTS.md. A size is skipped once the one
//! before it took more than `BUDGET_S` or the growth seen says it would take more than six
//! times that, or when the detector's memory estimate passes anomdet's limit; the last column
//! extrapolates, from the growth seen, the size one pass scores in a minute; the one after it
//! sets the largest time measured against what the detector declares (`DetectorInfo::cost`,
//! which `anomdet.detectors()` shows), and the run ends listing declarations off by over 3×.
//! `cargo run --release -p anomdet-core --example cost_curves [detector...]` (default: all)
use anomdet_core::{MEMORY_LIMIT, Mode, Params, registry, score_series};
use std::time::Instant;

const SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];
/// A size after one slower than this is not run.
const BUDGET_S: f64 = 20.0;

fn values(n: usize) -> Vec<f64> {
    (0..n).map(|i| 50.0 + 10.0 * (i as f64 / 500.0).sin() + ((i * 7919) % 101) as f64 / 101.0).collect()
}

/// Seconds for one pass (the median of 3 under a second, else one run).
fn seconds(run: impl Fn()) -> f64 {
    let t = Instant::now();
    run();
    let first = t.elapsed().as_secs_f64();
    if first > 1.0 {
        return first;
    }
    let mut times: Vec<f64> = (0..2)
        .map(|_| {
            let t = Instant::now();
            run();
            t.elapsed().as_secs_f64()
        })
        .chain([first])
        .collect();
    times.sort_by(f64::total_cmp);
    times[1]
}

fn cell(t: Option<f64>) -> String {
    match t {
        Some(s) if s < 1.0 => format!("{:.0} ms", s * 1e3),
        Some(s) => format!("{s:.1} s"),
        None => "—".into(),
    }
}

fn main() {
    let only: Vec<String> = std::env::args().skip(1).collect();
    let data: Vec<Vec<f64>> = SIZES.iter().map(|&n| values(n)).collect();
    println!("| detector | mode | 10k | 100k | 1M | growth ×10 → | practical up to (≤ 60 s) | measured ÷ declared |");
    println!("|---|---|---:|---:|---:|---:|---|---:|");
    let mut off = Vec::new();
    for d in registry().iter().filter(|d| only.is_empty() || only.iter().any(|o| o == d.name)) {
        let params = Params::defaults(d.params);
        let modes: &[Mode] = if d.supports_online(&params) { &[Mode::Batch, Mode::Online] } else { &[Mode::Batch] };
        for &mode in modes {
            let mut times: Vec<Option<f64>> = Vec::new();
            for (k, xs) in data.iter().enumerate() {
                // Skipped when the last size was slow, or when the growth seen so far says this
                // one would take more than 6 budgets.
                let projected = match (k, times.as_slice()) {
                    (2, [Some(a), Some(b)]) => Some(b * (b / a)),
                    _ => None,
                };
                let too_slow = k > 0
                    && (times[k - 1].is_none_or(|t| t > BUDGET_S) || projected.is_some_and(|p| p > 6.0 * BUDGET_S));
                let too_big = d.working_bytes_of(&params, xs) > MEMORY_LIMIT;
                times.push((!too_slow && !too_big).then(|| {
                    seconds(|| {
                        std::hint::black_box(score_series(d, &params, mode, xs));
                    })
                }));
            }
            // The growth per ×10 values, from the two largest sizes measured.
            let measured: Vec<(usize, f64)> =
                times.iter().enumerate().filter_map(|(k, t)| t.map(|t| (SIZES[k], t))).collect();
            let growth = match measured.as_slice() {
                [.., (n0, t0), (n1, t1)] => Some((t1 / t0).powf(1.0 / (*n1 as f64 / *n0 as f64).log10())),
                _ => None,
            };
            // Up to what size a pass stays under a minute, extrapolated at that growth.
            let practical = match (measured.last(), growth) {
                (Some(&(n, t)), Some(g)) if g > 1.0 => {
                    let n60 = n as f64 * 10f64.powf((60.0 / t).log10() / g.log10());
                    if n60 >= 1e8 { "> 100M".into() } else { format!("~{}", human(n60)) }
                }
                _ => "?".into(),
            };
            let declared = if mode == Mode::Online { d.cost.online } else { Some(d.cost.batch) };
            let against = match (measured.last(), declared) {
                (Some(&(n, t)), Some(pass)) => Some(t / pass.seconds_for(n as f64)),
                _ => None,
            };
            if against.is_some_and(|r| !(1.0 / 3.0..=3.0).contains(&r)) {
                off.push(format!("{} {mode:?}", d.name));
            }
            println!(
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                d.name,
                format!("{mode:?}").to_lowercase(),
                cell(times[0]),
                cell(times[1]),
                cell(times[2]),
                growth.map_or("—".into(), |g| format!("×{g:.0}")),
                practical,
                against.map_or("—".into(), |r| format!("{r:.2}"))
            );
        }
    }
    if off.is_empty() {
        println!("\nEvery declared cost is within 3× of this run.");
    } else {
        println!("\nDeclared cost off by over 3× (update `cost` in their files): {}", off.join(", "));
    }
}

fn human(n: f64) -> String {
    if n >= 1e6 { format!("{:.0}M", n / 1e6) } else { format!("{:.0}k", n / 1e3) }
}
