//! The accounts page, for administrators only: list the accounts, add one with a role, change a role or a
//! password, remove one — the rules of `veille users` (names of 1 to 64 letters, digits, `.-_@`; passwords
//! of 8 characters at least, hashed with argon2id; a changed password or a removed account ends its
//! sessions), and one more: the last administrator can be neither removed nor demoted, so that the console
//! always keeps someone who can manage it. Every form carries the session's CSRF token.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Form, Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::auth::{Role, password_hash, valid_account_name};
use super::pages::{refusal, render_page};
use super::{Person, Shared, acting};
use crate::i18n::Voice;

/// The person of an administrator's request whose form carries their CSRF token (or of a page view when
/// `csrf` is `None`); else the refusal.
async fn admin(
    c: &Shared,
    headers: &HeaderMap,
    peer: SocketAddr,
    csrf: Option<&str>,
) -> Result<(Person, Voice), Response> {
    let p = match csrf {
        Some(token) => acting(c, headers, peer, token).await?,
        None => c
            .person(headers, peer.ip())
            .await?
            .ok_or_else(super::to_login)?,
    };
    let v = c.voice(Some(&p), headers);
    if p.role != Role::Admin {
        tracing::warn!(user = %p.name, "Console accounts page refused: not an administrator.");
        return Err(refusal(&v, StatusCode::FORBIDDEN, "web-admin-refused"));
    }
    Ok((p, v))
}

#[derive(Serialize)]
struct UserCtx {
    name: String,
    role: String,
    lang: String,
    created: String,
    me: bool,
}

#[derive(Serialize)]
struct UsersBody {
    users: Vec<UserCtx>,
    roles: Vec<(&'static str, String)>,
}

fn roles(v: &Voice) -> Vec<(&'static str, String)> {
    [Role::Lecteur, Role::Veilleur, Role::Admin]
        .map(|r| (r.as_str(), v.word(&format!("web-role-{}", r.as_str()))))
        .into()
}

/// `GET /users`.
pub(super) async fn list(
    State(c): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let (p, v) = match admin(&c, &headers, peer, None).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let users = match c.read(|s| s.users()).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let browser = v.word("web-lang-browser");
    let body = UsersBody {
        users: users
            .into_iter()
            .map(|u| UserCtx {
                me: u.name == p.name,
                lang: u.lang.clone().map_or_else(
                    || browser.clone(),
                    |l| v.say("web-lang-name", &[("lang", l.into())]),
                ),
                created: v.time(u.created),
                role: u.role,
                name: u.name,
            })
            .collect(),
        roles: roles(&v),
    };
    render_page(&v, Some(&p), "users", "users.html", body, StatusCode::OK)
}

#[derive(Deserialize)]
pub(super) struct AddForm {
    #[serde(default)]
    csrf: String,
    name: String,
    role: String,
    password: String,
}

/// `POST /users`: adds an account.
pub(super) async fn add(
    State(c): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<AddForm>,
) -> Response {
    let (p, v) = match admin(&c, &headers, peer, Some(&form.csrf)).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let name = form.name.trim().to_owned();
    if !valid_account_name(&name) {
        return refusal(&v, StatusCode::BAD_REQUEST, "web-user-name-invalid");
    }
    let Some(role) = Role::parse(&form.role) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let hash = match hash(form.password).await {
        Ok(h) => h,
        Err(()) => return refusal(&v, StatusCode::BAD_REQUEST, "web-user-password-short"),
    };
    let n = name.clone();
    match c
        .write(move |s| s.add_user(&n, role.as_str(), &hash, Utc::now()))
        .await
    {
        Ok(true) => {
            tracing::info!(user = %p.name, account = %name, role = role.as_str(), "Console account added.");
            Redirect::to("/users").into_response()
        }
        Ok(false) => refusal(&v, StatusCode::CONFLICT, "web-user-exists"),
        Err(r) => r,
    }
}

/// argon2 is deliberately slow: off the async threads. `Err` for a password the rules refuse.
async fn hash(password: String) -> Result<String, ()> {
    tokio::task::spawn_blocking(move || password_hash(&password).map_err(|_| ()))
        .await
        .unwrap_or(Err(()))
}

#[derive(Deserialize)]
pub(super) struct ChangeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

/// Whether `name` is the only administrator left.
async fn last_admin(c: &Shared, name: &str) -> Result<bool, Response> {
    let users = c.read(|s| s.users()).await?;
    let admins: Vec<&str> = users
        .iter()
        .filter(|u| u.role == "admin")
        .map(|u| u.name.as_str())
        .collect();
    Ok(admins == [name])
}

/// `POST /users/{name}`: changes a role, and the password when one is given.
pub(super) async fn change(
    State(c): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
    Form(form): Form<ChangeForm>,
) -> Response {
    let (p, v) = match admin(&c, &headers, peer, Some(&form.csrf)).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let role = if form.role.is_empty() {
        None
    } else {
        match Role::parse(&form.role) {
            Some(r) => Some(r),
            None => return StatusCode::BAD_REQUEST.into_response(),
        }
    };
    if role.is_some_and(|r| r != Role::Admin) {
        match last_admin(&c, &name).await {
            Ok(true) => return refusal(&v, StatusCode::CONFLICT, "web-user-last-admin"),
            Ok(false) => {}
            Err(r) => return r,
        }
    }
    let hash = if form.password.is_empty() {
        None
    } else {
        match hash(form.password).await {
            Ok(h) => Some(h),
            Err(()) => return refusal(&v, StatusCode::BAD_REQUEST, "web-user-password-short"),
        }
    };
    let n = name.clone();
    let found = c
        .write(move |s| {
            let now = Utc::now();
            let mut found = match role {
                Some(r) => s.set_user_role(&n, r.as_str(), now)?,
                None => s.user_with_hash(&n)?.is_some(),
            };
            if let Some(h) = &hash {
                found &= s.set_password_hash(&n, h, now)?;
            }
            Ok(found)
        })
        .await;
    match found {
        Ok(true) => {
            tracing::info!(user = %p.name, account = %name, "Console account changed.");
            Redirect::to("/users").into_response()
        }
        Ok(false) => refusal(&v, StatusCode::NOT_FOUND, "web-user-missing"),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
pub(super) struct RemoveForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /users/{name}/remove`.
pub(super) async fn remove(
    State(c): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
    Form(form): Form<RemoveForm>,
) -> Response {
    let (p, v) = match admin(&c, &headers, peer, Some(&form.csrf)).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    match last_admin(&c, &name).await {
        Ok(true) => return refusal(&v, StatusCode::CONFLICT, "web-user-last-admin"),
        Ok(false) => {}
        Err(r) => return r,
    }
    let n = name.clone();
    match c.write(move |s| s.remove_user(&n)).await {
        Ok(true) => {
            tracing::info!(user = %p.name, account = %name, "Console account removed.");
            Redirect::to("/users").into_response()
        }
        Ok(false) => refusal(&v, StatusCode::NOT_FOUND, "web-user-missing"),
        Err(r) => r,
    }
}
