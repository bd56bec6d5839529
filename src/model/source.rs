//! What veille remembers of a source between fetches.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What veille remembers of a source between fetches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SourceState {
    pub name: String,
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub last_fetch: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    /// The last error, in words, or `None` once the source works again.
    pub last_error: Option<String>,
    pub last_status: Option<u16>,
    pub consecutive_errors: u32,
    /// Items parsed over the source's life (new or not).
    pub items_seen: u64,
    /// Mentions stored from it over its life.
    pub mentions: u64,
    pub next_due: Option<DateTime<Utc>>,
    /// Where a query kind stopped reading (its `since_id`, timestamp or page token, as the kind writes it),
    /// so that the next poll asks only for what is new. `None` for feeds, which use ETags.
    pub cursor: Option<String>,
}

/// What a source is read as: a feed given by its URL, or a service asked through its public interface.
///
/// The names are a fixed contract (`kind = "mastodon-tag"` in the configuration, `"kind"` in
/// `veille mentions --json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// An RSS, Atom, RDF or JSON Feed document at a URL (or a file).
    #[default]
    Feed,
    GoogleNews,
    BingNews,
    GoogleAlerts,
    MastodonTag,
    BlueskyProfile,
    BlueskySearch,
    RedditSearch,
    HnSearch,
    YoutubeChannel,
    YoutubePlaylist,
    LemmyCommunity,
    WordpressComments,
    AppStoreReviews,
}

impl SourceKind {
    /// Every kind, in the order the documentation lists them.
    pub const ALL: [SourceKind; 14] = [
        SourceKind::Feed,
        SourceKind::GoogleNews,
        SourceKind::BingNews,
        SourceKind::GoogleAlerts,
        SourceKind::MastodonTag,
        SourceKind::BlueskyProfile,
        SourceKind::BlueskySearch,
        SourceKind::RedditSearch,
        SourceKind::HnSearch,
        SourceKind::YoutubeChannel,
        SourceKind::YoutubePlaylist,
        SourceKind::LemmyCommunity,
        SourceKind::WordpressComments,
        SourceKind::AppStoreReviews,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Feed => "feed",
            SourceKind::GoogleNews => "google-news",
            SourceKind::BingNews => "bing-news",
            SourceKind::GoogleAlerts => "google-alerts",
            SourceKind::MastodonTag => "mastodon-tag",
            SourceKind::BlueskyProfile => "bluesky-profile",
            SourceKind::BlueskySearch => "bluesky-search",
            SourceKind::RedditSearch => "reddit-search",
            SourceKind::HnSearch => "hn-search",
            SourceKind::YoutubeChannel => "youtube-channel",
            SourceKind::YoutubePlaylist => "youtube-playlist",
            SourceKind::LemmyCommunity => "lemmy-community",
            SourceKind::WordpressComments => "wordpress-comments",
            SourceKind::AppStoreReviews => "app-store-reviews",
        }
    }

    /// Reads a kind's name as the configuration writes it.
    pub fn parse(s: &str) -> Option<SourceKind> {
        SourceKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for SourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a source is the press or a social network: what a communications team asks first of the sites
/// that picked a story up.
///
/// A source tagged `presse` or `press` is press; tagged `social` (or `réseau`, `network`) is social;
/// otherwise its kind decides: a plain feed, a news search or an alert feed is press, a post or comment
/// service (Mastodon, Bluesky, Reddit, Hacker News, YouTube, Lemmy, WordPress comments, App Store reviews)
/// is social.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Medium {
    Press,
    Social,
}

impl Medium {
    /// As stored: `press` or `social`.
    pub fn as_str(self) -> &'static str {
        match self {
            Medium::Press => "press",
            Medium::Social => "social",
        }
    }

    /// From [`Medium::as_str`]'s words.
    pub fn parse(s: &str) -> Option<Medium> {
        match s {
            "press" => Some(Medium::Press),
            "social" => Some(Medium::Social),
            _ => None,
        }
    }

    /// The medium of a source from its tags, else its kind (`None` or `feed` for a plain feed).
    pub fn of(tags: &[String], kind: Option<&str>) -> Medium {
        let tagged = |names: &[&str]| {
            tags.iter()
                .any(|t| names.iter().any(|n| t.trim().eq_ignore_ascii_case(n)))
        };
        if tagged(&["presse", "press"]) {
            return Medium::Press;
        }
        if tagged(&["social", "réseau", "reseau", "network"]) {
            return Medium::Social;
        }
        match kind.unwrap_or("feed") {
            "mastodon-tag" | "bluesky-profile" | "bluesky-search" | "reddit-search"
            | "hn-search" | "youtube-channel" | "youtube-playlist" | "lemmy-community"
            | "wordpress-comments" | "app-store-reviews" => Medium::Social,
            _ => Medium::Press,
        }
    }
}
