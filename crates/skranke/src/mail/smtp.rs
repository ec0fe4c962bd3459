//! Delivery over SMTP with lettre (RS-20): STARTTLS or implicit TLS with certificate validation
//! and TLS ≥ 1.2, an extra trusted CA for private relays and tests, and no plaintext fallback. A
//! relay configured without TLS is allowed, but the gate then holds every message that carries
//! personal data (`Transport::Plain`), so only content-free staff notices and codes use it.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters, TlsVersion};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use skranke_core::ids::MessageId;
use skranke_core::notify::Transport as GateTransport;

use super::Rendered;

/// How the connection to the relay is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Security {
    /// Plain connection upgraded with STARTTLS, which the relay must offer (port 587 or 25).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No TLS: only messages without personal data pass the gate.
    None,
}

/// The relay as configured (`[smtp]` in the configuration file).
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// PEM file of a CA to trust besides the built-in web roots (a private relay; tests).
    pub extra_ca: Option<std::path::PathBuf>,
    /// The envelope and `From:` address of every message.
    pub from: String,
    /// The name Skranke gives in EHLO and in its Message-IDs.
    pub hello_name: String,
    pub timeout_secs: u64,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            host: "localhost".into(),
            port: 587,
            security: Security::Starttls,
            extra_ca: None,
            from: "skranke@localhost".into(),
            hello_name: "skranke.localhost".into(),
            timeout_secs: 30,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SmtpConfigError {
    #[error("smtp.from is not an address: {0}")]
    From(String),
    #[error("smtp.extra_ca cannot be read: {0}")]
    ExtraCa(String),
    #[error("smtp TLS settings refused: {0}")]
    Tls(String),
}

/// Why a delivery failed, as the worker acts on it.
#[derive(Debug)]
pub enum SendError {
    /// Try again later (4xx, timeout, connection refused or dropped).
    Transient(String),
    /// The relay refused for good (5xx): hold, count a bounce.
    Permanent(String),
    /// No TLS could be had (no STARTTLS offered, certificate refused): hold and alert, never
    /// fall back to plaintext.
    Tls(String),
}

/// A configured relay, with lettre's connection pool behind it.
#[derive(Clone, Debug)]
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    security: Security,
    hello_name: String,
}

impl SmtpSender {
    pub fn new(config: &SmtpConfig) -> Result<Self, SmtpConfigError> {
        let from: Mailbox = config.from.parse().map_err(|_| SmtpConfigError::From(config.from.clone()))?;
        let tls = match config.security {
            Security::None => Tls::None,
            Security::Starttls | Security::Tls => {
                let mut params = TlsParameters::builder(config.host.clone())
                    .certificate_store(CertificateStore::WebpkiRoots)
                    .set_min_tls_version(TlsVersion::Tlsv12);
                if let Some(path) = &config.extra_ca {
                    let pem = std::fs::read(path).map_err(|e| SmtpConfigError::ExtraCa(e.to_string()))?;
                    let cert = Certificate::from_pem(&pem).map_err(|e| SmtpConfigError::ExtraCa(e.to_string()))?;
                    params = params.add_root_certificate(cert);
                }
                let params = params.build_rustls().map_err(|e| SmtpConfigError::Tls(e.to_string()))?;
                if config.security == Security::Tls { Tls::Wrapper(params) } else { Tls::Required(params) }
            }
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.host.clone())
            .port(config.port)
            .tls(tls)
            .hello_name(ClientId::Domain(config.hello_name.clone()))
            .timeout(Some(Duration::from_secs(config.timeout_secs.max(1))))
            .build();
        Ok(Self { transport, from, security: config.security, hello_name: config.hello_name.clone() })
    }

    /// What the gate may assume about this relay.
    pub fn gate_transport(&self) -> GateTransport {
        match self.security {
            Security::None => GateTransport::Plain,
            Security::Starttls | Security::Tls => GateTransport::Tls,
        }
    }

    /// The stable Message-ID of an outbox message: a retry after a crash carries the same one, so
    /// the relay's logs (and a deduplicating relay) recognise it.
    pub fn message_id(&self, id: MessageId) -> String {
        format!("<{id}@{}>", self.hello_name)
    }

    /// Sends one rendered message; returns how it left (for the audit log).
    pub async fn send(&self, id: MessageId, to: &str, rendered: &Rendered) -> Result<String, SendError> {
        let to: Mailbox = to.parse().map_err(|_| SendError::Permanent("recipient address refused by lettre".into()))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(rendered.subject.clone())
            .message_id(Some(self.message_id(id)))
            .header(ContentType::TEXT_PLAIN)
            .body(rendered.text.clone())
            .map_err(|e| SendError::Permanent(format!("message refused by lettre: {e}")))?;
        match self.transport.send(message).await {
            Ok(_) => Ok(match self.security {
                Security::Starttls => "smtp starttls, TLS 1.2+ with a verified certificate".to_owned(),
                Security::Tls => "smtp implicit TLS, TLS 1.2+ with a verified certificate".to_owned(),
                Security::None => "smtp without TLS".to_owned(),
            }),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(code_of(&e))),
            // No STARTTLS offered, or a handshake or certificate refused: lettre reports these as
            // TLS or client errors; with TLS required they can never succeed by retrying as is.
            Err(e) if self.security != Security::None && (e.is_tls() || e.is_client()) => {
                Err(SendError::Tls(e.to_string()))
            }
            Err(e) => Err(SendError::Transient(code_of(&e))),
        }
    }
}

/// The relay's reply code, or the kind of failure: never the reply text, which may quote the
/// recipient's address.
fn code_of(e: &lettre::transport::smtp::Error) -> String {
    match e.status() {
        Some(code) => format!("smtp {code}"),
        None if e.is_timeout() => "smtp timeout".to_owned(),
        None => "smtp connection failed".to_owned(),
    }
}
