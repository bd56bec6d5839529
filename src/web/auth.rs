//! Who may do what, and the secrets behind it: roles, argon2id password hashes, random session ids and
//! CSRF tokens, and the throttle on sign-in attempts.
//!
//! In: passwords (never stored, never logged), session cookies. Out: hashes for the store, the SHA-256 of a
//! session id (the store never holds an id that would open a session), yes or no.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use base64::Engine as _;
use sha2::Digest as _;

/// What a person may do in the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Role {
    /// Reads every page.
    Lecteur,
    /// Also acts on incidents: takes them, notes, silences, resolves.
    Veilleur,
    /// Also manages accounts.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Lecteur => "lecteur",
            Role::Veilleur => "veilleur",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "lecteur" => Some(Role::Lecteur),
            "veilleur" => Some(Role::Veilleur),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// Whether this role may act on incidents.
    pub fn acts(self) -> bool {
        self >= Role::Veilleur
    }
}

/// Whether `name` may name an account: 1 to 64 letters, digits, `.`, `-`, `_` or `@` (the CLI and the
/// console's accounts page both ask).
pub fn valid_account_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'))
}

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("the password is empty; give at least 8 characters")]
    Empty,
    #[error("the password is shorter than 8 characters; give a longer one")]
    Short,
    #[error("the password could not be hashed: {0}")]
    Hash(String),
}

/// The argon2id hash (PHC string, salt included) of `password`.
///
/// # Errors
/// A password shorter than 8 characters, or a hashing failure.
pub fn password_hash(password: &str) -> Result<String, PasswordError> {
    if password.is_empty() {
        return Err(PasswordError::Empty);
    }
    if password.chars().count() < 8 {
        return Err(PasswordError::Short);
    }
    let salt = SaltString::encode_b64(&random_bytes::<16>())
        .map_err(|e| PasswordError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `password` matches the stored `hash` (false for a malformed hash).
pub fn password_matches(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// `N` bytes from the operating system's random source.
fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The kernel's generator does not fail once the system has booted; a failure here is not survivable.
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    bytes
}

/// 256 random bits, URL-safe base64: a session id, a CSRF token, a one-time password.
pub fn random_token() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// What the store keeps of a session id: its SHA-256, in hex.
pub fn session_hash(id: &str) -> String {
    let digest = sha2::Sha256::digest(id.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Equality that takes as long whatever the first differing byte (for CSRF tokens).
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Failed sign-ins per account and per address within a window; past the limit, attempts are refused
/// before the password is even checked.
#[derive(Debug, Default)]
pub struct Throttle {
    accounts: HashMap<String, Vec<Instant>>,
    addresses: HashMap<IpAddr, Vec<Instant>>,
}

/// How many failures an account may have within [`THROTTLE_WINDOW`].
pub const ACCOUNT_FAILURES: usize = 5;
/// How many failures one address may have within [`THROTTLE_WINDOW`] (several people behind one NAT).
pub const ADDRESS_FAILURES: usize = 20;
/// The window failures are counted over.
pub const THROTTLE_WINDOW: Duration = Duration::from_secs(15 * 60);

impl Throttle {
    fn recent(list: &mut Vec<Instant>, now: Instant) -> usize {
        list.retain(|t| now.duration_since(*t) < THROTTLE_WINDOW);
        list.len()
    }

    /// Whether an attempt for `account` from `address` may be checked now.
    pub fn allows(&mut self, account: &str, address: IpAddr, now: Instant) -> bool {
        let a = self
            .accounts
            .get_mut(account)
            .map_or(0, |l| Throttle::recent(l, now));
        let b = self
            .addresses
            .get_mut(&address)
            .map_or(0, |l| Throttle::recent(l, now));
        a < ACCOUNT_FAILURES && b < ADDRESS_FAILURES
    }

    /// Records a failed attempt.
    pub fn failed(&mut self, account: &str, address: IpAddr, now: Instant) {
        // Bounded memory under a spray of invented names: forget the oldest names first.
        if self.accounts.len() > 10_000 {
            self.accounts.clear();
        }
        if self.addresses.len() > 10_000 {
            self.addresses.clear();
        }
        self.accounts
            .entry(account.to_owned())
            .or_default()
            .push(now);
        self.addresses.entry(address).or_default().push(now);
    }

    /// A success forgets the account's failures.
    pub fn succeeded(&mut self, account: &str) {
        self.accounts.remove(account);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = password_hash("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(password_matches("correct horse", &h));
        assert!(!password_matches("correct horsf", &h));
        assert!(!password_matches("x", "not a hash"));
        assert!(matches!(password_hash("short"), Err(PasswordError::Short)));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(session_hash(&a).len(), 64);
        assert_ne!(session_hash(&a), a);
        assert!(same_token(&a, &a.clone()));
        assert!(!same_token(&a, &b));
    }

    #[test]
    fn throttle_counts_per_account_and_per_address() {
        let mut t = Throttle::default();
        let now = Instant::now();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..ACCOUNT_FAILURES {
            assert!(t.allows("ana", ip, now));
            t.failed("ana", ip, now);
        }
        assert!(
            !t.allows("ana", other, now),
            "the account is held from any address"
        );
        assert!(t.allows("bob", ip, now));
        assert!(
            t.allows("ana", ip, now + THROTTLE_WINDOW),
            "the window passes"
        );
        for i in 0..ADDRESS_FAILURES {
            t.failed(&format!("u{i}"), other, now);
        }
        assert!(
            !t.allows("carol", other, now),
            "the address is held for any account"
        );
    }

    #[test]
    fn roles_order_what_they_may_do() {
        assert!(!Role::Lecteur.acts());
        assert!(Role::Veilleur.acts() && Role::Admin.acts());
        assert_eq!(Role::parse("admin"), Some(Role::Admin));
        assert_eq!(Role::parse("chef"), None);
    }
}
