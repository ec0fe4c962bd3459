//! The TLS side of the relay connection (RS-20): a rustls client that trusts the web roots plus an
//! optional extra CA, speaks TLS 1.2 or 1.3 only, and uses the `ring` provider (the one lettre and
//! sqlx are built with). The handshake is ours rather than lettre's so that each delivery can
//! record the protocol version and cipher suite that were actually negotiated.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::SmtpConfigError;

/// What one connection's handshake settled on, as the audit entry of each delivery over it
/// records it: the version as OpenSSL and most relays' logs spell it (`TLSv1.3`), the cipher
/// suite by its IANA name (`TLS_AES_256_GCM_SHA384`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsInfo {
    pub version: String,
    pub cipher: String,
}

/// The client side of every TLS connection to the relay.
#[derive(Clone)]
pub(super) struct TlsClient {
    connector: TlsConnector,
    server_name: ServerName<'static>,
}

impl std::fmt::Debug for TlsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsClient").field("server_name", &self.server_name).finish_non_exhaustive()
    }
}

impl TlsClient {
    /// `host` is the name the relay's certificate must carry (a DNS name or an IP address).
    pub(super) fn new(host: &str, extra_ca: Option<&Path>) -> Result<Self, SmtpConfigError> {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(path) = extra_ca {
            let pem = std::fs::read(path).map_err(|e| SmtpConfigError::ExtraCa(e.to_string()))?;
            let certs = CertificateDer::pem_slice_iter(&pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| SmtpConfigError::ExtraCa(e.to_string()))?;
            // An empty or misnamed file would otherwise silently trust nothing extra.
            if certs.is_empty() {
                return Err(SmtpConfigError::ExtraCa(format!("no certificate in {}", path.display())));
            }
            for cert in certs {
                roots.add(cert).map_err(|e| SmtpConfigError::ExtraCa(e.to_string()))?;
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| SmtpConfigError::Tls(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let server_name =
            ServerName::try_from(host.to_owned()).map_err(|e| SmtpConfigError::Tls(format!("smtp.host: {e}")))?;
        Ok(Self { connector: TlsConnector::from(Arc::new(config)), server_name })
    }

    /// Runs the handshake over `tcp`; the certificate is verified against the roots and the name.
    pub(super) async fn handshake(&self, tcp: TcpStream) -> std::io::Result<(TlsStream<TcpStream>, TlsInfo)> {
        let stream = self.connector.connect(self.server_name.clone(), tcp).await?;
        let info = info_of(stream.get_ref().1);
        Ok((stream, info))
    }
}

fn info_of(conn: &rustls::ClientConnection) -> TlsInfo {
    let version = conn.protocol_version().and_then(|v| v.as_str()).unwrap_or("unknown").replace('_', ".");
    let cipher = conn.negotiated_cipher_suite().map(|s| s.suite()).map_or_else(
        || "unknown".to_owned(),
        // rustls names the TLS 1.3 suites `TLS13_…`; IANA (and OpenSSL) name them `TLS_…`.
        |suite| suite.as_str().map_or_else(|| format!("{suite:?}"), |name| name.replacen("TLS13_", "TLS_", 1)),
    );
    TlsInfo { version, cipher }
}

/// Whether a failed handshake is TLS refusing (bad certificate, no common version or cipher: the
/// relay cannot be used safely, so the message is held) rather than the network failing (try
/// again). tokio-rustls reports rustls's own errors as `InvalidData` wrapping a `rustls::Error`.
pub(super) fn is_tls_refusal(e: &std::io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some())
        || e.kind() == std::io::ErrorKind::InvalidData
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_extra_ca_file_without_a_certificate_is_refused() {
        let path = std::env::temp_dir().join(format!("skranke-empty-ca-{}.pem", std::process::id()));
        std::fs::write(&path, "not a certificate\n").unwrap();
        let result = TlsClient::new("localhost", Some(&path));
        let _ = std::fs::remove_file(&path);
        assert!(matches!(result, Err(SmtpConfigError::ExtraCa(_))), "{result:?}");
    }

    #[test]
    fn a_host_that_is_no_server_name_is_refused() {
        assert!(matches!(TlsClient::new("not a host name", None), Err(SmtpConfigError::Tls(_))));
        assert!(TlsClient::new("127.0.0.1", None).is_ok());
    }
}
