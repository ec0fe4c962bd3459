//! Bar charts for the statistics pages, drawn on the server as SVG: no script, no fonts or images
//! to fetch, so they work under a strict Content-Security-Policy and print as they look.
//!
//! A chart is one group of bars per category (a day, a queue) and one bar per series (waiting p50,
//! waiting p90, service p50) in each group. It is meant to be readable without colour vision and
//! without sight:
//!
//! - Every series colour has at least 3:1 contrast against white (WCAG 1.4.11, non-text
//!   contrast), and series after the first are also hatched or dotted, so colour is never the only
//!   thing telling them apart (WCAG 1.4.1). The legend shows the same swatches.
//! - The chart carries `role="img"`, a `<title>` and a `<desc>`. Each bar has its own `<title>`
//!   with category, series and value, which browsers show on hover. Note that `role="img"` makes
//!   assistive technology announce the chart as one image (title and description only), so the
//!   page should also offer the numbers as a table or in the description.
//! - All text from the input is XML-escaped; a category named `<script>` stays text.
//!
//! The drawing is fixed at 720 user units wide and scales to its container (`width="100%"`).

use super::{push_fmt, push_xml_escaped, xml_escape};

/// At most this many series are drawn (each has its own colour and fill); further series are
/// ignored, as they could not be told apart.
pub const MAX_SERIES: usize = 3;

/// Series colours: Okabe–Ito blue, a darkened Okabe–Ito vermillion, and purple. Their contrast
/// against white is 5.2:1, 4.5:1 and 7.6:1 (checked by a test).
pub const COLOURS: [&str; MAX_SERIES] = ["#0072B2", "#C85200", "#6A3D9A"];

/// A bar chart to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct BarChart {
    /// The chart's accessible name (`<title>`), e.g. "Ventetid pr. dag".
    pub title: String,
    /// A longer description (`<desc>`), e.g. what the bars measure and for which period.
    pub description: String,
    /// The unit of the values, shown on the y axis and in each bar's title, e.g. "minutter".
    pub unit: String,
    /// One label per group of bars, left to right.
    pub categories: Vec<String>,
    /// Up to [`MAX_SERIES`] series.
    pub series: Vec<Series>,
    /// Shown instead of the bars when there is nothing to draw, e.g. "Ingen data".
    pub empty_text: String,
}

/// One series of a [`BarChart`].
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: String,
    /// One value per category; `None` (or a value that is negative or not finite) draws no bar.
    /// Missing values at the end count as `None`.
    pub values: Vec<Option<f64>>,
}

const WIDTH: f64 = 720.0;
const PLOT_HEIGHT: f64 = 260.0;
const MARGIN: f64 = 12.0;
const FONT_SIZE: f64 = 12.0;
/// A generous average advance of a 12px sans-serif character, for laying out labels without
/// measuring fonts.
const CHAR_WIDTH: f64 = 7.0;
const SWATCH: f64 = 14.0;
const LEGEND_ROW: f64 = 20.0;
/// Visible category labels (upright and turned) and legend entries are shortened to this many
/// characters; the bars' titles keep the full text.
const MAX_LABEL_CHARS: usize = 18;
const MAX_TURNED_LABEL_CHARS: usize = 30;
const MAX_LEGEND_CHARS: usize = 40;
const TEXT_COLOUR: &str = "#333333";
const GRID_COLOUR: &str = "#dddddd";

/// The SVG document for `chart`. With no categories, or no value above zero, it shows
/// `chart.empty_text` instead of axes and bars.
pub fn bar_chart(chart: &BarChart) -> String {
    let id = chart_id(chart);
    let series = &chart.series[..chart.series.len().min(MAX_SERIES)];
    let highest = series.iter().flat_map(|s| s.values.iter().copied().filter_map(drawable)).fold(0.0, f64::max);
    let mut out = String::with_capacity(4096);
    if chart.categories.is_empty() || highest <= 0.0 {
        open_svg(&mut out, &id, chart, 120.0);
        push_fmt(
            &mut out,
            format_args!(
                r#"<text x="{x}" y="64" text-anchor="middle" fill="{TEXT_COLOUR}">{text}</text>"#,
                x = WIDTH / 2.0,
                text = xml_escape(&chart.empty_text),
            ),
        );
        out.push_str("</svg>");
        return out;
    }

    let ticks = nice_ticks(highest);
    let axis_max = ticks.last().copied().unwrap_or(highest);
    let layout = Layout::new(chart, series, &ticks);
    open_svg(&mut out, &id, chart, layout.height);
    push_patterns(&mut out, &id, series.len());
    push_legend(&mut out, &id, series, &layout);
    push_axis(&mut out, chart, &ticks, axis_max, &layout);
    push_bars(&mut out, &id, chart, series, axis_max, &layout);
    push_category_labels(&mut out, chart, &layout);
    out.push_str("</svg>");
    out
}

/// The y axis ticks for values up to `max`: 0 and then 3 to 5 equal steps of 1, 2, 2.5 or 5 times
/// a power of ten, the last at or just above `max` (4 to 6 ticks). The smallest step that reaches
/// `max` in 5 steps is chosen, so the bars use as much of the height as round numbers allow.
///
/// A `max` that is not positive or not finite is taken as 1 (an axis from 0 to 1); `max` is
/// clamped to 1e-9..=1e15, far outside any minutes a queue sees.
pub fn nice_ticks(max: f64) -> Vec<f64> {
    let max = if max.is_finite() && max > 0.0 { max.clamp(1e-9, 1e15) } else { 1.0 };
    // The power of ten at or below a fifth of `max` (the smallest step that can reach it in 5).
    let raw = max / 5.0;
    let mut exponent: i32 = 0;
    while power_of_ten(1.0, exponent + 1) <= raw {
        exponent += 1;
    }
    while power_of_ten(1.0, exponent) > raw {
        exponent -= 1;
    }
    // A step of 10^(exponent + 1) always reaches `max` in 5, so the search below always finds one;
    // the fallback is only there to avoid an unwrap.
    let (mantissa, exponent) = [exponent, exponent + 1]
        .into_iter()
        .flat_map(|e| [1.0, 2.0, 2.5, 5.0].map(|m| (m, e)))
        .find(|&(m, e)| power_of_ten(5.0 * m, e) >= max)
        .unwrap_or((1.0, exponent + 1));
    // Each tick is computed from its index rather than by adding steps, so it is the float nearest
    // to the round decimal (0.3, not 0.30000000000000004).
    let mut ticks = vec![0.0];
    for i in 1..=5u32 {
        let tick = power_of_ten(f64::from(i) * mantissa, exponent);
        ticks.push(tick);
        if tick >= max {
            break;
        }
    }
    ticks
}

/// `units × 10^exponent`, dividing for negative exponents so that e.g. 3 × 10^-1 is exactly the
/// float nearest 0.3.
fn power_of_ten(units: f64, exponent: i32) -> f64 {
    if exponent >= 0 { units * 10f64.powi(exponent) } else { units / 10f64.powi(-exponent) }
}

/// A value that gets a bar: finite and not negative.
fn drawable(value: Option<f64>) -> Option<f64> {
    value.filter(|v| v.is_finite() && *v >= 0.0)
}

/// Where the parts of a chart go, in user units.
#[derive(Debug)]
struct Layout {
    /// Legend entries: (x, y) of each series' swatch.
    legend: Vec<(f64, f64)>,
    plot_left: f64,
    plot_right: f64,
    plot_top: f64,
    plot_bottom: f64,
    /// Whether category labels are turned 45° because they do not fit side by side.
    rotate_labels: bool,
    height: f64,
}

impl Layout {
    fn new(chart: &BarChart, series: &[Series], ticks: &[f64]) -> Layout {
        let tick_width = ticks.iter().map(|t| text_width(&tick_label(*t))).fold(0.0, f64::max);
        // Room for the rotated unit label, the tick labels and a gap before the axis.
        let axis_left = MARGIN + if chart.unit.is_empty() { 0.0 } else { FONT_SIZE + 8.0 } + tick_width + 8.0;
        let plot_right = WIDTH - MARGIN;

        // Category labels are turned 45° when they do not fit side by side. A turned label
        // reaches about 0.71 of its length below the axis and to the left of its group's middle,
        // so the first one may need the plot to start further right.
        let label_width = |max| chart.categories.iter().map(|c| text_width(&shorten(c, max))).fold(0.0, f64::max);
        let categories = count(chart.categories.len());
        let rotate_labels = label_width(MAX_LABEL_CHARS) > (plot_right - axis_left) / categories - 4.0;
        let (plot_left, labels_height) = if rotate_labels {
            let turned = label_width(MAX_TURNED_LABEL_CHARS) * 0.71;
            (axis_left.max(MARGIN + turned - (plot_right - axis_left) / categories / 2.0), turned + FONT_SIZE)
        } else {
            (axis_left, FONT_SIZE)
        };

        let mut legend = Vec::with_capacity(series.len());
        let (mut x, mut y) = (plot_left, MARGIN);
        for s in series {
            let entry = SWATCH + 6.0 + text_width(&shorten(&s.name, MAX_LEGEND_CHARS)) + 18.0;
            if x > plot_left && x + entry > plot_right {
                x = plot_left;
                y += LEGEND_ROW;
            }
            legend.push((x, y));
            x += entry;
        }
        let legend_bottom = if series.is_empty() { MARGIN } else { y + LEGEND_ROW };

        let plot_top = legend_bottom + 10.0;
        let plot_bottom = plot_top + PLOT_HEIGHT;
        let height = (plot_bottom + 8.0 + labels_height + MARGIN).ceil();
        Layout { legend, plot_left, plot_right, plot_top, plot_bottom, rotate_labels, height }
    }

    fn group_width(&self, categories: usize) -> f64 {
        (self.plot_right - self.plot_left) / count(categories)
    }
}

/// `n` as a float, for layout (saturating beyond `u32::MAX`, where nothing can be drawn anyway).
fn float(n: usize) -> f64 {
    f64::from(u32::try_from(n).unwrap_or(u32::MAX))
}

/// `n` things (at least one, to divide by).
fn count(n: usize) -> f64 {
    float(n).max(1.0)
}

/// The estimated width of `text` at the chart's font size.
fn text_width(text: &str) -> f64 {
    count(text.chars().count()) * CHAR_WIDTH
}

/// `text` cut to `max` characters (on a character boundary), with "…" if cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(max.saturating_sub(1)).collect();
    short.push('…');
    short
}

/// A tick value as written on the axis: the shortest decimal that reads back as it ("2.5", "20").
fn tick_label(tick: f64) -> String {
    format!("{tick}")
}

/// A bar's value in its title: one decimal, like the CSV.
fn value_label(value: f64) -> String {
    format!("{value:.1}")
}

/// An id prefix for this chart's `<title>`, `<desc>` and patterns. Ids are document-wide, so two
/// charts on one page must not share them unless their content (and so their patterns) is the
/// same; a hash of the content gives that without randomness. FNV-1a, 64 bits.
fn chart_id(chart: &BarChart) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let parts = [&chart.title, &chart.description, &chart.unit, &chart.empty_text]
        .into_iter()
        .chain(&chart.categories)
        .chain(chart.series.iter().map(|s| &s.name));
    for part in parts {
        // A separator byte that cannot occur in UTF-8 keeps ("ab", "c") apart from ("a", "bc").
        for byte in part.bytes().chain([0xff]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("skranke-chart-{hash:016x}")
}

fn open_svg(out: &mut String, id: &str, chart: &BarChart, height: f64) {
    push_fmt(
        out,
        format_args!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" aria-labelledby="{id}-title" aria-describedby="{id}-desc" font-family="system-ui, sans-serif" font-size="{FONT_SIZE}">"#
        ),
    );
    push_fmt(out, format_args!(r#"<title id="{id}-title">"#));
    push_xml_escaped(out, &chart.title);
    push_fmt(out, format_args!(r#"</title><desc id="{id}-desc">"#));
    push_xml_escaped(out, &chart.description);
    out.push_str("</desc>");
}

/// The fill of series `index`: its plain colour, or a pattern of it with white hatching (second
/// series) or white dots (third).
fn fill(id: &str, index: usize) -> String {
    match index {
        0 => COLOURS[0].to_owned(),
        _ => format!("url(#{id}-fill{index})"),
    }
}

fn colour(index: usize) -> &'static str {
    COLOURS.get(index).copied().unwrap_or(COLOURS[0])
}

fn push_patterns(out: &mut String, id: &str, series: usize) {
    if series < 2 {
        return;
    }
    out.push_str("<defs>");
    push_fmt(
        out,
        format_args!(
            r##"<pattern id="{id}-fill1" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><path d="M0 0h6v6h-6z" fill="{c}"/><path d="M1.5 0v6" stroke="#ffffff" stroke-width="2"/></pattern>"##,
            c = colour(1),
        ),
    );
    if series > 2 {
        push_fmt(
            out,
            format_args!(
                r##"<pattern id="{id}-fill2" width="5" height="5" patternUnits="userSpaceOnUse"><path d="M0 0h5v5h-5z" fill="{c}"/><circle cx="2.5" cy="2.5" r="1.2" fill="#ffffff"/></pattern>"##,
                c = colour(2),
            ),
        );
    }
    out.push_str("</defs>");
}

fn push_legend(out: &mut String, id: &str, series: &[Series], layout: &Layout) {
    out.push_str(r#"<g class="legend">"#);
    for (index, (s, &(x, y))) in series.iter().zip(&layout.legend).enumerate() {
        // Swatches are paths, not rects, so every `<rect>` in the chart is a bar.
        push_fmt(
            out,
            format_args!(
                r#"<path d="M{x:.1} {y:.1}h{SWATCH}v{SWATCH}h-{SWATCH}z" fill="{fill}" stroke="{stroke}"/><text x="{tx:.1}" y="{ty:.1}" fill="{TEXT_COLOUR}">"#,
                fill = fill(id, index),
                stroke = colour(index),
                tx = x + SWATCH + 6.0,
                ty = y + SWATCH - 2.0,
            ),
        );
        push_xml_escaped(out, &shorten(&s.name, MAX_LEGEND_CHARS));
        out.push_str("</text>");
    }
    out.push_str("</g>");
}

fn push_axis(out: &mut String, chart: &BarChart, ticks: &[f64], axis_max: f64, layout: &Layout) {
    let Layout { plot_left: left, plot_right: right, plot_top: top, plot_bottom: bottom, .. } = *layout;
    out.push_str(r#"<g class="axis">"#);
    for &tick in ticks {
        let y = bottom - tick / axis_max * PLOT_HEIGHT;
        let stroke = if tick == 0.0 { TEXT_COLOUR } else { GRID_COLOUR };
        push_fmt(
            out,
            format_args!(
                r#"<path d="M{left:.1} {y:.1}H{right:.1}" stroke="{stroke}"/><text x="{lx:.1}" y="{ly:.1}" text-anchor="end" fill="{TEXT_COLOUR}">{label}</text>"#,
                lx = left - 6.0,
                ly = y + FONT_SIZE / 3.0,
                label = tick_label(tick),
            ),
        );
    }
    push_fmt(out, format_args!(r#"<path d="M{left:.1} {top:.1}V{bottom:.1}" stroke="{TEXT_COLOUR}"/>"#));
    if !chart.unit.is_empty() {
        // Turned a quarter left, so the rotated x is minus the vertical middle of the plot.
        push_fmt(
            out,
            format_args!(
                r#"<text transform="rotate(-90)" x="{x:.1}" y="{y:.1}" text-anchor="middle" fill="{TEXT_COLOUR}">"#,
                x = -(top + bottom) / 2.0,
                y = MARGIN + FONT_SIZE,
            ),
        );
        push_xml_escaped(out, &chart.unit);
        out.push_str("</text>");
    }
    out.push_str("</g>");
}

fn push_bars(out: &mut String, id: &str, chart: &BarChart, series: &[Series], axis_max: f64, layout: &Layout) {
    let group_width = layout.group_width(chart.categories.len());
    // The bars take the middle 80% of their group; each series keeps its slot even where it has
    // no bar, so a series is always in the same place within a group.
    let slot = group_width * 0.8 / count(series.len());
    let bar_width = if slot > 3.0 { slot - 1.0 } else { slot };
    out.push_str(r#"<g class="bars">"#);
    let mut group_left = layout.plot_left;
    for (category_index, category) in chart.categories.iter().enumerate() {
        for (index, s) in series.iter().enumerate() {
            let Some(value) = s.values.get(category_index).copied().and_then(drawable) else { continue };
            let height = (value / axis_max * PLOT_HEIGHT).min(PLOT_HEIGHT);
            push_fmt(
                out,
                format_args!(
                    r#"<rect class="bar" x="{x:.2}" y="{y:.2}" width="{bar_width:.2}" height="{height:.2}" fill="{fill}" stroke="{stroke}"><title>"#,
                    x = group_left + group_width * 0.1 + slot * float(index) + (slot - bar_width) / 2.0,
                    y = layout.plot_bottom - height,
                    fill = fill(id, index),
                    stroke = colour(index),
                ),
            );
            push_xml_escaped(out, category);
            out.push_str(" – ");
            push_xml_escaped(out, &s.name);
            push_fmt(out, format_args!(": {}", value_label(value)));
            if !chart.unit.is_empty() {
                out.push(' ');
                push_xml_escaped(out, &chart.unit);
            }
            out.push_str("</title></rect>");
        }
        group_left += group_width;
    }
    out.push_str("</g>");
}

fn push_category_labels(out: &mut String, chart: &BarChart, layout: &Layout) {
    let group_width = layout.group_width(chart.categories.len());
    let y = layout.plot_bottom + 8.0 + FONT_SIZE;
    out.push_str(r#"<g class="categories">"#);
    let mut centre = layout.plot_left + group_width / 2.0;
    for category in &chart.categories {
        if layout.rotate_labels {
            push_fmt(
                out,
                format_args!(
                    r#"<text x="{centre:.1}" y="{y:.1}" text-anchor="end" transform="rotate(-45 {centre:.1} {y:.1})" fill="{TEXT_COLOUR}">"#
                ),
            );
        } else {
            push_fmt(
                out,
                format_args!(r#"<text x="{centre:.1}" y="{y:.1}" text-anchor="middle" fill="{TEXT_COLOUR}">"#),
            );
        }
        let max = if layout.rotate_labels { MAX_TURNED_LABEL_CHARS } else { MAX_LABEL_CHARS };
        push_xml_escaped(out, &shorten(category, max));
        out.push_str("</text>");
        centre += group_width;
    }
    out.push_str("</g>");
}
