//! Lemmy communities (`lemmy-community`), read through the RSS feed every Lemmy instance serves for a
//! community, newest posts first.
//!
//! In: the instance's host and the community's name (`brioche`, or `brioche@lemmy.world` for a community
//! of another instance seen from this one). Out: the feed's URL.

use url::Url;

/// The community's feed of new posts.
pub fn community(instance: &str, community: &str) -> Url {
    let name = community
        .trim()
        .trim_start_matches("!")
        .trim_start_matches("c/");
    let mut url = Url::parse(&format!("https://{instance}/")).expect("a checked host");
    url.path_segments_mut()
        .expect("an http URL")
        .pop_if_empty()
        .extend(["feeds", "c", &format!("{name}.xml")]);
    url.query_pairs_mut().append_pair("sort", "New");
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_feed_of_new_posts() {
        assert_eq!(
            community("lemmy.world", "!brioche").as_str(),
            "https://lemmy.world/feeds/c/brioche.xml?sort=New"
        );
        assert_eq!(
            community("jlai.lu", "brioche@lemmy.world").as_str(),
            "https://jlai.lu/feeds/c/brioche@lemmy.world.xml?sort=New"
        );
    }
}
