//! Mastodon hashtags (`mastodon-tag`): the public tag timeline of one or several instances,
//! `GET /api/v1/timelines/tag/{tag}`, which needs no account on most instances.
//!
//! In: the instances, the tag, and the cursor (the newest status id seen on each instance). Out: the new
//! statuses as mentions, each known by its `uri` (the same post seen through two instances is one mention),
//! with the author's handle, display name and followers and the post's favourites, boosts and replies.
//!
//! Paging: the first poll reads the newest page only (veille does not dig up the past); later polls ask
//! with `since_id` and, when a page comes back full, page down with `max_id` until they meet what was
//! seen, at most [`super::MAX_PAGES`] pages. An instance that closed its timeline to visitors (401, 403)
//! is an error naming it; the other instances' statuses are still kept.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

use super::{Harvest, MAX_PAGES, get, off_thread, politeness, rebase, time};
use crate::model::{Mention, Reach, SourceKind};
use crate::sources::fetch::{FetchError, Fetcher, Request};
use crate::sources::parse::{ParseError, Post, json_body, post_mention};

/// Statuses asked per page (Mastodon's most).
pub const LIMIT: usize = 40;

/// A tag followed on some instances.
#[derive(Debug, Clone, PartialEq)]
pub struct Tag {
    /// Host names, without duplicates.
    pub instances: Vec<String>,
    /// Without its `#`.
    pub tag: String,
    pub base: Option<Url>,
}

/// Where each instance's timeline was left: the newest status id seen there.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(default)]
    pub since_id: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
struct Status {
    id: String,
    uri: String,
    url: Option<String>,
    created_at: Option<String>,
    #[serde(default)]
    content: String,
    #[serde(default)]
    spoiler_text: String,
    language: Option<String>,
    account: Account,
    replies_count: Option<u64>,
    reblogs_count: Option<u64>,
    favourites_count: Option<u64>,
}

#[derive(Debug, Deserialize)]
struct Account {
    #[serde(default)]
    acct: String,
    #[serde(default)]
    display_name: String,
    followers_count: Option<u64>,
}

/// Mastodon ids are decimal numbers in strings, longer ones newer; compared without parsing (they may
/// outgrow 64 bits on some servers).
fn newer(a: &str, b: &str) -> bool {
    (a.len(), a) > (b.len(), b)
}

impl Tag {
    /// The first instance's timeline (where the logs and the scheduler's per-host slot point).
    pub fn first_url(&self) -> Url {
        self.request(&self.instances[0], None, None).url
    }

    /// One page of an instance's tag timeline.
    pub fn request(&self, instance: &str, since_id: Option<&str>, max_id: Option<&str>) -> Request {
        let mut url = Url::parse(&format!("https://{instance}/")).expect("a checked host");
        url.path_segments_mut()
            .expect("an http URL")
            .pop_if_empty()
            .extend(["api", "v1", "timelines", "tag", &self.tag]);
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("limit", &LIMIT.to_string());
            if let Some(s) = since_id {
                q.append_pair("since_id", s);
            }
            if let Some(m) = max_id {
                q.append_pair("max_id", m);
            }
        }
        if let Some(b) = &self.base {
            rebase(&mut url, b);
        }
        Request::api(url, politeness(SourceKind::MastodonTag).gap)
    }

    /// Reads one page: the statuses with their ids, newest first as the instance sent them.
    ///
    /// # Errors
    /// When the body is not a list of statuses.
    pub fn read(
        &self,
        instance: &str,
        source: &str,
        bytes: &[u8],
        fetched: DateTime<Utc>,
    ) -> Result<Vec<(String, Mention)>, ParseError> {
        let statuses: Vec<Status> = json_body(bytes)?;
        Ok(statuses
            .into_iter()
            .map(|s| {
                let handle = if s.account.acct.contains('@') || s.account.acct.is_empty() {
                    format!("@{}", s.account.acct)
                } else {
                    format!("@{}@{instance}", s.account.acct)
                };
                let html = if s.spoiler_text.is_empty() {
                    s.content.clone()
                } else {
                    format!("{}<p>{}</p>", s.spoiler_text, s.content)
                };
                let display = if s.account.display_name.trim().is_empty() {
                    s.account.acct.clone()
                } else {
                    s.account.display_name.clone()
                };
                let mention = post_mention(
                    source,
                    SourceKind::MastodonTag,
                    Post {
                        id: &s.uri,
                        link: s.url.as_deref().or(Some(&s.uri)),
                        title: None,
                        html: &html,
                        author: Some(&display),
                        lang: s.language.as_deref(),
                        published: time(s.created_at.as_deref()),
                        reach: Reach {
                            handle: Some(handle),
                            followers: s.account.followers_count,
                            likes: s.favourites_count,
                            reposts: s.reblogs_count,
                            replies: s.replies_count,
                            score: None,
                        },
                    },
                    fetched,
                );
                (s.id, mention)
            })
            .collect())
    }

    /// Reads what is new on every instance.
    ///
    /// # Errors
    /// When no instance could be read; the first instance's failure is returned.
    pub async fn harvest(
        &self,
        fetcher: &Fetcher,
        source: &str,
        cursor: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Harvest, FetchError> {
        let mut state: Cursor = cursor
            .and_then(|c| serde_json::from_str(c).ok())
            .unwrap_or_default();
        let mut seen: HashSet<String> = HashSet::new();
        let mut mentions = Vec::new();
        let mut failures = Vec::new();
        for instance in &self.instances {
            match self.instance(fetcher, source, instance, &state, now).await {
                Ok((found, newest)) => {
                    for m in found {
                        if seen.insert(m.id.clone()) {
                            mentions.push(m);
                        }
                    }
                    if let Some(n) = newest {
                        state.since_id.insert(instance.clone(), n);
                    }
                }
                Err(e) => failures.push(e),
            }
        }
        if failures.len() == self.instances.len() {
            return Err(failures.remove(0));
        }
        Ok(Harvest {
            mentions,
            cursor: serde_json::to_string(&state).ok(),
            partial: failures.into_iter().next(),
        })
    }

    /// One instance: its new statuses and the newest id now seen there.
    async fn instance(
        &self,
        fetcher: &Fetcher,
        source: &str,
        instance: &str,
        state: &Cursor,
        now: DateTime<Utc>,
    ) -> Result<(Vec<Mention>, Option<String>), FetchError> {
        let since = state.since_id.get(instance).cloned();
        let advice = format!(
            "{instance} does not open its tag timeline to visitors; follow the tag on another instance, or \
             remove {instance} from the source's instance list"
        );
        let mut newest = since.clone();
        let mut max_id: Option<String> = None;
        let mut found = Vec::new();
        for _ in 0..MAX_PAGES {
            let request = self.request(instance, since.as_deref(), max_id.as_deref());
            let body = get(fetcher, &request, source, &advice).await?;
            let (me, host, name) = (self.clone(), instance.to_owned(), source.to_owned());
            let page = off_thread(move || me.read(&host, &name, &body.bytes, now)).await?;
            let full = page.len() >= LIMIT;
            let mut oldest: Option<String> = None;
            for (id, mention) in page {
                // An instance that ignores since_id must not bring the old statuses back.
                if since.as_deref().is_some_and(|s| !newer(&id, s)) {
                    continue;
                }
                if newest.as_deref().is_none_or(|n| newer(&id, n)) {
                    newest = Some(id.clone());
                }
                if oldest.as_deref().is_none_or(|o| newer(o, &id)) {
                    oldest = Some(id.clone());
                }
                found.push(mention);
            }
            // The first poll takes the newest page only; later ones page down until they meet the cursor.
            match (since.is_some() && full, oldest) {
                (true, Some(o)) => max_id = Some(o),
                _ => break,
            }
        }
        Ok((found, newest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag() -> Tag {
        Tag {
            instances: vec!["piaille.fr".into()],
            tag: "MaisonBrioche".into(),
            base: None,
        }
    }

    #[test]
    fn the_request_pages_with_since_and_max() {
        let t = tag();
        assert_eq!(
            t.request("piaille.fr", None, None).url.as_str(),
            "https://piaille.fr/api/v1/timelines/tag/MaisonBrioche?limit=40"
        );
        let r = t.request("piaille.fr", Some("110"), Some("150"));
        assert_eq!(r.url.query(), Some("limit=40&since_id=110&max_id=150"));
        assert_eq!(r.accept, "application/json");
    }

    #[test]
    fn a_status_becomes_a_mention_with_its_reach() {
        let body = br#"[{"id":"112","uri":"https://social.example/users/alice/statuses/1",
            "url":"https://social.example/@alice/1","created_at":"2026-03-02T10:00:00.000Z",
            "content":"<p>La brioche <b>rassie</b>, scandale</p>","spoiler_text":"","language":"fr",
            "replies_count":3,"reblogs_count":4,"favourites_count":5,
            "account":{"acct":"alice@social.example","display_name":"Alice","followers_count":1200}},
            {"id":"111","uri":"https://piaille.fr/users/bob/statuses/2","url":null,"created_at":"2026-03-02T09:00:00Z",
            "content":"<p>ok</p>","spoiler_text":"CW brioche","language":null,
            "account":{"acct":"bob","display_name":""}}]"#;
        let page = tag().read("piaille.fr", "s", body, Utc::now()).unwrap();
        assert_eq!(page.len(), 2);
        let (id, m) = &page[0];
        assert_eq!(id, "112");
        assert_eq!(m.id, "https://social.example/users/alice/statuses/1");
        assert_eq!(m.text, "La brioche rassie, scandale");
        assert_eq!(m.author.as_deref(), Some("Alice"));
        assert_eq!(m.reach.handle.as_deref(), Some("@alice@social.example"));
        assert_eq!(m.reach.followers, Some(1200));
        assert_eq!(
            (m.reach.likes, m.reach.reposts, m.reach.replies),
            (Some(5), Some(4), Some(3))
        );
        assert_eq!(m.kind, SourceKind::MastodonTag);
        let (_, bob) = &page[1];
        assert_eq!(bob.reach.handle.as_deref(), Some("@bob@piaille.fr"));
        assert_eq!(bob.author.as_deref(), Some("bob"));
        assert!(bob.text.starts_with("CW brioche"), "{}", bob.text);
        assert_eq!(
            bob.link.as_deref(),
            Some("https://piaille.fr/users/bob/statuses/2")
        );
    }

    #[test]
    fn ids_compare_as_numbers() {
        assert!(newer("110", "99"));
        assert!(!newer("99", "110"));
        assert!(newer("111", "110"));
    }

    #[test]
    fn a_malformed_body_is_located() {
        let err = tag()
            .read("piaille.fr", "s", b"[{\"id\": 1,", Utc::now())
            .unwrap_err();
        assert!(matches!(err, ParseError::Json { line: 1, .. }), "{err:?}");
    }
}
