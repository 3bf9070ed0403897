//! Self-contained HTML reports with inline SVG: no scripts, no fonts, no network.
//!
//! A series plot shows the values with labelled windows shaded and flagged points marked,
//! and the score track under it; long series are reduced to per-pixel min/max so a
//! one-row spike stays visible.

mod svg;

pub use svg::{SeriesPlot, series_svg};

/// Escape text for HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// An HTML table; every cell is escaped.
pub fn table(class: &str, headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = format!("<table class=\"{}\"><thead><tr>", escape(class));
    for h in headers {
        out.push_str(&format!("<th>{}</th>", escape(h)));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            out.push_str(&format!("<td>{}</td>", escape(cell)));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// A heat map as a table: one row per `rows` name, one column per `columns` name, each cell its
/// value in [0, 1] printed to 3 decimals on a white-to-dark-blue background (darker is higher),
/// "–" on grey where there is none. Rows and columns keep the order given.
pub fn heat_map(class: &str, corner: &str, rows: &[String], columns: &[String], values: &[Vec<Option<f64>>]) -> String {
    let mut out = format!("<table class=\"heatmap {}\"><thead><tr><th>{}</th>", escape(class), escape(corner));
    for c in columns {
        out.push_str(&format!("<th>{}</th>", escape(c)));
    }
    out.push_str("</tr></thead><tbody>");
    for (name, row) in rows.iter().zip(values) {
        out.push_str(&format!("<tr><th>{}</th>", escape(name)));
        for v in row {
            match v.filter(|v| v.is_finite()) {
                Some(v) => {
                    let (background, ink) = heat_colour(v);
                    out.push_str(&format!("<td style=\"background:{background};color:{ink}\">{v:.3}</td>"));
                }
                None => out.push_str("<td style=\"background:#eee;color:#888\">–</td>"),
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// White (#f7fbff) at 0 to dark blue (#08306b) at 1, linear in each channel; white ink on the
/// darker half so the number stays legible.
fn heat_colour(v: f64) -> (String, &'static str) {
    let t = v.clamp(0.0, 1.0);
    let mix = |low: f64, high: f64| (low + (high - low) * t).round() as u8;
    let colour = format!("#{:02x}{:02x}{:02x}", mix(247.0, 8.0), mix(251.0, 48.0), mix(255.0, 107.0));
    (colour, if t > 0.5 { "#fff" } else { "#222" })
}

/// A whole page: a title, then the given HTML sections in order.
pub fn page(title: &str, sections: &[String]) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title><style>{STYLE}</style></head>\
         <body><h1>{t}</h1>{}<footer>anomdet report</footer></body></html>\n",
        sections.join("\n"),
        t = escape(title)
    )
}

const STYLE: &str = "body{font-family:sans-serif;margin:24px;color:#222;background:#fff}h1{font-size:20px}\
h2{font-size:16px;margin-top:28px}table{border-collapse:collapse;margin:8px 0}\
th,td{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:right}th{background:#f0f0f0}\
td:first-child,th:first-child{text-align:left}.evaluation td:last-child{text-align:left}svg{display:block;margin:6px 0}\
.legend{font-size:12px;color:#555}.heatmap td{min-width:44px;text-align:center}\
.heatmap tbody th{text-align:left;background:#fff;font-weight:normal}footer{margin-top:32px;font-size:11px;color:#999}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_a_user_controls() {
        assert_eq!(escape("<b>\"x\" & 'y'</b>"), "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;");
        let t = table("m", &["a<"], &[vec!["<script>".into()]]);
        assert!(!t.contains("<script>") && t.contains("&lt;script&gt;"));
        assert!(page("<t>", &[]).contains("<title>&lt;t&gt;</title>"));
        let h = heat_map("m", "<c>", &["<d>".into()], &["<m>".into()], &[vec![Some(0.5)]]);
        assert!(!h.contains("<d>") && !h.contains("<m>") && !h.contains("<c>") && h.contains("&lt;d&gt;"));
    }

    #[test]
    fn heat_map_darkens_with_the_value_and_marks_missing_cells() {
        let h = heat_map(
            "m",
            "",
            &["a".into()],
            &["x".into(), "y".into(), "z".into(), "w".into()],
            &[vec![Some(0.0), Some(0.5), Some(1.0), None]],
        );
        let backgrounds: Vec<u32> = h
            .split("background:#")
            .skip(1)
            .take(3)
            .map(|rest| {
                let hex = &rest[..6];
                (0..3).map(|i| u32::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap()).sum()
            })
            .collect();
        // Brightness falls as the value rises; the missing cell is the neutral grey.
        assert!(backgrounds[0] > backgrounds[1] && backgrounds[1] > backgrounds[2], "{backgrounds:?}");
        assert!(h.contains(">0.000<") && h.contains(">1.000<") && h.contains(">–<"));
        assert_eq!(h.matches("<tr>").count(), 2);
    }
}
