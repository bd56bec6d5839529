//! Charts drawn on the server as SVG: a watch's stories (or negative stories) per bucket against its usual
//! band (median ± spread), an incident's window marked on it, and the negative share per bucket against its
//! usual share; readable in the page, printable, and downloadable for a slide as SVG or as PNG (rasterised
//! here by resvg with an embedded font, so that a bare server draws the same letters). No script, no
//! external font: plain shapes, and text only from the voice (escaped).

use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};

use crate::i18n::Voice;
use crate::views::WatchSeries;

// A narrower drawing with larger letters than a desk needs: on a phone the chart is shown at least 30 rem
// wide (scrolling sideways within its box), and its words must still read there.
const W: f64 = 600.0;
const H: f64 = 240.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 26.0;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The title of a watch's volume chart (`negative`: of its negative mentions), as the chart and the
/// caption above it in a page say it.
pub(crate) fn title(series: &WatchSeries, v: &Voice, negative: bool) -> String {
    v.say(
        if negative {
            "web-chart-negative"
        } else {
            "web-chart-stories"
        },
        &[("watch", series.name.as_str().into())],
    )
}

/// The title of a watch's negative-share chart.
pub(crate) fn share_title(series: &WatchSeries, v: &Voice) -> String {
    v.say("web-chart-share", &[("watch", series.name.as_str().into())])
}

/// The SVG of `series`: its stories, or its negative stories when `negative`.
pub(crate) fn svg(series: &WatchSeries, v: &Voice, negative: bool) -> String {
    svg_marked(series, v, negative, None)
}

/// The x range of the buckets of `series` that overlap `window`.
fn window_span(
    series: &WatchSeries,
    window: (DateTime<Utc>, DateTime<Utc>),
    x: impl Fn(usize) -> f64,
    bw: f64,
) -> Option<(f64, f64)> {
    let inside: Vec<usize> = (0..series.points.len())
        .filter(|&i| {
            let p = &series.points[i];
            p.start < window.1 && p.start + series.bucket > window.0
        })
        .collect();
    Some((x(*inside.first()?), x(*inside.last()?) + bw))
}

/// Marks `window` (an incident's) behind the bars, with its name above.
fn mark_window(out: &mut String, span: Option<(f64, f64)>, v: &Voice) {
    if let Some((x0, x1)) = span {
        let _ = write!(
            out,
            "<rect x=\"{x0:.1}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#fde68a\" fill-opacity=\"0.55\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" fill=\"#92400e\" text-anchor=\"end\">{}</text>",
            (x1 - x0).max(1.0),
            H - TOP - BOTTOM,
            x1 - 2.0,
            TOP + 12.0,
            esc(&v.word("web-chart-window"))
        );
    }
}

/// The SVG of `series` with `window` marked.
pub(crate) fn svg_marked(
    series: &WatchSeries,
    v: &Voice,
    negative: bool,
    window: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> String {
    let pts = &series.points;
    let count = |i: usize| {
        if negative {
            f64::from(pts[i].negative)
        } else {
            f64::from(pts[i].stories)
        }
    };
    let level = |i: usize| {
        if negative {
            pts[i].usual_negative
        } else {
            pts[i].usual
        }
    };
    let top = (0..pts.len())
        .map(|i| count(i).max(level(i).median + level(i).spread))
        .fold(0.0_f64, f64::max);
    // Headroom, and a floor so that a quiet watch's single mention does not fill the whole height.
    let top = (top * 1.15).max(4.0).ceil();
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let n = pts.len().max(1) as f64;
    let bw = plot_w / n;
    let x = |i: usize| LEFT + bw * i as f64;
    let y = |value: f64| TOP + plot_h * (1.0 - (value / top).clamp(0.0, 1.0));
    let title = title(series, v, negative);
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" role=\"img\" \
         font-family=\"system-ui, sans-serif\" font-size=\"14\"><title>{}</title>\
         <rect width=\"{W}\" height=\"{H}\" fill=\"#fff\"/>",
        esc(&title)
    );
    let _ = write!(
        out,
        // The title ends at the right edge: a phone opens the chart at its latest hours, on the right. In
        // the console's pages the caption above the chart says it instead (`.chart-title` is hidden there),
        // and the downloaded file keeps it for the slide.
        "<text class=\"chart-title\" x=\"{}\" y=\"18\" fill=\"#1d2330\" font-weight=\"600\" \
         text-anchor=\"end\">{}</text>",
        W - RIGHT,
        esc(&title)
    );
    if let Some(w) = window {
        mark_window(&mut out, window_span(series, w, x, bw), v);
    }
    // The usual band, then the bars, then the usual median over them.
    if !pts.is_empty() {
        let mut band = String::new();
        for i in 0..pts.len() {
            let l = level(i);
            let _ = write!(band, "{:.1},{:.1} ", x(i), y(l.median + l.spread));
            let _ = write!(band, "{:.1},{:.1} ", x(i) + bw, y(l.median + l.spread));
        }
        for i in (0..pts.len()).rev() {
            let l = level(i);
            let low = (l.median - l.spread).max(0.0);
            let _ = write!(band, "{:.1},{:.1} ", x(i) + bw, y(low));
            let _ = write!(band, "{:.1},{:.1} ", x(i), y(low));
        }
        let _ = write!(
            out,
            "<polygon points=\"{}\" fill=\"#c7d7fe\" fill-opacity=\"0.7\"/>",
            band.trim_end()
        );
        let fill = if negative { "#b42318" } else { "#5b6475" };
        for (i, p) in pts.iter().enumerate() {
            let c = count(i);
            // The bucket in progress is lighter: it is still counting.
            let opacity = if p.partial { 0.45 } else { 1.0 };
            if c > 0.0 {
                let _ = write!(
                    out,
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{fill}\" fill-opacity=\"{opacity}\"/>",
                    x(i) + bw * 0.15,
                    y(c),
                    (bw * 0.7).max(1.0),
                    (TOP + plot_h - y(c)).max(0.5)
                );
            }
        }
        let mut line = String::new();
        for i in 0..pts.len() {
            let m = level(i).median;
            let _ = write!(
                line,
                "{:.1},{:.1} {:.1},{:.1} ",
                x(i),
                y(m),
                x(i) + bw,
                y(m)
            );
        }
        let _ = write!(
            out,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"#1a56db\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>",
            line.trim_end()
        );
        let first = v.moment(pts[0].start);
        let last = v.moment(pts[pts.len() - 1].start + series.bucket);
        let _ = write!(
            out,
            "<text x=\"{LEFT}\" y=\"{}\" fill=\"#5b6475\">{}</text>\
             <text x=\"{}\" y=\"{}\" fill=\"#5b6475\" text-anchor=\"end\">{}</text>",
            H - 6.0,
            esc(&first),
            W - RIGHT,
            H - 6.0,
            esc(&last)
        );
    } else {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" fill=\"#5b6475\" text-anchor=\"middle\">{}</text>",
            W / 2.0,
            H / 2.0,
            esc(&v.word("web-chart-empty"))
        );
    }
    // The axis: zero and the top.
    let _ = write!(
        out,
        "<line x1=\"{LEFT}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#d9dde5\"/>\
         <text x=\"{}\" y=\"{:.1}\" fill=\"#5b6475\" text-anchor=\"end\">0</text>\
         <text x=\"{}\" y=\"{:.1}\" fill=\"#5b6475\" text-anchor=\"end\">{}</text>",
        TOP + plot_h,
        W - RIGHT,
        TOP + plot_h,
        LEFT - 6.0,
        TOP + plot_h,
        LEFT - 6.0,
        TOP + 10.0,
        esc(&v.integer(top as u64))
    );
    out.push_str("</svg>");
    out
}

/// The negative share of each bucket of `series` (bars, 0 to 100 %), its usual share (a dashed line) and
/// `window` marked.
pub(crate) fn share_svg(
    series: &WatchSeries,
    v: &Voice,
    window: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> String {
    let pts = &series.points;
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let bw = plot_w / pts.len().max(1) as f64;
    let x = |i: usize| LEFT + bw * i as f64;
    let y = |share: f64| TOP + plot_h * (1.0 - share.clamp(0.0, 1.0));
    let title = share_title(series, v);
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" role=\"img\" \
         font-family=\"system-ui, sans-serif\" font-size=\"14\"><title>{t}</title>\
         <rect width=\"{W}\" height=\"{H}\" fill=\"#fff\"/>\
         <text class=\"chart-title\" x=\"{r}\" y=\"18\" fill=\"#1d2330\" font-weight=\"600\" \
         text-anchor=\"end\">{t}</text>",
        r = W - RIGHT,
        t = esc(&title)
    );
    if let Some(w) = window {
        mark_window(&mut out, window_span(series, w, x, bw), v);
    }
    for (i, p) in pts.iter().enumerate() {
        if p.stories > 0 {
            let share = f64::from(p.negative) / f64::from(p.stories);
            let opacity = if p.partial { 0.45 } else { 1.0 };
            let _ = write!(
                out,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#b42318\" fill-opacity=\"{opacity}\"/>",
                x(i) + bw * 0.15,
                y(share),
                (bw * 0.7).max(1.0),
                (TOP + plot_h - y(share)).max(0.5)
            );
        }
    }
    if let Some(usual) = series.usual_negative_share {
        let _ = write!(
            out,
            "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#1a56db\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>",
            W - RIGHT,
            y = y(usual)
        );
    }
    if pts.is_empty() {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" fill=\"#5b6475\" text-anchor=\"middle\">{}</text>",
            W / 2.0,
            H / 2.0,
            esc(&v.word("web-chart-empty"))
        );
    } else {
        let first = v.moment(pts[0].start);
        let last = v.moment(pts[pts.len() - 1].start + series.bucket);
        let _ = write!(
            out,
            "<text x=\"{LEFT}\" y=\"{}\" fill=\"#5b6475\">{}</text>\
             <text x=\"{}\" y=\"{}\" fill=\"#5b6475\" text-anchor=\"end\">{}</text>",
            H - 6.0,
            esc(&first),
            W - RIGHT,
            H - 6.0,
            esc(&last)
        );
    }
    let _ = write!(
        out,
        "<line x1=\"{LEFT}\" y1=\"{b:.1}\" x2=\"{:.1}\" y2=\"{b:.1}\" stroke=\"#d9dde5\"/>\
         <text x=\"{}\" y=\"{b:.1}\" fill=\"#5b6475\" text-anchor=\"end\">0 %</text>\
         <text x=\"{}\" y=\"{:.1}\" fill=\"#5b6475\" text-anchor=\"end\">100 %</text></svg>",
        W - RIGHT,
        LEFT - 4.0,
        LEFT - 4.0,
        TOP + 10.0,
        b = TOP + plot_h
    );
    out
}

/// The embedded font every PNG is drawn with.
const FONT: &[u8] = include_bytes!("static/fonts/DejaVuSans.ttf");

fn png_options() -> &'static resvg::usvg::Options<'static> {
    static OPTIONS: OnceLock<resvg::usvg::Options<'static>> = OnceLock::new();
    OPTIONS.get_or_init(|| {
        let mut db = resvg::usvg::fontdb::Database::new();
        db.load_font_data(FONT.to_vec());
        // Whatever family a chart names (system-ui, sans-serif), the embedded one draws it.
        db.set_sans_serif_family("DejaVu Sans");
        resvg::usvg::Options {
            font_family: "DejaVu Sans".into(),
            fontdb: Arc::new(db),
            ..resvg::usvg::Options::default()
        }
    })
}

/// `svg` (one of this module's charts) as a PNG twice its size, for a slide; `None` if it cannot be drawn.
pub(crate) fn png(svg: &str) -> Option<Vec<u8>> {
    let tree = resvg::usvg::Tree::from_str(svg, png_options()).ok()?;
    let size = tree.size().to_int_size().scale_by(2.0)?;
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height())?;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(2.0, 2.0),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::baseline::Level;
    use crate::views::SeriesPoint;

    fn level(median: f64, spread: f64) -> Level {
        Level {
            median,
            mad: spread,
            spread,
            samples: 10,
        }
    }

    #[test]
    fn a_surge_draws_above_its_band_and_names_are_escaped() {
        let t0 = chrono::DateTime::from_timestamp(1_773_000_000, 0).unwrap();
        let series = WatchSeries {
            watch: "w".into(),
            name: "A&B <script>".into(),
            bucket: chrono::TimeDelta::hours(1),
            points: (0..24)
                .map(|h| SeriesPoint {
                    start: t0 + chrono::TimeDelta::hours(h),
                    stories: if h == 23 { 40 } else { 4 },
                    negative: if h == 23 { 30 } else { 1 },
                    usual: level(4.0, 2.0),
                    usual_negative: level(1.0, 1.0),
                    partial: h == 23,
                })
                .collect(),
            negative_share: Some(0.3),
            usual_negative_share: Some(0.1),
        };
        let svg = svg(&series, &Voice::french(), true);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(!svg.contains("<script>") && svg.contains("A&amp;B &lt;script&gt;"));
        assert_eq!(svg.matches("<rect x=").count(), 24, "one bar per bucket");
        assert!(
            svg.contains(">35</text>"),
            "the top of the axis is above the surge: {svg}"
        );
        assert!(svg.contains("<polygon"), "the usual band is drawn");
        let marked = svg_marked(
            &series,
            &Voice::french(),
            true,
            Some((
                t0 + chrono::TimeDelta::hours(22),
                t0 + chrono::TimeDelta::hours(24),
            )),
        );
        assert!(marked.contains("fill=\"#fde68a\""), "the window is marked");
        let share = share_svg(&series, &Voice::french(), None);
        assert_eq!(
            share.matches("fill=\"#b42318\"").count(),
            24,
            "one share bar per bucket"
        );
    }

    #[test]
    fn a_chart_rasterises_to_a_png_with_its_letters() {
        let t0 = chrono::DateTime::from_timestamp(1_773_000_000, 0).unwrap();
        let series = WatchSeries {
            watch: "w".into(),
            name: "Maison Brioche".into(),
            bucket: chrono::TimeDelta::hours(1),
            points: vec![SeriesPoint {
                start: t0,
                stories: 3,
                negative: 1,
                usual: level(1.0, 1.0),
                usual_negative: level(0.0, 1.0),
                partial: false,
            }],
            negative_share: None,
            usual_negative_share: None,
        };
        let with_text = png(&svg(&series, &Voice::french(), false)).expect("a PNG");
        assert!(with_text.starts_with(b"\x89PNG"));
        // The same chart without its letters draws fewer dark pixels: the embedded font did draw them.
        let bare = svg(&series, &Voice::french(), false)
            .split("<text")
            .enumerate()
            .map(|(i, part)| {
                if i == 0 {
                    part.to_owned()
                } else {
                    part.split_once("</text>")
                        .map_or(String::new(), |(_, rest)| rest.to_owned())
                }
            })
            .collect::<String>();
        let dark = |png: &[u8]| {
            let p = resvg::tiny_skia::Pixmap::decode_png(png).unwrap();
            p.pixels()
                .iter()
                .filter(|c| c.red() < 100 && c.green() < 100)
                .count()
        };
        assert!(dark(&with_text) > dark(&png(&bare).unwrap()) + 200);
    }
}
