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
.legend{font-size:12px;color:#555}footer{margin-top:32px;font-size:11px;color:#999}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_a_user_controls() {
        assert_eq!(escape("<b>\"x\" & 'y'</b>"), "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;");
        let t = table("m", &["a<"], &[vec!["<script>".into()]]);
        assert!(!t.contains("<script>") && t.contains("&lt;script&gt;"));
        assert!(page("<t>", &[]).contains("<title>&lt;t&gt;</title>"));
    }
}
