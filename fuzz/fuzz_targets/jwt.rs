//! `jwt`: bearer tokens through `entitle_auth::Verifier::demo().verify`.
//!
//! ## Input format
//!
//! An input whose first byte is [`MINT`] (`J`) and whose 32-bit FNV-1a hash is a multiple of
//! [`MINT_EVERY`] is a **mint program** (below). Any other input is the value of an `Authorization`
//! header, lossily decoded as UTF-8 (**raw mode**). The hash keeps signing rare: most mutants of a mint
//! program are raw inputs, whatever share of the corpus mint programs take.
//!
//! The mint program, read front to back (a read past the end yields zero): flags (bit 0 an app token;
//! bits 1-3 the tenant: none, the personal-account tenant in a case the next bits pick, the demo tenant
//! named, or an awkward string; bits 4-5 the lifetime window: valid (twice as likely), expired, not yet
//! valid; bits 6-7 the spelling of the scheme), the `oid`, up to 5 scopes (the known permission
//! names, near misses of them, names with whitespace inside, awkward text), up to 3 `wids` (the
//! Identity Governance Administrator template id in any ASCII case, another GUID, awkward text), the
//! lifetime (61 s to `u64::MAX`), then a tampering: operation (flip, truncate, delete, insert), a
//! position and a byte.
//!
//! ## Properties
//!
//! - Raw mode (headers that need an RSA signature check to be refused: on a sample, see "Where the
//!   RSA work goes"): `verify` never panics, and it refuses everything except `Bearer <token>`
//!   (scheme in any ASCII case, whitespace around) where `<token>` is exactly what `entitle_auth::mint_demo` makes of
//!   the claims the token states: the target decodes the payload, rebuilds the `TokenRequest` and
//!   mints it again (RS256 PKCS #1 v1.5 signatures are deterministic), and the identity must follow
//!   the rules below. Every refusal is a rejection (`401`, never a service failure), and a credential of
//!   more than 20 characters (the text after the scheme, or the whole header without one) never
//!   appears in the error message, unless it is a piece of the message's fixed wording (the same
//!   refusal of the header with another credential of that length reads the same).
//! - Mint program: the token `mint_demo` signs for the fuzzed claims (issued now, to [`TIME_STEP`]
//!   seconds) verifies under every spelling of the scheme, unless its window says otherwise
//!   (expired: `Expired`; not yet valid: `NotYetValid`). The identity is: the `oid`; the tenant given, else the demo tenant; principal
//!   `Application` for app tokens, else `PersonalAccount` when the tenant is the consumer tenant (ASCII
//!   case ignored), else `WorkOrSchoolUser`; permissions exactly the known permission names among the
//!   app's `roles`, or among the user's `scp` (the scopes joined with spaces and split at whitespace);
//!   the Identity Governance Administrator role exactly when some `wid` is its template id (ASCII case
//!   ignored), and no other role. The same token under another scheme is `UnsupportedScheme`, bare it
//!   is `MalformedAuthorization` and is not echoed. Then the token with one byte flipped, truncated, one
//!   byte deleted or inserted must be refused, unless the text (whitespace around it ignored, as in a
//!   header) is the token still.
//!
//! ## Where the RSA work goes
//!
//! RSA-2048 is slow under coverage instrumentation, even without a sanitizer: ~26 ms to sign, ~3 ms
//! for the public-key operation that checks a signature (`-s none --release`; more under
//! `AddressSanitizer`). At that price a few expensive inputs would take all the time, so:
//!
//! - Only one in [`MINT_EVERY`] inputs starting with `J` mints (by hash); each mints once and verifies
//!   at most twice. Tokens are issued at the time rounded down to [`TIME_STEP`] seconds, and a mint
//!   program that ran already at that time is not run again (the same token, the same checks):
//!   libFuzzer's mutations often give back their input unchanged. The seeds' programs end in zeros (as if unread) and two last bytes chosen so that
//!   they mint.
//! - In raw mode, a header that would make `verify` check an RSA signature (a `Bearer` token whose
//!   header segment says `RS256` with the demo `kid` and whose third segment is 256 bytes of
//!   base64url) is verified on every input only while it might verify: when the token verified
//!   before (the verifier then answers from its cache), or when its payload states claims that
//!   `mint_demo` could have written (`minted_request`) and this message (header and payload) has not
//!   been seen before. Any other such header can only be refused (a signature by the demo key over
//!   a message `mint_demo` never signs, or a second signature over a message seen already) and is
//!   verified, with its refusal checked, on a deterministic sample only: one input in
//!   [`RSA_REFUSAL_EVERY`] by hash. Headers that `verify` refuses before any RSA work (scheme,
//!   base64url, JSON, algorithm, `kid`, signature length) are checked on every input.

#![no_main]

#[path = "common/bytes.rs"]
mod bytes;

use bytes::Bytes;
use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use entitle_auth::{
    AuthError, DEMO_KEY_ID, DEMO_TENANT, IDENTITY_GOVERNANCE_ADMINISTRATOR, Identity,
    PERSONAL_ACCOUNT_TENANT, TokenRequest, Verifier, mint_demo,
};
use entitle_core::{Guid, Permission, Permissions, Principal, Role, Roles, SubjectId};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// The first byte of a mint program.
const MINT: u8 = b'J';
/// One in this many inputs starting with [`MINT`] is a mint program (by hash).
const MINT_EVERY: u32 = 1024;
/// One in this many raw headers that can only be refused after an RSA signature check is verified
/// (by hash).
const RSA_REFUSAL_EVERY: u32 = 64;
/// The most messages remembered as seen (then the memory starts afresh).
const SEEN_MESSAGES: usize = 1 << 16;
/// Mint programs issue their tokens at the current time rounded down to a multiple of this many
/// seconds, so that the same program run again within that time makes the same token.
const TIME_STEP: u64 = 16;

/// The permission names entitle knows, written out here.
const KNOWN: &[(&str, Permission)] = &[
    (
        "EntitlementMgmt-SubjectAccess.ReadWrite",
        Permission::SubjectAccessReadWrite,
    ),
    ("EntitlementManagement.Read.All", Permission::ReadAll),
    (
        "EntitlementManagement.ReadWrite.All",
        Permission::ReadWriteAll,
    ),
    ("User.Read", Permission::UserRead),
    ("User.ReadWrite", Permission::UserReadWrite),
    ("User.ReadBasic.All", Permission::UserReadBasicAll),
    ("User.Read.All", Permission::UserReadAll),
    ("User.ReadWrite.All", Permission::UserReadWriteAll),
    ("GroupMember.Read.All", Permission::GroupMemberReadAll),
    (
        "GroupMember.ReadWrite.All",
        Permission::GroupMemberReadWriteAll,
    ),
    ("Group.Read.All", Permission::GroupReadAll),
    ("Group.ReadWrite.All", Permission::GroupReadWriteAll),
    ("Directory.Read.All", Permission::DirectoryReadAll),
    ("Directory.ReadWrite.All", Permission::DirectoryReadWriteAll),
];

/// Scopes that are not quite permission names, or hold one after whitespace.
const NEAR_MISSES: &[&str] = &[
    "entitlementmanagement.read.all",
    "EntitlementManagement.Read.All ",
    "User.Read EntitlementManagement.ReadWrite.All",
    "EntitlementManagement.Read.All\u{3000}x",
    "\u{a0}EntitlementMgmt-SubjectAccess.ReadWrite",
    "EntitlementManagement.ReadWrite",
    "",
    "user.read",
    "Directory.Read",
];

/// Strings JSON must escape, for tenants, scopes and wids.
const AWKWARD: &[&str] = &[
    "",
    "t",
    "\"quoted\" \\ back\\slash",
    "line\nbreak\r\n\t",
    "é \u{2028} \u{0}",
    "\u{1f600}",
    "00000000-0000-0000-0000-000000000000",
    "9188040D-6C67-4C5B-B112-36A304B66DAE",
];

/// Scheme spellings, each followed by the token.
const SCHEMES: &[&str] = &["Bearer ", "bearer\t", "BEARER   ", " \tBeArEr \t "];

fn verifier() -> &'static Verifier {
    static VERIFIER: OnceLock<Verifier> = OnceLock::new();
    VERIFIER.get_or_init(|| {
        let verifier = Verifier::demo().expect("the demo verifier builds");
        assert_eq!(verifier.verify(None), Err(AuthError::MissingToken));
        verifier
    })
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

// ---------------------------------------------------------------------------------------------------
// The oracle: what a token with these claims says about its caller.
// ---------------------------------------------------------------------------------------------------

fn known_permissions<'a>(names: impl Iterator<Item = &'a str>) -> Permissions {
    names
        .filter_map(|name| KNOWN.iter().find(|(known, _)| *known == name))
        .map(|(_, permission)| *permission)
        .collect()
}

fn expected_identity(request: &TokenRequest) -> Identity {
    let tenant = request.tenant.as_deref().unwrap_or(DEMO_TENANT).to_owned();
    let principal = if request.app {
        Principal::Application
    } else if tenant.eq_ignore_ascii_case(PERSONAL_ACCOUNT_TENANT) {
        Principal::PersonalAccount
    } else {
        Principal::WorkOrSchoolUser
    };
    let permissions = if request.app {
        known_permissions(request.scopes.iter().map(String::as_str))
    } else {
        let scp = request.scopes.join(" ");
        known_permissions(scp.split_whitespace())
    };
    let governance = request
        .wids
        .iter()
        .any(|wid| wid.eq_ignore_ascii_case(IDENTITY_GOVERNANCE_ADMINISTRATOR));
    let directory_roles = if governance {
        Roles::NONE.with(Role::IdentityGovernanceAdministrator)
    } else {
        Roles::NONE
    };
    Identity {
        principal,
        id: request.oid,
        tenant,
        permissions,
        directory_roles,
    }
}

fn check_identity(identity: &Identity, request: &TokenRequest) {
    assert_eq!(
        identity,
        &expected_identity(request),
        "identity of {request:?}"
    );
    let caller = identity.caller(Roles::NONE);
    assert_eq!(caller.principal, identity.principal);
    assert_eq!(caller.id, identity.id);
    assert_eq!(caller.permissions, identity.permissions);
    assert_eq!(caller.roles, identity.directory_roles);
}

// ---------------------------------------------------------------------------------------------------
// Raw mode.
// ---------------------------------------------------------------------------------------------------

/// Unpadded base64url, strictly (no other characters, no stray bits).
fn base64url(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut bits, mut held) = (0_u32, 0);
    for c in text.bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(value);
        held += 6;
        if held >= 8 {
            held -= 8;
            out.push(u8::try_from(bits >> held).expect("at most 8 bits lie above `held`"));
            bits &= (1 << held) - 1;
        }
    }
    (bits == 0 && held < 6).then_some(out)
}

/// The token request `mint_demo` would have been given for the claims `token` states.
fn minted_request(token: &str) -> Option<TokenRequest> {
    let payload = token.split('.').nth(1)?;
    let claims: Value = serde_json::from_slice(&base64url(payload)?).ok()?;
    let strings = |value: &Value| -> Option<Vec<String>> {
        value
            .as_array()?
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect()
    };
    let app = claims.get("idtyp")?.as_str()? == "app";
    let scopes = if app {
        claims.get("roles").map_or(Some(Vec::new()), strings)?
    } else {
        match claims.get("scp") {
            Some(scp) => scp.as_str()?.split(' ').map(str::to_owned).collect(),
            None => Vec::new(),
        }
    };
    let issued_at = claims.get("iat")?.as_u64()?;
    Some(TokenRequest {
        oid: SubjectId::parse(claims.get("oid")?.as_str()?).ok()?,
        scopes,
        wids: claims.get("wids").map_or(Some(Vec::new()), strings)?,
        app,
        tenant: Some(claims.get("tid")?.as_str()?.to_owned()),
        issued_at,
        lifetime_seconds: claims.get("exp")?.as_u64()?.checked_sub(issued_at)?,
    })
}

/// Tokens already shown to be `mint_demo`'s own, so that a seed is minted again only once.
fn remint_cache() -> &'static Mutex<HashSet<String>> {
    static MINTED: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    MINTED.get_or_init(|| Mutex::new(HashSet::new()))
}

/// The credential of a header: the text after the scheme, or the whole header without one.
fn credential(header: &str) -> &str {
    let header = header.trim();
    match header.split_once([' ', '\t']) {
        Some((_, rest)) => rest.trim(),
        None => header,
    }
}

fn check_refusal(error: &AuthError, header: &str) {
    assert!(error.is_rejection(), "{error:?} is not a rejection");
    let message = error.to_string();
    let secret = credential(header);
    if secret.chars().count() <= 20 || !message.contains(secret) {
        return;
    }
    // The credential may be a piece of the error's fixed wording (the fuzzer learns that wording
    // from comparisons): no echo when the same refusal of the header with another credential of the
    // same length reads the same.
    let other = header.replacen(secret, &"x".repeat(secret.len()), 1);
    let fixed = verifier()
        .verify(Some(&other))
        .err()
        .is_some_and(|refusal| {
            std::mem::discriminant(&refusal) == std::mem::discriminant(error)
                && refusal.to_string() == message
        });
    assert!(fixed, "the error {message:?} echoes the credential");
}

/// The messages (header and payload segments) of the RSA-checked tokens seen so far.
fn seen_messages() -> &'static Mutex<HashSet<String>> {
    static SEEN: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    SEEN.get_or_init(|| Mutex::new(HashSet::new()))
}

/// Whether `verify` would check an RSA signature for `header`: a `Bearer` token whose header segment
/// states `RS256` and the demo key, and whose signature segment is 256 bytes (the key's size).
fn checks_signature(header: &str) -> Option<&str> {
    let trimmed = header.trim();
    let (scheme, token) = trimmed.split_once([' ', '\t'])?;
    if !scheme.eq_ignore_ascii_case("Bearer") {
        return None;
    }
    let token = token.trim();
    let (message, signature) = token.rsplit_once('.')?;
    let (jose, _) = message.rsplit_once('.')?;
    if base64url(signature)?.len() != 256 {
        return None;
    }
    let jose: Value = serde_json::from_slice(&base64url(jose)?).ok()?;
    (jose.get("alg")?.as_str()? == "RS256" && jose.get("kid")?.as_str()? == DEMO_KEY_ID)
        .then_some(token)
}

/// Whether raw mode verifies `header` on this input (see "Where the RSA work goes").
fn worth_verifying(header: &str, hash: u32) -> bool {
    let Some(token) = checks_signature(header) else {
        return true;
    };
    if hash.is_multiple_of(RSA_REFUSAL_EVERY)
        || remint_cache().lock().expect("not poisoned").contains(token)
    {
        return true;
    }
    if minted_request(token).is_none() {
        return false;
    }
    let message = token.rsplit_once('.').map_or(token, |(message, _)| message);
    let mut seen = seen_messages().lock().expect("not poisoned");
    if seen.len() >= SEEN_MESSAGES {
        seen.clear();
    }
    seen.insert(message.to_owned())
}

fn raw(header: &str, hash: u32) {
    if !worth_verifying(header, hash) {
        return;
    }
    match verifier().verify(Some(header)) {
        Ok(identity) => {
            let trimmed = header.trim();
            let (scheme, token) = trimmed.split_once([' ', '\t']).unwrap_or((trimmed, ""));
            assert!(
                scheme.eq_ignore_ascii_case("Bearer"),
                "verified without the Bearer scheme: {header:?}"
            );
            let token = token.trim();
            let request = minted_request(token).unwrap_or_else(|| {
                panic!("verified a token whose claims mint_demo cannot state: {token:?}")
            });
            let cache = remint_cache();
            if !cache.lock().expect("not poisoned").contains(token) {
                let again = mint_demo(&request).expect("the demo key signs");
                assert_eq!(again, token, "verified a token mint_demo did not make");
                cache.lock().expect("not poisoned").insert(again);
            }
            check_identity(&identity, &request);
        }
        Err(error) => check_refusal(&error, header),
    }
}

// ---------------------------------------------------------------------------------------------------
// Mint programs.
// ---------------------------------------------------------------------------------------------------

fn pick<'a>(list: &[&'a str], n: u8) -> &'a str {
    list[usize::from(n) % list.len()]
}

/// `text` with the ASCII case of its letters flipped by the bits of `bits`.
fn flip_case(text: &str, bits: u8) -> String {
    text.chars()
        .enumerate()
        .map(|(i, c)| {
            if bits >> (i % 8) & 1 == 1 {
                if c.is_ascii_lowercase() {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            } else {
                c
            }
        })
        .collect()
}

fn scope(bytes: &mut Bytes<'_>) -> String {
    let kind = bytes.u8();
    match kind % 4 {
        0 | 1 => KNOWN[usize::from(kind >> 2) % KNOWN.len()].0.to_owned(),
        2 => pick(NEAR_MISSES, kind >> 2).to_owned(),
        _ => pick(AWKWARD, kind >> 2).to_owned(),
    }
}

fn wid(bytes: &mut Bytes<'_>) -> String {
    let kind = bytes.u8();
    match kind % 3 {
        0 => flip_case(IDENTITY_GOVERNANCE_ADMINISTRATOR, bytes.u8()),
        1 => Guid::from_u128(u128::from(bytes.u64())).to_string(),
        _ => pick(AWKWARD, kind >> 2).to_owned(),
    }
}

fn lifetime(bytes: &mut Bytes<'_>) -> u64 {
    match bytes.u8() % 5 {
        0 => 61,
        1 => 3_600,
        2 => 61 + u64::from(bytes.u32()),
        3 => u64::MAX - u64::from(bytes.u8()),
        _ => 86_400,
    }
}

/// The token after one edit; `None` when the edit does nothing.
fn tampered(token: &str, bytes: &mut Bytes<'_>) -> Option<String> {
    let mut text = token.as_bytes().to_vec();
    let op = bytes.u8();
    let at = usize::from(bytes.u16()) % (text.len() + 1);
    let byte = bytes.u8();
    match op % 4 {
        0 if at < text.len() => text[at] ^= byte.max(1),
        1 if at < text.len() => text.truncate(at),
        2 if at < text.len() => {
            text.remove(at);
        }
        3 => text.insert(at, byte),
        _ => return None,
    }
    Some(String::from_utf8_lossy(&text).into_owned())
}

/// Runs the mint program in `bytes`, issuing its token at `now` (Unix seconds, a multiple of
/// [`TIME_STEP`]).
fn mint_program(bytes: &mut Bytes<'_>, now: u64) {
    let flags = bytes.u8();
    let app = flags & 1 == 1;
    let tenant = match (flags >> 1) & 7 {
        0..=2 => None,
        3 | 4 => Some(flip_case(PERSONAL_ACCOUNT_TENANT, bytes.u8())),
        5 => Some(DEMO_TENANT.to_owned()),
        _ => Some(pick(AWKWARD, bytes.u8()).to_owned()),
    };
    let window = (flags >> 4) & 3;
    let scheme = SCHEMES[usize::from(flags >> 6)];
    let oid = SubjectId::new(Guid::from_u128(
        u128::from(bytes.u64()) << 64 | u128::from(bytes.u64()),
    ));
    let scopes = (0..bytes.u8() % 6).map(|_| scope(bytes)).collect();
    let wids = (0..bytes.u8() % 4).map(|_| wid(bytes)).collect();
    let mut lifetime = lifetime(bytes);
    let issued_at = match window {
        // Expired: `exp` 200 s ago, beyond the 60 s leeway.
        2 => {
            lifetime = lifetime.min(1_000_000_000);
            now - lifetime - 200
        }
        // Not yet valid: `nbf` 200 s ahead.
        3 => now + 200,
        _ => now,
    };
    let request = TokenRequest {
        oid,
        scopes,
        wids,
        app,
        tenant,
        issued_at,
        lifetime_seconds: lifetime,
    };
    let token = mint_demo(&request).expect("the demo key signs");
    let verifier = verifier();
    let header = format!("{scheme}{token}");
    match window {
        2 => {
            assert_eq!(verifier.verify(Some(&header)), Err(AuthError::Expired));
            return;
        }
        3 => {
            assert_eq!(verifier.verify(Some(&header)), Err(AuthError::NotYetValid));
            return;
        }
        _ => {}
    }
    let identity = verifier
        .verify(Some(&header))
        .unwrap_or_else(|error| panic!("a fresh demo token is refused ({error:?}): {request:?}"));
    check_identity(&identity, &request);
    assert_eq!(
        minted_request(&token).as_ref().map(expected_identity),
        Some(identity)
    );

    let basic = format!("Basic {token}");
    let refused = verifier.verify(Some(&basic));
    assert_eq!(
        refused,
        Err(AuthError::UnsupportedScheme {
            scheme: "Basic".into()
        })
    );
    let bare = verifier.verify(Some(&token));
    assert_eq!(bare, Err(AuthError::MalformedAuthorization));

    if let Some(edited) = tampered(&token, bytes) {
        let header = format!("Bearer {edited}");
        let result = verifier.verify(Some(&header));
        if edited.trim() == token {
            assert!(result.is_ok(), "{edited:?} is the token still: {result:?}");
        } else {
            match result {
                Ok(_) => panic!("a tampered token verifies: {edited:?} (from {token:?})"),
                Err(error) => check_refusal(&error, &header),
            }
        }
    }
}

/// The 32-bit FNV-1a hash of `data`.
fn fnv1a(data: &[u8]) -> u32 {
    data.iter().fold(0x811c_9dc5, |hash, &byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}

/// Whether the mint program `data`, issued at `now`, runs for the first time: the same program at
/// the same time makes the same token and checks the same things, and mutations often give back
/// their input unchanged (mint programs are mostly zeros).
fn first_mint(data: &[u8], now: u64) -> bool {
    static RUN: OnceLock<Mutex<HashSet<(u64, u64)>>> = OnceLock::new();
    let mut hasher = DefaultHasher::new();
    data.hash(&mut hasher);
    let mut run = RUN
        .get_or_init(|| Mutex::new(HashSet::new()))
        .lock()
        .expect("not poisoned");
    if run.len() >= SEEN_MESSAGES {
        run.clear();
    }
    run.insert((hasher.finish(), now))
}

fuzz_target!(|data: &[u8]| {
    let hash = fnv1a(data);
    match data.split_first() {
        Some((&MINT, program)) if hash.is_multiple_of(MINT_EVERY) => {
            let now = now() / TIME_STEP * TIME_STEP;
            if first_mint(data, now) {
                mint_program(&mut Bytes::new(program), now);
            }
        }
        _ => raw(&String::from_utf8_lossy(data), hash),
    }
});
