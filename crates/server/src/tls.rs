//! HTTPS: the rustls configuration read from PEM files (`--tls-cert`, `--tls-key`), and the local
//! certificate authority `--tls` keeps next to the database, as Azurite and mkcert do for local
//! development: made once, trusted once by the clients, and a fresh server certificate for
//! `localhost`, `127.0.0.1`, `::1` and any `--tls-name` issued from it at every start.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The local certificate authority's certificate, the file clients trust.
pub const CA_FILE: &str = "entitle-ca.pem";
/// The local certificate authority's private key (owner-only).
pub const CA_KEY_FILE: &str = "entitle-ca-key.pem";
/// The server certificate issued at each start.
pub const CERT_FILE: &str = "entitle-tls.pem";
/// The server certificate's private key (owner-only).
pub const KEY_FILE: &str = "entitle-tls-key.pem";

/// The names every local server certificate holds.
pub const LOCAL_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// Where the server's certificate comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsSource {
    /// PEM files the operator provides.
    Files {
        /// The certificate chain, leaf first.
        cert: PathBuf,
        /// The private key (PKCS #8, PKCS #1 or SEC1).
        key: PathBuf,
    },
    /// The local certificate authority in `dir`, made on first use.
    Local {
        /// The directory that holds the authority and the server certificate.
        dir: PathBuf,
        /// Host names or addresses the certificate holds beside [`LOCAL_NAMES`].
        names: Vec<String>,
    },
}

/// Why HTTPS cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The certificate file is missing, unreadable or holds no certificate.
    #[error("cannot read a certificate from `{path}`: {reason}")]
    Certificate {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The key file is missing, unreadable or holds no private key.
    #[error("cannot read a private key from `{path}`: {reason}")]
    Key {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The certificate and the key cannot serve together.
    #[error("the certificate in `{cert}` cannot be served with the key in `{key}`: {reason}")]
    Mismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// Why.
        reason: String,
    },
    /// A generated file could not be written.
    #[error("cannot write `{path}`: {reason}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A certificate could not be made (for example a `--tls-name` that is not a host name).
    #[error("cannot make the local certificate: {0}")]
    Generate(String),
}

/// The files of the local certificate authority and of the certificate it issued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalCertificate {
    /// The authority's certificate, for clients to trust.
    pub ca: PathBuf,
    /// The server certificate.
    pub cert: PathBuf,
    /// The server certificate's key.
    pub key: PathBuf,
    /// Whether the authority was made by this call.
    pub new_authority: bool,
}

/// The server's TLS configuration: HTTP/1.1 over TLS 1.2 or 1.3, with the certificate chain in
/// `cert` and the key in `key`.
///
/// # Errors
/// A file that cannot be read or holds nothing usable, or a key that does not fit the certificate;
/// each names its file.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, TlsError> {
    let certificate_error = |reason: String| TlsError::Certificate {
        path: cert.to_path_buf(),
        reason,
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|error| certificate_error(error.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| certificate_error(error.to_string()))?;
    if chain.is_empty() {
        return Err(certificate_error("no `CERTIFICATE` block".to_owned()));
    }
    let private_key = PrivateKeyDer::from_pem_file(key).map_err(|error| TlsError::Key {
        path: key.to_path_buf(),
        reason: error.to_string(),
    })?;
    let mismatch = |reason: String| TlsError::Mismatch {
        cert: cert.to_path_buf(),
        key: key.to_path_buf(),
        reason,
    };
    let mut config = ServerConfig::builder_with_provider(Arc::new(provider()))
        .with_safe_default_protocol_versions()
        .map_err(|error| mismatch(error.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, private_key)
        .map_err(|error| mismatch(error.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// rustls on *ring*, which also makes the local certificates: no C++ tool chain or `cmake` to build,
/// as aws-lc needs. *ring* offers no post-quantum key exchange, which a local test double does not
/// need (D33).
#[expect(
    deprecated,
    reason = "ring's provider lacks post-quantum key exchange only (D33)"
)]
fn provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// The configuration `source` asks for, with the local certificate's files when it made them.
///
/// # Errors
/// As [`server_config`] and [`local_certificate`].
pub fn configure(
    source: &TlsSource,
) -> Result<(Arc<ServerConfig>, Option<LocalCertificate>), TlsError> {
    match source {
        TlsSource::Files { cert, key } => Ok((server_config(cert, key)?, None)),
        TlsSource::Local { dir, names } => {
            let local = local_certificate(dir, names)?;
            Ok((server_config(&local.cert, &local.key)?, Some(local)))
        }
    }
}

/// Makes the local certificate authority in `dir` unless it is there, and issues from it a server
/// certificate for [`LOCAL_NAMES`] and `names`.
///
/// The authority is named after its key, so authorities made on different machines do not share a
/// name; its certificate is remade from the key when only the key is left.
///
/// # Errors
/// A file that cannot be read or written, or a name a certificate cannot hold.
pub fn local_certificate(dir: &Path, names: &[String]) -> Result<LocalCertificate, TlsError> {
    let generate = |error: rcgen::Error| TlsError::Generate(error.to_string());
    let ca_key_path = dir.join(CA_KEY_FILE);
    let ca_path = dir.join(CA_FILE);
    let (ca_key, new_authority) = if ca_key_path.exists() {
        let pem = std::fs::read_to_string(&ca_key_path).map_err(|error| TlsError::Key {
            path: ca_key_path.clone(),
            reason: error.to_string(),
        })?;
        let key = KeyPair::from_pem(&pem).map_err(|error| TlsError::Key {
            path: ca_key_path.clone(),
            reason: error.to_string(),
        })?;
        (key, false)
    } else {
        let key = KeyPair::generate().map_err(generate)?;
        write(&ca_key_path, &key.serialize_pem(), true)?;
        (key, true)
    };
    let ca_params = authority(&ca_key)?;
    if new_authority || !ca_path.exists() {
        let certificate = ca_params.self_signed(&ca_key).map_err(generate)?;
        write(&ca_path, &certificate.pem(), false)?;
    }
    let issuer = Issuer::new(ca_params, ca_key);

    let mut all_names: Vec<String> = LOCAL_NAMES.iter().map(|name| (*name).to_owned()).collect();
    for name in names {
        if !all_names.contains(name) {
            all_names.push(name.clone());
        }
    }
    let mut params = CertificateParams::new(all_names).map_err(generate)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "entitle server");
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let key = KeyPair::generate().map_err(generate)?;
    let certificate = params.signed_by(&key, &issuer).map_err(generate)?;
    let cert_path = dir.join(CERT_FILE);
    let key_path = dir.join(KEY_FILE);
    write(&key_path, &key.serialize_pem(), true)?;
    write(&cert_path, &certificate.pem(), false)?;
    Ok(LocalCertificate {
        ca: ca_path,
        cert: cert_path,
        key: key_path,
        new_authority,
    })
}

/// The authority's parameters, named after its key.
fn authority(key: &KeyPair) -> Result<CertificateParams, TlsError> {
    let mut params = CertificateParams::new(Vec::<String>::new())
        .map_err(|error| TlsError::Generate(error.to_string()))?;
    let mut tag = String::new();
    for byte in params.key_identifier(key).iter().take(6) {
        let _ = write!(tag, "{byte:02x}");
    }
    params
        .distinguished_name
        .push(DnType::CommonName, format!("entitle local CA {tag}"));
    params
        .distinguished_name
        .push(DnType::OrganizationName, "entitle development");
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    Ok(params)
}

/// Writes `text` to `path`, readable by its owner alone when `private`.
fn write(path: &Path, text: &str, private: bool) -> Result<(), TlsError> {
    let failed = |error: std::io::Error| TlsError::Write {
        path: path.to_path_buf(),
        reason: error.to_string(),
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(path).map_err(failed)?;
    file.write_all(text.as_bytes()).map_err(failed)?;
    file.sync_all().map_err(failed)
}

/// How to make the Python and Node Graph SDKs trust the local authority in `ca`.
pub fn trust_hint(ca: &Path) -> String {
    let ca = ca.display();
    format!(
        "the local certificate authority is {ca}; trust it in clients with\n  \
         Python (httpx, msgraph-sdk): SSL_CERT_FILE={ca}\n  \
         Python (requests):           REQUESTS_CA_BUNDLE={ca}\n  \
         Node:                        NODE_EXTRA_CA_CERTS={ca}"
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn the_authority_is_made_once_and_the_server_certificate_each_time() {
        let dir = tempfile::tempdir().unwrap();
        let first = local_certificate(dir.path(), &[]).unwrap();
        assert!(first.new_authority);
        let ca = std::fs::read_to_string(&first.ca).unwrap();
        let leaf = std::fs::read_to_string(&first.cert).unwrap();
        let second = local_certificate(dir.path(), &["graph.test".to_owned()]).unwrap();
        assert!(!second.new_authority);
        assert_eq!(std::fs::read_to_string(&second.ca).unwrap(), ca);
        assert_ne!(std::fs::read_to_string(&second.cert).unwrap(), leaf);
        server_config(&second.cert, &second.key).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn private_keys_are_the_owners_alone() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let local = local_certificate(dir.path(), &[]).unwrap();
        for path in [dir.path().join(CA_KEY_FILE), local.key] {
            let mode = std::fs::metadata(path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0);
        }
    }

    #[test]
    fn a_lost_authority_certificate_is_remade_from_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let first = local_certificate(dir.path(), &[]).unwrap();
        std::fs::remove_file(&first.ca).unwrap();
        let second = local_certificate(dir.path(), &[]).unwrap();
        assert!(!second.new_authority);
        assert!(second.ca.exists());
    }

    #[test]
    fn errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let local = local_certificate(dir.path(), &[]).unwrap();
        let error = server_config(&missing, &local.key).unwrap_err();
        assert!(matches!(error, TlsError::Certificate { .. }), "{error}");
        assert!(error.to_string().contains("missing.pem"), "{error}");
        let error = server_config(&local.cert, &local.cert).unwrap_err();
        assert!(matches!(error, TlsError::Key { .. }), "{error}");
        assert!(error.to_string().contains(CERT_FILE), "{error}");
        let error = server_config(&local.key, &local.key).unwrap_err();
        assert!(
            error.to_string().contains("no `CERTIFICATE` block"),
            "{error}"
        );
        let ca_key = dir.path().join(CA_KEY_FILE);
        let error = server_config(&local.cert, &ca_key).unwrap_err();
        assert!(matches!(error, TlsError::Mismatch { .. }), "{error}");
    }

    #[test]
    fn a_name_a_certificate_cannot_hold_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let error = local_certificate(dir.path(), &["bad name\u{e9}".to_owned()]).unwrap_err();
        assert!(matches!(error, TlsError::Generate(_)), "{error}");
    }
}
