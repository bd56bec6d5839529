//! Platforms without a public interface: X/Twitter, Facebook, LinkedIn, Instagram and TikTok give nothing to
//! read without an account and a developer contract. veille says so when given one of their addresses (in
//! `veille fetch` and `veille check`) and points to a self-hosted RSS-Bridge or RSSHub, which turn some of
//! their pages into feeds (see the README for the caveats).

use url::Url;

/// The platform an address belongs to, when it is one of those without a public interface.
pub fn platform(url: &Url) -> Option<&'static str> {
    let host = url.host_str()?.to_ascii_lowercase();
    let host = host.trim_end_matches('.');
    let of = |domain: &str| host == domain || host.ends_with(&format!(".{domain}"));
    [
        ("twitter.com", "X/Twitter"),
        ("x.com", "X/Twitter"),
        ("facebook.com", "Facebook"),
        ("fb.com", "Facebook"),
        ("fb.watch", "Facebook"),
        ("linkedin.com", "LinkedIn"),
        ("instagram.com", "Instagram"),
        ("tiktok.com", "TikTok"),
    ]
    .into_iter()
    .find(|(domain, _)| of(domain))
    .map(|(_, name)| name)
}

/// The configuration's words for a source on such a platform.
pub fn problem(platform: &str) -> String {
    format!(
        "{platform} has no public interface veille can read; run RSS-Bridge or RSSHub yourself and give \
         the feed it makes as url (see the README, section \"Platforms without a public interface\")"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_closed_platforms_and_their_subdomains() {
        let p = |u: &str| platform(&Url::parse(u).unwrap());
        assert_eq!(p("https://x.com/brioche"), Some("X/Twitter"));
        assert_eq!(p("https://mobile.twitter.com/brioche"), Some("X/Twitter"));
        assert_eq!(
            p("https://www.linkedin.com/company/brioche"),
            Some("LinkedIn")
        );
        assert_eq!(p("https://www.tiktok.com/@brioche"), Some("TikTok"));
        assert_eq!(p("https://fr-fr.facebook.com/brioche"), Some("Facebook"));
        assert_eq!(p("https://www.instagram.com/brioche/"), Some("Instagram"));
        assert_eq!(p("https://box.com/x"), None);
        assert_eq!(p("https://notx.com/x"), None);
    }
}
