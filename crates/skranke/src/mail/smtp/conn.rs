//! One connection to the relay, set up by us and then driven by lettre's `AsyncSmtpConnection`.
//!
//! Why not lettre's own connect: its socket has no `TCP_NODELAY`, so each command waited for the
//! relay's delayed ACK (~40 ms a message on loopback, BENCHMARKS.md), and its TLS handshake does
//! not tell which version and cipher were negotiated, which each delivery must record. So the TCP
//! stream, the STARTTLS pre-dialogue and the TLS handshake are ours; SMTP itself stays lettre's.

use std::io;
use std::pin::Pin;
use std::str::FromStr as _;
use std::task::{Context, Poll};

use lettre::Address;
use lettre::address::Envelope;
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream};
use lettre::transport::smtp::commands::{Data, Ehlo, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter, ServerInfo};
use lettre::transport::smtp::response::Response;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use super::tls::{TlsClient, TlsInfo, is_tls_refusal};
use super::{Security, SendError, code_of};

/// Where and how to connect.
#[derive(Debug)]
pub(super) struct Endpoint {
    pub(super) host: String,
    pub(super) port: u16,
    pub(super) security: Security,
    /// Present unless `security` is `None`.
    pub(super) tls: Option<TlsClient>,
    pub(super) hello: ClientId,
}

/// An open SMTP session, after EHLO (and, with TLS, after the handshake).
pub(super) struct Conn {
    smtp: AsyncSmtpConnection,
    /// What the handshake negotiated; `None` without TLS.
    pub(super) tls: Option<TlsInfo>,
    pub(super) idle_since: std::time::Instant,
}

/// A failed send: what the worker is told, and whether nothing of the message reached the relay
/// before the failure, so the same message may be tried again at once on a fresh connection.
#[derive(Debug)]
pub(super) struct Failed {
    pub(super) error: SendError,
    pub(super) nothing_accepted: bool,
}

impl Conn {
    /// Connects, protects the connection as `endpoint.security` says, and greets.
    pub(super) async fn open(endpoint: &Endpoint) -> Result<Self, SendError> {
        let transient = |e: &dyn std::fmt::Display| SendError::Transient(format!("smtp connection failed: {e}"));
        let mut tcp = TcpStream::connect((endpoint.host.as_str(), endpoint.port)).await.map_err(|e| transient(&e))?;
        // Each SMTP command is one small write followed by waiting for the reply: with Nagle's
        // algorithm on, a write after an unacknowledged one waits for the relay's delayed ACK.
        tcp.set_nodelay(true).map_err(|e| transient(&e))?;
        let (wire, tls) = match (&endpoint.security, &endpoint.tls) {
            (Security::None, _) => (Wire::plain(tcp), None),
            (Security::Tls, Some(client)) => {
                let (stream, info) = handshake(client, tcp).await?;
                (Wire::tls(stream, b""), Some(info))
            }
            (Security::Starttls, Some(client)) => {
                starttls_prelude(&mut tcp, &endpoint.hello).await?;
                let (stream, info) = handshake(client, tcp).await?;
                // lettre's `connect_with_transport` begins by reading the server's greeting, but
                // after STARTTLS there is none (RFC 3207 §4.2: the client sends EHLO again at
                // once). The greeting was read before the handshake; this stands in for it, and
                // lettre does not look at its text.
                (Wire::tls(stream, b"220 greeting received before STARTTLS\r\n"), Some(info))
            }
            (Security::Tls | Security::Starttls, None) => {
                return Err(SendError::Tls("TLS required but no TLS client configured".into()));
            }
        };
        let smtp = AsyncSmtpConnection::connect_with_transport(Box::new(wire), &endpoint.hello)
            .await
            // The relay is there but greets or answers EHLO wrongly: its state, not this
            // message's, so not a bounce on the address.
            .map_err(|e| SendError::Transient(code_of(&e)))?;
        Ok(Self { smtp, tls, idle_since: std::time::Instant::now() })
    }

    /// MAIL, RCPT, DATA and the message, one command at a time as lettre's `send` does, but
    /// telling a failure at MAIL (nothing of the message accepted) from a later one.
    pub(super) async fn send(&mut self, envelope: &Envelope, message: &[u8]) -> Result<(), Failed> {
        let refused = |e: SendError| Failed { error: e, nothing_accepted: false };
        let mut params = Vec::new();
        let non_ascii_address = envelope
            .from()
            .into_iter()
            .chain(envelope.to())
            .any(|a: &Address| !<Address as AsRef<str>>::as_ref(a).is_ascii());
        if non_ascii_address {
            if !self.smtp.server_info().supports_feature(Extension::SmtpUtfEight) {
                return Err(refused(SendError::Permanent("relay does not offer SMTPUTF8".into())));
            }
            params.push(MailParameter::SmtpUtfEight);
        }
        if !message.is_ascii() {
            if !self.smtp.server_info().supports_feature(Extension::EightBitMime) {
                return Err(refused(SendError::Permanent("relay does not offer 8BITMIME".into())));
            }
            params.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        if let Err(e) = self.smtp.command(Mail::new(envelope.from().cloned(), params)).await {
            // A kept connection the relay closed while idle fails here (421, or end of stream).
            return Err(Failed { error: classify(&e), nothing_accepted: !e.is_permanent() });
        }
        for to in envelope.to() {
            self.smtp.command(Rcpt::new(to.clone(), Vec::new())).await.map_err(|e| refused(classify(&e)))?;
        }
        self.smtp.command(Data).await.map_err(|e| refused(classify(&e)))?;
        self.smtp.message(message).await.map_err(|e| refused(classify(&e)))?;
        self.idle_since = std::time::Instant::now();
        Ok(())
    }

    /// Ends the session politely (QUIT), for a connection that is being let go while healthy.
    pub(super) async fn quit(mut self) {
        let _ = self.smtp.quit().await;
    }
}

fn classify(e: &lettre::transport::smtp::Error) -> SendError {
    if e.is_permanent() { SendError::Permanent(code_of(e)) } else { SendError::Transient(code_of(e)) }
}

async fn handshake(client: &TlsClient, tcp: TcpStream) -> Result<(TlsStream<TcpStream>, TlsInfo), SendError> {
    client.handshake(tcp).await.map_err(|e| {
        if is_tls_refusal(&e) {
            SendError::Tls(format!("TLS handshake refused: {e}"))
        } else {
            SendError::Transient(format!("smtp connection failed during the TLS handshake: {e}"))
        }
    })
}

/// The plaintext part of STARTTLS (RFC 3207): greeting, EHLO, STARTTLS offered?, STARTTLS, 220.
/// A relay that does not offer or refuses STARTTLS gives `SendError::Tls`: held, never plaintext.
async fn starttls_prelude(tcp: &mut TcpStream, hello: &ClientId) -> Result<(), SendError> {
    let greeting = read_reply(tcp).await?;
    if !greeting.has_code(220) {
        return Err(SendError::Transient(format!("smtp {}", greeting.code())));
    }
    let ehlo = command(tcp, &Ehlo::new(hello.clone()).to_string()).await?;
    if !ehlo.is_positive() {
        return Err(SendError::Transient(format!("smtp {}", ehlo.code())));
    }
    let info = ServerInfo::from_response(&ehlo).map_err(|e| SendError::Transient(format!("smtp EHLO: {e}")))?;
    if !info.supports_feature(Extension::StartTls) {
        return Err(SendError::Tls("the relay does not offer STARTTLS".into()));
    }
    let ready = command(tcp, "STARTTLS\r\n").await?;
    if !ready.has_code(220) {
        return Err(SendError::Tls(format!("STARTTLS answered {}", ready.code())));
    }
    Ok(())
}

/// Writes one command line and reads its reply, whatever its code.
async fn command(tcp: &mut TcpStream, line: &str) -> Result<Response, SendError> {
    tcp.write_all(line.as_bytes()).await.map_err(|e| SendError::Transient(format!("smtp connection failed: {e}")))?;
    read_reply(tcp).await
}

/// Reads exactly one reply. Anything the relay sends beyond it before our next command breaks the
/// protocol; after the 220 to STARTTLS it would be read as if it came over TLS (the STARTTLS
/// injection attack), so it ends the connection as a TLS failure.
async fn read_reply(tcp: &mut TcpStream) -> Result<Response, SendError> {
    const MAX_REPLY: usize = 64 * 1024;
    let broken = |what: String| SendError::Transient(format!("smtp connection failed: {what}"));
    let mut buf = Vec::with_capacity(512);
    loop {
        let mut chunk = [0u8; 1024];
        let n = tcp.read(&mut chunk).await.map_err(|e| broken(e.to_string()))?;
        if n == 0 {
            return Err(broken("closed by the relay".into()));
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.len() > MAX_REPLY {
            return Err(broken("reply too long".into()));
        }
        if let Some(end) = reply_end(&buf) {
            if end != buf.len() {
                return Err(SendError::Tls("the relay sent data beyond its reply before TLS".into()));
            }
            let text = std::str::from_utf8(&buf).map_err(|_| broken("reply is not UTF-8".into()))?;
            return Response::from_str(text).map_err(|e| broken(e.to_string()));
        }
    }
}

/// Where the reply in `buf` ends: after the first CRLF-terminated line whose fourth byte is not
/// `-` (a multi-line reply continues with `250-…` and ends with `250 …`).
fn reply_end(buf: &[u8]) -> Option<usize> {
    let mut start = 0;
    while let Some(offset) = buf[start..].windows(2).position(|w| w == b"\r\n") {
        let line = &buf[start..start + offset];
        start += offset + 2;
        if line.get(3) != Some(&b'-') {
            return Some(start);
        }
    }
    None
}

/// What lettre reads and writes: our TCP stream, or TLS over it, with bytes to hand out before
/// the stream's own (the stand-in greeting after STARTTLS).
struct Wire {
    inner: Inner,
    replay: &'static [u8],
}

enum Inner {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl Wire {
    fn plain(tcp: TcpStream) -> Self {
        Self { inner: Inner::Plain(tcp), replay: b"" }
    }

    fn tls(stream: TlsStream<TcpStream>, replay: &'static [u8]) -> Self {
        Self { inner: Inner::Tls(Box::new(stream)), replay }
    }
}

impl std::fmt::Debug for Wire {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.inner {
            Inner::Plain(_) => "Wire(plain)",
            Inner::Tls(_) => "Wire(tls)",
        })
    }
}

impl AsyncTokioStream for Wire {
    fn peer_addr(&self) -> io::Result<std::net::SocketAddr> {
        match &self.inner {
            Inner::Plain(s) => s.peer_addr(),
            Inner::Tls(s) => s.get_ref().0.peer_addr(),
        }
    }
}

impl AsyncRead for Wire {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        if !self.replay.is_empty() {
            let n = self.replay.len().min(buf.remaining());
            buf.put_slice(&self.replay[..n]);
            self.replay = &self.replay[n..];
            return Poll::Ready(Ok(()));
        }
        match &mut self.inner {
            Inner::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Inner::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Wire {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        match &mut self.inner {
            Inner::Plain(s) => Pin::new(s).poll_write(cx, data),
            Inner::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, data),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.inner {
            Inner::Plain(s) => Pin::new(s).poll_flush(cx),
            Inner::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.inner {
            Inner::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Inner::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::reply_end;

    #[test]
    fn a_reply_ends_at_its_last_line() {
        assert_eq!(reply_end(b"220 ready\r\n"), Some(11));
        assert_eq!(reply_end(b"250-one\r\n250-two\r\n"), None);
        assert_eq!(reply_end(b"250-one\r\n250 two\r\n"), Some(18));
        assert_eq!(reply_end(b"250-one\r\n250 tw"), None);
        // Bytes after the reply are reported by the caller, not swallowed.
        assert_eq!(reply_end(b"220 go ahead\r\n250 injected\r\n"), Some(14));
    }
}
