//! The report as one self-contained HTML file: plots inlined as SVG data URIs, no external
//! resource. A small script at the end records, in `#lumen-image-check`, how many images
//! loaded and which did not (the screenshot test reads it).

use base64::Engine as _;

use super::{Report, Section};
use crate::plot::Figure;

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:'DejaVu Sans',Verdana,sans-serif;margin:0;color:#222;background:#fafafa}\
header{background:#1f3b57;color:#fff;padding:18px 32px}header h1{margin:0 0 6px;font-size:24px}\
header p{margin:2px 0;font-size:14px;opacity:.9}main{padding:8px 32px 40px;max-width:1100px}\
nav ol{font-size:14px;line-height:1.6}section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px 24px 16px;margin:20px 0}\
h2{font-size:19px;color:#1f3b57}table.audit{border-collapse:collapse;font-size:13px;margin:8px 0}\
table.audit th{text-align:left;padding:3px 14px 3px 0;color:#555;font-weight:normal;vertical-align:top}\
table.audit td{padding:3px 0;font-family:'DejaVu Sans Mono',monospace}details{font-size:13px;margin:6px 0}\
pre{background:#f4f4f4;padding:8px;overflow-x:auto;font-size:12px}figure{margin:14px 0}\
figure img{max-width:100%;height:auto;border:1px solid #eee}figcaption{font-size:12px;color:#666}\
.source{font-size:12px;color:#777}";

fn figure(figure: &Figure) -> String {
    let data = base64::engine::general_purpose::STANDARD.encode(figure.svg.as_bytes());
    format!(
        "<figure><img src=\"data:image/svg+xml;base64,{data}\" width=\"{}\" height=\"{}\" alt=\"{}\"><figcaption>{} (plots/{}.svg, .png)</figcaption></figure>\n",
        figure.size.0,
        figure.size.1,
        escape(&figure.caption),
        escape(&figure.caption),
        escape(&figure.name)
    )
}

fn section(index: usize, section: &Section) -> String {
    let mut html = format!(
        "<section id=\"s{index}\"><h2>{}</h2><p class=\"source\">record: {}</p>\n<table class=\"audit\">",
        escape(&section.heading),
        escape(&section.source)
    );
    for (label, value) in &section.facts {
        html.push_str(&format!("<tr><th>{}</th><td>{}</td></tr>", escape(label), escape(value)));
    }
    html.push_str("</table>\n");
    html.push_str(&format!(
        "<details><summary>parameters</summary><pre>{}</pre></details>\n",
        escape(&section.parameters)
    ));
    for f in &section.figures {
        html.push_str(&figure(f));
    }
    html.push_str("</section>\n");
    html
}

/// The script that lists broken images into `#lumen-image-check` once the page has loaded.
const IMAGE_CHECK: &str = "<div id=\"lumen-image-check\" hidden></div><script>\
window.addEventListener('load',function(){var imgs=Array.prototype.slice.call(document.images);\
var broken=imgs.filter(function(i){return !(i.complete&&i.naturalWidth>0);}).map(function(i){return i.alt;});\
var m=document.getElementById('lumen-image-check');m.setAttribute('data-total',imgs.length);\
m.setAttribute('data-broken',broken.length);m.textContent='images '+imgs.length+' broken '+broken.length+(broken.length?': '+broken.join(' | '):'');});\
</script>";

/// The whole HTML document.
pub fn render(report: &Report) -> String {
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>\n<header><h1>{}</h1><p>lumen {} · {} explanation records</p>",
        escape(&report.title),
        escape(&report.title),
        lumen::explanation::LIBRARY_VERSION,
        report.sections.len()
    );
    for line in &report.introduction {
        html.push_str(&format!("<p>{}</p>", escape(line)));
    }
    html.push_str("</header>\n<main><nav><ol>");
    for (i, s) in report.sections.iter().enumerate() {
        html.push_str(&format!("<li><a href=\"#s{i}\">{}</a></li>", escape(&s.heading)));
    }
    html.push_str("</ol></nav>\n");
    for (i, s) in report.sections.iter().enumerate() {
        html.push_str(&section(i, s));
    }
    html.push_str("</main>");
    html.push_str(IMAGE_CHECK);
    html.push_str("</body></html>\n");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_inlines() {
        assert_eq!(escape("<a & 'b'>"), "&lt;a &amp; &#39;b&#39;&gt;");
        let report = Report {
            title: "T <1>".into(),
            introduction: vec!["intro".into()],
            sections: vec![Section {
                heading: "1. KernelSHAP".into(),
                source: "a.json".into(),
                facts: vec![("seed".into(), "7".into())],
                parameters: "{}".into(),
                figures: vec![Figure {
                    name: "f".into(),
                    caption: "c".into(),
                    size: (10, 20),
                    svg: "<svg/>".into(),
                    png: vec![],
                }],
            }],
        };
        let html = render(&report);
        assert!(html.contains("<title>T &lt;1&gt;</title>"));
        assert!(html.contains("<tr><th>seed</th><td>7</td></tr>"));
        assert!(html.contains("src=\"data:image/svg+xml;base64,PHN2Zy8+\" width=\"10\" height=\"20\""));
        assert!(!html.contains("src=\"http"), "self-contained");
        assert_eq!(html.matches("<img").count(), 1);
    }
}
