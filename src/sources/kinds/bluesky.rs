//! Bluesky: a profile's posts (`bluesky-profile`, the public AppView's `app.bsky.feed.getAuthorFeed`, no
//! account) and a search (`bluesky-search`, `app.bsky.feed.searchPosts`, which needs an account: an app
//! password read from a file, like the SMTP password).
//!
//! In: the handle, or the query with the account's identifier and password file; the cursor (the newest
//! post time seen). Out: the new posts as mentions, each known by its `at://` URI, with the author's handle
//! and display name and the post's likes, reposts and replies.
//!
//! Paging: both feeds come newest first with an opaque `cursor` to go further back. The first poll reads
//! one page; later ones read pages until they meet a post already seen, at most [`super::MAX_PAGES`]. The
//! search also passes `since`. The session (`com.atproto.server.createSession`) is opened once and reused
//! for an hour within the process, never written anywhere: the server allows few sessions a day.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;
use url::Url;

use super::{Harvest, MAX_PAGES, get, off_thread, politeness, rebase, time};
use crate::model::{Mention, Reach, SourceKind};
use crate::sources::fetch::{FetchError, Fetcher, Request};
use crate::sources::parse::{ParseError, Post, json_body, post_mention};

/// Posts asked per page.
pub const LIMIT: usize = 50;
/// How long a session is reused (Bluesky's access tokens live about two hours).
const SESSION_LIFE: Duration = Duration::from_secs(3600);

/// A profile whose posts are read.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Without its `@`.
    pub handle: String,
    pub base: Option<Url>,
}

/// A search with an account.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    pub query: String,
    /// The account's handle or email.
    pub identifier: String,
    /// The app password's file as the configuration gives it.
    pub password_file: PathBuf,
    /// The configuration's directory (a relative file is looked for in `$CREDENTIALS_DIRECTORY` first).
    pub dir: PathBuf,
    pub base: Option<Url>,
}

/// The newest post time seen.
pub use super::TimeCursor as Cursor;

#[derive(Debug, Deserialize)]
struct AuthorFeed {
    cursor: Option<String>,
    #[serde(default)]
    feed: Vec<FeedItem>,
}

#[derive(Debug, Deserialize)]
struct FeedItem {
    post: PostView,
}

#[derive(Debug, Deserialize)]
struct SearchPosts {
    cursor: Option<String>,
    #[serde(default)]
    posts: Vec<PostView>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostView {
    uri: String,
    author: Author,
    #[serde(default)]
    record: Record,
    reply_count: Option<u64>,
    repost_count: Option<u64>,
    like_count: Option<u64>,
    indexed_at: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Author {
    handle: String,
    display_name: Option<String>,
    followers_count: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    #[serde(default)]
    text: String,
    created_at: Option<String>,
    #[serde(default)]
    langs: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Session {
    access_jwt: String,
}

/// One page: the posts as mentions with their times, and the token for the next page.
#[derive(Debug)]
pub struct Page {
    pub posts: Vec<(DateTime<Utc>, Mention)>,
    pub next: Option<String>,
}

fn xrpc(host: &str, method: &str, base: Option<&Url>) -> Url {
    let mut url = Url::parse(&format!("https://{host}/xrpc/{method}")).expect("a fixed URL");
    if let Some(b) = base {
        rebase(&mut url, b);
    }
    url
}

fn read_posts(
    source: &str,
    kind: SourceKind,
    posts: Vec<PostView>,
    fetched: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, Mention)> {
    posts
        .into_iter()
        .map(|p| {
            let published = time(p.record.created_at.as_deref()).or(time(p.indexed_at.as_deref()));
            // at://did/app.bsky.feed.post/rkey → https://bsky.app/profile/handle/post/rkey
            let rkey = p.uri.rsplit('/').next().unwrap_or("");
            let link = format!("https://bsky.app/profile/{}/post/{rkey}", p.author.handle);
            let html = escape(&p.record.text);
            let mention = post_mention(
                source,
                kind,
                Post {
                    id: &p.uri,
                    link: Some(&link),
                    title: None,
                    html: &html,
                    author: p
                        .author
                        .display_name
                        .as_deref()
                        .filter(|d| !d.trim().is_empty())
                        .or(Some(&p.author.handle)),
                    lang: p.record.langs.first().map(String::as_str),
                    published,
                    reach: Reach {
                        handle: Some(p.author.handle.clone()),
                        followers: p.author.followers_count,
                        likes: p.like_count,
                        reposts: p.repost_count,
                        replies: p.reply_count,
                        score: None,
                    },
                },
                fetched,
            );
            (published.unwrap_or(fetched), mention)
        })
        .collect()
}

/// Bluesky posts are plain text: escaped so that the HTML cleaning keeps a `<` someone typed.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Pages through a newest-first feed until a post older than the cursor, and moves the cursor.
async fn page_down<F>(
    cursor: Option<&str>,
    mut fetch_page: impl FnMut(Option<String>, Option<DateTime<Utc>>) -> F,
) -> Result<Harvest, FetchError>
where
    F: std::future::Future<Output = Result<Page, FetchError>>,
{
    let state: Cursor = cursor
        .and_then(|c| serde_json::from_str(c).ok())
        .unwrap_or_default();
    let mut newest = state.after;
    let mut token: Option<String> = None;
    let mut mentions = Vec::new();
    for _ in 0..MAX_PAGES {
        let page = fetch_page(token.take(), state.after).await?;
        let mut met_the_past = false;
        for (at, m) in page.posts {
            if state.after.is_some_and(|a| at <= a) {
                met_the_past = true;
                continue;
            }
            if newest.is_none_or(|n| at > n) {
                newest = Some(at);
            }
            mentions.push(m);
        }
        match page.next {
            Some(next) if !met_the_past && state.after.is_some() => token = Some(next),
            _ => break,
        }
    }
    Ok(Harvest {
        mentions,
        cursor: serde_json::to_string(&Cursor { after: newest }).ok(),
        partial: None,
    })
}

impl Profile {
    /// One page of the author's feed.
    pub fn request(&self, token: Option<&str>) -> Request {
        let mut url = xrpc(
            "public.api.bsky.app",
            "app.bsky.feed.getAuthorFeed",
            self.base.as_ref(),
        );
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("actor", &self.handle)
                .append_pair("limit", &LIMIT.to_string());
            if let Some(t) = token {
                q.append_pair("cursor", t);
            }
        }
        Request::api(url, politeness(SourceKind::BlueskyProfile).gap)
    }

    /// Reads one page of the author's feed.
    ///
    /// # Errors
    /// When the body is not an author feed.
    pub fn read(
        &self,
        source: &str,
        bytes: &[u8],
        fetched: DateTime<Utc>,
    ) -> Result<Page, ParseError> {
        let feed: AuthorFeed = json_body(bytes)?;
        Ok(Page {
            posts: read_posts(
                source,
                SourceKind::BlueskyProfile,
                feed.feed.into_iter().map(|i| i.post).collect(),
                fetched,
            ),
            next: feed.cursor.filter(|c| !c.is_empty()),
        })
    }

    /// Reads the profile's new posts.
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
        let advice = format!(
            "the profile {} cannot be read without an account (it asks to be seen by logged-in users only)",
            self.handle
        );
        page_down(cursor, |token, _| {
            let request = self.request(token.as_deref());
            let advice = advice.clone();
            async move {
                let body = get(fetcher, &request, source, &advice).await?;
                let (me, name) = (self.clone(), source.to_owned());
                off_thread(move || me.read(&name, &body.bytes, now)).await
            }
        })
        .await
    }
}

/// Where an app password file is: an absolute path as is; a relative one in `$CREDENTIALS_DIRECTORY`
/// (systemd `LoadCredential=`) when it is there, else beside the configuration — as the SMTP password.
pub fn secret_path(file: &Path, dir: &Path) -> PathBuf {
    if file.is_absolute() {
        return file.to_owned();
    }
    if let Some(creds) = std::env::var_os("CREDENTIALS_DIRECTORY") {
        let candidate = Path::new(&creds).join(file);
        if candidate.exists() {
            return candidate;
        }
    }
    dir.join(file)
}

/// Reads an app password: the file's first line, trimmed.
///
/// # Errors
/// A message naming the file when it cannot be read or holds no password.
pub fn read_password(path: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read the app password file {}: {e} (create an app password in Bluesky's settings and put it there)",
            path.display()
        )
    })?;
    let password = text.lines().next().unwrap_or("").trim().to_owned();
    if password.is_empty() {
        return Err(format!(
            "the app password file {} is empty (create an app password in Bluesky's settings and put it there)",
            path.display()
        ));
    }
    Ok(password)
}

fn sessions() -> &'static Mutex<HashMap<String, (String, Instant)>> {
    static SESSIONS: OnceLock<Mutex<HashMap<String, (String, Instant)>>> = OnceLock::new();
    SESSIONS.get_or_init(Mutex::default)
}

impl Search {
    fn host(&self) -> &'static str {
        "bsky.social"
    }

    /// The request that opens a session with the app password.
    pub fn session_request(&self, password: &str) -> Request {
        let url = xrpc(
            self.host(),
            "com.atproto.server.createSession",
            self.base.as_ref(),
        );
        let mut r = Request::api(url, politeness(SourceKind::BlueskySearch).gap);
        r.json = Some(
            serde_json::json!({ "identifier": self.identifier, "password": password }).to_string(),
        );
        r
    }

    /// One page of the search, newest first.
    pub fn request(
        &self,
        token: &str,
        since: Option<DateTime<Utc>>,
        page: Option<&str>,
    ) -> Request {
        let mut url = xrpc(self.host(), "app.bsky.feed.searchPosts", self.base.as_ref());
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("q", &self.query)
                .append_pair("sort", "latest")
                .append_pair("limit", &LIMIT.to_string());
            if let Some(s) = since {
                q.append_pair("since", &s.to_rfc3339_opts(SecondsFormat::Millis, true));
            }
            if let Some(p) = page {
                q.append_pair("cursor", p);
            }
        }
        let mut r = Request::api(url, politeness(SourceKind::BlueskySearch).gap);
        r.bearer = Some(token.to_owned());
        r
    }

    /// Reads one page of search results.
    ///
    /// # Errors
    /// When the body is not a search answer.
    pub fn read(
        &self,
        source: &str,
        bytes: &[u8],
        fetched: DateTime<Utc>,
    ) -> Result<Page, ParseError> {
        let found: SearchPosts = json_body(bytes)?;
        Ok(Page {
            posts: read_posts(source, SourceKind::BlueskySearch, found.posts, fetched),
            next: found.cursor.filter(|c| !c.is_empty()),
        })
    }

    fn session_key(&self) -> String {
        format!(
            "{}|{}",
            self.base
                .as_ref()
                .map_or(self.host().to_owned(), Url::to_string),
            self.identifier
        )
    }

    async fn session(&self, fetcher: &Fetcher, source: &str) -> Result<String, FetchError> {
        let key = self.session_key();
        if let Some((token, at)) = sessions()
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&key)
            && at.elapsed() < SESSION_LIFE
        {
            return Ok(token.clone());
        }
        let path = secret_path(&self.password_file, &self.dir);
        let password = read_password(&path).map_err(|message| FetchError::File {
            path: path.clone(),
            message,
        })?;
        let request = self.session_request(&password);
        let advice = format!(
            "Bluesky refused the app password of {}; make a new app password and put it in {}",
            self.identifier,
            path.display()
        );
        let body = get(fetcher, &request, source, &advice).await?;
        let session: Session = json_body(&body.bytes)?;
        sessions()
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key, (session.access_jwt.clone(), Instant::now()));
        Ok(session.access_jwt)
    }

    /// Reads the search's new posts.
    ///
    /// # Errors
    /// The first failure (the session refused, the search refused, a malformed answer).
    pub async fn harvest(
        &self,
        fetcher: &Fetcher,
        source: &str,
        cursor: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Harvest, FetchError> {
        let first = self.search(fetcher, source, cursor, now).await;
        match first {
            // A session that expired early is opened again, once.
            Err(FetchError::Denied { status: 401, .. }) => {
                sessions()
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .remove(&self.session_key());
                self.search(fetcher, source, cursor, now).await
            }
            other => other,
        }
    }

    async fn search(
        &self,
        fetcher: &Fetcher,
        source: &str,
        cursor: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Harvest, FetchError> {
        let token = self.session(fetcher, source).await?;
        let advice = "Bluesky refused the search with this account's session; check the account and its app password";
        page_down(cursor, |page, since| {
            let request = self.request(&token, since, page.as_deref());
            async move {
                let body = get(fetcher, &request, source, advice).await?;
                let (me, name) = (self.clone(), source.to_owned());
                off_thread(move || me.read(&name, &body.bytes, now)).await
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FEED: &[u8] = br#"{"cursor":"c2","feed":[{"post":{"uri":"at://did:plc:abc/app.bsky.feed.post/3k1",
        "cid":"x","author":{"did":"did:plc:abc","handle":"brioche.bsky.social","displayName":"Maison Brioche"},
        "record":{"$type":"app.bsky.feed.post","text":"Nos brioches <3 & vous","createdAt":"2026-03-02T10:00:00.000Z","langs":["fr"]},
        "replyCount":2,"repostCount":1,"likeCount":7,"indexedAt":"2026-03-02T10:00:01.000Z"}}]}"#;

    #[test]
    fn an_author_feed_page_reads() {
        let p = Profile {
            handle: "brioche.bsky.social".into(),
            base: None,
        };
        let page = p.read("s", FEED, Utc::now()).unwrap();
        assert_eq!(page.next.as_deref(), Some("c2"));
        let (at, m) = &page.posts[0];
        assert_eq!(at.to_rfc3339(), "2026-03-02T10:00:00+00:00");
        assert_eq!(m.id, "at://did:plc:abc/app.bsky.feed.post/3k1");
        assert_eq!(
            m.link.as_deref(),
            Some("https://bsky.app/profile/brioche.bsky.social/post/3k1")
        );
        assert_eq!(m.text, "Nos brioches <3 & vous");
        assert_eq!(m.author.as_deref(), Some("Maison Brioche"));
        assert_eq!(m.lang.as_deref(), Some("fr"));
        assert_eq!(
            (m.reach.likes, m.reach.reposts, m.reach.replies),
            (Some(7), Some(1), Some(2))
        );
    }

    #[test]
    fn requests_name_the_actor_and_the_query() {
        let p = Profile {
            handle: "brioche.bsky.social".into(),
            base: None,
        };
        assert_eq!(
            p.request(Some("c2")).url.as_str(),
            "https://public.api.bsky.app/xrpc/app.bsky.feed.getAuthorFeed?actor=brioche.bsky.social&limit=50&cursor=c2"
        );
        let s = Search {
            query: "Maison Brioche".into(),
            identifier: "veille.bsky.social".into(),
            password_file: "bsky".into(),
            dir: "/".into(),
            base: None,
        };
        let since = DateTime::parse_from_rfc3339("2026-03-02T10:00:00Z")
            .unwrap()
            .to_utc();
        let r = s.request("jwt", Some(since), None);
        assert_eq!(
            r.url.query(),
            Some("q=Maison+Brioche&sort=latest&limit=50&since=2026-03-02T10%3A00%3A00.000Z")
        );
        assert_eq!(r.bearer.as_deref(), Some("jwt"));
        let session = s.session_request("secret-app-pw");
        assert!(
            !format!("{session:?}").contains("secret-app-pw"),
            "{session:?}"
        );
        assert!(!format!("{r:?}").contains("jwt"), "{r:?}");
        assert_eq!(session.url.path(), "/xrpc/com.atproto.server.createSession");
        assert!(
            session
                .json
                .unwrap()
                .contains("\"identifier\":\"veille.bsky.social\"")
        );
    }

    #[test]
    fn an_empty_password_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("bsky");
        std::fs::write(&f, "\n").unwrap();
        assert!(read_password(&f).unwrap_err().contains("is empty"));
        std::fs::write(&f, "abcd-efgh\n").unwrap();
        assert_eq!(read_password(&f).unwrap(), "abcd-efgh");
        assert!(
            read_password(&dir.path().join("none"))
                .unwrap_err()
                .contains("cannot read")
        );
    }
}
