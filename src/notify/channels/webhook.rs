//! The generic webhook: a documented, versioned JSON payload, signed.
//!
//! `POST` with `Content-Type: application/json`, and two headers: `X-Veille-Event`, the decision's stable
//! key (the same decision sent again has the same one: the receiver's idempotency key), and
//! `X-Veille-Signature: t=UNIX,v1=HEX`, the HMAC-SHA256 of `"UNIX.BODY"` with the channel's secret, so that
//! the receiver can check where it comes from and how fresh it is. The payload (version 1):
//!
//! ```json
//! {"version": 1, "event": "…key…", "kind": "incident_opened", "severity": "critical",
//!  "watch": "acme", "brand": "Acme", "incident": 12, "at": "2026-03-10T10:30:00Z",
//!  "title": "…", "summary": "…one sentence…", "figures": {"count": 47, "baseline": 8.0, …},
//!  "mentions": [{"title": "…", "link": "https://…", "source": "…", "published": "…", "score": -0.8}],
//!  "incident_url": null, "items": []}
//! ```
//!
//! `kind` is the notification's (`incident_opened`, `incident_escalated`, `incident_resolved`,
//! `critical_mention`), `summary` for several alerts folded into one message (listed in `items`), or
//! `test`. Strings from feeds are data in JSON: nothing to escape beyond JSON's own.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac as _};
use serde_json::{Value, json};
use sha2::Sha256;

use super::Outgoing;
use super::card::Card;
use crate::model::{Notification, NotificationKind};
use crate::notify::said::safe_link;

/// The payload's version: a change that can break a receiver bumps it.
pub const VERSION: u32 = 1;

/// The payload of `n`, keyed `key`.
pub fn payload(n: &Notification, c: &Card, key: &str) -> Value {
    let kind = if key.starts_with("test/") {
        "test"
    } else if n.kind == NotificationKind::Digest {
        "summary"
    } else {
        n.kind.as_str()
    };
    let mut figures = serde_json::to_value(&n.headline).unwrap_or_else(|_| json!({}));
    if let Value::Object(map) = &mut figures {
        map.retain(|_, v| !v.is_null());
        // Below a usual level of one the detector divides by a floor: that is no "times the usual",
        // and the email does not say it either.
        if n.headline.baseline.is_some_and(|b| b < 1.0) {
            map.remove("ratio");
        }
    }
    let mentions: Vec<Value> = n
        .mentions
        .iter()
        .map(|m| {
            json!({
                "title": m.title,
                "link": safe_link(m.link.as_deref()).map(|(l, _)| l),
                "source": m.source,
                "published": m.time.map(rfc3339),
                // f32 as stored; four decimals say it without the float's noise.
                "score": m.score.map(|s| (f64::from(s) * 1e4).round() / 1e4),
            })
        })
        .collect();
    let items: Vec<Value> = n
        .items
        .iter()
        .zip(&c.items)
        .map(|(i, line)| {
            json!({
                "kind": i.kind.as_str(),
                "severity": i.severity,
                "watch": i.watch,
                "incident": i.incident,
                "event": i.key,
                "title": line,
            })
        })
        .collect();
    json!({
        "version": VERSION,
        "event": key,
        "kind": kind,
        "severity": n.severity,
        "watch": n.watch,
        "brand": n.brand,
        "incident": n.incident,
        "at": rfc3339(n.at),
        "title": c.title,
        "summary": c.sentence,
        "figures": figures,
        "mentions": mentions,
        "incident_url": c.open,
        "items": items,
    })
}

/// A time as every time of the payload is written (`2026-03-10T10:26:30Z`, as in `figures`).
fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// `t=UNIX,v1=HEX`: the HMAC-SHA256 of `"UNIX.BODY"` keyed with `secret`.
pub fn signature(secret: &str, unix: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(unix.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={unix},v1={hex}")
}

pub fn request(
    url: &str,
    secret: &str,
    n: &Notification,
    c: &Card,
    key: &str,
    now: DateTime<Utc>,
) -> Outgoing {
    let body = payload(n, c, key).to_string().into_bytes();
    Outgoing {
        method: "POST",
        url: url.to_owned(),
        headers: vec![
            ("X-Veille-Event".into(), key.to_owned()),
            (
                "X-Veille-Signature".into(),
                signature(secret, now.timestamp(), &body),
            ),
        ],
        content_type: "application/json",
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_hmac_of_time_dot_body() {
        // RFC 4231 test case 2 checks the HMAC itself: key "Jefe", data "what do ya want for nothing?".
        let s = signature("Jefe", 0, b"what do ya want for nothing?");
        assert_eq!(s.split(',').next(), Some("t=0"));
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"0.what do ya want for nothing?");
        let hex: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(s, format!("t=0,v1={hex}"));
        let mut rfc = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        rfc.update(b"what do ya want for nothing?");
        let rfc: String = rfc
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            rfc,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
