//! The `jsonwebtoken` crypto provider: `RustCrypto`, installed before any signature is made or checked.

/// Makes `RustCrypto` the process-wide provider of `jsonwebtoken`, unless one is installed already.
///
/// `jsonwebtoken` otherwise infers its provider from its crate features, and panics on first use when
/// another crate in the build also enabled its `aws_lc_rs` backend.
pub(crate) fn ensure() {
    // An error means a provider is installed already (ours or the application's): that one stands.
    let _ = jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default();
}
