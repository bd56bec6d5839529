//! The `[web]` table: where the console listens, the address links point to, and how people sign in.
//!
//! In: the table as TOML. Out: a [`WebConfig`], and [`WebConfig::problems`] for `veille check` and the
//! daemon's start (the same code): a proxy mode without a header or a trusted proxy, or a `public_url` that is
//! not an absolute http(s) URL, is refused.

use std::net::{IpAddr, SocketAddr};

use serde::Deserialize;

use crate::model::Interval;

/// How a person is known to the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// Accounts in the database (`veille users add`), a login form and a session cookie.
    #[default]
    Local,
    /// A reverse proxy that signed the person in names them in a header; trusted only from
    /// `trusted_proxies`.
    Proxy,
}

/// The `[web]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebConfig {
    /// Address to listen on.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// What links in emails and chat messages point to, e.g. `https://veille.example.fr/`.
    #[serde(default)]
    pub public_url: Option<String>,
    #[serde(default)]
    pub auth: AuthMode,
    /// In proxy mode, the header that names the signed-in person (e.g. `X-Remote-User`).
    #[serde(default)]
    pub proxy_header: Option<String>,
    /// In proxy mode, the addresses the header is believed from.
    #[serde(default)]
    pub trusted_proxies: Vec<IpAddr>,
    /// A session unused this long ends.
    #[serde(default = "default_idle")]
    pub session_idle: Interval,
    /// A session ends this long after sign-in, used or not.
    #[serde(default = "default_max")]
    pub session_max: Interval,
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}

fn default_idle() -> Interval {
    Interval::secs(8 * 3600)
}

fn default_max() -> Interval {
    Interval::secs(7 * 86_400)
}

impl Default for WebConfig {
    fn default() -> WebConfig {
        WebConfig {
            listen: default_listen(),
            public_url: None,
            auth: AuthMode::Local,
            proxy_header: None,
            trusted_proxies: Vec::new(),
            session_idle: default_idle(),
            session_max: default_max(),
        }
    }
}

impl WebConfig {
    /// Every problem, as (key, message): the key names the line `veille check` points at.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(u) = &self.public_url {
            match url::Url::parse(u) {
                Ok(parsed)
                    if matches!(parsed.scheme(), "http" | "https")
                        && parsed.host_str().is_some() => {}
                _ => out.push((
                    "public_url",
                    format!(
                        "[web] public_url = {u:?} is not an absolute http(s) URL; write the address people open, e.g. \"https://veille.example.fr/\""
                    ),
                )),
            }
        }
        if self.auth == AuthMode::Proxy {
            let header_ok = self.proxy_header.as_deref().is_some_and(|h| {
                !h.is_empty()
                    && h.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            });
            if !header_ok {
                out.push((
                    "proxy_header",
                    "[web] auth = \"proxy\" needs proxy_header, the header your proxy sets to the signed-in user (e.g. \"X-Remote-User\")".into(),
                ));
            }
            if self.trusted_proxies.is_empty() {
                // Without a trusted proxy anybody could name themselves in the header: the console would be
                // served without authentication.
                out.push((
                    "trusted_proxies",
                    format!(
                        "[web] auth = \"proxy\" needs trusted_proxies, the proxy's addresses; without them {} would be served without authentication",
                        self.listen
                    ),
                ));
            }
        }
        if self.session_idle.as_secs() < 60 || self.session_max.as_secs() < 60 {
            out.push((
                "session_idle",
                "[web] session_idle and session_max must be at least 1m".into(),
            ));
        }
        out
    }

    /// Whether the session cookie must carry `Secure` (the console is reached over https).
    pub fn secure_cookie(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.trim_start().to_ascii_lowercase().starts_with("https://"))
    }

    /// The link to incident `id`, when `public_url` is set.
    pub fn incident_url(&self, id: i64) -> Option<String> {
        let base = self.public_url.as_deref()?;
        Some(format!("{}/incidents/{id}", base.trim_end_matches('/')))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<WebConfig, toml::de::Error> {
        toml::from_str(text)
    }

    #[test]
    fn defaults_listen_on_loopback_with_local_accounts() {
        let c = read("").unwrap();
        assert_eq!(c.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(c.auth, AuthMode::Local);
        assert!(c.problems().is_empty());
        assert!(!c.secure_cookie());
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(read("listne = \"127.0.0.1:1\"").is_err());
        assert!(read("auth = \"none\"").is_err());
    }

    #[test]
    fn proxy_mode_needs_a_header_and_trusted_proxies() {
        let c = read("listen = \"0.0.0.0:8080\"\nauth = \"proxy\"").unwrap();
        let keys: Vec<&str> = c.problems().iter().map(|p| p.0).collect();
        assert_eq!(keys, ["proxy_header", "trusted_proxies"]);
        let ok = read(
            "listen = \"0.0.0.0:8080\"\nauth = \"proxy\"\nproxy_header = \"X-Remote-User\"\ntrusted_proxies = [\"10.0.0.2\"]",
        )
        .unwrap();
        assert!(ok.problems().is_empty());
    }

    #[test]
    fn public_url_must_be_http_and_sets_secure_cookies_when_https() {
        let bad = read("public_url = \"javascript:alert(1)\"").unwrap();
        assert_eq!(bad.problems()[0].0, "public_url");
        let c = read("public_url = \"https://veille.example.fr/\"").unwrap();
        assert!(c.problems().is_empty());
        assert!(c.secure_cookie());
        assert_eq!(
            c.incident_url(4).as_deref(),
            Some("https://veille.example.fr/incidents/4")
        );
    }
}
