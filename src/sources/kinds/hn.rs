//! Hacker News search (`hn-search`) through Algolia's public API, `GET /api/v1/search_by_date`: stories
//! and comments, newest first, no account.
//!
//! In: the query and the cursor (the newest `created_at_i` seen). Out: the new stories and comments as
//! mentions linked to their discussion, with the author's name, the story's points and comment count.
//!
//! Each poll asks only for what is newer than the cursor (`numericFilters=created_at_i>…`) and pages with
//! `page` through `nbPages`, at most [`super::MAX_PAGES`] pages; the first poll reads one page.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

use super::{Harvest, MAX_PAGES, get, off_thread, politeness, rebase};
use crate::model::{Mention, Reach, SourceKind};
use crate::sources::fetch::{FetchError, Fetcher, Request};
use crate::sources::parse::{ParseError, Post, json_body, post_mention};

/// Hits asked per page.
pub const HITS_PER_PAGE: usize = 50;

/// A search on Hacker News.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    pub query: String,
    pub base: Option<Url>,
}

/// The newest creation time seen, in Unix seconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub created_at_i: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    #[serde(default)]
    hits: Vec<Hit>,
    #[serde(default)]
    nb_pages: u32,
}

#[derive(Debug, Deserialize)]
struct Hit {
    #[serde(rename = "objectID")]
    object_id: String,
    created_at_i: Option<i64>,
    title: Option<String>,
    author: Option<String>,
    points: Option<i64>,
    story_text: Option<String>,
    comment_text: Option<String>,
    num_comments: Option<u64>,
    story_title: Option<String>,
}

/// One page: the hits as mentions with their times, and how many pages there are.
#[derive(Debug)]
pub struct Page {
    pub hits: Vec<(i64, Mention)>,
    pub pages: u32,
}

impl Search {
    /// One page of hits newer than `after`.
    pub fn request(&self, after: Option<i64>, page: u32) -> Request {
        let mut url =
            Url::parse("https://hn.algolia.com/api/v1/search_by_date").expect("a fixed URL");
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("query", &self.query)
                .append_pair("tags", "(story,comment)")
                .append_pair("hitsPerPage", &HITS_PER_PAGE.to_string());
            if let Some(a) = after {
                q.append_pair("numericFilters", &format!("created_at_i>{a}"));
            }
            q.append_pair("page", &page.to_string());
        }
        if let Some(b) = &self.base {
            rebase(&mut url, b);
        }
        Request::api(url, politeness(SourceKind::HnSearch).gap)
    }

    /// Reads one page of hits.
    ///
    /// # Errors
    /// When the body is not a search answer.
    pub fn read(
        &self,
        source: &str,
        bytes: &[u8],
        fetched: DateTime<Utc>,
    ) -> Result<Page, ParseError> {
        let answer: Answer = json_body(bytes)?;
        let hits = answer
            .hits
            .into_iter()
            .map(|h| {
                let at = h.created_at_i.unwrap_or_else(|| fetched.timestamp());
                let link = format!("https://news.ycombinator.com/item?id={}", h.object_id);
                let title = match (&h.title, &h.story_title) {
                    (Some(t), _) if !t.is_empty() => Some(t.clone()),
                    (_, Some(story)) => Some(format!("Re: {story}")),
                    _ => None,
                };
                let html = h
                    .comment_text
                    .as_deref()
                    .or(h.story_text.as_deref())
                    .unwrap_or("");
                let id = format!("hn:{}", h.object_id);
                let mention = post_mention(
                    source,
                    SourceKind::HnSearch,
                    Post {
                        id: &id,
                        link: Some(&link),
                        title: title.as_deref(),
                        html,
                        author: h.author.as_deref(),
                        lang: None,
                        published: DateTime::from_timestamp(at, 0),
                        reach: Reach {
                            handle: h.author.clone(),
                            followers: None,
                            likes: None,
                            reposts: None,
                            replies: h.num_comments,
                            score: h.points,
                        },
                    },
                    fetched,
                );
                (at, mention)
            })
            .collect();
        Ok(Page {
            hits,
            pages: answer.nb_pages,
        })
    }

    /// Reads the new hits.
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
        let after = state.created_at_i;
        let mut newest = after;
        let mut mentions = Vec::new();
        let advice = "the search API refused veille; check base_url";
        for page in 0..MAX_PAGES as u32 {
            let request = self.request(after, page);
            let body = get(fetcher, &request, source, advice).await?;
            let (me, name) = (self.clone(), source.to_owned());
            let read = off_thread(move || me.read(&name, &body.bytes, now)).await?;
            let empty = read.hits.is_empty();
            for (at, m) in read.hits {
                if after.is_some_and(|a| at <= a) {
                    continue;
                }
                newest = Some(newest.map_or(at, |n| n.max(at)));
                mentions.push(m);
            }
            if empty || after.is_none() || page + 1 >= read.pages {
                break;
            }
        }
        Ok(Harvest {
            mentions,
            cursor: serde_json::to_string(&Cursor {
                created_at_i: newest,
            })
            .ok(),
            partial: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_filters_on_the_cursor() {
        let s = Search {
            query: "Maison Brioche".into(),
            base: None,
        };
        assert_eq!(
            s.request(None, 0).url.as_str(),
            "https://hn.algolia.com/api/v1/search_by_date?query=Maison+Brioche&tags=%28story%2Ccomment%29&hitsPerPage=50&page=0"
        );
        assert_eq!(
            s.request(Some(1_772_000_000), 2).url.query(),
            Some(
                "query=Maison+Brioche&tags=%28story%2Ccomment%29&hitsPerPage=50&numericFilters=created_at_i%3E1772000000&page=2"
            )
        );
    }

    #[test]
    fn stories_and_comments_read() {
        let body = br#"{"hits":[
            {"objectID":"41","created_at":"2026-03-02T10:00:00Z","created_at_i":1772445600,"title":"Maison Brioche recalls its brioches",
             "url":"https://news.example/recall","author":"pg","points":120,"story_text":null,"comment_text":null,"num_comments":33,"_tags":["story"]},
            {"objectID":"42","created_at_i":1772445700,"title":null,"author":"dang","points":null,
             "comment_text":"<p>Bad batch &amp; worse answer</p>","story_title":"Maison Brioche recalls its brioches","_tags":["comment"]}],
            "nbHits":2,"page":0,"nbPages":1,"hitsPerPage":50}"#;
        let s = Search {
            query: "brioche".into(),
            base: None,
        };
        let page = s.read("hn", body, Utc::now()).unwrap();
        assert_eq!(page.pages, 1);
        let (at, story) = &page.hits[0];
        assert_eq!(*at, 1_772_445_600);
        assert_eq!(story.id, "hn:41");
        assert_eq!(
            story.link.as_deref(),
            Some("https://news.ycombinator.com/item?id=41")
        );
        assert_eq!(story.reach.score, Some(120));
        assert_eq!(story.reach.replies, Some(33));
        let (_, comment) = &page.hits[1];
        assert_eq!(
            comment.title.as_deref(),
            Some("Re: Maison Brioche recalls its brioches")
        );
        assert_eq!(comment.text, "Bad batch & worse answer");
        assert_eq!(comment.reach.handle.as_deref(), Some("dang"));
    }
}
