//! Real SMTP servers for the mail tests: `tests/smtp/server.py` (aiosmtpd) started and stopped by
//! the test, a test CA made once per run with openssl, and the relay settings pointing at them.
//! Shared by `mail_smtp` (delivery and the gate over SMTP) and `mail_faults` (relays and
//! databases that fail).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use serde_json::Value;
use skranke::app::notify::{self, Mailbox};
use skranke::mail::smtp::{Security, SmtpConfig, SmtpSender};
use skranke::mail::{Transport, WorkerSettings};
use skranke_core::access::Role;
use uuid::Uuid;

use crate::notify_app::{World, drain_with, principal, set_mailbox};

/// The name in every Message-ID the tests' relays see (`<outbox-id@skranke.test>`).
pub const HELLO_NAME: &str = "skranke.test";

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The Python with aiosmtpd the servers run on.
pub fn python() -> PathBuf {
    let python = std::env::var("SKRANKE_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|_| workspace().join("tests/smtp/.venv/bin/python"));
    assert!(python.exists(), "no Python with aiosmtpd at {python:?}: run scripts/test.sh (it installs it)");
    python
}

/// A test CA and a `localhost` certificate it signed, made once per test run with openssl.
pub struct Certs {
    pub dir: PathBuf,
}

pub fn certs() -> &'static Certs {
    static CERTS: OnceLock<Certs> = OnceLock::new();
    CERTS.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("skranke-smtp-certs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let run = |args: &[&str]| {
            let out = Command::new("openssl").args(args).current_dir(&dir).output().expect("openssl must be installed");
            assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        };
        run(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=Skranke test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        run(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ]);
        std::fs::write(
            dir.join("ext.cnf"),
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        run(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ]);
        Certs { dir }
    })
}

/// The relay at `localhost:port` as the tests configure it.
pub fn relay_config(port: u16, security: Security, timeout_secs: u64) -> SmtpConfig {
    SmtpConfig {
        host: "localhost".into(),
        port,
        security,
        extra_ca: Some(certs().dir.join("ca.pem")),
        from: "skranke@fredericia.dk".into(),
        hello_name: HELLO_NAME.into(),
        timeout_secs,
    }
}

/// Worker settings delivering to the relay at `localhost:port`.
pub fn relay_settings(port: u16, security: Security, timeout_secs: u64) -> WorkerSettings {
    let sender = SmtpSender::new(&relay_config(port, security, timeout_secs)).unwrap();
    WorkerSettings { transport: Transport::Smtp(sender), ..WorkerSettings::default() }
}

/// A port nothing listens on (a relay that is down), free when asked.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A running `tests/smtp/server.py`; stopped when dropped.
pub struct SmtpServer {
    child: Child,
    pub port: u16,
    out: PathBuf,
}

impl SmtpServer {
    pub fn start(mode: &str) -> Self {
        Self::start_with(mode, &[])
    }

    /// Starts a server in `mode` with further options of `server.py` (`--count`, `--delay`,
    /// `--port` …).
    pub fn start_with(mode: &str, options: &[&str]) -> Self {
        let out = std::env::temp_dir().join(format!("skranke-smtp-{}.jsonl", Uuid::new_v4()));
        let mut cmd = Command::new(python());
        cmd.arg(workspace().join("tests/smtp/server.py")).args(["--mode", mode, "--out"]).arg(&out).args(options);
        if mode == "starttls" || mode == "tls" {
            let c = certs();
            cmd.arg("--cert").arg(c.dir.join("server.pem")).arg("--key").arg(c.dir.join("server.key"));
        }
        let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("start the SMTP server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port =
            line.trim().strip_prefix("READY ").unwrap_or_else(|| panic!("SMTP server said {line:?}")).parse().unwrap();
        SmtpServer { child, port, out }
    }

    /// The messages it accepted, in order.
    pub fn received(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            // A line being appended while we read is not whole yet; the next read has it.
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    pub fn settings(&self, security: Security) -> WorkerSettings {
        relay_settings(self.port, security, 10)
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.out);
    }
}

/// The six-digit code in the newest message to `address`.
pub fn code_in(server: &SmtpServer, address: &str) -> String {
    let mails = server.received();
    let mail = mails.iter().rev().find(|m| m["rcpt"][0] == address).expect("a code mail");
    mail["body"].as_str().unwrap().split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).unwrap().to_owned()
}

/// Sets `mailbox` to `address` and proves it with the code that reached `server`.
pub async fn verified_over(
    w: &World,
    server: &SmtpServer,
    settings: &WorkerSettings,
    mailbox: Mailbox,
    address: &str,
) -> skranke::store::AddressRecord {
    let admin = principal(w, Role::OrgAdmin);
    let record = set_mailbox(w, &admin, mailbox, address).await.unwrap();
    notify::request_code(&w.app, &admin, record.id).await.unwrap();
    drain_with(&w.app, settings.clone()).await;
    let code = code_in(server, address);
    notify::confirm_code(&w.app, &admin, record.id, &code).await.unwrap()
}
