//! Source kinds against loopback servers that answer like each service (our own fixtures, shaped like the
//! services' documented answers), reached through `base_url`, each through the real `veille run --once`:
//! the request each kind builds, paging, an empty page, a refusal (401/403), `429` with `Retry-After`, a
//! malformed body, and a second poll that asks only for what is new.

mod common;

use std::path::Path;

use common::{Request, Response, Server, run, stderr, stdout, write_config};
use veille::model::{SourceKind, SourceState};
use veille::store::{MentionFilter, Store, StoredMention};

/// Writes a configuration with one source `test` of this table body, reached at `server`.
fn config_with(dir: &Path, source: &str) -> String {
    write_config(dir, &format!("[[source]]\nname = \"test\"\n{source}\n"))
        .display()
        .to_string()
}

fn run_once(config: &str) -> String {
    let out = run(&["run", "--once", "--config", config]);
    assert!(out.status.success(), "run --once failed: {}", stderr(&out));
    stdout(&out)
}

fn state(dir: &Path) -> SourceState {
    Store::open_read_only(&dir.join("veille.db"))
        .unwrap()
        .source_state("test")
        .unwrap()
        .expect("source state")
}

fn mentions(dir: &Path) -> Vec<StoredMention> {
    Store::open_read_only(&dir.join("veille.db"))
        .unwrap()
        .mentions(&MentionFilter::default())
        .unwrap()
}

fn json(body: String) -> Response {
    Response::ok(body).header("Content-Type", "application/json; charset=utf-8")
}

fn query_of(r: &Request) -> &str {
    r.path.split_once('?').map_or("", |(_, q)| q)
}

fn path_of(r: &Request) -> &str {
    r.path.split_once('?').map_or(r.path.as_str(), |(p, _)| p)
}

/// A Mastodon status with id `id` whose URI is the same on every instance (it lives on one server).
fn status(id: u64) -> String {
    format!(
        r#"{{"id":"{id}","uri":"https://social.example/users/alice/statuses/{id}","url":"https://social.example/@alice/{id}",
        "created_at":"2026-03-02T10:{:02}:00.000Z","content":"<p>Maison Brioche, post {id}</p>","spoiler_text":"",
        "language":"fr","replies_count":1,"reblogs_count":2,"favourites_count":{id},
        "account":{{"acct":"alice@social.example","display_name":"Alice","followers_count":1500}}}}"#,
        id % 60
    )
}

fn statuses(ids: impl Iterator<Item = u64>) -> String {
    format!("[{}]", ids.map(status).collect::<Vec<_>>().join(","))
}

#[test]
fn mastodon_pages_with_since_id_and_dedups_instances_by_uri() {
    let server = Server::start(|req, _| {
        let q = query_of(req);
        if q.contains("max_id=106") {
            // Paged down to what was seen: an empty page.
            json("[]".into())
        } else if q.contains("since_id=105") {
            // A full page of 40 newer statuses, newest first: there may be more below.
            json(statuses((106..146).rev()))
        } else {
            json(statuses((101..106).rev()))
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let config = config_with(
        dir.path(),
        &format!(
            "kind = \"mastodon-tag\"\ninstance = [\"piaille.fr\", \"mastodon.social\"]\ntag = \"#MaisonBrioche\"\nbase_url = \"{}\"",
            server.url("")
        ),
    );
    run_once(&config);
    // Two instances gave the same five posts: five mentions.
    let first = mentions(dir.path());
    assert_eq!(first.len(), 5);
    let m = &first[0];
    assert_eq!(m.kind, SourceKind::MastodonTag);
    assert_eq!(m.author.as_deref(), Some("Alice"));
    assert_eq!(m.author_handle.as_deref(), Some("@alice@social.example"));
    assert_eq!(m.author_followers, Some(1500));
    assert_eq!(
        (m.likes, m.reposts, m.replies),
        (Some(105), Some(2), Some(1))
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for r in &requests {
        assert_eq!(path_of(r), "/api/v1/timelines/tag/MaisonBrioche");
        assert_eq!(query_of(r), "limit=40");
        assert_eq!(r.header("Accept"), Some("application/json"));
    }
    let cursor = state(dir.path()).cursor.expect("a cursor");
    assert!(cursor.contains("\"piaille.fr\":\"105\""), "{cursor}");

    // The second poll asks each instance only for what is newer, and pages down the full page.
    run_once(&config);
    let asked: Vec<String> = server.requests()[2..]
        .iter()
        .map(|r| query_of(r).to_owned())
        .collect();
    assert_eq!(
        asked,
        vec![
            "limit=40&since_id=105",
            "limit=40&since_id=105&max_id=106",
            "limit=40&since_id=105",
            "limit=40&since_id=105&max_id=106",
        ]
    );
    assert_eq!(mentions(dir.path()).len(), 45);
    let s = state(dir.path());
    assert_eq!(s.last_error, None);
    assert!(s.cursor.unwrap().contains("\"mastodon.social\":\"145\""));
}

#[test]
fn a_closed_mastodon_timeline_is_a_clear_error_naming_source_and_url() {
    let closed =
        Server::start(|_, _| Response::status(401).header("Content-Type", "application/json"));
    let dir = tempfile::tempdir().unwrap();
    let config = config_with(
        dir.path(),
        &format!(
            "kind = \"mastodon-tag\"\ninstance = \"piaille.fr\"\ntag = \"brioche\"\nbase_url = \"{}\"",
            closed.url("")
        ),
    );
    run_once(&config);
    let s = state(dir.path());
    let error = s.last_error.expect("an error");
    assert!(
        error.starts_with(&format!(
            "source \"test\": {}/api/v1/timelines/tag/brioche?limit=40 answered HTTP 401 Unauthorized: piaille.fr does not open its tag timeline to visitors",
            closed.url("")
        )),
        "{error}"
    );
    assert_eq!(s.consecutive_errors, 1);
    assert_eq!(s.last_status, Some(401));
}

#[test]
fn mastodon_empty_throttled_and_malformed_answers() {
    let dir = tempfile::tempdir().unwrap();
    let empty = Server::start(|_, _| json("[]".into()));
    let config = config_with(
        dir.path(),
        &format!(
            "kind = \"mastodon-tag\"\ninstance = \"piaille.fr\"\ntag = \"brioche\"\nbase_url = \"{}\"",
            empty.url("")
        ),
    );
    run_once(&config);
    let s = state(dir.path());
    assert_eq!((s.last_error, s.items_seen), (None, 0));
    assert!(mentions(dir.path()).is_empty());

    let dir = tempfile::tempdir().unwrap();
    let busy = Server::start(|_, _| Response::status(429).header("Retry-After", "300"));
    let config = config_with(
        dir.path(),
        &format!(
            "kind = \"mastodon-tag\"\ninstance = \"piaille.fr\"\ntag = \"brioche\"\nbase_url = \"{}\"",
            busy.url("")
        ),
    );
    run_once(&config);
    let s = state(dir.path());
    assert_eq!(s.last_error.as_deref(), Some("HTTP 429 Too Many Requests"));
    assert_eq!(
        (s.next_due.unwrap() - s.last_fetch.unwrap()).num_seconds(),
        300
    );
    assert_eq!(s.cursor, None, "nothing read, the cursor does not move");

    let dir = tempfile::tempdir().unwrap();
    let broken = Server::start(|_, _| json("[{\"id\": \"1\",\n \"uri\": ".into()));
    let config = config_with(
        dir.path(),
        &format!(
            "kind = \"mastodon-tag\"\ninstance = \"piaille.fr\"\ntag = \"brioche\"\nbase_url = \"{}\"",
            broken.url("")
        ),
    );
    run_once(&config);
    let error = state(dir.path()).last_error.unwrap();
    assert!(error.starts_with("JSON error at line 2, column"), "{error}");
}

fn hit(id: u64, at: i64) -> String {
    format!(
        r#"{{"objectID":"{id}","created_at_i":{at},"title":"Maison Brioche story {id}","url":"https://news.example/{id}",
        "author":"pg","points":{id},"story_text":null,"comment_text":null,"num_comments":4,"_tags":["story","author_pg","story_{id}"]}}"#
    )
}

#[test]
fn hn_search_asks_only_for_what_is_newer_and_pages() {
    let server = Server::start(|req, _| {
        let q = query_of(req);
        let answer = |hits: Vec<String>, page: u32, pages: u32| {
            json(format!(
                r#"{{"hits":[{}],"nbHits":{},"page":{page},"nbPages":{pages},"hitsPerPage":50,"query":"brioche"}}"#,
                hits.join(","),
                hits.len()
            ))
        };
        if !q.contains("numericFilters") {
            answer(vec![hit(2, 1_772_000_200), hit(1, 1_772_000_100)], 0, 1)
        } else if q.ends_with("page=0") {
            answer(vec![hit(4, 1_772_000_400)], 0, 2)
        } else {
            answer(vec![hit(3, 1_772_000_300)], 1, 2)
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let config = config_with(
        dir.path(),
        &format!(
            "kind = \"hn-search\"\nquery = \"Maison Brioche\"\nbase_url = \"{}\"",
            server.url("")
        ),
    );
    run_once(&config);
    let r = &server.requests()[0];
    assert_eq!(path_of(r), "/api/v1/search_by_date");
    assert_eq!(
        query_of(r),
        "query=Maison+Brioche&tags=%28story%2Ccomment%29&hitsPerPage=50&page=0"
    );
    assert_eq!(mentions(dir.path()).len(), 2);
    run_once(&config);
    let asked: Vec<String> = server.requests()[1..]
        .iter()
        .map(|r| query_of(r).to_owned())
        .collect();
    assert_eq!(
        asked,
        vec![
            "query=Maison+Brioche&tags=%28story%2Ccomment%29&hitsPerPage=50&numericFilters=created_at_i%3E1772000200&page=0",
            "query=Maison+Brioche&tags=%28story%2Ccomment%29&hitsPerPage=50&numericFilters=created_at_i%3E1772000200&page=1",
        ]
    );
    let all = mentions(dir.path());
    assert_eq!(all.len(), 4);
    let newest = &all[0];
    assert_eq!(
        newest.link.as_deref(),
        Some("https://news.ycombinator.com/item?id=4")
    );
    assert_eq!((newest.points, newest.replies), (Some(4), Some(4)));
    assert_eq!(newest.author_handle.as_deref(), Some("pg"));
    assert_eq!(
        state(dir.path()).cursor.as_deref(),
        Some("{\"created_at_i\":1772000400}")
    );
}

#[test]
fn hn_search_refused_or_malformed() {
    let dir = tempfile::tempdir().unwrap();
    let refused = Server::start(|_, _| Response::status(403));
    let config = config_with(
        dir.path(),
        &format!(
            "kind = \"hn-search\"\nquery = \"brioche\"\nbase_url = \"{}\"",
            refused.url("")
        ),
    );
    run_once(&config);
    let error = state(dir.path()).last_error.unwrap();
    assert!(error.contains("answered HTTP 403 Forbidden"), "{error}");
    assert!(error.starts_with("source \"test\": "), "{error}");

    let dir = tempfile::tempdir().unwrap();
    let html = Server::start(|_, _| Response::ok("<!DOCTYPE html><html><body>Oops</body></html>"));
    let config = config_with(
        dir.path(),
        &format!(
            "kind = \"hn-search\"\nquery = \"brioche\"\nbase_url = \"{}\"",
            html.url("")
        ),
    );
    run_once(&config);
    let error = state(dir.path()).last_error.unwrap();
    assert!(
        error.starts_with("got an HTML page where the service's JSON was expected"),
        "{error}"
    );
}

fn post(rkey: &str, at: &str) -> String {
    format!(r#"{{"post":{}}}"#, post_view(rkey, at))
}

fn post_view(rkey: &str, at: &str) -> String {
    format!(
        r#"{{"uri":"at://did:plc:brioche/app.bsky.feed.post/{rkey}","cid":"c{rkey}",
        "author":{{"did":"did:plc:brioche","handle":"brioche.bsky.social","displayName":"Maison Brioche"}},
        "record":{{"$type":"app.bsky.feed.post","text":"Post {rkey}","createdAt":"{at}","langs":["fr"]}},
        "replyCount":0,"repostCount":1,"likeCount":3,"indexedAt":"{at}"}}"#
    )
}

#[test]
fn bluesky_profile_pages_back_to_what_was_seen() {
    let server = Server::start(|req, n| {
        let q = query_of(req);
        let feed = |posts: Vec<String>, cursor: Option<&str>| {
            let c = cursor
                .map(|c| format!("\"cursor\":\"{c}\","))
                .unwrap_or_default();
            json(format!("{{{c}\"feed\":[{}]}}", posts.join(",")))
        };
        match (n, q.contains("cursor=p2")) {
            (0, _) => feed(
                vec![
                    post("b", "2026-03-02T10:02:00.000Z"),
                    post("a", "2026-03-02T10:01:00.000Z"),
                ],
                Some("p1"),
            ),
            (_, false) => feed(
                vec![
                    post("d", "2026-03-02T10:04:00.000Z"),
                    post("c", "2026-03-02T10:03:00.000Z"),
                ],
                Some("p2"),
            ),
            (_, true) => feed(
                vec![
                    post("b", "2026-03-02T10:02:00.000Z"),
                    post("a", "2026-03-02T10:01:00.000Z"),
                ],
                Some("p3"),
            ),
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let config = config_with(
        dir.path(),
        &format!(
            "kind = \"bluesky-profile\"\nhandle = \"@brioche.bsky.social\"\nbase_url = \"{}\"",
            server.url("")
        ),
    );
    run_once(&config);
    assert_eq!(mentions(dir.path()).len(), 2);
    assert_eq!(
        server.requests()[0].path,
        "/xrpc/app.bsky.feed.getAuthorFeed?actor=brioche.bsky.social&limit=50"
    );
    run_once(&config);
    let asked: Vec<String> = server.requests()[1..]
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(
        asked,
        vec![
            "/xrpc/app.bsky.feed.getAuthorFeed?actor=brioche.bsky.social&limit=50",
            "/xrpc/app.bsky.feed.getAuthorFeed?actor=brioche.bsky.social&limit=50&cursor=p2",
        ],
        "the second page met a post already seen: no third page"
    );
    let all = mentions(dir.path());
    assert_eq!(all.len(), 4);
    assert_eq!(
        all[0].link.as_deref(),
        Some("https://bsky.app/profile/brioche.bsky.social/post/d")
    );
    assert_eq!(all[0].likes, Some(3));
    assert_eq!(
        state(dir.path()).cursor.as_deref(),
        Some("{\"after\":\"2026-03-02T10:04:00Z\"}")
    );
}

#[test]
fn bluesky_search_opens_a_session_with_the_app_password() {
    let server = Server::start(|req, _| {
        if path_of(req) == "/xrpc/com.atproto.server.createSession" {
            let body = String::from_utf8_lossy(&req.body);
            if body.contains("\"password\":\"app-pass-1234\"") {
                json(r#"{"accessJwt":"jwt-1","refreshJwt":"r","handle":"veille.bsky.social","did":"did:plc:v"}"#.into())
            } else {
                Response::status(401)
            }
        } else if req.header("Authorization") == Some("Bearer jwt-1") {
            json(format!(
                r#"{{"hitsTotal":1,"posts":[{}]}}"#,
                post_view("z", "2026-03-02T11:00:00.000Z")
            ))
        } else {
            Response::status(401)
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("creds");
    std::fs::create_dir_all(&creds).unwrap();
    std::fs::write(creds.join("bsky"), "app-pass-1234\n").unwrap();
    let config = config_with(
        dir.path(),
        &format!(
            "kind = \"bluesky-search\"\nquery = \"Maison Brioche\"\nidentifier = \"veille.bsky.social\"\npassword_file = \"bsky\"\nbase_url = \"{}\"",
            server.url("")
        ),
    );
    // Without the password file beside the configuration nor in $CREDENTIALS_DIRECTORY: refused at check.
    let out = run(&["check", "--config", &config]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("cannot read the app password file")
            || stderr(&out).contains("cannot read the app password file")
    );
    let out = common::veille()
        .args(["run", "--once", "--config", &config])
        .env("CREDENTIALS_DIRECTORY", &creds)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let requests = server.requests();
    assert_eq!(requests[0].method, "POST");
    assert!(
        String::from_utf8_lossy(&requests[0].body)
            .contains("\"identifier\":\"veille.bsky.social\"")
    );
    assert_eq!(
        requests[1].path,
        "/xrpc/app.bsky.feed.searchPosts?q=Maison+Brioche&sort=latest&limit=50"
    );
    let all = mentions(dir.path());
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].kind, SourceKind::BlueskySearch);
    assert_eq!(all[0].author_handle.as_deref(), Some("brioche.bsky.social"));
    // The second poll asks only for posts since the newest one seen.
    let out = common::veille()
        .args(["run", "--once", "--config", &config])
        .env("CREDENTIALS_DIRECTORY", &creds)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let last = server.requests().last().unwrap().clone();
    assert_eq!(
        last.path,
        "/xrpc/app.bsky.feed.searchPosts?q=Maison+Brioche&sort=latest&limit=50&since=2026-03-02T11%3A00%3A00.000Z"
    );
    assert_eq!(
        mentions(dir.path()).len(),
        1,
        "the post seen again is not new"
    );
    // The app password is nowhere in the database.
    let db = std::fs::read(dir.path().join("veille.db")).unwrap();
    assert!(!db.windows(13).any(|w| w == b"app-pass-1234"));
}

fn review(id: u64, at: &str, rating: u8) -> String {
    format!(
        r#"{{"author":{{"uri":{{"label":"https://itunes.apple.com/fr/reviews/id{id}"}},"name":{{"label":"Client {id}"}},"label":""}},
        "updated":{{"label":"{at}"}},"im:rating":{{"label":"{rating}"}},"im:version":{{"label":"4.1"}},"id":{{"label":"{id}"}},
        "title":{{"label":"Avis {id}"}},"content":{{"label":"Texte de l'avis {id}","attributes":{{"type":"text"}}}},
        "link":{{"attributes":{{"rel":"related","href":"https://itunes.apple.com/fr/review?id=42&type=Purple%20Software"}}}},
        "im:voteSum":{{"label":"0"}},"im:voteCount":{{"label":"0"}}}}"#
    )
}

#[test]
fn app_store_reviews_page_until_a_review_already_seen() {
    let server = Server::start(|req, n| {
        let page = |entries: Vec<String>| {
            json(format!(
                r#"{{"feed":{{"author":{{"name":{{"label":"iTunes Store"}}}},"entry":[{}]}}}}"#,
                entries.join(",")
            ))
        };
        match (n, req.path.contains("/page=2/")) {
            (0, _) => page(vec![
                review(2, "2026-03-02T02:00:00-07:00", 2),
                review(1, "2026-03-01T02:00:00-07:00", 4),
            ]),
            (_, false) => page(vec![
                review(4, "2026-03-04T02:00:00-07:00", 1),
                review(3, "2026-03-03T02:00:00-07:00", 1),
            ]),
            (_, true) => page(vec![review(2, "2026-03-02T02:00:00-07:00", 2)]),
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let config = config_with(
        dir.path(),
        &format!(
            "kind = \"app-store-reviews\"\napp_id = \"42\"\ncountry = \"fr\"\nbase_url = \"{}\"",
            server.url("")
        ),
    );
    run_once(&config);
    assert_eq!(
        server.requests()[0].path,
        "/fr/rss/customerreviews/page=1/id=42/sortby=mostrecent/json"
    );
    run_once(&config);
    let asked: Vec<String> = server.requests()[1..]
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(
        asked,
        vec![
            "/fr/rss/customerreviews/page=1/id=42/sortby=mostrecent/json",
            "/fr/rss/customerreviews/page=2/id=42/sortby=mostrecent/json",
        ]
    );
    let all = mentions(dir.path());
    assert_eq!(all.len(), 4);
    assert_eq!(all[0].points, Some(1));
    assert_eq!(all[0].title.as_deref(), Some("Avis 4"));
}

const RSS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Résultats</title><link>https://example.org/</link>
<item><title>Maison Brioche : la brioche rappelée</title><link>https://presse.example/article-1</link>
<guid>https://presse.example/article-1</guid><pubDate>Mon, 02 Mar 2026 10:00:00 GMT</pubDate>
<description>Un lot de brioches rappelé.</description></item>
</channel></rss>"#;

/// Each feed kind: the address it builds (path and query, through `base_url`) and the items read.
#[test]
fn feed_kinds_build_their_address_and_read_items() {
    let server = Server::start(|_, _| Response::ok(RSS));
    let base = server.url("");
    let cases = [
        (
            "kind = \"google-news\"\nquery = \"Maison Brioche\"",
            SourceKind::GoogleNews,
            "/rss/search?q=Maison+Brioche&hl=fr&gl=FR&ceid=FR%3Afr",
        ),
        (
            "kind = \"google-news\"\nquery = \"brioche\"\nlang = \"en\"\ncountry = \"GB\"",
            SourceKind::GoogleNews,
            "/rss/search?q=brioche&hl=en-GB&gl=GB&ceid=GB%3Aen",
        ),
        (
            "kind = \"bing-news\"\nquery = \"Maison Brioche\"",
            SourceKind::BingNews,
            "/news/search?q=Maison+Brioche&format=rss&qft=sortbydate%3D%221%22",
        ),
        (
            "kind = \"google-alerts\"\nurl = \"https://www.google.com/alerts/feeds/0123/4567\"",
            SourceKind::GoogleAlerts,
            "/alerts/feeds/0123/4567",
        ),
        (
            "kind = \"reddit-search\"\nquery = \"Maison Brioche\"\nsubreddit = \"france\"",
            SourceKind::RedditSearch,
            "/r/france/search.rss?q=Maison+Brioche&sort=new&restrict_sr=on",
        ),
        (
            "kind = \"youtube-channel\"\nchannel_id = \"UCbrioche\"",
            SourceKind::YoutubeChannel,
            "/feeds/videos.xml?channel_id=UCbrioche",
        ),
        (
            "kind = \"youtube-playlist\"\nplaylist_id = \"PLbrioche\"",
            SourceKind::YoutubePlaylist,
            "/feeds/videos.xml?playlist_id=PLbrioche",
        ),
        (
            "kind = \"lemmy-community\"\ninstance = \"jlai.lu\"\ncommunity = \"france\"",
            SourceKind::LemmyCommunity,
            "/feeds/c/france.xml?sort=New",
        ),
        (
            "kind = \"wordpress-comments\"\nsite = \"https://blog.example.fr/2026/03/brioche/\"",
            SourceKind::WordpressComments,
            "/2026/03/brioche/feed/",
        ),
    ];
    for (i, (table, kind, path)) in cases.iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let config = config_with(dir.path(), &format!("{table}\nbase_url = \"{base}\""));
        run_once(&config);
        let request = server.requests()[i].clone();
        assert_eq!(request.path, *path, "{kind}");
        assert!(request.header("User-Agent").unwrap().starts_with("veille/"));
        let all = mentions(dir.path());
        assert_eq!(all.len(), 1, "{kind}");
        assert_eq!(all[0].kind, *kind);
        assert_eq!(
            all[0].title.as_deref(),
            Some("Maison Brioche : la brioche rappelée")
        );
        assert_eq!(all[0].likes, None);
    }
}

#[test]
fn reddit_throttling_page_waits_instead_of_failing_as_not_a_feed() {
    let server = Server::start(|_, _| {
        Response::ok("<!doctype html><html><head><title>Too Many Requests</title></head><body>whoa there, pardner!</body></html>")
            .header("Content-Type", "text/html")
    });
    let dir = tempfile::tempdir().unwrap();
    let config = config_with(
        dir.path(),
        &format!(
            "kind = \"reddit-search\"\nquery = \"brioche\"\nbase_url = \"{}\"",
            server.url("")
        ),
    );
    run_once(&config);
    let s = state(dir.path());
    let error = s.last_error.unwrap();
    assert!(
        error.contains("is throttling requests (too many requests)"),
        "{error}"
    );
    assert_eq!(
        s.last_status,
        Some(429),
        "kept as rate-limiting, for the blind check"
    );
    assert_eq!(
        (s.next_due.unwrap() - s.last_fetch.unwrap()).num_seconds(),
        600
    );
}

#[test]
fn mentions_json_carries_kind_and_engagement() {
    let server = Server::start(|_, _| json(statuses([7].into_iter())));
    let feed = Server::start(|_, _| Response::ok(RSS));
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            "[[source]]\nname = \"masto\"\nkind = \"mastodon-tag\"\ninstance = \"piaille.fr\"\ntag = \"brioche\"\nbase_url = \"{}\"\n\n[[source]]\nname = \"feed\"\nurl = \"{}\"\ntags = [\"réseau\"]\n",
            server.url(""),
            feed.url("/rss")
        ),
    )
    .display()
    .to_string();
    run_once(&config);
    let out = run(&["mentions", "--json", "--config", &config]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let masto = rows.iter().find(|r| r["source"] == "masto").unwrap();
    assert_eq!(masto["kind"], "mastodon-tag");
    assert_eq!(masto["author_followers"], 1500);
    assert_eq!(masto["likes"], 7);
    assert_eq!(masto["reposts"], 2);
    assert_eq!(masto["replies"], 1);
    assert_eq!(masto["medium"], "social", "by its kind");
    let plain = rows.iter().find(|r| r["source"] == "feed").unwrap();
    assert_eq!(plain["kind"], "feed");
    assert_eq!(
        plain["medium"], "social",
        "a feed tagged réseau, as its tags said when it was read"
    );
    for key in ["author_followers", "likes", "reposts", "replies"] {
        assert!(plain[key].is_null(), "{key}: {plain}");
    }
    // `veille sources --json` names each source's kind too.
    let out = run(&["sources", "--json", "--config", &config]);
    assert!(out.status.success(), "{}", stderr(&out));
    let kinds: Vec<(String, String)> = stdout(&out)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["name"].as_str().unwrap().into(),
                v["kind"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("masto".to_string(), "mastodon-tag".to_string()),
            ("feed".to_string(), "feed".to_string())
        ]
    );
}

#[test]
fn sources_add_tries_once_prints_the_table_and_writes_it() {
    let server = Server::start(|_, _| json(statuses([3, 2].into_iter())));
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "").display().to_string();
    let args = [
        "sources",
        "add",
        "mastodon-tag",
        "--name",
        "brioche-masto",
        "--instance",
        "piaille.fr",
        "--tag",
        "MaisonBrioche",
        "--config",
        &config,
    ];
    let base = server.url("");
    let with_base = |extra: &[&str]| {
        let mut a: Vec<&str> = args.to_vec();
        a.extend_from_slice(&["--base-url", &base]);
        a.extend_from_slice(extra);
        run(&a)
    };
    let out = with_base(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!(
            "[[source]]\nname = \"brioche-masto\"\nkind = \"mastodon-tag\"\ninstance = \"piaille.fr\"\ntag = \"MaisonBrioche\"\nbase_url = \"{base}\"\n"
        )
    );
    assert!(stderr(&out).contains("2 mentions lues"), "{}", stderr(&out));
    let file = dir.path().join("sources.d/brioche-masto.toml");
    assert!(!file.exists());
    let out = with_base(&["--write"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), stdout(&out));
    // The configuration now has it, from its sources directory, and refuses the same name twice.
    let check = run(&["check", "--config", &config]);
    assert!(
        stdout(&check).contains("ok (1 sources, 1 enabled"),
        "{}",
        stdout(&check)
    );
    let again = with_base(&[]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("Une source s'appelle déjà « brioche-masto »"),
        "{}",
        stderr(&again)
    );
    // A try that fails writes nothing.
    drop(server);
    let dead = Server::start(|_, _| Response::status(403));
    let out = run(&[
        "sources",
        "add",
        "hn-search",
        "--name",
        "hn",
        "--query",
        "brioche",
        "--base-url",
        &dead.url(""),
        "--write",
        "--config",
        &config,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("l'essai a échoué, rien n'est écrit"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("sources.d/hn.toml").exists());
}

#[test]
fn fetch_names_platforms_without_a_public_interface() {
    let out = run(&[
        "fetch",
        "https://www.linkedin.com/company/maison-brioche",
        "--config",
        "/nonexistent/veille.toml",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let e = stderr(&out);
    assert!(e.contains("LinkedIn n'a pas d'interface publique"), "{e}");
    assert!(e.contains("RSS-Bridge ou un RSSHub"), "{e}");
}

/// Every JSON kind (the Bluesky search after its session): an empty answer, a refusal, `429` with
/// `Retry-After` and a malformed body, each its own clear outcome, and the cursor left where it was.
#[test]
fn every_json_kind_reads_empty_refused_throttled_and_malformed_answers() {
    let kinds = [
        (
            "mastodon-tag",
            "instance = \"piaille.fr\"\ntag = \"brioche\"",
            "[]",
        ),
        (
            "bluesky-profile",
            "handle = \"brioche.bsky.social\"",
            r#"{"feed":[]}"#,
        ),
        (
            "bluesky-search",
            "query = \"brioche\"\nidentifier = \"veille.bsky.social\"\npassword_file = \"bsky\"",
            r#"{"posts":[]}"#,
        ),
        (
            "hn-search",
            "query = \"brioche\"",
            r#"{"hits":[],"nbHits":0,"page":0,"nbPages":0,"hitsPerPage":50}"#,
        ),
        (
            "app-store-reviews",
            "app_id = \"42\"",
            r#"{"feed":{"author":{"name":{"label":"iTunes Store"}}}}"#,
        ),
    ];
    for (kind, keys, empty) in kinds {
        for answer in ["empty", "refused", "throttled", "malformed"] {
            let empty = empty.to_owned();
            let server = Server::start(move |req, _| {
                if path_of(req) == "/xrpc/com.atproto.server.createSession" {
                    return json(r#"{"accessJwt":"jwt","refreshJwt":"r"}"#.into());
                }
                match answer {
                    "empty" => json(empty.clone()),
                    "refused" => Response::status(403),
                    "throttled" => Response::status(429).header("Retry-After", "240"),
                    _ => json("{\"feed\": [".into()),
                }
            });
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("bsky"), "app-pass\n").unwrap();
            let config = config_with(
                dir.path(),
                &format!(
                    "kind = \"{kind}\"\n{keys}\nbase_url = \"{}\"",
                    server.url("")
                ),
            );
            run_once(&config);
            let s = state(dir.path());
            let what = format!("{kind}, {answer}: {s:?}");
            match answer {
                "empty" => {
                    assert_eq!(s.last_error, None, "{what}");
                    assert_eq!(s.items_seen, 0, "{what}");
                }
                "refused" => {
                    let e = s.last_error.as_deref().unwrap_or("");
                    assert!(e.starts_with("source \"test\": http://"), "{what}");
                    assert!(e.contains("answered HTTP 403 Forbidden: "), "{what}");
                    assert_eq!(s.last_status, Some(403), "{what}");
                    assert_eq!(s.cursor, None, "{what}");
                }
                "throttled" => {
                    assert_eq!(
                        s.last_error.as_deref(),
                        Some("HTTP 429 Too Many Requests"),
                        "{what}"
                    );
                    let wait = (s.next_due.unwrap() - s.last_fetch.unwrap()).num_seconds();
                    assert_eq!(wait, 240, "{what}");
                    assert_eq!(s.cursor, None, "{what}");
                }
                _ => {
                    let e = s.last_error.as_deref().unwrap_or("");
                    assert!(e.starts_with("JSON error at line 1, column"), "{what}");
                    assert_eq!(s.cursor, None, "{what}");
                }
            }
            assert!(mentions(dir.path()).is_empty(), "{what}");
        }
    }
}

/// The JSON kinds go through the feeds' address guard: a `base_url` on loopback is refused unless the
/// configuration opens it, and the server is never asked.
#[test]
fn a_query_kind_is_held_by_the_address_guard() {
    let server = Server::start(|_, _| json("[]".into()));
    let dir = tempfile::tempdir().unwrap();
    let config = common::write_config_as_is(
        dir.path(),
        &format!(
            "[[source]]\nname = \"test\"\nkind = \"mastodon-tag\"\ninstance = \"piaille.fr\"\ntag = \"brioche\"\nbase_url = \"{}\"\n",
            server.url("")
        ),
    );
    run_once(&config.display().to_string());
    let error = state(dir.path()).last_error.unwrap();
    assert!(error.contains("127.0.0.1 is a loopback address"), "{error}");
    assert!(server.requests().is_empty());
}
