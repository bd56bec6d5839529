//! The console through the real daemon on loopback: sign-in, sessions, roles, CSRF, expiry, escaping of
//! hostile feed text, search and CSV, and proxy mode. The database is filled by `veille run --once` from a
//! feed whose items call for a boycott of « Maison Brioche » (one critical incident) and carry hostile
//! titles; accounts are made with `veille users add`.

mod common;

use std::time::Duration;

use common::console::{console, csrf_of, get, http, incident_id, local, post, sign_in, veille_ok};
use common::daemon;
use common::{stderr, write_config};

#[test]
fn pages_need_a_session_and_sign_in_sets_a_safe_cookie() {
    let c = local();
    let id = incident_id(&c);
    for path in [
        "/",
        &format!("/incidents/{id}"),
        "/mentions?q=brioche",
        "/mentions.csv?q=brioche",
        "/sources",
    ] {
        let a = get(c.port, path, None);
        assert_eq!(a.status, 303, "{path}");
        assert_eq!(a.header("location"), Some("/login"), "{path}");
        assert!(
            !a.body.contains("Brioche"),
            "{path} shows no data without a session"
        );
    }
    let form = get(c.port, "/login", None);
    assert_eq!(form.status, 200);
    assert!(form.body.contains("name=\"username\"") && form.body.contains("name=\"password\""));
    assert!(form.body.contains("action=\"/login\""));
    // Strict headers on every page.
    let csp = form.header("content-security-policy").unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert_eq!(form.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(form.header("referrer-policy"), Some("same-origin"));

    // A wrong password: refused, no cookie, and the password is not in the log.
    let wrong = post(
        c.port,
        "/login",
        None,
        &[("username", "ana"), ("password", "not-her-password")],
    );
    assert_eq!(wrong.status, 401);
    assert!(wrong.header("set-cookie").is_none());
    assert!(!daemon::log(&c.config).contains("not-her-password"));

    let cookie = sign_in(c.port, "ana", "ana-secret-1");
    let home = get(c.port, "/", Some(&cookie));
    assert_eq!(home.status, 200, "{}", home.body);
    assert!(
        home.body.contains(&format!("/incidents/{id}")),
        "{}",
        home.body
    );
    // The cookie is not Secure without an https public_url (it would never come back over http).
    let again = post(
        c.port,
        "/login",
        None,
        &[("username", "ana"), ("password", "ana-secret-1")],
    );
    assert!(!again.header("set-cookie").unwrap().contains("Secure"));

    // Logout ends the session server-side: the old cookie no longer opens anything.
    let csrf = csrf_of(&home.body);
    let out = post(c.port, "/logout", Some(&cookie), &[("csrf", &csrf)]);
    assert_eq!(out.status, 303);
    assert_eq!(get(c.port, "/", Some(&cookie)).status, 303);
}

#[test]
fn sign_in_is_throttled_per_account() {
    let c = local();
    for _ in 0..5 {
        let a = post(
            c.port,
            "/login",
            None,
            &[("username", "ana"), ("password", "guess-guess")],
        );
        assert_eq!(a.status, 401);
    }
    // Even the right password waits once the account has had its failures.
    let held = post(
        c.port,
        "/login",
        None,
        &[("username", "ana"), ("password", "ana-secret-1")],
    );
    assert_eq!(held.status, 429);
    assert!(held.header("set-cookie").is_none());
    // Another account is not held by ana's failures.
    sign_in(c.port, "lea", "lea-secret-1");
}

#[test]
fn a_lecteur_cannot_act_and_a_form_without_its_csrf_token_is_refused() {
    let c = local();
    let id = incident_id(&c);
    let page_path = format!("/incidents/{id}");
    let ack_path = format!("/incidents/{id}/ack");

    let lea = sign_in(c.port, "lea", "lea-secret-1");
    let page = get(c.port, &page_path, Some(&lea));
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains(&ack_path),
        "a lecteur is not offered the action"
    );
    let csrf = csrf_of(&page.body);
    let refused = post(c.port, &ack_path, Some(&lea), &[("csrf", &csrf)]);
    assert_eq!(refused.status, 403);

    let ana = sign_in(c.port, "ana", "ana-secret-1");
    let page = get(c.port, &page_path, Some(&ana));
    assert!(page.body.contains(&ack_path));
    let no_token = post(c.port, &ack_path, Some(&ana), &[("note", "on s'en occupe")]);
    assert_eq!(no_token.status, 403);
    let other_token = post(
        c.port,
        &ack_path,
        Some(&ana),
        &[("csrf", &csrf), ("note", "x")],
    );
    assert_eq!(other_token.status, 403, "lea's token is not ana's");
    // GET never changes anything.
    assert_eq!(get(c.port, &ack_path, Some(&ana)).status, 405);
    let status = veille_ok(
        &[
            "incidents",
            "--json",
            "--config",
            c.config.to_str().unwrap(),
        ],
        None,
    );
    assert!(status.contains("\"status\":\"open\""), "{status}");

    let done = post(
        c.port,
        &ack_path,
        Some(&ana),
        &[
            ("csrf", &csrf_of(&page.body)),
            ("note", "On s'en occupe <b>now</b>"),
        ],
    );
    assert_eq!(done.status, 303);
    // The CLI sees who took it, and the page shows it in the timeline, escaped.
    let shown = veille_ok(
        &[
            "incidents",
            "show",
            &id,
            "--config",
            c.config.to_str().unwrap(),
        ],
        None,
    );
    assert!(shown.contains("ana"), "{shown}");
    let page = get(c.port, &page_path, Some(&ana));
    assert!(
        page.body.contains("&lt;b&gt;now&lt;&#x2f;b&gt;")
            || page.body.contains("&lt;b&gt;now&lt;/b&gt;"),
        "{}",
        page.body
    );

    // Silence its watch for 4 hours, with a reason.
    let silenced = post(
        c.port,
        &format!("/incidents/{id}/silence"),
        Some(&ana),
        &[
            ("csrf", &csrf_of(&page.body)),
            ("duration", "4h"),
            ("reason", "communiqué publié"),
        ],
    );
    assert_eq!(silenced.status, 303);
    let list = veille_ok(
        &[
            "silence",
            "list",
            "--json",
            "--config",
            c.config.to_str().unwrap(),
        ],
        None,
    );
    assert!(
        list.contains("communiqué publié") && list.contains("ana"),
        "{list}"
    );
}

#[test]
fn an_idle_session_expires() {
    let c = local();
    let cookie = sign_in(c.port, "ana", "ana-secret-1");
    assert_eq!(get(c.port, "/", Some(&cookie)).status, 200);
    // Nine hours without use (the default idle limit is eight): moved in the database, not waited for.
    let db = rusqlite::Connection::open(c.dir.path().join("veille.db")).unwrap();
    db.busy_timeout(Duration::from_secs(10)).unwrap();
    let n = db
        .execute(
            "UPDATE session SET last_seen = last_seen - 9 * 3600, created = created - 9 * 3600",
            [],
        )
        .unwrap();
    assert_eq!(n, 1);
    let a = get(c.port, "/", Some(&cookie));
    assert_eq!(a.status, 303);
    assert_eq!(a.header("location"), Some("/login"));
    let left: i64 = db
        .query_row("SELECT count(*) FROM session", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 0, "an expired session is removed when found");
}

#[test]
fn hostile_feed_text_is_escaped_and_javascript_links_dropped() {
    let c = local();
    let cookie = sign_in(c.port, "ana", "ana-secret-1");
    let page = get(c.port, "/mentions?q=brioche", Some(&cookie));
    assert_eq!(page.status, 200);
    // The feed's cleaning drops the tags; what is left of the title is text on the page.
    assert!(
        page.body.contains("&quot;&gt; Maison Brioche"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<script>alert"), "{}", page.body);
    assert!(!page.body.contains("<img src=x"), "{}", page.body);
    assert!(
        !page.body.to_ascii_lowercase().contains("javascript:"),
        "{}",
        page.body
    );
    // And in the search box, the search is text too.
    let q = get(
        c.port,
        "/mentions?q=%22%3E%3Cscript%3Ealert(9)%3C%2Fscript%3E",
        Some(&cookie),
    );
    assert!(!q.body.contains("<script>alert(9)"), "{}", q.body);
}

#[test]
fn search_reads_quotes_and_operators_and_the_csv_exports_the_same_search() {
    let c = local();
    let cookie = sign_in(c.port, "ana", "ana-secret-1");
    let titles = |q: &str| {
        let a = get(c.port, &format!("/mentions?q={q}"), Some(&cookie));
        assert_eq!(a.status, 200, "{q}: {}", a.body);
        a.body
    };
    // Accents and elisions folded as the rules fold them.
    let b = titles("ete");
    assert!(b.contains("été chez Maison Brioche"), "{b}");
    assert!(!b.contains("Boycott de Maison"), "{b}");
    // A phrase in quotes, AND, and a negation.
    let b = titles("%22appel+au+boycott%22");
    assert!(b.contains("Boycott de Maison Brioche"), "{b}");
    assert!(!b.contains("été chez"), "{b}");
    let b = titles("brioche+-boycott+-avis");
    assert!(
        b.contains("été chez") && !b.contains("Boycott de Maison"),
        "{b}"
    );
    let b = titles("croissants+OR+honte");
    assert!(
        b.contains("été chez") && b.contains("Boycott de Maison"),
        "{b}"
    );
    // SQL's quotes are only a search, which says what it lacks (the text never reaches SQL).
    let sql = get(c.port, "/mentions?q=%27+OR+1%3D1+--", Some(&cookie));
    assert_eq!(sql.status, 400);
    assert!(
        sql.body.contains("Recherche invalide") && !sql.body.contains("<ul class=\"mentions\">"),
        "{}",
        sql.body
    );
    assert!(!sql.body.contains("query ="), "{}", sql.body);
    // An unbalanced parenthesis says so.
    let bad = get(c.port, "/mentions?q=(brioche", Some(&cookie));
    assert_eq!(bad.status, 400);

    let csv = get(
        c.port,
        "/mentions.csv?q=%22appel+au+boycott%22",
        Some(&cookie),
    );
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(
        lines[0],
        "published,source,title,author,link,lang,label,score,text"
    );
    assert_eq!(lines.len(), 2, "{}", csv.body);
    assert!(
        lines[1].contains("\"Boycott de Maison Brioche !\""),
        "{}",
        lines[1]
    );
}

#[test]
fn proxy_mode_believes_the_header_only_from_a_trusted_proxy() {
    let trusted = console(
        "listen = \"127.0.0.1:PORT\"\nauth = \"proxy\"\nproxy_header = \"X-Remote-User\"\ntrusted_proxies = [\"127.0.0.1\"]",
    );
    let a = http(trusted.port, "GET", "/", &[("X-Remote-User", "ana")], &[]);
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.body.contains("ana"));
    // Without the header, nobody.
    assert_eq!(get(trusted.port, "/", None).status, 303);

    let untrusted = console(
        "listen = \"127.0.0.1:PORT\"\nauth = \"proxy\"\nproxy_header = \"X-Remote-User\"\ntrusted_proxies = [\"192.0.2.10\"]",
    );
    let a = http(untrusted.port, "GET", "/", &[("X-Remote-User", "ana")], &[]);
    assert_eq!(
        a.status, 303,
        "a header from an address that is not a trusted proxy is ignored"
    );
    assert!(!a.body.contains("Brioche"));
}

#[test]
fn check_refuses_a_proxy_mode_that_trusts_nobody() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        "[web]\nlisten = \"0.0.0.0:8080\"\nauth = \"proxy\"\n",
    );
    let out = common::run(&["check", "--config", config.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("trusted_proxies") && err.contains("without authentication"),
        "{err}"
    );
}

#[test]
fn charts_download_as_svg_for_a_signed_in_person_only() {
    let c = local();
    let path = "/charts/maison-brioche.svg?days=7&negative=true";
    assert_eq!(get(c.port, path, None).status, 303);
    let cookie = sign_in(c.port, "lea", "lea-secret-1");
    let a = get(c.port, path, Some(&cookie));
    assert_eq!(a.status, 200);
    assert_eq!(a.header("content-type"), Some("image/svg+xml"));
    assert!(
        a.header("content-disposition")
            .unwrap()
            .contains("maison-brioche-7d.svg")
    );
    assert!(
        a.body.starts_with("<svg") && a.body.ends_with("</svg>"),
        "{}",
        a.body
    );
    assert!(!a.body.contains("<script"));
    assert_eq!(get(c.port, "/charts/nobody.svg", Some(&cookie)).status, 404);
    // The overview draws the same charts inline.
    let home = get(c.port, "/", Some(&cookie));
    assert!(
        home.body.contains("<svg") && home.body.contains("Maison Brioche"),
        "{}",
        home.body
    );
}

fn cli(c: &common::console::Console, args: &[&str]) -> std::process::Output {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--config", c.config.to_str().unwrap()]);
    common::veille().args(&all).output().unwrap()
}

#[test]
fn a_person_resolves_an_incident_by_hand_and_every_face_says_who() {
    let c = local();
    let id = incident_id(&c);
    let page_path = format!("/incidents/{id}");
    let resolve_path = format!("/incidents/{id}/resolve");

    let lea = sign_in(c.port, "lea", "lea-secret-1");
    let page = get(c.port, &page_path, Some(&lea));
    assert!(
        !page.body.contains(&resolve_path),
        "a lecteur is not offered it"
    );
    let refused = post(
        c.port,
        &resolve_path,
        Some(&lea),
        &[("csrf", &csrf_of(&page.body))],
    );
    assert_eq!(refused.status, 403);

    let ana = sign_in(c.port, "ana", "ana-secret-1");
    let page = get(c.port, &page_path, Some(&ana));
    assert!(page.body.contains(&resolve_path));
    assert_eq!(
        post(c.port, &resolve_path, Some(&ana), &[("note", "x")]).status,
        403,
        "no CSRF token, no change"
    );
    let done = post(
        c.port,
        &resolve_path,
        Some(&ana),
        &[("csrf", &csrf_of(&page.body)), ("note", "démenti publié")],
    );
    assert_eq!(done.status, 303);
    let page = get(c.port, &page_path, Some(&ana));
    assert!(
        page.body.contains("Résolu à la main par ana") && page.body.contains("démenti publié"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains(&resolve_path),
        "a resolved incident is not offered it again"
    );
    let shown = veille_ok(
        &[
            "incidents",
            "show",
            &id,
            "--config",
            c.config.to_str().unwrap(),
        ],
        None,
    );
    assert!(shown.contains("Résolu à la main par ana"), "{shown}");
    let json = veille_ok(
        &[
            "incidents",
            "--json",
            "--config",
            c.config.to_str().unwrap(),
        ],
        None,
    );
    assert!(json.contains("\"status\":\"resolved\""), "{json}");
    // The CLI's own resolve says when it was already done, and fails.
    let again = cli(&c, &["incidents", "resolve", &id, "--by", "marc"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("déjà résolu"), "{}", stderr(&again));
}

#[test]
fn the_cli_resolves_by_hand_with_a_note() {
    let c = local();
    let id = incident_id(&c);
    let out = veille_ok(
        &[
            "incidents",
            "resolve",
            &id,
            "--by",
            "marc",
            "--note",
            "fausse alerte",
            "--config",
            c.config.to_str().unwrap(),
        ],
        None,
    );
    assert!(
        out.contains("résolu à la main par marc") && out.contains("fausse alerte"),
        "{out}"
    );
    let cookie = sign_in(c.port, "lea", "lea-secret-1");
    let page = get(c.port, &format!("/incidents/{id}"), Some(&cookie));
    assert!(
        page.body.contains("Résolu à la main par marc"),
        "{}",
        page.body
    );
}

#[test]
fn the_incident_page_tells_its_window_and_its_charts_download_as_svg_and_png() {
    let c = local();
    let id = incident_id(&c);
    let cookie = sign_in(c.port, "lea", "lea-secret-1");
    let page = get(c.port, &format!("/incidents/{id}"), Some(&cookie));
    assert_eq!(page.status, 200);
    let b = &page.body;
    // Who started it: the first mention of the window, and the sources (an untagged feed is press).
    let first = &b[b.find("Qui a lancé").expect("the first mentions")..];
    assert!(first.contains("Boycott de Maison Brioche"), "{b}");
    let press = &b[b.find("<h2>Presse</h2>").expect("press sources")..];
    assert!(
        press[..press.find("</ol>").unwrap()].contains("forum"),
        "{b}"
    );
    assert!(b.contains("Auteurs les plus actifs"), "{b}");
    // The volume chart with the incident's window marked, and the negative share beside it.
    assert!(b.contains("fill=\"#fde68a\""), "the window is marked: {b}");
    assert!(b.contains("part de sujets négatifs"), "{b}");
    // A chart's title is a caption outside the chart's scrolling box, whole on a phone.
    assert!(
        b.contains("<p class=\"chart-caption\">Maison Brioche : part de sujets négatifs"),
        "{b}"
    );
    for kind in ["volume", "share"] {
        let svg = get(
            c.port,
            &format!("/incidents/{id}/charts/{kind}.svg"),
            Some(&cookie),
        );
        assert_eq!(svg.status, 200);
        assert_eq!(svg.header("content-type"), Some("image/svg+xml"));
        assert!(svg.body.starts_with("<svg"), "{}", svg.body);
        let png = get(
            c.port,
            &format!("/incidents/{id}/charts/{kind}.png"),
            Some(&cookie),
        );
        assert_eq!(png.status, 200);
        assert_eq!(png.header("content-type"), Some("image/png"));
        assert!(png.body.contains("PNG") && png.body.contains("IHDR"));
        assert!(
            png.header("content-disposition")
                .unwrap()
                .contains(&format!("incident-{id}-{kind}.png"))
        );
    }
    assert_eq!(
        get(
            c.port,
            &format!("/incidents/{id}/charts/other.png"),
            Some(&cookie)
        )
        .status,
        404
    );
    let png = get(c.port, "/charts/maison-brioche.png?days=1", Some(&cookie));
    assert_eq!(png.header("content-type"), Some("image/png"));
    assert_eq!(
        get(c.port, &format!("/incidents/{id}/charts/volume.png"), None).status,
        303
    );
}

#[test]
fn the_overview_draws_the_mentions_of_the_hour_in_progress() {
    // Regression: the 24-hour chart said "Pas encore de données pour cette période" beside mentions a few
    // minutes old (the detector stores an hour only once it closes).
    let c = local();
    let cookie = sign_in(c.port, "lea", "lea-secret-1");
    let home = get(c.port, "/", Some(&cookie));
    assert_eq!(home.status, 200);
    assert!(
        !home.body.contains("Pas encore de données"),
        "{}",
        home.body
    );
    // A bar for the fresh mentions, in the hour in progress or (just after the hour) the one that closed.
    assert!(
        home.body.contains("fill=\"#5b6475\" fill-opacity="),
        "{}",
        home.body
    );
}

#[test]
fn filters_narrow_the_lists_and_the_links_keep_them() {
    let c = local();
    let id = incident_id(&c);
    let cookie = sign_in(c.port, "lea", "lea-secret-1");
    let page = |path: &str| {
        let a = get(c.port, path, Some(&cookie));
        assert_eq!(a.status, 200, "{path}: {}", a.body);
        a.body
    };
    let neg = page("/mentions?label=neg");
    assert!(
        neg.contains("Boycott de Maison") && !neg.contains("été chez"),
        "{neg}"
    );
    assert!(
        neg.contains("/mentions.csv?label=neg"),
        "the export keeps the filter: {neg}"
    );
    let pos = page("/mentions?label=pos&period=24h&watch=maison-brioche&lang=fr");
    assert!(
        pos.contains("été chez") && !pos.contains("Boycott de Maison"),
        "{pos}"
    );
    assert!(page("/mentions?source=nowhere").contains("Aucune mention"));
    assert!(page("/mentions?rule=brioche-boycott").contains("Boycott de Maison"));
    let of_incident = page(&format!("/mentions?incident={id}&q=brioche"));
    assert!(of_incident.contains("Boycott de Maison"), "{of_incident}");
    assert!(
        of_incident.contains(&format!("/mentions.csv?q=brioche&amp;incident={id}")),
        "{of_incident}"
    );
    assert!(page("/mentions?incident=999999").contains("Aucune mention"));
    let csv = get(c.port, "/mentions.csv?label=pos", Some(&cookie));
    assert!(
        csv.body.contains("été chez") && !csv.body.contains("Boycott de Maison"),
        "{}",
        csv.body
    );

    assert!(
        page("/incidents?severity=critical&period=24h").contains(&format!("/incidents/{id}\""))
    );
    assert!(!page("/incidents?severity=info").contains(&format!("/incidents/{id}\"")));
    assert!(!page("/incidents?watch=another").contains(&format!("/incidents/{id}\"")));
    let open = page("/incidents?status=open&watch=maison-brioche");
    assert!(open.contains(&format!("/incidents/{id}\"")), "{open}");
    assert!(
        open.contains("<option value=\"open\" selected>"),
        "the filter shows as chosen: {open}"
    );
}

#[test]
fn only_an_administrator_manages_accounts() {
    let c = local();
    let config = c.config.to_str().unwrap();
    let ana = sign_in(c.port, "ana", "ana-secret-1");
    assert_eq!(get(c.port, "/users", Some(&ana)).status, 403);
    let home = get(c.port, "/", Some(&ana));
    assert!(
        !home.body.contains("href=\"/users\""),
        "only an admin sees the link"
    );
    assert_eq!(
        post(
            c.port,
            "/users",
            Some(&ana),
            &[
                ("csrf", &csrf_of(&home.body)),
                ("name", "x"),
                ("role", "admin"),
                ("password", "long-enough-1")
            ]
        )
        .status,
        403,
        "a veilleur cannot add an administrator"
    );
    veille_ok(
        &[
            "users",
            "add",
            "root",
            "--role",
            "admin",
            "--password-stdin",
            "--config",
            config,
        ],
        Some("root-secret-1\n"),
    );
    let root = sign_in(c.port, "root", "root-secret-1");
    let list = get(c.port, "/users", Some(&root));
    assert_eq!(list.status, 200);
    assert!(
        list.body.contains("ana") && list.body.contains("lea"),
        "{}",
        list.body
    );
    let csrf = csrf_of(&list.body);
    let add = |name: &str, password: &str| {
        post(
            c.port,
            "/users",
            Some(&root),
            &[
                ("csrf", &csrf),
                ("name", name),
                ("role", "lecteur"),
                ("password", password),
            ],
        )
    };
    assert_eq!(add("zoe", "short").status, 400);
    assert_eq!(add("bad name", "long-enough-1").status, 400);
    assert_eq!(add("zoe", "long-enough-1").status, 303);
    assert_eq!(add("zoe", "long-enough-1").status, 409);
    assert_eq!(
        post(
            c.port,
            "/users",
            Some(&root),
            &[
                ("name", "eve"),
                ("role", "admin"),
                ("password", "long-enough-1")
            ]
        )
        .status,
        403
    );
    let users = veille_ok(&["users", "list", "--json", "--config", config], None);
    assert!(
        users.contains("\"name\":\"zoe\",\"role\":\"lecteur\""),
        "{users}"
    );
    // A new role and a new password: the old password no longer opens.
    let changed = post(
        c.port,
        "/users/zoe",
        Some(&root),
        &[
            ("csrf", &csrf),
            ("role", "veilleur"),
            ("password", "zoe-new-secret"),
        ],
    );
    assert_eq!(changed.status, 303);
    let users = veille_ok(&["users", "list", "--json", "--config", config], None);
    assert!(
        users.contains("\"name\":\"zoe\",\"role\":\"veilleur\""),
        "{users}"
    );
    assert_eq!(
        post(
            c.port,
            "/login",
            None,
            &[("username", "zoe"), ("password", "long-enough-1")]
        )
        .status,
        401
    );
    sign_in(c.port, "zoe", "zoe-new-secret");
    // The last administrator stays.
    assert_eq!(
        post(
            c.port,
            "/users/root",
            Some(&root),
            &[("csrf", &csrf), ("role", "lecteur")]
        )
        .status,
        409
    );
    assert_eq!(
        post(
            c.port,
            "/users/root/remove",
            Some(&root),
            &[("csrf", &csrf)]
        )
        .status,
        409
    );
    assert_eq!(
        post(c.port, "/users/zoe/remove", Some(&root), &[("csrf", &csrf)]).status,
        303
    );
    assert_eq!(
        post(c.port, "/users/zoe/remove", Some(&root), &[("csrf", &csrf)]).status,
        404
    );
    let users = veille_ok(&["users", "list", "--json", "--config", config], None);
    assert!(!users.contains("zoe"), "{users}");
}

#[test]
fn status_and_metrics_report_the_console() {
    let metrics_port = daemon::free_port();
    let c = console(&format!(
        "listen = \"127.0.0.1:PORT\"\n\n[metrics]\nlisten = \"127.0.0.1:{metrics_port}\""
    ));
    let cookie = sign_in(c.port, "lea", "lea-secret-1");
    assert_eq!(get(c.port, "/", Some(&cookie)).status, 200);
    let metrics = http(metrics_port, "GET", "/metrics", &[], &[]);
    assert_eq!(metrics.status, 200);
    assert!(
        metrics.body.contains(&format!(
            "veille_web_up{{listen=\"127.0.0.1:{}\"}} 1",
            c.port
        )),
        "{}",
        metrics.body
    );
    let requests: u64 = metrics
        .body
        .lines()
        .find_map(|l| l.strip_prefix("veille_web_requests_total "))
        .and_then(|n| n.parse().ok())
        .expect("a request counter");
    assert!(requests >= 2, "{}", metrics.body);
    let serving = format!("Console : en service sur 127.0.0.1:{}", c.port);
    assert!(
        daemon::eventually(Duration::from_secs(60), || {
            common::stdout(&cli(&c, &["status"])).contains(&serving)
        }),
        "{}",
        common::stdout(&cli(&c, &["status"]))
    );
}

/// The demo's bad buzz on its incident page: the stories section heads with the pickup (how many sites
/// carried the window's stories, naming the press) and lists the recall with the two press sites that
/// rewrote it, and the demo's social feed is counted among the social networks (its mentions keep the
/// medium they were read with, though this console's configuration does not list the demo's sources).
/// The daemon serving the demo's database alone (no source of this console's own joins its incident),
/// with `retention_days` as given (the demo's mentions are months old).
fn demo_console(retention_days: u32) -> common::console::Console {
    common::console::console_after("listen = \"127.0.0.1:PORT\"", |config| {
        let dir = config.parent().unwrap();
        for f in ["veille.db", "veille.db-wal", "veille.db-shm"] {
            let _ = std::fs::remove_file(dir.join(f));
        }
        let db = dir.join("veille.db");
        veille_ok(&["demo", "--no-web", "--db", db.to_str().unwrap()], None);
        let text = std::fs::read_to_string(config).unwrap();
        let (head, rest) = text.split_once("[[source]]").unwrap();
        let web = &rest[rest.find("[web]").unwrap()..];
        std::fs::write(
            config,
            format!("retention_days = {retention_days}\n{head}{web}"),
        )
        .unwrap();
        common::console::add_user(config, "ana", "veilleur");
    })
}

/// The id of the demo's bad buzz.
fn bad_buzz(c: &common::console::Console) -> String {
    veille_ok(
        &[
            "incidents",
            "--json",
            "--config",
            c.config.to_str().unwrap(),
        ],
        None,
    )
    .lines()
    .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
    .find(|i| i["kind"] == "bad_buzz")
    .map(|i| i["id"].to_string())
    .expect("the demo's bad buzz")
}

#[test]
fn the_incident_page_shows_the_stories_the_press_picked_up() {
    let c = demo_console(3650);
    let id = bad_buzz(&c);
    let cookie = sign_in(c.port, "ana", "ana-secret-1");
    let page = get(c.port, &format!("/incidents/{id}"), Some(&cookie));
    assert_eq!(page.status, 200);
    let stories = &page.body[page
        .body
        .find("id=\"syndication\"")
        .expect("a stories section")..];
    let stories = &stories[..stories.find("</section>").unwrap()];
    assert!(
        stories.contains("un article repris par 2 sites\u{a0}; presse\u{a0}: actu-lyon, fil-conso"),
        "{stories}"
    );
    assert!(
        stories.contains("Maison Brioche retire des brioches au chocolat</a>")
            && stories.contains("reprise par 2 sources")
            && stories.contains("actu-lyon, fil-conso</small>"),
        "{stories}"
    );
    let tallies = &page.body[page.body.find("class=\"card tallies\"").unwrap()..];
    let social = &tallies[tallies.find("Réseaux sociaux").expect("a social column")..];
    assert!(
        social[..social.find("</div>").unwrap()].contains("reseau-social"),
        "{tallies}"
    );
}

/// An incident older than `retention_days` has lost its mentions to the pruning: its page says so, rather
/// than « Rien pour l'instant » over « Calculé sur 0 mention ».
#[test]
fn an_incident_older_than_the_retention_says_its_mentions_were_pruned() {
    let c = demo_console(180);
    let config = c.config.to_str().unwrap();
    assert!(
        daemon::eventually(Duration::from_secs(30), || veille_ok(
            &["mentions", "--limit", "1", "--config", config],
            None
        )
        .trim()
        .is_empty()),
        "the daemon prunes the demo's months-old mentions"
    );
    let id = bad_buzz(&c);
    let cookie = sign_in(c.port, "ana", "ana-secret-1");
    let page = get(c.port, &format!("/incidents/{id}"), Some(&cookie));
    assert!(
        page.body.contains(
            "Les mentions de l&#x27;incident ont été effacées\u{a0}: elles datent de plus de 180 jours"
        ),
        "{}",
        page.body
    );
}
