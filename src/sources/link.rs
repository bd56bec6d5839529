//! Canonical links: one article, one link, whichever feed it came through.
//!
//! In: a link as a feed gives it. Out: the article's own URL with tracking parameters (`utm_*`, `fbclid`,
//! `gclid`, …) and the fragment removed, and redirectors unwrapped: Google Alerts wraps every result in
//! `https://www.google.com/url?…&url=REAL`, and Google News uses `news.google.com/…/url?url=REAL` or an
//! `/articles/CBMi…` token that, in its older form, carries the URL in base64. Called by the parser for every
//! item.
//!
//! Only absolute `http` and `https` URLs are kept as links. Whoever writes a feed chooses its links, and a
//! `javascript:`, `data:`, `file:` or `vbscript:` link (or a relative one, which no reader can follow) would
//! become a live link in the emails and faces that show mentions; such links are dropped, and the mention
//! keeps its title and text.

use base64::Engine as _;
use url::Url;

/// Query parameters that only track the reader.
fn is_tracking(name: &str) -> bool {
    name.starts_with("utm_")
        || matches!(
            name,
            "fbclid"
                | "gclid"
                | "dclid"
                | "msclkid"
                | "mc_cid"
                | "mc_eid"
                | "igshid"
                | "yclid"
                | "_hsenc"
                | "_hsmi"
                | "oc"
                | "ved"
                | "usg"
                | "xtor"
        )
}

/// The canonical form of a link, or `None` when it is empty or not an absolute `http(s)` URL.
pub fn canonical_link(raw: &str) -> Option<String> {
    let mut url = Url::parse(raw.trim()).ok()?;
    // Unwrap at most a few redirectors in a row.
    for _ in 0..3 {
        match unwrap_redirect(&url) {
            Some(inner) => url = inner,
            None => break,
        }
    }
    if !is_http(&url) {
        return None;
    }
    url.set_fragment(None);
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !is_tracking(k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    Some(url.to_string())
}

/// Whether a URL may be shown as a link: `http` or `https`, with a host.
pub fn is_http(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|h| !h.is_empty())
}

/// Whether a text is an absolute `http(s)` URL: what the email templates check before writing an `href`.
pub fn is_http_link(text: &str) -> bool {
    Url::parse(text.trim()).is_ok_and(|u| is_http(&u))
}

fn unwrap_redirect(url: &Url) -> Option<Url> {
    let host = url.host_str()?;
    let is_google =
        host == "google.com" || host.starts_with("www.google.") || host.starts_with("google.");
    let path = url.path();
    if (is_google && path == "/url") || (host == "news.google.com" && path.ends_with("/url")) {
        let target = url
            .query_pairs()
            .find(|(k, _)| k == "url" || k == "q")
            .map(|(_, v)| v.into_owned())?;
        return Url::parse(&target).ok().filter(is_http);
    }
    if host == "news.google.com" {
        let token = path.rsplit('/').next()?;
        if path.contains("/articles/") && token.starts_with("CBM") {
            return url_in_token(token);
        }
    }
    None
}

/// Older Google News article tokens are base64 of a small protobuf that holds the URL as plain bytes.
fn url_in_token(token: &str) -> Option<Url> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.trim_end_matches('='))
        .ok()?;
    let start = bytes.windows(4).position(|w| w == b"http")?;
    let end = bytes[start..]
        .iter()
        .position(|b| *b < 0x21 || *b >= 0x7f)
        .map_or(bytes.len(), |e| start + e);
    let text = std::str::from_utf8(&bytes[start..end]).ok()?;
    Url::parse(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_and_fragment_go() {
        assert_eq!(
            canonical_link("https://ex.example/a?utm_source=rss&utm_medium=x&id=3#comments")
                .as_deref(),
            Some("https://ex.example/a?id=3")
        );
        assert_eq!(
            canonical_link("https://ex.example/a?fbclid=zz").as_deref(),
            Some("https://ex.example/a")
        );
    }

    #[test]
    fn google_alerts_redirect_unwraps() {
        let raw = "https://www.google.com/url?rct=j&sa=t&url=https://www.journal.example/acme-boycott%3Futm_source%3Dga&ct=ga&cd=CAIyGg&usg=AOvVaw";
        assert_eq!(
            canonical_link(raw).as_deref(),
            Some("https://www.journal.example/acme-boycott")
        );
    }

    #[test]
    fn google_news_url_redirect_unwraps() {
        let raw = "https://news.google.com/news/url?sa=t&fd=R&url=https://presse.example/article-1";
        assert_eq!(
            canonical_link(raw).as_deref(),
            Some("https://presse.example/article-1")
        );
    }

    #[test]
    fn google_news_token_with_url_unwraps() {
        let mut payload = vec![0x08, 0x13, 0x22, 0x1c];
        payload.extend_from_slice(b"https://presse.example/x-1");
        payload.extend_from_slice(&[0xd2, 0x01, 0x00]);
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&payload);
        let token = format!("CBM{}", &token[3..]);
        // Re-encode properly: the token must start with CBM, which the payload above produces.
        let expected_prefix = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&payload);
        assert!(expected_prefix.starts_with("CBM"), "{expected_prefix}");
        let raw = format!("https://news.google.com/rss/articles/{token}?oc=5");
        assert_eq!(
            canonical_link(&raw).as_deref(),
            Some("https://presse.example/x-1")
        );
    }

    #[test]
    fn opaque_google_news_token_is_kept() {
        let raw = "https://news.google.com/rss/articles/CBMiXYZ?oc=5";
        assert_eq!(
            canonical_link(raw).as_deref(),
            Some("https://news.google.com/rss/articles/CBMiXYZ")
        );
    }

    #[test]
    fn only_http_links_are_kept() {
        // Issue 16, item 6: feed links of any scheme were stored and put into email hrefs.
        for raw in [
            "  ",
            "/relative/path",
            "mailto:x@ex.example",
            "javascript:alert(document.cookie)",
            " JavaScript:alert(1)",
            "java\tscript:alert(1)",
            "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
            "file:///etc/passwd",
            "vbscript:msgbox(1)",
            "ftp://ex.example/x",
            "http:///nohost",
            // A redirector whose target is not http(s) is not unwrapped into one, nor kept.
            "https://www.google.com/url?url=javascript:alert(1)&ct=ga",
        ] {
            let kept = canonical_link(raw);
            assert!(
                kept.as_deref().is_none_or(|l| l.starts_with("http")),
                "{raw:?} -> {kept:?}"
            );
        }
        assert_eq!(canonical_link("javascript:alert(1)"), None);
        assert_eq!(canonical_link("/relative/path"), None);
        assert_eq!(
            canonical_link("HTTPS://Ex.Example/a").as_deref(),
            Some("https://ex.example/a")
        );
        assert!(is_http_link("https://ex.example/a"));
        assert!(!is_http_link("javascript:alert(1)"));
        assert!(!is_http_link("data:text/html,x"));
    }
}
