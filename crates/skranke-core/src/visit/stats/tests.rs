use jiff::civil::{Date, date};
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use uuid::Uuid;

use super::svg::{BarChart, COLOURS, MAX_SERIES, Series, bar_chart, nice_ticks};
use super::*;

const DAY: Date = date(2027, 1, 15);
const NEXT_DAY: Date = date(2027, 1, 16);
const QUEUE: QueueId = QueueId::from_uuid(Uuid::from_u128(10));
const OTHER_QUEUE: QueueId = QueueId::from_uuid(Uuid::from_u128(11));
const SERVICE: ServiceId = ServiceId::from_uuid(Uuid::from_u128(20));

/// `minutes` after a fixed instant (fractions allowed).
fn at(minutes: f64) -> Timestamp {
    Timestamp::from_second(1_800_000_000).unwrap() + SignedDuration::from_secs_f64(minutes * 60.0)
}

/// A visit to `QUEUE` on `DAY` without a service, arrived at `arrived`, never called.
fn fact(state: VisitState, arrived: f64) -> VisitFacts {
    VisitFacts {
        day: DAY,
        queue: QUEUE,
        service: None,
        state,
        arrived_at: at(arrived),
        called_at: None,
        started_at: None,
        ended_at: None,
        transfers: 0,
    }
}

/// A visit that was called, started and completed at the given minutes.
fn served(arrived: f64, called: f64, started: f64, ended: f64) -> VisitFacts {
    VisitFacts {
        called_at: Some(at(called)),
        started_at: Some(at(started)),
        ended_at: Some(at(ended)),
        ..fact(VisitState::Done, arrived)
    }
}

fn percentiles(count: u32, p50: f64, p90: f64, max: f64) -> Percentiles {
    Percentiles { count, p50: Some(p50), p90: Some(p90), max: Some(max) }
}

const NONE: Percentiles = Percentiles { count: 0, p50: None, p90: None, max: None };

/// Four groups over two days, two queues and with and without a service, in mixed order.
fn sample() -> Vec<VisitFacts> {
    use VisitState as S;
    vec![
        // Next day, first queue: a wait of 90 minutes that ended in a cancel, and one of 30 s.
        VisitFacts { day: NEXT_DAY, called_at: Some(at(90.0)), ended_at: Some(at(91.0)), ..fact(S::Cancelled, 0.0) },
        VisitFacts { day: NEXT_DAY, called_at: Some(at(0.5)), ..fact(S::Called, 0.0) },
        // First day, first queue, no service.
        served(0.0, 10.0, 11.0, 21.0),
        VisitFacts { transfers: 1, ..served(5.0, 9.0, 10.0, 16.0) },
        VisitFacts { called_at: Some(at(30.0)), ended_at: Some(at(35.0)), ..fact(S::NoShow, 6.0) },
        VisitFacts { ended_at: Some(at(20.0)), ..fact(S::Cancelled, 7.0) },
        fact(S::Waiting, 8.0),
        // Done without a start instant: it waited, but has no service time.
        VisitFacts { called_at: Some(at(2.0)), ended_at: Some(at(5.0)), ..fact(S::Done, 0.0) },
        // First day, other queue: being served, so a wait but no service time yet.
        VisitFacts { queue: OTHER_QUEUE, called_at: Some(at(3.0)), started_at: Some(at(4.0)), ..fact(S::Serving, 0.0) },
        // First day, first queue, with a service.
        VisitFacts { service: Some(SERVICE), transfers: 2, ..served(0.0, 20.0, 20.0, 50.0) },
    ]
}

#[test]
fn visits_are_grouped_by_day_queue_and_service_in_key_order() {
    let rows = group(&sample());
    let keys: Vec<_> = rows.iter().map(|r| (r.key.day, r.key.queue, r.key.service)).collect();
    assert_eq!(
        keys,
        [(DAY, QUEUE, None), (DAY, QUEUE, Some(SERVICE)), (DAY, OTHER_QUEUE, None), (NEXT_DAY, QUEUE, None)]
    );

    // Waits 10, 4, 24 and 2 (the cancel and the waiting visit were never called): sorted 2, 4, 10,
    // 24, so the median is rank 2 and p90 rank ⌈3.6⌉ = 4. Services 10 and 6 (the Done visit
    // without a start has none): rank 1 and rank ⌈1.8⌉ = 2.
    let first = &rows[0];
    assert_eq!((first.visits, first.served, first.no_shows, first.cancelled, first.transfers), (6, 3, 1, 1, 1));
    assert_eq!(first.waiting, percentiles(4, 4.0, 24.0, 24.0));
    assert_eq!(first.service, percentiles(2, 6.0, 10.0, 10.0));

    let with_service = &rows[1];
    assert_eq!((with_service.visits, with_service.served, with_service.transfers), (1, 1, 2));
    assert_eq!(with_service.waiting, percentiles(1, 20.0, 20.0, 20.0));
    assert_eq!(with_service.service, percentiles(1, 30.0, 30.0, 30.0));

    let other_queue = &rows[2];
    assert_eq!((other_queue.visits, other_queue.served, other_queue.cancelled), (1, 0, 0));
    assert_eq!(other_queue.waiting, percentiles(1, 3.0, 3.0, 3.0));
    assert_eq!(other_queue.service, NONE);

    let next_day = &rows[3];
    assert_eq!((next_day.visits, next_day.served, next_day.cancelled), (2, 0, 1));
    assert_eq!(next_day.waiting, percentiles(2, 0.5, 90.0, 90.0));
    assert_eq!(next_day.service, NONE);
}

#[test]
fn no_visits_make_no_rows() {
    assert_eq!(group(&[]), []);
}

#[test]
fn visits_never_called_do_not_count_toward_waiting() {
    use VisitState as S;
    let never_called = [
        fact(S::Waiting, 0.0),
        VisitFacts { ended_at: Some(at(50.0)), ..fact(S::Cancelled, 0.0) },
        VisitFacts { transfers: 1, ..fact(S::Parked, 0.0) },
    ];
    let rows = group(&never_called);
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].visits, rows[0].cancelled, rows[0].transfers), (3, 1, 1));
    assert_eq!((rows[0].waiting, rows[0].service), (NONE, NONE));

    let mut with_one_call = never_called.to_vec();
    with_one_call.push(VisitFacts { called_at: Some(at(7.0)), ..fact(S::Called, 1.0) });
    assert_eq!(group(&with_one_call)[0].waiting, percentiles(1, 6.0, 6.0, 6.0));
}

#[test]
fn only_done_visits_count_toward_service_time() {
    // A no-show that was (wrongly) started and ended still tells nothing about service times.
    let no_show = VisitFacts { state: VisitState::NoShow, ..served(0.0, 1.0, 2.0, 40.0) };
    let rows = group(&[no_show, served(0.0, 1.0, 2.0, 6.0)]);
    assert_eq!(rows[0].service, percentiles(1, 4.0, 4.0, 4.0));
    assert_eq!(rows[0].waiting.count, 2);
}

#[test]
fn an_end_before_its_start_counts_as_no_time() {
    // Two app servers whose clocks disagree by a few seconds.
    let skewed = served(10.0, 9.9, 12.0, 11.5);
    let rows = group(&[skewed]);
    assert_eq!(rows[0].waiting, percentiles(1, 0.0, 0.0, 0.0));
    assert_eq!(rows[0].service, percentiles(1, 0.0, 0.0, 0.0));
}

#[test]
fn nearest_rank_percentiles_at_the_edges() {
    assert_eq!(percentile(&[], 0.5), None);
    for p in [0.0, 0.5, 0.9, 1.0] {
        assert_eq!(percentile(&[7.5], p), Some(7.5), "p = {p}");
    }
    // Even length: the median is the lower middle value (rank ⌈0.5 · 4⌉ = 2), never a mean.
    assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 0.5), Some(2.0));
    assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.5), Some(3.0));
    let ten: Vec<f64> = (1..=10).map(f64::from).collect();
    assert_eq!(percentile(&ten, 0.9), Some(9.0));
    assert_eq!(percentile(&ten, 0.91), Some(10.0));
    assert_eq!(percentile(&ten, 0.0), Some(1.0));
    assert_eq!(percentile(&ten, 1.0), Some(10.0));
    // Out of range is clamped; a NaN p has no answer.
    assert_eq!(percentile(&ten, -1.0), Some(1.0));
    assert_eq!(percentile(&ten, 2.0), Some(10.0));
    assert_eq!(percentile(&ten, f64::NAN), None);
}

#[test]
fn percentile_ranks_do_not_suffer_from_float_rounding() {
    // 0.07 × 100 is 7.000000000000001 in floating point; rounding that up would give rank 8.
    let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
    assert_eq!(percentile(&hundred, 0.07), Some(7.0));
    assert_eq!(percentile(&hundred, 0.9), Some(90.0));
    assert_eq!(percentile(&hundred, 0.29), Some(29.0));
    let thirty: Vec<f64> = (1..=30).map(f64::from).collect();
    assert_eq!(percentile(&thirty, 0.9), Some(27.0));
}

fn queue_name(queue: QueueId) -> String {
    if queue == QUEUE { "Pas, kørekort".to_owned() } else { "-Sygesikring".to_owned() }
}

#[test]
fn csv_has_the_exact_header_crlf_lines_and_one_decimal() {
    let csv = to_csv(&group(&sample()), queue_name, |_| r#"=HYPERLINK("http://x")"#.to_owned());
    let expected = "day,queue,service,visits,served,no_shows,cancelled,transfers,waiting_p50_min,\
        waiting_p90_min,waiting_max_min,service_p50_min,service_p90_min\r\n\
        2027-01-15,\"Pas, kørekort\",,6,3,1,1,1,4.0,24.0,24.0,6.0,10.0\r\n\
        2027-01-15,\"Pas, kørekort\",\"'=HYPERLINK(\"\"http://x\"\")\",1,1,0,0,2,20.0,20.0,20.0,30.0,30.0\r\n\
        2027-01-15,'-Sygesikring,,1,0,0,0,0,3.0,3.0,3.0,,\r\n\
        2027-01-16,\"Pas, kørekort\",,2,0,0,1,0,0.5,90.0,90.0,,\r\n";
    assert_eq!(csv, expected);
    assert_eq!(to_csv(&[], queue_name, |_| String::new()), format!("{CSV_HEADER}\r\n"));
    // No bare LF anywhere: every line ends in CRLF.
    assert_eq!(csv.matches('\n').count(), csv.matches("\r\n").count());
}

#[test]
fn csv_fields_are_quoted_only_when_rfc_4180_needs_it() {
    assert_eq!(csv_text("Pas"), "Pas");
    assert_eq!(csv_text(""), "");
    assert_eq!(csv_text("Pas, kørekort"), "\"Pas, kørekort\"");
    assert_eq!(csv_text(r#"Den "nye" skranke"#), r#""Den ""nye"" skranke""#);
    assert_eq!(csv_text("to\nlinjer"), "\"to\nlinjer\"");
    assert_eq!(csv_text("to\r\nlinjer"), "\"to\r\nlinjer\"");
    assert_eq!(csv_text("a'b;c"), "a'b;c");
}

#[test]
fn csv_names_that_look_like_formulas_are_made_text() {
    assert_eq!(csv_text("=1+1"), "'=1+1");
    assert_eq!(csv_text("+45 12345678"), "'+45 12345678");
    assert_eq!(csv_text("-Sygesikring"), "'-Sygesikring");
    assert_eq!(csv_text("@SUM(A1)"), "'@SUM(A1)");
    assert_eq!(csv_text("\t=1"), "'\t=1");
    // A leading CR is guarded and, being a line break, quoted as well.
    assert_eq!(csv_text("\r=1"), "\"'\r=1\"");
    assert_eq!(csv_text(r#"=HYPERLINK("http://x","y")"#), r#""'=HYPERLINK(""http://x"",""y"")""#);
    // Only the first character matters.
    assert_eq!(csv_text("Pas=ID"), "Pas=ID");
    assert_eq!(csv_text(" =1"), " =1");
}

// --- SVG -------------------------------------------------------------------------------------

/// Checks that `svg` is one balanced `<svg>` element: every tag closed in order, quotes in tags
/// paired, no `<` inside a tag, and every `&` starting one of the five entities used.
fn assert_well_formed(svg: &str) {
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""), "{svg}");
    assert!(svg.ends_with("</svg>"), "{svg}");
    assert_eq!(svg.matches('<').count(), svg.matches('>').count(), "{svg}");
    for (i, _) in svg.match_indices('&') {
        let rest = &svg[i..];
        assert!(["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"].iter().any(|e| rest.starts_with(e)), "bare & in {svg}");
    }
    let mut open: Vec<&str> = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        let end = start + rest[start..].find('>').expect("an unclosed tag");
        let tag = &rest[start + 1..end];
        assert!(!tag.contains('<'), "{tag}");
        assert_eq!(tag.matches('"').count() % 2, 0, "{tag}");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(open.pop(), Some(name), "{svg}");
        } else if !tag.ends_with('/') {
            open.push(tag.split(' ').next().unwrap_or(tag));
        }
        rest = &rest[end + 1..];
        if open.is_empty() {
            assert_eq!(rest, "", "content after the root element");
        }
    }
    assert!(open.is_empty(), "unclosed: {open:?}");
}

fn chart(categories: &[&str], series: &[(&str, &[Option<f64>])]) -> BarChart {
    BarChart {
        title: "Ventetid pr. dag".to_owned(),
        description: "Median og 90. percentil".to_owned(),
        unit: "minutter".to_owned(),
        categories: categories.iter().map(|c| (*c).to_owned()).collect(),
        series: series
            .iter()
            .map(|(name, values)| Series { name: (*name).to_owned(), values: values.to_vec() })
            .collect(),
        empty_text: "Ingen data".to_owned(),
    }
}

fn bars(svg: &str) -> usize {
    svg.matches("<rect").count()
}

#[test]
fn a_chart_has_a_name_a_description_a_legend_and_one_rect_per_value() {
    let c = chart(
        &["man.", "tir.", "ons."],
        &[
            ("Ventetid p50", &[Some(4.0), Some(6.5), None]),
            ("Ventetid p90", &[Some(12.0), None, Some(0.0)]),
            ("Betjening p50", &[Some(7.25), Some(8.0), Some(9.0)]),
        ],
    );
    let svg = bar_chart(&c);
    assert_well_formed(&svg);
    assert!(svg.contains(r#"role="img""#) && svg.contains(r#"width="100%""#) && svg.contains("viewBox=\"0 0 720 "));
    assert!(svg.contains(">Ventetid pr. dag</title>") && svg.contains(">Median og 90. percentil</desc>"));
    // A zero is a value (a bar of no height, with its title); `None` is not.
    assert_eq!(bars(&svg), 7);
    assert!(svg.contains("<title>tir. – Ventetid p50: 6.5 minutter</title>"));
    assert!(svg.contains("<title>ons. – Ventetid p90: 0.0 minutter</title>"));
    for name in ["Ventetid p50", "Ventetid p90", "Betjening p50", "minutter", "man.", "ons."] {
        assert!(svg.contains(&format!(">{name}</text>")), "{name}");
    }
    // The highest bar is 12, so the axis runs from 0 to 12.5 in steps of 2.5.
    assert_eq!(nice_ticks(12.0), [0.0, 2.5, 5.0, 7.5, 10.0, 12.5]);
    assert!(svg.contains(">12.5</text>") && svg.contains(">7.5</text>"));
    assert!(!svg.contains("<script") && !svg.contains("href"));
}

#[test]
fn series_differ_by_more_than_colour() {
    let c = chart(&["A"], &[("a", &[Some(1.0)]), ("b", &[Some(2.0)]), ("c", &[Some(3.0)])]);
    let svg = bar_chart(&c);
    let fills: Vec<&str> = svg
        .match_indices("<rect")
        .map(|(i, _)| {
            let fill = &svg[i..][svg[i..].find("fill=\"").unwrap() + 6..];
            &fill[..fill.find('"').unwrap()]
        })
        .collect();
    assert_eq!(fills.len(), 3);
    assert_eq!(fills[0], COLOURS[0]);
    assert!(fills[1].starts_with("url(#") && fills[2].starts_with("url(#") && fills[1] != fills[2]);
    // The patterns the fills refer to are defined in the chart itself.
    for fill in &fills[1..] {
        let id = &fill[5..fill.len() - 1];
        assert!(svg.contains(&format!(r#"<pattern id="{id}""#)), "{id}");
    }
    assert!(svg.contains("patternTransform=\"rotate(45)\"") && svg.contains("<circle"));
}

/// WCAG 2 relative luminance of an `#rrggbb` colour.
fn luminance(hex: &str) -> f64 {
    let channel = |i: usize| {
        let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap()) / 255.0;
        if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
    };
    0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
}

#[test]
fn series_colours_have_three_to_one_contrast_against_white() {
    for colour in COLOURS {
        let contrast = 1.05 / (luminance(colour) + 0.05);
        assert!(contrast >= 3.0, "{colour}: {contrast:.2}");
    }
}

#[test]
fn text_from_the_input_is_escaped() {
    let mut c = chart(&["<script>alert('x')</script>"], &[("A & \"B\"", &[Some(3.0)])]);
    c.title = "</title><script>".to_owned();
    c.unit = "min<>".to_owned();
    c.description = "a\u{1}b".to_owned();
    let svg = bar_chart(&c);
    assert_well_formed(&svg);
    assert!(!svg.contains("<script") && !svg.contains("</script"));
    assert!(svg.contains(
        "<title>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; – A &amp; &quot;B&quot;: 3.0 min&lt;&gt;</title>"
    ));
    assert!(svg.contains(">&lt;/title&gt;&lt;script&gt;</title>"));
    // A control character XML cannot carry at all is replaced.
    assert!(svg.contains(">a\u{fffd}b</desc>"));
}

#[test]
fn nothing_to_draw_shows_the_empty_text() {
    let empty = [
        chart(&[], &[("a", &[])]),
        chart(&["man.", "tir."], &[("a", &[None, None]), ("b", &[])]),
        chart(&["man.", "tir."], &[("a", &[Some(0.0), Some(0.0)])]),
        chart(&["man."], &[]),
        chart(&["man."], &[("a", &[Some(f64::NAN), Some(-1.0)])]),
    ];
    for c in &empty {
        let svg = bar_chart(c);
        assert_well_formed(&svg);
        assert!(svg.contains(">Ingen data</text>"), "{svg}");
        assert!(svg.contains(">Ventetid pr. dag</title>") && svg.contains(r#"role="img""#));
        assert_eq!(bars(&svg), 0);
    }
    let mut c = chart(&[], &[]);
    c.empty_text = "Ingen <data> & intet".to_owned();
    assert!(bar_chart(&c).contains(">Ingen &lt;data&gt; &amp; intet</text>"));
}

#[test]
fn only_the_first_three_series_are_drawn() {
    let values: &[Option<f64>] = &[Some(1.0), Some(2.0)];
    let c = chart(&["a", "b"], &[("1", values), ("2", values), ("3", values), ("4", values)]);
    let svg = bar_chart(&c);
    assert_eq!(MAX_SERIES, 3);
    assert_eq!(bars(&svg), 6);
    assert!(!svg.contains(">4</text>"));
}

#[test]
fn many_or_long_categories_get_turned_labels_and_are_shortened() {
    let days: Vec<String> = (1..=31).map(|d| format!("2027-01-{d:02}")).collect();
    let days: Vec<&str> = days.iter().map(String::as_str).collect();
    let values: Vec<Option<f64>> = (1..=31).map(|d| Some(f64::from(d))).collect();
    let svg = bar_chart(&chart(&days, &[("p50", &values)]));
    assert_well_formed(&svg);
    assert_eq!(bars(&svg), 31);
    assert!(svg.contains("rotate(-45 "));

    // Upright labels are cut at 18 characters; the bar's title keeps the whole name.
    let long = "Borgerservice Nørrebro, pas og kørekort";
    let svg = bar_chart(&chart(&[long], &[("p50", &[Some(1.0)])]));
    assert!(svg.contains(">Borgerservice Nør…</text>") && !svg.contains("rotate(-45 "));
    assert!(svg.contains(&format!("<title>{long} – p50: 1.0 minutter</title>")));
    // Turned labels have room for 30, so names that differ only at the end stay apart.
    let names: Vec<String> = (1..=9).map(|d| format!("Borgerservice afdeling {d}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let svg = bar_chart(&chart(&names, &[("p50", &[Some(1.0); 9])]));
    assert!(svg.contains("rotate(-45 ") && svg.contains(">Borgerservice afdeling 9</text>"));
    let svg = bar_chart(&chart(&[long; 9], &[("p50", &[Some(1.0); 9])]));
    assert!(svg.contains(">Borgerservice Nørrebro, pas o…</text>"));
}

#[test]
fn two_different_charts_do_not_share_ids() {
    let id = |svg: &str| svg[svg.find("<title id=\"").unwrap() + 11..].split('"').next().unwrap().to_owned();
    let a = bar_chart(&chart(&["a"], &[("x", &[Some(1.0)])]));
    let b = bar_chart(&chart(&["b"], &[("x", &[Some(1.0)])]));
    assert_ne!(id(&a), id(&b));
    assert_eq!(a, bar_chart(&chart(&["a"], &[("x", &[Some(1.0)])])));
}

#[test]
fn nice_ticks_are_round_and_reach_the_maximum() {
    assert_eq!(nice_ticks(7.3), [0.0, 2.0, 4.0, 6.0, 8.0]);
    assert_eq!(nice_ticks(10.0), [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
    assert_eq!(nice_ticks(101.0), [0.0, 25.0, 50.0, 75.0, 100.0, 125.0]);
    assert_eq!(nice_ticks(45.0), [0.0, 10.0, 20.0, 30.0, 40.0, 50.0]);
    assert_eq!(nice_ticks(3.0), [0.0, 1.0, 2.0, 3.0]);
    assert_eq!(nice_ticks(0.3), [0.0, 0.1, 0.2, 0.3]);
    assert_eq!(nice_ticks(0.7), [0.0, 0.2, 0.4, 0.6, 0.8]);
    assert_eq!(nice_ticks(1234.0), [0.0, 250.0, 500.0, 750.0, 1000.0, 1250.0]);
    // Nothing to scale: an axis from 0 to 1.
    let unit = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0];
    for max in [0.0, -3.0, f64::NAN, f64::INFINITY] {
        assert_eq!(nice_ticks(max), unit, "{max}");
    }
}

/// A `VisitFacts` from small domains, so groups collide, with instants in any order.
fn any_fact() -> impl Strategy<Value = VisitFacts> {
    let instant = || proptest::option::of(-30.0..600.0f64);
    (
        0..3i8,
        0..3u128,
        proptest::option::of(0..2u128),
        0..7usize,
        0.0..600.0f64,
        instant(),
        instant(),
        instant(),
        0..5u32,
    )
        .prop_map(|(day, queue, service, state, arrived, called, started, ended, transfers)| VisitFacts {
            day: DAY.checked_add(jiff::Span::new().days(day)).unwrap(),
            queue: QueueId::from_uuid(Uuid::from_u128(queue)),
            service: service.map(|s| ServiceId::from_uuid(Uuid::from_u128(s))),
            state: VisitState::ALL[state],
            arrived_at: at(arrived),
            called_at: called.map(at),
            started_at: started.map(at),
            ended_at: ended.map(at),
            transfers,
        })
}

/// The elements a chart is made of.
const TAGS: [&str; 11] = ["svg", "title", "desc", "defs", "pattern", "path", "circle", "g", "text", "rect", "tspan"];

fn any_name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[<>&\"' a-zæøå]{0,12}",
        Just("<script>alert(1)</script>".to_owned()),
        Just("]]><!--".to_owned()),
        any::<String>(),
    ]
}

proptest! {
    #[test]
    fn grouping_never_panics_and_the_counts_add_up(facts in proptest::collection::vec(any_fact(), 0..60)) {
        let rows = group(&facts);
        let total: u32 = rows.iter().map(|r| r.visits).sum();
        prop_assert_eq!(usize::try_from(total).unwrap(), facts.len());
        let transfers: u32 = rows.iter().map(|r| r.transfers).sum();
        prop_assert_eq!(transfers, facts.iter().map(|f| f.transfers).sum::<u32>());
        prop_assert!(rows.windows(2).all(|w| w[0].key < w[1].key));
        for r in &rows {
            prop_assert!(r.visits > 0);
            prop_assert!(r.served + r.no_shows + r.cancelled <= r.visits);
            prop_assert!(r.waiting.count <= r.visits && r.service.count <= r.served);
            for p in [r.waiting, r.service] {
                prop_assert_eq!(p.count == 0, p.max.is_none());
                if let (Some(p50), Some(p90), Some(max)) = (p.p50, p.p90, p.max) {
                    prop_assert!(0.0 <= p50 && p50 <= p90 && p90 <= max);
                }
            }
        }
        let called = facts.iter().filter(|f| f.called_at.is_some()).count();
        prop_assert_eq!(usize::try_from(rows.iter().map(|r| r.waiting.count).sum::<u32>()).unwrap(), called);
    }

    #[test]
    fn nice_ticks_give_four_to_six_equal_steps_up_to_the_maximum(max in 1e-6..1e9f64) {
        let ticks = nice_ticks(max);
        prop_assert!((4..=6).contains(&ticks.len()), "{:?}", ticks);
        prop_assert_eq!(ticks[0], 0.0);
        let step = ticks[1];
        for (i, t) in ticks.iter().enumerate() {
            prop_assert!((t - step * f64::from(u32::try_from(i).unwrap())).abs() <= step * 1e-9);
        }
        let last = ticks[ticks.len() - 1];
        prop_assert!(last >= max * (1.0 - 1e-12) && ticks[ticks.len() - 2] < max, "{:?}", ticks);
    }

    #[test]
    fn charts_stay_well_formed_whatever_the_names(
        categories in proptest::collection::vec(any_name(), 0..8),
        names in proptest::collection::vec(any_name(), 0..5),
        values in proptest::collection::vec(proptest::option::of(0.0..500.0f64), 0..40),
        title in any_name(),
    ) {
        let series: Vec<Series> = names
            .iter()
            .enumerate()
            .map(|(i, name)| Series { name: name.clone(), values: values.iter().skip(i * 8).take(8).copied().collect() })
            .collect();
        let c = BarChart {
            title: title.clone(),
            description: title,
            unit: "min".to_owned(),
            categories: categories.clone(),
            series,
            empty_text: "<none>".to_owned(),
        };
        let svg = bar_chart(&c);
        assert_well_formed(&svg);
        let expected: usize = c
            .series
            .iter()
            .take(MAX_SERIES)
            .map(|s| s.values.iter().take(categories.len()).flatten().count())
            .sum();
        let anything = c.series.iter().take(MAX_SERIES).any(|s| s.values.iter().take(categories.len()).flatten().any(|v| *v > 0.0));
        prop_assert_eq!(bars(&svg), if anything { expected } else { 0 });
        // Every `<` in the output opens one of the chart's own tags: none comes from a name.
        for (i, _) in svg.match_indices('<') {
            let name = svg[i + 1..].split([' ', '>']).next().unwrap_or_default();
            prop_assert!(TAGS.contains(&name.trim_start_matches('/')), "stray <{}", name);
        }
    }
}
