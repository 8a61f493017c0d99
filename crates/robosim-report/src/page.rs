//! The page: sections side by side, then the failure table and its detail view, with the
//! data as JSON in the page and the script that shows it (all inline: one file, no network).

use std::fmt::Write as _;

use crate::{Kind, Report, svg};

const CSS: &str = include_str!("assets/report.css");
const SCRIPT: &str = include_str!("assets/report.js");

/// `text` safe inside HTML text and attribute values.
#[must_use]
pub fn esc(text: &str) -> String {
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

/// JSON safe inside a `<script type="application/json">` element (`</script>` or `<!--` in a
/// program's text must not end it).
fn script_json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into()).replace("</", "<\\/").replace("<!--", "<\\u0021--")
}

pub(crate) fn render(report: &Report) -> String {
    let titles: Vec<&str> = report.sections.iter().map(|s| s.title.as_str()).collect();
    let mut html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>robosim report — {}</title><style>{CSS}</style></head><body>\
         <header><h1>robosim report</h1><p>{} input{} · robosim {}</p></header><main>",
        esc(&titles.join(", ")),
        titles.len(),
        if titles.len() == 1 { "" } else { "s" },
        env!("CARGO_PKG_VERSION"),
    );
    comparison(report, &mut html);
    let columns = report.sections.len().clamp(1, 3);
    let _ = write!(html, "<div class=\"sections\" style=\"--columns:{columns}\">");
    for (i, section) in report.sections.iter().enumerate() {
        let _ = write!(
            html,
            "<section class=\"input\" id=\"input-{i}\" data-kind=\"{}\" aria-labelledby=\"input-{i}-title\">\
             <h2 id=\"input-{i}-title\">{}</h2><p class=\"path\">{}</p><dl class=\"stats\">",
            section.kind.name(),
            esc(&section.title),
            esc(&section.path.display().to_string()),
        );
        for stat in &section.stats {
            let _ = write!(
                html,
                "<div><dt>{}</dt><dd data-stat=\"{}\">{}</dd></div>",
                esc(stat.label),
                stat.key,
                esc(&stat.value)
            );
        }
        html.push_str("</dl>");
        if !section.notes.is_empty() {
            html.push_str("<ul class=\"notes\">");
            for note in &section.notes {
                let _ = write!(html, "<li>{}</li>", esc(note));
            }
            html.push_str("</ul>");
        }
        html.push_str("<div class=\"plots\">");
        for (heading, plot) in &section.plots {
            let _ = write!(html, "<figure><figcaption>{}</figcaption>{plot}</figure>", esc(heading));
        }
        let _ = write!(html, "</div>{}</section>", section.extra);
    }
    html.push_str("</div>");
    failures(report, &mut html);
    let _ = write!(html, "</main><script>{SCRIPT}</script></body></html>");
    html
}

/// Several evals: their pass@k curves on one plot.
fn comparison(report: &Report, html: &mut String) {
    let series: Vec<(String, Vec<(f64, f64)>)> = report
        .sections
        .iter()
        .filter(|s| s.kind == Kind::Eval && !s.pass_at.is_empty())
        .map(|s| (s.title.clone(), s.pass_at.clone()))
        .collect();
    if series.len() > 1 {
        let _ = write!(
            html,
            "<section class=\"comparison\" aria-labelledby=\"comparison-title\"><h2 id=\"comparison-title\">pass@k of \
             the evals compared</h2><figure>{}</figure></section>",
            svg::curves("pass@k of every eval", &series, "k (samples)")
        );
    }
}

fn failures(report: &Report, html: &mut String) {
    let rows: Vec<&crate::Row> = report.sections.iter().flat_map(|s| &s.rows).collect();
    let total: u64 = report.sections.iter().map(|s| s.failures).sum();
    let inputs: Vec<&str> = report.sections.iter().map(|s| s.title.as_str()).collect();
    let sample = if rows.len() as u64 == total {
        String::new()
    } else {
        format!(
            " The table holds {} of them: for each input at most {}, every class keeping its share (at least its \
             first 25), the earliest of each; the counts and plots above are over all of them.",
            rows.len(),
            crate::TABLE_ROWS
        )
    };
    let _ = write!(
        html,
        "<section id=\"failures\" aria-labelledby=\"failures-title\"><h2 id=\"failures-title\">Failures</h2>\
         <p id=\"failures-note\"><span data-stat=\"failures\">{total}</span> failures (rejected programs, failed \
         completions, invalid or not-run lines).{sample} Select a row (Enter, or a click) to see the program, its \
         failing path and what the robot did.</p>\
         <form class=\"filters\" role=\"search\" onsubmit=\"return false\">\
         <label id=\"filter-input-label\">Input <select id=\"filter-input\"><option value=\"\">all</option></select></label>\
         <label>Class <select id=\"filter-class\"><option value=\"\">all</option></select></label>\
         <label id=\"filter-task-label\">Task / source <select id=\"filter-task\"><option value=\"\">all</option></select></label>\
         <label>Text <input id=\"filter-text\" type=\"search\" placeholder=\"id, error, task…\"></label></form>\
         <p id=\"match-count\" aria-live=\"polite\"></p>\
         <table id=\"failure-table\"><thead><tr><th scope=\"col\">input</th><th scope=\"col\">id</th>\
         <th scope=\"col\">class</th><th scope=\"col\">task / source</th><th scope=\"col\">line</th><th scope=\"col\">error</th>\
         </tr></thead><tbody></tbody></table>\
         <nav class=\"pager\" aria-label=\"pages of failures\"><button type=\"button\" id=\"page-prev\">Previous</button>\
         <span id=\"page-label\"></span><button type=\"button\" id=\"page-next\">Next</button></nav></section>\
         <dialog id=\"detail\" aria-labelledby=\"detail-title\"><div class=\"detail-head\"><h2 id=\"detail-title\"></h2>\
         <button type=\"button\" id=\"detail-close\">Close</button></div><div id=\"detail-body\"></div></dialog>\
         <script type=\"application/json\" id=\"data-inputs\">{}</script>\
         <script type=\"application/json\" id=\"data-rows\">{}</script>\
",
        script_json(&inputs),
        script_json(&rows),
    );
    // A script element per failure: the browser keeps its text, unparsed until it is opened.
    for (i, row) in rows.iter().enumerate() {
        let _ =
            write!(html, "<script type=\"application/json\" id=\"detail-{i}\">{}</script>", script_json(&row.detail));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_program_cannot_end_the_data_element() {
        let json = script_json(&vec!["</script><script>alert(1)</script><!--"]);
        assert!(!json.contains("</") && !json.contains("<!--"), "{json}");
        let back: Vec<String> = serde_json::from_str(&json).expect("still JSON");
        assert_eq!(back, ["</script><script>alert(1)</script><!--"]);
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(esc("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }
}
