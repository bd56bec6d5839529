//! Reddit search (`reddit-search`), read as RSS: all of Reddit, or one subreddit.
//!
//! In: the query and maybe a subreddit. Out: the search feed's URL, newest first. Reddit throttles clients
//! without an account hard and sometimes answers with a page saying so (`Too Many Requests`, "whoa there,
//! pardner!") rather than a status: [`check_throttled`] recognises those pages so that the source waits
//! instead of failing as "not a feed". The User-Agent names veille and its version, as Reddit asks.

use std::time::Duration;

use url::Url;

use crate::sources::fetch::FetchError;

/// How long a throttled source waits when Reddit does not say.
pub const THROTTLE_WAIT: Duration = Duration::from_secs(10 * 60);

/// The search feed, newest first.
pub fn search(query: &str, subreddit: Option<&str>) -> Url {
    let path = match subreddit {
        Some(s) => format!("https://www.reddit.com/r/{s}/search.rss"),
        None => "https://www.reddit.com/search.rss".to_owned(),
    };
    let mut url = Url::parse(&path).expect("a checked subreddit");
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("q", query).append_pair("sort", "new");
        if subreddit.is_some() {
            q.append_pair("restrict_sr", "on");
        }
    }
    url
}

/// A body that is Reddit's throttling page, not a feed.
///
/// # Errors
/// [`FetchError::Throttled`] for such a page.
pub fn check_throttled(url: &str, bytes: &[u8]) -> Result<(), FetchError> {
    let head = &bytes[..bytes.len().min(4096)];
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let looks_html = text.trim_start().starts_with("<!doctype html") || text.contains("<html");
    let says = [
        "too many requests",
        "whoa there",
        "you've been blocked",
        "rate limit",
    ];
    match says.iter().find(|s| text.contains(*s)) {
        Some(what) if looks_html || !text.contains("<feed") => Err(FetchError::Throttled {
            url: url.to_owned(),
            what: (*what).to_owned(),
            wait: THROTTLE_WAIT,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_all_or_one_subreddit() {
        assert_eq!(
            search("Maison Brioche", None).as_str(),
            "https://www.reddit.com/search.rss?q=Maison+Brioche&sort=new"
        );
        assert_eq!(
            search("brioche", Some("france")).as_str(),
            "https://www.reddit.com/r/france/search.rss?q=brioche&sort=new&restrict_sr=on"
        );
    }

    #[test]
    fn the_throttling_page_is_recognised() {
        let page = b"<!DOCTYPE html><html><title>Too Many Requests</title><body>whoa there, pardner!</body></html>";
        assert!(matches!(
            check_throttled("u", page),
            Err(FetchError::Throttled { wait, .. }) if wait == THROTTLE_WAIT
        ));
        let feed = b"<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>too many requests for brioche</title></feed>";
        assert!(check_throttled("u", feed).is_ok());
    }
}
