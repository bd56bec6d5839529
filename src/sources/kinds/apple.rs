//! App Store reviews (`app-store-reviews`): Apple's public customer-reviews feed of an app in one country,
//! as JSON, `GET /{country}/rss/customerreviews/page={n}/id={app_id}/sortby=mostrecent/json`, no account.
//!
//! In: the app's number, the country, and the cursor (the newest review time seen). Out: the new reviews as
//! mentions, with the reviewer's name and the rating (1 to 5) as the score.
//!
//! The feed is newest first, 50 reviews a page, ten pages at most. The first poll reads page 1; later polls
//! read pages until they meet a review already seen, at most [`super::MAX_PAGES`]. Apple writes every field
//! as `{"label": …}` and gives a lone review as an object rather than a list of one; both are read.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use url::Url;

use super::{Harvest, MAX_PAGES, get, off_thread, politeness, rebase, time};
use crate::model::{Mention, Reach, SourceKind};
use crate::sources::fetch::{FetchError, Fetcher, Request};
use crate::sources::parse::{ParseError, Post, json_body, post_mention};

/// An app's reviews in one country's store.
#[derive(Debug, Clone, PartialEq)]
pub struct Reviews {
    /// Digits only.
    pub app_id: String,
    /// Lower case (`fr`).
    pub country: String,
    pub base: Option<Url>,
}

/// The newest review time seen.
pub use super::TimeCursor as Cursor;

#[derive(Debug, Deserialize)]
struct Document {
    feed: Feed,
}

#[derive(Debug, Deserialize)]
struct Feed {
    #[serde(default)]
    entry: Option<OneOrMany>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    Many(Vec<Entry>),
    One(Box<Entry>),
}

#[derive(Debug, Default, Deserialize)]
struct Label {
    #[serde(default)]
    label: String,
}

#[derive(Debug, Deserialize)]
struct Entry {
    id: Option<Label>,
    title: Option<Label>,
    content: Option<Label>,
    updated: Option<Label>,
    author: Option<Person>,
    #[serde(rename = "im:rating")]
    rating: Option<Label>,
    link: Option<Link>,
}

#[derive(Debug, Deserialize)]
struct Person {
    name: Option<Label>,
}

#[derive(Debug, Deserialize)]
struct Link {
    attributes: Option<LinkAttributes>,
}

#[derive(Debug, Deserialize)]
struct LinkAttributes {
    href: Option<String>,
}

impl Reviews {
    /// One page of reviews, newest first (`page` from 1).
    pub fn request(&self, page: usize) -> Request {
        let mut url = Url::parse(&format!(
            "https://itunes.apple.com/{}/rss/customerreviews/page={page}/id={}/sortby=mostrecent/json",
            self.country, self.app_id
        ))
        .expect("checked digits and letters");
        if let Some(b) = &self.base {
            rebase(&mut url, b);
        }
        Request::api(url, politeness(SourceKind::AppStoreReviews).gap)
    }

    /// Reads one page: the reviews with their times (the app's own description, which some pages carry
    /// first, is not a review and is skipped).
    ///
    /// # Errors
    /// When the body is not Apple's reviews feed.
    pub fn read(
        &self,
        source: &str,
        bytes: &[u8],
        fetched: DateTime<Utc>,
    ) -> Result<Vec<(DateTime<Utc>, Mention)>, ParseError> {
        let doc: Document = json_body(bytes)?;
        let entries = match doc.feed.entry {
            None => Vec::new(),
            Some(OneOrMany::Many(v)) => v,
            Some(OneOrMany::One(e)) => vec![*e],
        };
        let store = format!(
            "https://apps.apple.com/{}/app/id{}?see-all=reviews",
            self.country, self.app_id
        );
        Ok(entries
            .into_iter()
            .filter(|e| e.rating.is_some())
            .map(|e| {
                let label =
                    |l: &Option<Label>| l.as_ref().map(|l| l.label.clone()).unwrap_or_default();
                let published = time(e.updated.as_ref().map(|u| u.label.as_str()));
                let id = format!("apple:{}", label(&e.id));
                let link = e
                    .link
                    .as_ref()
                    .and_then(|l| l.attributes.as_ref())
                    .and_then(|a| a.href.clone())
                    .unwrap_or_else(|| store.clone());
                let author = e.author.as_ref().map(|a| label(&a.name));
                let title = label(&e.title);
                let text = escape(&label(&e.content));
                let mention = post_mention(
                    source,
                    SourceKind::AppStoreReviews,
                    Post {
                        id: &id,
                        link: Some(&link),
                        title: Some(&title),
                        html: &text,
                        author: author.as_deref(),
                        lang: None,
                        published,
                        reach: Reach {
                            handle: author.clone(),
                            score: label(&e.rating).trim().parse().ok(),
                            ..Reach::default()
                        },
                    },
                    fetched,
                );
                (published.unwrap_or(fetched), mention)
            })
            .collect())
    }

    /// Reads the new reviews.
    ///
    /// # Errors
    /// The first failure.
    pub async fn harvest(
        &self,
        fetcher: &Fetcher,
        source: &str,
        cursor: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Harvest, FetchError> {
        let state: Cursor = cursor
            .and_then(|c| serde_json::from_str(c).ok())
            .unwrap_or_default();
        let mut newest = state.after;
        let mut mentions = Vec::new();
        let advice = "Apple refused the reviews feed; check app_id and country";
        for page in 1..=MAX_PAGES {
            let request = self.request(page);
            let body = get(fetcher, &request, source, advice).await?;
            let (me, name) = (self.clone(), source.to_owned());
            let reviews = off_thread(move || me.read(&name, &body.bytes, now)).await?;
            let empty = reviews.is_empty();
            let mut met_the_past = false;
            for (at, m) in reviews {
                if state.after.is_some_and(|a| at <= a) {
                    met_the_past = true;
                    continue;
                }
                newest = Some(newest.map_or(at, |n| n.max(at)));
                mentions.push(m);
            }
            if empty || met_the_past || state.after.is_none() {
                break;
            }
        }
        Ok(Harvest {
            mentions,
            cursor: serde_json::to_string(&Cursor { after: newest }).ok(),
            partial: None,
        })
    }
}

/// Reviews are plain text: escaped so that the HTML cleaning keeps a `<` someone typed.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reviews() -> Reviews {
        Reviews {
            app_id: "123456".into(),
            country: "fr".into(),
            base: None,
        }
    }

    #[test]
    fn the_request_names_country_page_and_app() {
        assert_eq!(
            reviews().request(2).url.as_str(),
            "https://itunes.apple.com/fr/rss/customerreviews/page=2/id=123456/sortby=mostrecent/json"
        );
    }

    #[test]
    fn reviews_read_one_or_many() {
        let many = r#"{"feed":{"author":{"name":{"label":"iTunes Store"}},"entry":[
            {"im:name":{"label":"Brioche"},"id":{"label":"123456"}},
            {"author":{"name":{"label":"Camille"},"uri":{"label":"https://itunes.apple.com/fr/reviews/id1"}},
             "updated":{"label":"2026-03-02T02:00:00-07:00"},"im:rating":{"label":"1"},"im:version":{"label":"3.2"},
             "id":{"label":"9001"},"title":{"label":"Application inutilisable"},
             "content":{"label":"Plante à chaque commande <sic>","attributes":{"type":"text"}},
             "link":{"attributes":{"rel":"related","href":"https://itunes.apple.com/fr/review?id=123456&type=Purple%20Software"}}}]}}"#;
        let page = reviews().read("s", many.as_bytes(), Utc::now()).unwrap();
        assert_eq!(page.len(), 1, "the app's description is not a review");
        let (at, m) = &page[0];
        assert_eq!(at.to_rfc3339(), "2026-03-02T09:00:00+00:00");
        assert_eq!(m.id, "apple:9001");
        assert_eq!(m.title.as_deref(), Some("Application inutilisable"));
        assert_eq!(m.text, "Plante à chaque commande <sic>");
        assert_eq!(m.reach.score, Some(1));
        assert_eq!(m.author.as_deref(), Some("Camille"));
        let one = r#"{"feed":{"entry":{"updated":{"label":"2026-03-02T02:00:00-07:00"},"im:rating":{"label":"5"},
            "id":{"label":"9002"},"title":{"label":"Top"},"content":{"label":"Bien"},"author":{"name":{"label":"Léa"}}}}}"#;
        assert_eq!(
            reviews()
                .read("s", one.as_bytes(), Utc::now())
                .unwrap()
                .len(),
            1
        );
        let none = br#"{"feed":{"author":{"name":{"label":"iTunes Store"}}}}"#;
        assert!(reviews().read("s", none, Utc::now()).unwrap().is_empty());
    }
}
