//! WordPress comments (`wordpress-comments`): the comments under a site's articles, where bad buzz often
//! starts, read from the RSS feed WordPress serves for them.
//!
//! In: the site's address (every comment of the site, `/comments/feed/`) or an article's (that article's
//! comments, `/feed/` under it), or a comments feed given as it is. Out: the feed's URL.

use url::Url;

/// The comments feed of a site or of one article.
///
/// # Errors
/// A message when `site` is not an http(s) address.
pub fn comments_feed(site: &str) -> Result<Url, String> {
    let mut url = Url::parse(site.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| {
            format!("site must be the http(s) address of a WordPress site or article, not {site:?}")
        })?;
    url.set_fragment(None);
    let path = url.path().trim_end_matches('/').to_owned();
    if path.ends_with("/feed") {
        return Ok(url);
    }
    let tail = if path.is_empty() {
        "/comments/feed/"
    } else {
        "/feed/"
    };
    url.set_path(&format!("{path}{tail}"));
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_site_an_article_or_a_feed() {
        assert_eq!(
            comments_feed("https://blog.example.fr").unwrap().as_str(),
            "https://blog.example.fr/comments/feed/"
        );
        assert_eq!(
            comments_feed("https://blog.example.fr/2026/03/brioche/")
                .unwrap()
                .as_str(),
            "https://blog.example.fr/2026/03/brioche/feed/"
        );
        assert_eq!(
            comments_feed("https://blog.example.fr/comments/feed/")
                .unwrap()
                .as_str(),
            "https://blog.example.fr/comments/feed/"
        );
        assert!(comments_feed("blog.example.fr").is_err());
    }
}
