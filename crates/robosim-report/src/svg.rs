//! The plots, drawn as SVG text by robosim (no JavaScript library): horizontal bars, stacked
//! bars, a histogram, line curves, a matrix. Each is an `<svg role="img">` with a `<title>`,
//! sized by its `viewBox` so that it scales with the page.

use std::fmt::Write as _;

use crate::page::esc;

/// Colours with at least 4.5:1 contrast against white for their text labels.
pub const PALETTE: [&str; 8] = ["#1f5fa8", "#b3261e", "#8a5a00", "#2e7d32", "#6a3d9a", "#00695c", "#ad1457", "#455a64"];
pub const PASS: &str = "#2e7d32";
pub const FAIL: &str = "#b3261e";

const W: f64 = 560.0;
const LABEL_W: f64 = 200.0;
const ROW_H: f64 = 22.0;

fn open(title: &str, height: f64, kind: &str) -> String {
    format!(
        "<svg class=\"plot\" data-plot=\"{kind}\" role=\"img\" aria-label=\"{t}\" viewBox=\"0 0 {W} {height}\"><title>{t}</title>",
        t = esc(title)
    )
}

fn cut(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_owned()
    } else {
        let short: String = label.chars().take(max - 1).collect();
        format!("{short}…")
    }
}

/// One horizontal bar per item: its label, a bar as long as its value against the largest,
/// and the value's text (`shown`).
#[must_use]
pub fn bars(title: &str, items: &[(String, f64, String)], colour: &str) -> String {
    let height = ROW_H.mul_add(items.len() as f64, 8.0);
    let mut svg = open(title, height, "bars");
    let max = items.iter().map(|i| i.1).fold(0.0_f64, f64::max).max(f64::MIN_POSITIVE);
    let room = W - LABEL_W - 70.0;
    for (i, (label, value, shown)) in items.iter().enumerate() {
        let y = ROW_H.mul_add(i as f64, 4.0);
        let width = (value / max * room).max(if *value > 0.0 { 1.0 } else { 0.0 });
        let _ = write!(
            svg,
            "<g class=\"bar\"><title>{l}: {s}</title><text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{lc}</text>\
             <rect x=\"{LABEL_W}\" y=\"{ry}\" width=\"{width:.1}\" height=\"{rh}\" fill=\"{colour}\"/>\
             <text x=\"{vx:.1}\" y=\"{ty}\">{s}</text></g>",
            l = esc(label),
            s = esc(shown),
            lx = LABEL_W - 6.0,
            ty = y + 15.0,
            lc = esc(&cut(label, 30)),
            ry = y + 3.0,
            rh = ROW_H - 6.0,
            vx = LABEL_W + width + 4.0,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// One stacked horizontal bar per row, each segment a share of the row's total (`series`
/// names and colours the segments); `note` is written after the bar (e.g. pass@1).
#[must_use]
pub fn stacked(title: &str, rows: &[(String, Vec<u64>, String)], series: &[(&str, &str)]) -> String {
    let height = ROW_H.mul_add(rows.len() as f64, 34.0);
    let mut svg = open(title, height, "stacked");
    let room = W - LABEL_W - 70.0;
    for (i, (label, counts, note)) in rows.iter().enumerate() {
        let y = ROW_H.mul_add(i as f64, 4.0);
        let total: u64 = counts.iter().sum();
        let _ = write!(
            svg,
            "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{l}</text>",
            lx = LABEL_W - 6.0,
            ty = y + 15.0,
            l = esc(&cut(label, 30))
        );
        let mut x = LABEL_W;
        for ((name, colour), &n) in series.iter().zip(counts) {
            if n == 0 || total == 0 {
                continue;
            }
            let width = n as f64 / total as f64 * room;
            let _ = write!(
                svg,
                "<rect class=\"bar\" x=\"{x:.1}\" y=\"{ry}\" width=\"{width:.1}\" height=\"{rh}\" fill=\"{colour}\">\
                 <title>{l}: {name} {n} of {total}</title></rect>",
                ry = y + 3.0,
                rh = ROW_H - 6.0,
                l = esc(label),
            );
            x += width;
        }
        let _ = write!(svg, "<text x=\"{:.1}\" y=\"{}\">{}</text>", LABEL_W + room + 4.0, y + 15.0, esc(note));
    }
    legend(&mut svg, series, ROW_H.mul_add(rows.len() as f64, 22.0));
    svg.push_str("</svg>");
    svg
}

fn legend(svg: &mut String, series: &[(&str, &str)], y: f64) {
    let mut x = 10.0;
    for (name, colour) in series {
        let _ = write!(
            svg,
            "<rect x=\"{x}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{colour}\"/><text x=\"{}\" y=\"{y}\">{}</text>",
            y - 9.0,
            x + 14.0,
            esc(name)
        );
        x += 24.0 + 7.0 * name.chars().count() as f64;
    }
}

/// Vertical bars over ordered buckets (a histogram); `x_label` names the buckets' unit.
#[must_use]
pub fn histogram(title: &str, buckets: &[(String, u64)], x_label: &str, colour: &str) -> String {
    let height = 190.0;
    let mut svg = open(title, height, "histogram");
    let (left, bottom, top) = (40.0, 150.0, 14.0);
    let max = buckets.iter().map(|b| b.1).max().unwrap_or(0).max(1) as f64;
    let slot = (W - left - 10.0) / buckets.len().max(1) as f64;
    let _ = write!(svg, "<line x1=\"{left}\" y1=\"{bottom}\" x2=\"{}\" y2=\"{bottom}\" stroke=\"#444\"/>", W - 10.0);
    for (i, (label, n)) in buckets.iter().enumerate() {
        let h = *n as f64 / max * (bottom - top);
        let x = (i as f64).mul_add(slot, left);
        let _ = write!(
            svg,
            "<g class=\"bar\"><title>{l}: {n}</title><rect x=\"{rx:.1}\" y=\"{ry:.1}\" width=\"{rw:.1}\" height=\"{h:.1}\" \
             fill=\"{colour}\"/><text x=\"{cx:.1}\" y=\"{ly}\" text-anchor=\"middle\">{l}</text>\
             <text x=\"{cx:.1}\" y=\"{ny:.1}\" text-anchor=\"middle\" class=\"small\">{n}</text></g>",
            l = esc(label),
            rx = x + slot * 0.1,
            ry = bottom - h,
            rw = slot * 0.8,
            cx = x + slot / 2.0,
            ly = bottom + 14.0,
            ny = bottom - h - 3.0,
        );
    }
    let _ =
        write!(svg, "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>", W / 2.0, height - 6.0, esc(x_label));
    svg.push_str("</svg>");
    svg
}

/// Curves through points `(x, y)` with y in 0..=1, one per series, x on a log-2 axis (k of pass@k).
#[must_use]
pub fn curves(title: &str, series: &[(String, Vec<(f64, f64)>)], x_label: &str) -> String {
    let height = 240.0;
    let mut svg = open(title, height, "curves");
    let (left, right, bottom, top) = (46.0, W - 16.0, 180.0, 12.0);
    let xs: Vec<f64> = series.iter().flat_map(|s| s.1.iter().map(|p| p.0.max(1.0).log2())).collect();
    let x_max = xs.iter().copied().fold(0.0_f64, f64::max).max(1.0);
    let px = |x: f64| (x.max(1.0).log2() / x_max).mul_add(right - left, left);
    let py = |y: f64| y.clamp(0.0, 1.0).mul_add(-(bottom - top), bottom);
    for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = write!(
            svg,
            "<line x1=\"{left}\" x2=\"{right}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" class=\"small\">{tick}</text>",
            left - 4.0,
            py(tick) + 4.0,
            y = py(tick)
        );
    }
    let mut ks: Vec<f64> = series.iter().flat_map(|s| s.1.iter().map(|p| p.0)).collect();
    ks.sort_by(f64::total_cmp);
    ks.dedup();
    for k in ks {
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\" class=\"small\">{k}</text>",
            px(k),
            bottom + 14.0
        );
    }
    for (i, (name, points)) in series.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let path: Vec<String> = points.iter().map(|(x, y)| format!("{:.1},{:.1}", px(*x), py(*y))).collect();
        let _ = write!(
            svg,
            "<polyline class=\"curve\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"><title>{}</title></polyline>",
            path.join(" "),
            esc(name)
        );
        for (x, y) in points {
            let _ = write!(
                svg,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{colour}\"><title>{}: pass@{x} = {y:.3}</title></circle>",
                px(*x),
                py(*y),
                esc(name)
            );
        }
    }
    let names: Vec<(&str, &str)> =
        series.iter().enumerate().map(|(i, s)| (s.0.as_str(), PALETTE[i % PALETTE.len()])).collect();
    legend(&mut svg, &names, height - 8.0);
    let _ = write!(
        svg,
        "<text x=\"{right}\" y=\"{}\" text-anchor=\"end\" class=\"small\">{}</text>",
        bottom + 28.0,
        esc(x_label)
    );
    svg.push_str("</svg>");
    svg
}

/// A grid: one row per `rows`, one column per `cols`, each cell `(name, passed, of)` coloured
/// from red (none passed) to green (all passed) with its percentage written in it.
#[must_use]
pub fn matrix(title: &str, rows: &[String], cols: &[String], cells: &[Vec<(String, u64, u64)>]) -> String {
    let cell = 40.0_f64.min((W - LABEL_W - 10.0) / cols.len().max(1) as f64);
    let height = ROW_H.mul_add(rows.len() as f64, 30.0);
    let mut svg = open(title, height, "matrix");
    for (j, col) in cols.iter().enumerate() {
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"14\" text-anchor=\"middle\" class=\"small\">{}</text>",
            (j as f64 + 0.5).mul_add(cell, LABEL_W),
            esc(col)
        );
    }
    for (i, (row, line)) in rows.iter().zip(cells).enumerate() {
        let y = ROW_H.mul_add(i as f64, 20.0);
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            LABEL_W - 6.0,
            y + 15.0,
            esc(&cut(row, 30))
        );
        for (j, (name, passed, of)) in line.iter().enumerate() {
            let share = if *of == 0 { 0.0 } else { *passed as f64 / *of as f64 };
            let x = (j as f64).mul_add(cell, LABEL_W);
            let _ = write!(
                svg,
                "<g class=\"cell\"><title>{r} / {c}: {passed} of {of} passed</title>\
                 <rect x=\"{x:.1}\" y=\"{y}\" width=\"{w:.1}\" height=\"{h}\" fill=\"{fill}\" stroke=\"#fff\"/>\
                 <text x=\"{tx:.1}\" y=\"{ty}\" text-anchor=\"middle\" class=\"small\" fill=\"#fff\">{pct:.0}</text></g>",
                r = esc(row),
                c = esc(name),
                w = cell - 1.0,
                h = ROW_H - 2.0,
                fill = heat(share),
                tx = x + cell / 2.0,
                ty = y + 14.0,
                pct = share * 100.0,
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Red through amber to green, dark enough for white text on every shade.
fn heat(share: f64) -> String {
    let (r, g) = if share < 0.5 { (170.0, share * 2.0 * 120.0) } else { ((1.0 - share) * 2.0 * 170.0, 120.0) };
    format!("rgb({:.0},{:.0},40)", r, g)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_is_as_long_as_its_share_of_the_largest() {
        let svg = bars("t", &[("a".into(), 10.0, "10".into()), ("b".into(), 5.0, "5".into())], PASS);
        let widths: Vec<&str> =
            svg.match_indices("width=\"").map(|(i, _)| svg[i + 7..].split('"').next().unwrap_or("")).collect();
        assert_eq!(widths, ["290.0", "145.0"], "{svg}");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }

    #[test]
    fn labels_are_escaped() {
        let svg = bars("<x>", &[("a<b & c".into(), 1.0, "1".into())], PASS);
        assert!(svg.contains("a&lt;b &amp; c") && !svg.contains("<x>"), "{svg}");
    }
}
