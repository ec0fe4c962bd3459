//! Delivery over SMTP (RS-20): STARTTLS or implicit TLS with certificate validation and TLS ≥
//! 1.2, an extra trusted CA for private relays and tests, and no plaintext fallback. A relay
//! configured without TLS is allowed, but the gate then holds every message that carries personal
//! data (`Transport::Plain`), so only content-free staff notices and codes use it.
//!
//! Connections are kept between messages (up to [`MAX_CONNECTIONS`] at once, each used by one
//! send at a time) and reused without a NOOP: a kept connection the relay closed meanwhile fails
//! at MAIL, before anything of the message was accepted, and that one message is then tried at
//! once on a fresh connection. Each delivery reports the TLS version and cipher of the connection
//! it went over (`conn.rs` sets connections up, `tls.rs` does the handshake).

mod conn;
mod tls;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use lettre::message::{Mailbox, Message, MultiPart};
use lettre::transport::smtp::extension::ClientId;
use skranke_core::ids::MessageId;
use skranke_core::notify::Transport as GateTransport;

use self::conn::{Conn, Endpoint, Failed};
pub use self::tls::TlsInfo;
use super::Rendered;

/// How many connections one sender keeps open and sends over at once.
pub const MAX_CONNECTIONS: usize = 4;

/// A kept connection idle longer than this is closed instead of reused: relays drop idle
/// sessions (Postfix after 300 s, many sooner), and a fresh one costs less than a failed MAIL.
const IDLE_LIMIT: Duration = Duration::from_secs(60);

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

/// How a message left, for its audit entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// `local` (the dev mailbox), or the SMTP mode with the negotiated TLS.
    pub description: String,
    /// The TLS version and cipher of the connection it went over; `None` without TLS.
    pub tls: Option<TlsInfo>,
}

impl Delivery {
    /// Into the dev mailbox: it never leaves the database.
    pub fn local() -> Self {
        Self { description: "local".into(), tls: None }
    }
}

/// A configured relay and the connections kept to it. Clones share the connections.
#[derive(Clone, Debug)]
pub struct SmtpSender {
    inner: Arc<Relay>,
}

struct Relay {
    endpoint: Endpoint,
    from: Mailbox,
    hello_name: String,
    timeout: Duration,
    /// Idle connections, the most recently used last.
    idle: Mutex<Vec<Conn>>,
    /// One permit per connection in use: at most [`MAX_CONNECTIONS`] open at once.
    busy: tokio::sync::Semaphore,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay").field("endpoint", &self.endpoint).field("from", &self.from).finish_non_exhaustive()
    }
}

impl SmtpSender {
    pub fn new(config: &SmtpConfig) -> Result<Self, SmtpConfigError> {
        let from: Mailbox = config.from.parse().map_err(|_| SmtpConfigError::From(config.from.clone()))?;
        let tls = match config.security {
            Security::None => None,
            Security::Starttls | Security::Tls => Some(tls::TlsClient::new(&config.host, config.extra_ca.as_deref())?),
        };
        let endpoint = Endpoint {
            host: config.host.clone(),
            port: config.port,
            security: config.security,
            tls,
            hello: ClientId::Domain(config.hello_name.clone()),
        };
        Ok(Self {
            inner: Arc::new(Relay {
                endpoint,
                from,
                hello_name: config.hello_name.clone(),
                timeout: Duration::from_secs(config.timeout_secs.max(1)),
                idle: Mutex::new(Vec::new()),
                busy: tokio::sync::Semaphore::new(MAX_CONNECTIONS),
            }),
        })
    }

    /// What the gate may assume about this relay.
    pub fn gate_transport(&self) -> GateTransport {
        match self.inner.endpoint.security {
            Security::None => GateTransport::Plain,
            Security::Starttls | Security::Tls => GateTransport::Tls,
        }
    }

    /// The stable Message-ID of an outbox message: a retry after a crash carries the same one, so
    /// the relay's logs (and a deduplicating relay) recognise it.
    pub fn message_id(&self, id: MessageId) -> String {
        format!("<{id}@{}>", self.inner.hello_name)
    }

    /// Sends one rendered message; returns how it left (for the audit log). Up to
    /// [`MAX_CONNECTIONS`] sends run at once; more wait for a connection.
    pub async fn send(&self, id: MessageId, to: &str, rendered: &Rendered) -> Result<Delivery, SendError> {
        let to: Mailbox = to.parse().map_err(|_| SendError::Permanent("recipient address refused by lettre".into()))?;
        let message = Message::builder()
            .from(self.inner.from.clone())
            .to(to)
            .subject(rendered.subject.clone())
            .message_id(Some(self.message_id(id)))
            // Text and HTML say the same (the marker test holds them to it); the gate read the text.
            .multipart(MultiPart::alternative_plain_html(rendered.text.clone(), rendered.html.clone()))
            .map_err(|e| SendError::Permanent(format!("message refused by lettre: {e}")))?;
        let (envelope, bytes) = (message.envelope().clone(), message.formatted());
        let _permit = self.inner.busy.acquire().await.map_err(|_| SendError::Transient("sender closed".into()))?;
        let mut conn = match self.take_idle() {
            Some(conn) => match self.attempt(conn, &envelope, &bytes).await {
                Ok(delivery) => return Ok(delivery),
                // The kept connection had gone (closed while idle): nothing of the message was
                // accepted, so it is tried once more, at once, on a fresh connection.
                Err(Failed { nothing_accepted: true, error }) => {
                    tracing::debug!(?error, "kept SMTP connection failed at MAIL; reconnecting once");
                    self.open().await?
                }
                Err(failed) => return Err(failed.error),
            },
            None => self.open().await?,
        };
        conn.idle_since = std::time::Instant::now();
        self.attempt(conn, &envelope, &bytes).await.map_err(|failed| failed.error)
    }

    /// One send over `conn`, within the timeout; a healthy connection goes back to the idle list.
    async fn attempt(
        &self,
        mut conn: Conn,
        envelope: &lettre::address::Envelope,
        bytes: &[u8],
    ) -> Result<Delivery, Failed> {
        match tokio::time::timeout(self.inner.timeout, conn.send(envelope, bytes)).await {
            Err(_) => Err(Failed { error: SendError::Transient("smtp timeout".into()), nothing_accepted: false }),
            // A failed connection is dropped: after an error its state is not known.
            Ok(Err(failed)) => Err(failed),
            Ok(Ok(())) => {
                let delivery = self.describe(conn.tls.clone());
                self.put_idle(conn);
                Ok(delivery)
            }
        }
    }

    async fn open(&self) -> Result<Conn, SendError> {
        tokio::time::timeout(self.inner.timeout, Conn::open(&self.inner.endpoint))
            .await
            .unwrap_or_else(|_| Err(SendError::Transient("smtp timeout".into())))
    }

    /// The most recently used idle connection; older ones past [`IDLE_LIMIT`] are let go.
    fn take_idle(&self) -> Option<Conn> {
        let mut idle = self.inner.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let stale: Vec<Conn> = {
            let cut = idle.iter().position(|c| c.idle_since.elapsed() < IDLE_LIMIT).unwrap_or(idle.len());
            idle.drain(..cut).collect()
        };
        let conn = idle.pop();
        drop(idle);
        for old in stale {
            // QUIT in the background; the relay may have closed it already.
            tokio::spawn(tokio::time::timeout(Duration::from_secs(5), old.quit()));
        }
        conn
    }

    fn put_idle(&self, conn: Conn) {
        let mut idle = self.inner.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if idle.len() < MAX_CONNECTIONS {
            idle.push(conn);
        }
    }

    fn describe(&self, tls: Option<TlsInfo>) -> Delivery {
        let description = match (self.inner.endpoint.security, &tls) {
            (Security::Starttls, Some(t)) => format!("smtp starttls, {} {}, verified certificate", t.version, t.cipher),
            (Security::Tls, Some(t)) => format!("smtp implicit TLS, {} {}, verified certificate", t.version, t.cipher),
            _ => "smtp without TLS".to_owned(),
        };
        Delivery { description, tls }
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
    use tokio::net::TcpListener;

    use super::*;

    /// A minimal SMTP server on loopback that closes its first connection right after the first
    /// message, as a relay does with a session it considers idle. Counts connections and messages.
    async fn closing_relay() -> (u16, Arc<AtomicUsize>, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (connections, messages) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (c, m) = (connections.clone(), messages.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let first = c.fetch_add(1, Ordering::SeqCst) == 0;
                let m = m.clone();
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut lines = BufReader::new(read).lines();
                    write.write_all(b"220 relay ready\r\n").await.unwrap();
                    let mut in_data = false;
                    while let Ok(Some(line)) = lines.next_line().await {
                        let reply: &[u8] = if in_data {
                            if line != "." {
                                continue;
                            }
                            in_data = false;
                            m.fetch_add(1, Ordering::SeqCst);
                            b"250 2.0.0 queued\r\n"
                        } else if line.starts_with("EHLO") {
                            b"250-relay\r\n250 8BITMIME\r\n"
                        } else if line == "DATA" {
                            in_data = true;
                            b"354 go ahead\r\n"
                        } else if line == "QUIT" {
                            b"221 bye\r\n"
                        } else {
                            b"250 ok\r\n"
                        };
                        write.write_all(reply).await.unwrap();
                        if first && reply.starts_with(b"250 2.0.0") {
                            return; // drops the connection
                        }
                    }
                });
            }
        });
        (port, connections, messages)
    }

    /// Messages go over one kept connection; when the relay has closed it, the next message fails
    /// at MAIL and is sent at once over a fresh connection, which is then kept in turn.
    #[tokio::test]
    async fn a_kept_connection_is_reused_and_replaced_once_it_is_gone() {
        let (port, connections, messages) = closing_relay().await;
        let config = SmtpConfig {
            host: "127.0.0.1".into(),
            port,
            security: Security::None,
            from: "skranke@eksempelkommune.dk".into(),
            timeout_secs: 5,
            ..SmtpConfig::default()
        };
        let sender = SmtpSender::new(&config).unwrap();
        let rendered =
            Rendered { subject: "Besked".into(), text: "Hej æøå".into(), html: "<p>Hej æøå</p>".into() };
        for n in 1..=4 {
            let id = MessageId::from_random_bytes([n; 16]);
            let delivery = sender.send(id, "borgerservice@eksempelkommune.dk", &rendered).await.unwrap();
            assert_eq!(delivery, Delivery { description: "smtp without TLS".into(), tls: None });
        }
        assert_eq!(messages.load(Ordering::SeqCst), 4);
        // The first connection carried one message; the second, opened when the first was found
        // gone, carried the other three.
        assert_eq!(connections.load(Ordering::SeqCst), 2);
    }
}
