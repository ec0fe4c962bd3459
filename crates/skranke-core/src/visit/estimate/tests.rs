use jiff::SignedDuration;

use super::*;

fn mins(m: i64) -> SignedDuration {
    SignedDuration::from_mins(m)
}

fn load(ahead: u32, desks: u32, busy: u32, recent: &[SignedDuration]) -> WaitEstimate {
    estimate(&QueueLoad { ahead, desks, busy, recent, configured: mins(10) })
}

#[test]
fn a_free_desk_means_no_wait_and_no_desk_means_no_number() {
    assert_eq!(load(0, 2, 1, &[]), WaitEstimate::Minutes(0));
    assert_eq!(load(1, 3, 1, &[]), WaitEstimate::Minutes(0));
    assert_eq!(load(4, 0, 0, &[]), WaitEstimate::NoDeskOpen);
}

#[test]
fn the_configured_duration_holds_until_enough_services_are_known() {
    // One desk busy, two ahead: three services end first.
    assert_eq!(load(2, 1, 1, &[]), WaitEstimate::Minutes(28));
    assert_eq!(load(2, 1, 1, &[mins(4); MIN_SAMPLES - 1]), WaitEstimate::Minutes(28));
    assert_eq!(load(2, 1, 1, &[mins(4); MIN_SAMPLES]), WaitEstimate::Minutes(11));
    // Two desks share the work.
    assert_eq!(load(3, 2, 2, &[mins(4); 10]), WaitEstimate::Minutes(8));
}

#[test]
fn one_very_long_case_does_not_move_the_typical_service() {
    let mut recent = vec![mins(6); 19];
    recent.push(mins(120));
    assert_eq!(typical_service(&recent, mins(10)), mins(6));
}

#[test]
fn extreme_inputs_do_not_overflow() {
    let everyone = QueueLoad { ahead: u32::MAX, desks: 1, busy: u32::MAX, recent: &[], configured: mins(10) };
    assert_eq!(estimate(&everyone), WaitEstimate::Minutes(u32::MAX));
    assert_eq!(load(u32::MAX, u32::MAX, 0, &[]), WaitEstimate::Minutes(1));
}

/// A small deterministic generator (xorshift64*), so the simulation is the same on every run.
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        // 53 random bits, strictly inside (0, 1).
        ((x >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn exponential(&mut self, mean: f64) -> f64 {
        -mean * self.unit().ln()
    }

    /// Log-normal with the given mean and the given sigma of the underlying normal (Box–Muller).
    fn lognormal(&mut self, mean: f64, sigma: f64) -> f64 {
        let normal = (-2.0 * self.unit().ln()).sqrt() * (std::f64::consts::TAU * self.unit()).cos();
        let mu = mean.ln() - sigma * sigma / 2.0;
        (mu + sigma * normal).exp()
    }
}

struct Errors {
    absolute: Vec<f64>,
    signed_sum: f64,
    close: usize,
}

impl Errors {
    fn new() -> Self {
        Self { absolute: Vec::new(), signed_sum: 0.0, close: 0 }
    }

    fn add(&mut self, estimated_min: f64, actual_min: f64) {
        let e = estimated_min - actual_min;
        self.absolute.push(e.abs());
        self.signed_sum += e;
        // "Close": within 5 minutes or a quarter of the actual wait, whichever is more.
        if e.abs() <= 5.0_f64.max(actual_min * 0.25) {
            self.close += 1;
        }
    }

    /// Mean and 90th percentile of the absolute error, the mean signed error, the share close.
    fn summary(&mut self) -> (f64, f64, f64, f64) {
        let n = self.absolute.len() as f64;
        self.absolute.sort_by(f64::total_cmp);
        let mae = self.absolute.iter().sum::<f64>() / n;
        let p90 = self.absolute[(self.absolute.len() * 9) / 10];
        (mae, p90, self.signed_sum / n, self.close as f64 / n)
    }
}

/// One scenario: `days` opening days of 7 hours, `desks` desks, arrivals at random (Poisson) at a
/// rate giving `utilisation`, service times log-normal around `mean_service` minutes (standard
/// deviation about the size of the mean), served first come, first served. The configured
/// duration is what an administrator typed (`configured` minutes), not the truth. Every citizen's
/// estimate at arrival (from the state of the queue then) is compared with the wait they then
/// had; beside it a naive estimate, `ahead × configured / desks`.
fn simulate(
    seed: u64,
    days: u32,
    desks: usize,
    mean_service: f64,
    utilisation: f64,
    configured: i64,
) -> (Errors, Errors) {
    let mut rng = Rng(seed);
    let rate = utilisation * desks as f64 / mean_service; // arrivals per minute
    let mut ours = Errors::new();
    let mut naive = Errors::new();
    for _ in 0..days {
        let mut arrivals = Vec::new();
        let mut t = rng.exponential(1.0 / rate);
        while t < 7.0 * 60.0 {
            arrivals.push(t);
            t += rng.exponential(1.0 / rate);
        }
        let mut free_at = vec![0.0_f64; desks];
        let mut served: Vec<(f64, f64, f64)> = Vec::new(); // (start, end, service) per arrival
        for &arrived in &arrivals {
            let ahead = served.iter().filter(|(start, _, _)| *start > arrived).count();
            let busy = served.iter().filter(|(start, end, _)| *start <= arrived && arrived < *end).count();
            let mut done: Vec<(f64, f64)> =
                served.iter().filter(|(_, end, _)| *end <= arrived).map(|(_, end, s)| (*end, *s)).collect();
            done.sort_by(|a, b| a.0.total_cmp(&b.0));
            let recent: Vec<SignedDuration> =
                done.iter().rev().take(20).map(|(_, s)| SignedDuration::from_secs_f64(s * 60.0)).collect();
            let estimate = estimate(&QueueLoad {
                ahead: u32::try_from(ahead).unwrap(),
                desks: u32::try_from(desks).unwrap(),
                busy: u32::try_from(busy).unwrap(),
                recent: &recent,
                configured: mins(configured),
            });
            let WaitEstimate::Minutes(estimated) = estimate else { panic!("desks are open") };

            let (desk, &free) = free_at.iter().enumerate().min_by(|a, b| a.1.total_cmp(b.1)).unwrap();
            let start = arrived.max(free);
            let service = rng.lognormal(mean_service, 0.8);
            free_at[desk] = start + service;
            served.push((start, start + service, service));

            let actual = start - arrived;
            ours.add(f64::from(estimated), actual);
            naive.add(ahead as f64 * configured as f64 / desks as f64, actual);
        }
    }
    (ours, naive)
}

/// The measured error of the estimate (`cargo test -p skranke-core simulated_days -- --nocapture`
/// prints the table recorded in BENCHMARKS.md). Waits in a queue vary a lot whatever one knows at
/// arrival, so no estimate gets close to zero error; this one must never be clearly worse than the
/// naive one (which is as good as the configured duration is right), must be better where the
/// configured duration is wrong, and must not lean either way by more than a few minutes.
#[test]
fn simulated_days() {
    let scenarios = [
        ("1 desk, 70 % busy, 8 min services, configured 8", 1, 8.0, 0.70, 8),
        ("1 desk, 70 % busy, 8 min services, configured 10", 1, 8.0, 0.70, 10),
        ("3 desks, 85 % busy, 8 min services, configured 10", 3, 8.0, 0.85, 10),
        ("3 desks, 85 % busy, 12 min services, configured 8", 3, 12.0, 0.85, 8),
        ("6 desks, 90 % busy, 12 min services, configured 8", 6, 12.0, 0.90, 8),
    ];
    println!(
        "| scenario | citizens | mean abs error | p90 abs error | bias | within max(5 min, 25 %) | naive: mean abs error | naive within |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (seed, (name, desks, mean, utilisation, configured)) in (1_u64..).zip(scenarios) {
        let (mut ours, mut naive) = simulate(seed * 7_919, 60, desks, mean, utilisation, configured);
        let n = ours.absolute.len();
        let (mae, p90, bias, close) = ours.summary();
        let (naive_mae, _, _, naive_close) = naive.summary();
        println!(
            "| {name} | {n} | {mae:.1} min | {p90:.1} min | {bias:+.1} min | {:.0} % | {naive_mae:.1} min | {:.0} % |",
            close * 100.0,
            naive_close * 100.0
        );
        assert!(mae <= naive_mae * 1.05, "{name}: {mae} vs naive {naive_mae}");
        if (mean - configured as f64).abs() / mean >= 0.3 {
            assert!(mae < naive_mae, "{name}: {mae} vs naive {naive_mae}");
        }
        assert!(mae < 10.0 && bias.abs() < 3.0, "{name}: mean abs error {mae}, bias {bias}");
    }
}
