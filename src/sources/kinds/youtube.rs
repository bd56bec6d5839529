//! YouTube's public feeds: a channel's latest videos (`youtube-channel`) and a playlist's
//! (`youtube-playlist`), Atom documents read as feeds.
//!
//! In: the channel id (`UC…`) or playlist id (`PL…`). Out: the feed's URL.

use url::Url;

fn videos(key: &str, id: &str) -> Url {
    let mut url = Url::parse("https://www.youtube.com/feeds/videos.xml").expect("a fixed URL");
    url.query_pairs_mut().append_pair(key, id);
    url
}

/// A channel's feed (its 15 latest videos).
pub fn channel(channel_id: &str) -> Url {
    videos("channel_id", channel_id)
}

/// A playlist's feed.
pub fn playlist(playlist_id: &str) -> Url {
    videos("playlist_id", playlist_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feeds_are_named_by_id() {
        assert_eq!(
            channel("UC123").as_str(),
            "https://www.youtube.com/feeds/videos.xml?channel_id=UC123"
        );
        assert_eq!(
            playlist("PL9").as_str(),
            "https://www.youtube.com/feeds/videos.xml?playlist_id=PL9"
        );
    }
}
