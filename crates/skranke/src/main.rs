//! The `skranke` command.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use jiff::SignedDuration;
use skranke::app::AppSettings;
use skranke::clock::{Clock, SystemClock};
use skranke::config::Config;
use skranke::mail::WorkerSettings;
use skranke::store::{AnyStore, Store};
use skranke_core::booking::HoldPolicy;

#[derive(Parser)]
#[command(name = "skranke", version, about = "Booking and queue system for municipal citizen-service centres")]
struct Cli {
    /// Configuration file (default: ./skranke.toml when it exists).
    #[arg(long, global = true, env = "SKRANKE_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the booking pages and the API.
    Serve(ServeArgs),
    /// Run a seeded fictional municipality on a fresh SQLite database.
    Demo(DemoArgs),
    /// Apply database migrations and exit.
    Migrate(DbArgs),
    /// Recipient checks on e-mail addresses.
    #[command(subcommand)]
    Address(AddressCommand),
    /// The tamper-evident audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Breach response: who got what, when (GDPR Art. 33 and 34).
    #[command(subcommand)]
    Breach(BreachCommand),
    /// Retention: remove or anonymise personal data past each organisation's periods.
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// Platform operators (they create organisations; only this command appoints one).
    #[command(subcommand)]
    Operator(OperatorCommand),
}

#[derive(Subcommand)]
enum OperatorCommand {
    /// Create a platform operator and print a one-time link to set their password.
    Add(OperatorArgs),
}

#[derive(Args)]
struct OperatorArgs {
    #[arg(long)]
    email: String,
    #[arg(long)]
    name: String,
    /// Database URL: sqlite://path or postgres://…
    #[arg(long)]
    database: Option<String>,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain from the first entry to the recorded head. Exit 0 when intact, 1 when
    /// broken (naming the first bad entry), 2 on a usage or connection error.
    Verify(DbArgs),
}

#[derive(Subcommand)]
enum RetentionCommand {
    /// One pass now (the server's worker also runs one every hour). Idempotent: a second run
    /// finds nothing more. Prints what it removed per organisation and class.
    Run(DbArgs),
}

#[derive(Subcommand)]
enum BreachCommand {
    /// Every message delivered to an address or domain in a window: the citizens it was about,
    /// the data categories, how many messages each and when. `--out` also writes the CSV, a
    /// draft notification to the Data Protection Agency and one letter per citizen. Audited.
    /// Exit 0 when the scope ran (also when nothing was found), 2 on bad input.
    Scope(ScopeArgs),
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["address", "domain"])))]
struct ScopeArgs {
    /// The address that received the messages.
    #[arg(long, value_name = "A")]
    address: Option<String>,
    /// Every address under this registrable domain (`mail.fred.dk` means `fred.dk`).
    #[arg(long, value_name = "D")]
    domain: Option<String>,
    /// Start of the window: a date (Copenhagen midnight), `YYYY-MM-DDThh:mm` (Copenhagen) or an
    /// RFC 3339 instant.
    #[arg(long, value_name = "T1")]
    from: Option<String>,
    /// End of the window, the same forms; a date includes that whole day.
    #[arg(long, value_name = "T2")]
    to: Option<String>,
    /// Only this organisation's messages (its id or exact name); the drafts are then from it.
    #[arg(long, value_name = "O")]
    organisation: Option<String>,
    /// Write affected.csv, the Art. 33 draft and the Art. 34 letters into this directory.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Database URL: sqlite://path or postgres://…
    #[arg(long)]
    database: Option<String>,
}

#[derive(Subcommand)]
enum AddressCommand {
    /// Judge one address per line (stdin when no FILE): invalid, internal, lookalike or ok.
    Check(CheckArgs),
}

#[derive(Args)]
struct CheckArgs {
    /// The organisation's own mail domain (repeatable); a subdomain is internal only when listed.
    #[arg(long = "org-domain", value_name = "D")]
    org_domain: Vec<String>,
    /// Add a domain to the protected set beside the built-in lists (repeatable).
    #[arg(long, value_name = "D")]
    protect: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "tsv")]
    format: skranke::address_check::Format,
    /// Files with one address per line.
    files: Vec<PathBuf>,
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free port).
    #[arg(long)]
    listen: Option<String>,
    /// Database URL: sqlite://path or postgres://…
    #[arg(long)]
    database: Option<String>,
}

#[derive(Args)]
struct DemoArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Database URL; the SQLite file is recreated at each start unless --keep.
    #[arg(long, default_value = "sqlite://skranke-demo.db")]
    database: String,
    /// Keep the existing demo database instead of starting fresh.
    #[arg(long)]
    keep: bool,
    /// Start the demo's clock at this local time in Copenhagen (it then runs), e.g.
    /// `2026-12-01T10:00`, to try the kiosk and desks outside opening hours.
    #[arg(long, value_parser = parse_demo_now)]
    now: Option<jiff::Timestamp>,
}

fn parse_demo_now(raw: &str) -> Result<jiff::Timestamp, String> {
    if let Ok(t) = raw.parse::<jiff::Timestamp>() {
        return Ok(t);
    }
    let civil: jiff::civil::DateTime =
        raw.parse().map_err(|_| "write a local time as YYYY-MM-DDTHH:MM (Europe/Copenhagen)".to_owned())?;
    let tz = jiff::tz::TimeZone::get("Europe/Copenhagen").map_err(|e| e.to_string())?;
    tz.to_timestamp(civil).map_err(|e| e.to_string())
}

#[derive(Args)]
struct DbArgs {
    /// Database URL: sqlite://path or postgres://…
    #[arg(long)]
    database: Option<String>,
}

fn settings(config: &Config) -> AppSettings {
    AppSettings {
        hold: HoldPolicy {
            hold: SignedDuration::from_mins(config.hold_minutes),
            max_code_attempts: config.max_code_attempts,
        },
        public_url: config.public_url.clone().unwrap_or_default(),
        availability_cache_ttl: SignedDuration::from_millis(config.availability_cache_ms),
        auth: config.auth.clone(),
        reminder_lead: SignedDuration::from_hours(config.reminder_lead_hours),
    }
}

fn init_logging(filter: &str) {
    let filter =
        tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // The address checker needs no configuration, database or logging.
    if let Command::Address(AddressCommand::Check(args)) = &cli.command {
        return address_check(args);
    }
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("skranke: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    init_logging(&config.log);
    if let Command::Audit(AuditCommand::Verify(args)) = &cli.command {
        return audit_verify(args.database.as_deref().unwrap_or(&config.database)).await;
    }
    if let Command::Breach(BreachCommand::Scope(args)) = &cli.command {
        return breach_scope(args, &config).await;
    }
    match run(cli.command, config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("skranke: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn address_check(args: &CheckArgs) -> std::process::ExitCode {
    use std::io::{BufReader, Write};
    let checker = match skranke_recipient::judge::Checker::new(&args.org_domain, &args.protect) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("skranke address check: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let result = if args.files.is_empty() {
        skranke::address_check::check_lines(&checker, std::io::stdin().lock(), &mut out, args.format).map(|_| ())
    } else {
        args.files.iter().try_for_each(|path| {
            let file = std::fs::File::open(path)
                .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
            skranke::address_check::check_lines(
                &checker,
                BufReader::with_capacity(1 << 16, file),
                &mut out,
                args.format,
            )
            .map(|_| ())
        })
    };
    match result.and_then(|()| out.flush()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("skranke address check: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

/// `skranke breach scope`: 0 when the scope ran, 2 on bad input or a database that cannot be
/// reached, 1 when writing the files failed.
#[allow(clippy::print_stdout)] // The scope is the command's output.
async fn breach_scope(args: &ScopeArgs, config: &Config) -> std::process::ExitCode {
    use skranke::app::breach;
    let usage = |message: String| {
        eprintln!("skranke breach scope: {message}");
        std::process::ExitCode::from(2)
    };
    let message = |e: &skranke::app::AppError| skranke::http::error::message_of(e, skranke::i18n::Lang::En);
    let store = match AnyStore::connect(args.database.as_deref().unwrap_or(&config.database)).await {
        Ok(store) => store,
        Err(e) => return usage(e.to_string()),
    };
    if let Err(e) = store.migrate().await {
        return usage(e.to_string());
    }
    let app = skranke::app::App::new(store, Arc::new(SystemClock), settings(config));
    let organisation = match &args.organisation {
        Some(o) => match breach::find_organisation(&app, o).await {
            Ok(id) => Some(id),
            Err(e) => return usage(format!("--organisation {o}: {}", message(&e))),
        },
        None => None,
    };
    let request = match breach::request(
        args.address.as_deref(),
        args.domain.as_deref(),
        args.from.as_deref(),
        args.to.as_deref(),
        organisation,
    ) {
        Ok(r) => r,
        Err(e) => return usage(message(&e)),
    };
    let scope = match breach::scope_from_cli(&app, &request).await {
        Ok(s) => s,
        Err(e) => return usage(message(&e)),
    };
    print!("{}", skranke::breach_docs::summary(&scope, &request.target, &request.window));
    if let Some(dir) = &args.out {
        let written = match breach::draft_context(&app, &request).await {
            Ok(ctx) => skranke::breach_docs::write_all(dir, &scope, &ctx),
            Err(e) => return usage(message(&e)),
        };
        match written {
            Ok(files) => {
                println!("Wrote {} files to {}:", files.len(), dir.display());
                for f in files {
                    println!("  {}", f.display());
                }
            }
            Err(e) => {
                eprintln!("skranke breach scope: writing {}: {e}", dir.display());
                return std::process::ExitCode::FAILURE;
            }
        }
    }
    std::process::ExitCode::SUCCESS
}

#[allow(clippy::print_stdout)] // The verdict is the command's output.
async fn audit_verify(database: &str) -> std::process::ExitCode {
    use skranke::audit_verify::{Outcome, verify};
    let store = match AnyStore::connect(database).await {
        Ok(store) => store,
        Err(e) => {
            eprintln!("skranke audit verify: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match verify(&store).await {
        Ok(Outcome::Intact(summary)) => {
            println!(
                "intact: {} entries ({} with the payload erased), head {} {}",
                summary.entries, summary.erased, summary.head.seq, summary.head.hash
            );
            std::process::ExitCode::SUCCESS
        }
        Ok(Outcome::Broken(broken)) => {
            println!("BROKEN: {broken}");
            std::process::ExitCode::FAILURE
        }
        Ok(Outcome::Unreadable { after, reason }) => {
            println!("BROKEN after entry {after}: a row cannot be read ({reason})");
            std::process::ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("skranke audit verify: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

#[allow(clippy::print_stdout)] // The CLI's output is for people and for the test harness.
async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    match command {
        Command::Address(_) | Command::Audit(_) | Command::Breach(_) => {}
        Command::Retention(RetentionCommand::Run(args)) => {
            let store = AnyStore::connect(args.database.as_deref().unwrap_or(&config.database)).await?;
            store.migrate().await?;
            let app = skranke::app::App::new(store, clock, settings(&config));
            let reports = skranke::app::retention::run(&app)
                .await
                .map_err(|e| anyhow::anyhow!("{}", skranke::http::error::message_of(&e, skranke::i18n::Lang::En)))?;
            for r in reports {
                let counts: Vec<String> = r.done.iter().map(|(c, n)| format!("{}={n}", c.as_str())).collect();
                println!("{}\t{}", r.name, counts.join("\t"));
            }
        }
        Command::Operator(OperatorCommand::Add(args)) => {
            let store = AnyStore::connect(args.database.as_deref().unwrap_or(&config.database)).await?;
            store.migrate().await?;
            let app = skranke::app::App::new(store, clock, settings(&config));
            let link = skranke::app::platform::add_operator(&app, &args.email, &args.name)
                .await
                .map_err(|e| anyhow::anyhow!("{}", skranke::http::error::message_of(&e, skranke::i18n::Lang::En)))?;
            let base = config.public_url.clone().unwrap_or_else(|| format!("http://{}", config.listen));
            println!(
                "Platform operator {} created. One-time password link (valid until {} UTC):",
                args.email.trim(),
                link.expires_at.strftime("%Y-%m-%d %H:%M")
            );
            println!("{}/account/password/{}", base.trim_end_matches('/'), link.token.expose());
        }
        Command::Migrate(args) => {
            let store = AnyStore::connect(args.database.as_deref().unwrap_or(&config.database)).await?;
            store.migrate().await?;
            println!("Migrations applied ({}).", store.kind());
        }
        Command::Serve(args) => {
            let store = AnyStore::connect(args.database.as_deref().unwrap_or(&config.database)).await?;
            let listen = args.listen.unwrap_or(config.listen.clone());
            let worker = WorkerSettings { transport: config.transport()?, ..WorkerSettings::default() };
            let running = skranke::server::start(&listen, store, clock, settings(&config), false, worker).await?;
            println!("Listening on {}", running.url());
            running.wait().await?;
        }
        Command::Demo(args) => {
            let clock: Arc<dyn Clock> = match args.now {
                Some(start) => Arc::new(skranke::clock::OffsetClock::starting_at(start)),
                None => clock,
            };
            if !args.keep
                && let Some(path) = args.database.strip_prefix("sqlite://")
            {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{path}{suffix}"));
                }
            }
            let store = AnyStore::connect(&args.database).await?;
            store.migrate().await?;
            let seeded = if args.keep && !store.list_centres().await?.is_empty() {
                None
            } else {
                Some(skranke::demo::seed(&store, clock.now(), &config.auth.password).await?)
            };
            let mut demo_settings = settings(&config);
            demo_settings.public_url = String::new();
            let running =
                skranke::server::start(&args.listen, store, clock, demo_settings, true, WorkerSettings::default())
                    .await?;
            let url = running.url();
            println!("Skranke demo: Eksempel Kommune and Prøvested Kommune (fictional; mail stays on this machine).");
            println!("  Booking start page   {url}/");
            if let Some(seeded) = &seeded {
                for (id, name) in &seeded.centres {
                    println!("  {name}: {url}/book/{id}");
                    println!(
                        "    lobby screen {url}/centres/{id}/lobby   desk {url}/staff/centres/{id}/desk   kiosk {url}/staff/centres/{id}/kiosk"
                    );
                }
                for (centre, service, name) in &seeded.services {
                    println!("    {name}: {url}/book/{centre}/{service}");
                }
            }
            println!("  Demo mailbox         {url}/dev/mail");
            println!("  API (OpenAPI)        {url}/api/v1/openapi.json");
            println!("  Health, metrics      {url}/healthz  {url}/metrics");
            println!("  Staff sign-in        {url}/staff/sign-in");
            if let Some(seeded) = &seeded {
                println!("    every demo account's password: {}", skranke::demo::DEMO_PASSWORD);
                for s in &seeded.sign_ins {
                    println!("    {:<46} {:<24} {}", s.email, s.role.as_str(), s.organisation);
                }
            }
            println!("Listening on {url}");
            running.wait().await?;
        }
    }
    Ok(())
}
