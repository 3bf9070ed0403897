//! The series plot: values (line), labelled windows (shaded), flags (red dots), score track.

use super::escape;

/// Everything one plot needs, aligned row by row.
pub struct SeriesPlot<'a> {
    pub title: &'a str,
    /// Text under the left and right ends of the time axis.
    pub first: &'a str,
    pub last: &'a str,
    pub values: &'a [Option<f64>],
    pub scores: &'a [Option<f64>],
    pub flags: &'a [bool],
    pub labels: &'a [bool],
}

const WIDTH: f64 = 960.0;
const VALUES_H: f64 = 220.0;
const SCORES_H: f64 = 90.0;
const PAD: f64 = 40.0;

/// Per-pixel (min, max) of the finite values in each of `buckets` equal slices.
fn envelope(xs: &[Option<f64>], buckets: usize) -> Vec<Option<(f64, f64)>> {
    let n = xs.len();
    (0..buckets)
        .map(|b| {
            let (lo, hi) = (b * n / buckets, ((b + 1) * n / buckets).max(b * n / buckets + 1).min(n));
            xs[lo.min(n)..hi].iter().flatten().filter(|v| v.is_finite()).fold(None, |acc, &v| match acc {
                None => Some((v, v)),
                Some((a, z)) => Some((a.min(v), z.max(v))),
            })
        })
        .collect()
}

fn range_of(env: &[Option<(f64, f64)>]) -> (f64, f64) {
    let (lo, hi) =
        env.iter().flatten().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, z), &(l, h)| (a.min(l), z.max(h)));
    if lo.is_finite() && hi > lo {
        (lo, hi)
    } else if lo.is_finite() {
        (lo - 1.0, lo + 1.0)
    } else {
        (0.0, 1.0)
    }
}

/// One track: a filled min/max band drawn as a polyline per pixel column.
fn track(env: &[Option<(f64, f64)>], top: f64, height: f64, class: &str) -> String {
    let (lo, hi) = range_of(env);
    let y = |v: f64| top + height - (v - lo) / (hi - lo) * height;
    let dx = (WIDTH - 2.0 * PAD) / env.len().max(1) as f64;
    let mut path = String::new();
    for (i, e) in env.iter().enumerate() {
        if let Some((a, z)) = e {
            let x = PAD + (i as f64 + 0.5) * dx;
            path.push_str(&format!("M{x:.1},{:.1}L{x:.1},{:.1}", y(*a), y(*z) + 0.01));
            if let Some(Some((na, _))) = env.get(i + 1) {
                path.push_str(&format!("L{:.1},{:.1}", x + dx, y(*na)));
            }
        }
    }
    format!(
        "<path class=\"{class}\" d=\"{path}\" fill=\"none\" stroke-width=\"1\"/>\
         <text x=\"4\" y=\"{:.0}\" font-size=\"10\">{}</text><text x=\"4\" y=\"{:.0}\" font-size=\"10\">{}</text>",
        top + 10.0,
        fmt(hi),
        top + height,
        fmt(lo)
    )
}

fn fmt(v: f64) -> String {
    if v.abs() >= 1000.0 || (v != 0.0 && v.abs() < 0.01) { format!("{v:.2e}") } else { format!("{v:.2}") }
}

/// The plot as an `<svg>` element.
pub fn series_svg(p: &SeriesPlot<'_>) -> String {
    let n = p.values.len().max(1);
    let buckets = n.min((WIDTH - 2.0 * PAD) as usize);
    // A plot of a column no detector scored has no score track.
    let scored = p.scores.iter().any(Option::is_some);
    let below = if scored { 20.0 + SCORES_H } else { 0.0 };
    let height = PAD + VALUES_H + below + PAD;
    let x_of = |i: usize| PAD + i as f64 / n as f64 * (WIDTH - 2.0 * PAD);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" \
         role=\"img\"><title>{}</title><style>.values{{stroke:#1f5fa8}}.scores{{stroke:#6a3d9a}}\
         .label{{fill:#f4a6a6;opacity:.45}}.flag{{fill:#d62728}}</style>",
        escape(p.title)
    );
    // Labelled windows first, under everything else.
    for r in crate::evaluate::runs(p.labels) {
        let (x0, x1) = (x_of(r.start), x_of(r.end).max(x_of(r.start) + 1.5));
        out.push_str(&format!(
            "<rect class=\"label\" x=\"{x0:.1}\" y=\"{PAD}\" width=\"{:.1}\" height=\"{:.0}\"/>",
            x1 - x0,
            VALUES_H + below
        ));
    }
    let values = envelope(p.values, buckets);
    out.push_str(&track(&values, PAD, VALUES_H, "values"));
    if scored {
        let scores = envelope(p.scores, buckets);
        out.push_str(&track(&scores, PAD + VALUES_H + 20.0, SCORES_H, "scores"));
    }
    // Flags on the value track, at the flagged value's height.
    let (lo, hi) = range_of(&values);
    for (i, (&f, v)) in p.flags.iter().zip(p.values).enumerate() {
        if let (true, Some(v)) = (f, v.filter(|v| v.is_finite())) {
            let y = PAD + VALUES_H - (v - lo) / (hi - lo) * VALUES_H;
            out.push_str(&format!("<circle class=\"flag\" cx=\"{:.1}\" cy=\"{y:.1}\" r=\"3\"/>", x_of(i)));
        }
    }
    out.push_str(&format!(
        "<text x=\"{PAD}\" y=\"{:.0}\" font-size=\"11\">{}</text><text x=\"{:.0}\" y=\"{:.0}\" font-size=\"11\" text-anchor=\"end\">{}</text>\
         <text x=\"{PAD}\" y=\"{:.0}\" font-size=\"11\">values</text>",
        height - 12.0,
        escape(p.first),
        WIDTH - PAD,
        height - 12.0,
        escape(p.last),
        PAD - 6.0,
    ));
    if scored {
        out.push_str(&format!("<text x=\"{PAD}\" y=\"{:.0}\" font-size=\"11\">score</text>", PAD + VALUES_H + 16.0));
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plot_has_labels_flags_and_both_tracks() {
        let values: Vec<Option<f64>> =
            (0..5000).map(|i| Some(if i == 2500 { 50.0 } else { (i as f64 / 100.0).sin() })).collect();
        let scores: Vec<Option<f64>> = values.iter().map(|v| v.map(f64::abs)).collect();
        let flags: Vec<bool> = (0..5000).map(|i| i == 2500).collect();
        let labels: Vec<bool> = (0..5000).map(|i| (2490..2510).contains(&i)).collect();
        let svg = series_svg(&SeriesPlot {
            title: "t & <x>",
            first: "a",
            last: "b",
            values: &values,
            scores: &scores,
            flags: &flags,
            labels: &labels,
        });
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("class=\"label\"").count(), 1);
        assert_eq!(svg.matches("class=\"flag\"").count(), 1);
        assert!(svg.contains("class=\"values\"") && svg.contains("class=\"scores\""));
        assert!(svg.contains("t &amp; &lt;x&gt;"));
        // The spike survives the reduction to pixel columns: the top of the value axis is 50.
        assert!(svg.contains(">50.00<"));
    }

    #[test]
    fn unscored_column_has_no_score_track() {
        let values: Vec<Option<f64>> = (0..100).map(|i| Some(i as f64)).collect();
        let svg = series_svg(&SeriesPlot {
            title: "mem",
            first: "a",
            last: "b",
            values: &values,
            scores: &[None; 100],
            flags: &[false; 100],
            labels: &[false; 100],
        });
        assert!(svg.contains("class=\"values\""));
        assert!(!svg.contains("class=\"scores\"") && !svg.contains(">score<"));
    }
}
