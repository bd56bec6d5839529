//! News search engines read as RSS: Google News (`google-news`) and Bing News (`bing-news`). Google Alerts
//! (`google-alerts`) is a feed URL given as it is; its links go through Google's redirector, which
//! [`crate::sources::link`] unwraps like any other.
//!
//! In: the query, and for Google the language and country. Out: the search feed's URL.

use url::Url;

/// Google News' search feed: `hl`, `gl` and `ceid` agree, as Google's own links write them (`hl=fr`,
/// `gl=FR`, `ceid=FR:fr` for French news from France; `hl=en-GB` where the language is not the country's).
pub fn google_news(query: &str, lang: &str, country: &str) -> Url {
    let lang = lang.to_ascii_lowercase();
    let country = country.to_ascii_uppercase();
    let hl = if lang.eq_ignore_ascii_case(&country) {
        lang.clone()
    } else {
        format!("{lang}-{country}")
    };
    let mut url = Url::parse("https://news.google.com/rss/search").expect("a fixed URL");
    url.query_pairs_mut()
        .append_pair("q", query)
        .append_pair("hl", &hl)
        .append_pair("gl", &country)
        .append_pair("ceid", &format!("{country}:{lang}"));
    url
}

/// Bing News' search results as RSS (`format=rss`), newest first.
pub fn bing_news(query: &str) -> Url {
    let mut url = Url::parse("https://www.bing.com/news/search").expect("a fixed URL");
    url.query_pairs_mut()
        .append_pair("q", query)
        .append_pair("format", "rss")
        .append_pair("qft", "sortbydate=\"1\"");
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn google_news_matches_language_and_country() {
        assert_eq!(
            google_news("« Maison Brioche »", "fr", "FR").as_str(),
            "https://news.google.com/rss/search?q=%C2%AB+Maison+Brioche+%C2%BB&hl=fr&gl=FR&ceid=FR%3Afr"
        );
        let be = google_news("brioche", "fr", "BE");
        assert_eq!(be.query(), Some("q=brioche&hl=fr-BE&gl=BE&ceid=BE%3Afr"));
    }

    #[test]
    fn bing_news_asks_for_rss() {
        let u = bing_news("Maison Brioche");
        assert_eq!(u.path(), "/news/search");
        assert!(u.query().unwrap().contains("format=rss"), "{u}");
        assert!(u.query().unwrap().starts_with("q=Maison+Brioche"), "{u}");
    }
}
