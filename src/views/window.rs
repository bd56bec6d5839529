//! What an incident's window holds, read from its mentions: the volume around it against the usual band,
//! who started it, the sources that carried it split press / social, the loudest authors, and the stories
//! syndicated across sources.
//!
//! In: the store, an [`IncidentView`], its watch as loaded (for the series), the sources' reach (which are
//! press and which social, from the configuration) and the time. Out: an [`IncidentWindow`] of facts; the
//! console's incident page and `veille incidents show` say it through [`crate::i18n`].
//!
//! **Press or social.** A source tagged `presse` or `press` is press; tagged `social` (or `réseau`,
//! `reseau`, `network`) it is social; without either tag its kind decides: a feed, a news search or an
//! alert feed is press, a post or comment service (Mastodon, Bluesky, Reddit, Hacker News, YouTube,
//! Lemmy, comments, app reviews) is social. Tags win over the kind because the person who configured the
//! source knows whether a feed is a newspaper or a forum.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};

use crate::analysis::rules::Watch;
use crate::detect::Tally;
use crate::store::console::MentionScope;
use crate::store::{Result, Store, StoredMention};

use super::{IncidentView, WatchSeries};

/// How many mentions of a window are read at most (an incident of a hundred thousand mentions is told by
/// its first ones and its tallies over these).
pub const WINDOW_READ: usize = 5_000;

/// Whether a source is the press or a social network ([`crate::model::Medium`], decided by its tags, else
/// its kind).
pub use crate::model::Medium as Reach;

/// The reach of every configured source, by name; a source no longer configured is judged by the kind its
/// mentions were read with.
#[derive(Debug, Clone, Default)]
pub struct Reaches(pub HashMap<String, Reach>);

impl Reaches {
    /// From the configuration's sources.
    pub fn of_config(config: &crate::config::Config) -> Reaches {
        Reaches(
            config
                .sources
                .iter()
                .map(|s| (s.name.clone(), Reach::of(&s.tags, Some(s.kind.as_str()))))
                .collect(),
        )
    }

    /// The reach of a mention: its source's as configured now, else the one stored with it when it was
    /// read (from the source's tags then), else that of the kind it was read with.
    pub fn reach(&self, m: &StoredMention) -> Reach {
        self.0
            .get(&m.source)
            .copied()
            .or(m.medium)
            .unwrap_or_else(|| Reach::of(&[], Some(m.kind.as_str())))
    }
}

/// A story several sources carried: the same story (a rewritten copy), the same link, or the same title.
#[derive(Debug, Clone, PartialEq)]
pub struct Syndicated {
    pub title: String,
    pub link: Option<String>,
    /// The distinct sources, first carrier first.
    pub sources: Vec<String>,
}

/// An incident's window, read from its mentions.
#[derive(Debug, Clone)]
pub struct IncidentWindow {
    /// The window marked on the chart: from the start of the surge to its resolution (or now).
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// The watch's buckets around the window, against the usual band; `None` for an incident without a
    /// watch loaded.
    pub series: Option<WatchSeries>,
    /// The first mentions of the window, oldest first: who started it.
    pub first: Vec<StoredMention>,
    pub press: Vec<Tally>,
    pub social: Vec<Tally>,
    pub authors: Vec<Tally>,
    pub syndicated: Vec<Syndicated>,
    /// How many mentions were read, and whether the window holds more.
    pub read: usize,
    pub capped: bool,
}

impl IncidentWindow {
    /// Reads the window of `view`.
    ///
    /// # Errors
    /// On SQLite failure.
    pub fn load(
        store: &Store,
        view: &IncidentView,
        watch: Option<&Watch>,
        reaches: &Reaches,
        now: DateTime<Utc>,
    ) -> Result<IncidentWindow> {
        let scope = window_scope(store, view, now)?;
        let (from, to) = (
            scope.from.unwrap_or(view.row.opened_at),
            scope.to.unwrap_or(now) - TimeDelta::seconds(1),
        );
        let mentions = store.mentions_oldest_first(&scope, WINDOW_READ + 1)?;
        let capped = mentions.len() > WINDOW_READ;
        let mentions = &mentions[..mentions.len().min(WINDOW_READ)];
        // Twelve hours before it, and up to six after its end: the rise and the fall.
        let series = match watch {
            Some(w) => Some(WatchSeries::between(
                store,
                w,
                from - TimeDelta::hours(12),
                (to + TimeDelta::hours(6)).min(now),
                now,
            )?),
            None => None,
        };
        Ok(IncidentWindow::of(
            from, to, series, mentions, reaches, capped,
        ))
    }

    /// The window's facts from its mentions (oldest first).
    pub(crate) fn of(
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        series: Option<WatchSeries>,
        mentions: &[StoredMention],
        reaches: &Reaches,
        capped: bool,
    ) -> IncidentWindow {
        let mut press: HashMap<&str, u32> = HashMap::new();
        let mut social: HashMap<&str, u32> = HashMap::new();
        let mut authors: HashMap<&str, u32> = HashMap::new();
        for m in mentions {
            let tally = match reaches.reach(m) {
                Reach::Press => &mut press,
                Reach::Social => &mut social,
            };
            *tally.entry(m.source.as_str()).or_default() += 1;
            if let Some(a) = m.author.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
                *authors.entry(a).or_default() += 1;
            }
        }
        IncidentWindow {
            from,
            to,
            series,
            first: mentions.iter().take(5).cloned().collect(),
            press: top(press, 8),
            social: top(social, 8),
            authors: top(authors, 8),
            syndicated: syndicated(mentions, 5),
            read: mentions.len(),
            capped,
        }
    }
}

/// The mentions of an incident: its watch's (or, without a watch, its rule's) from the start of the
/// window that opened it — the surge's window, or the first critical mention's time of record, since
/// detection opens an incident after the mentions that caused it — to its resolution (or `now`). The
/// console's mention filter `incident` is this.
///
/// # Errors
/// On SQLite failure.
pub fn window_scope(
    store: &Store,
    view: &IncidentView,
    now: DateTime<Utc>,
) -> Result<MentionScope> {
    let row = &view.row;
    let critical: Vec<&str> = view.critical().iter().map(|m| m.mention.as_str()).collect();
    let first_critical = store.earliest_mention_at(&critical)?;
    let from = view
        .explanation
        .as_ref()
        .map(|x| x.window_start)
        .into_iter()
        .chain(first_critical)
        .fold(row.opened_at, DateTime::min);
    let to = row.resolved_at.unwrap_or(now).max(from);
    Ok(MentionScope {
        watch: row.watch.clone(),
        rule: row.watch.is_none().then(|| row.rule.clone()).flatten(),
        from: Some(from),
        to: Some(to + TimeDelta::seconds(1)),
        ..MentionScope::default()
    })
}

fn top(counts: HashMap<&str, u32>, n: usize) -> Vec<Tally> {
    let mut v: Vec<Tally> = counts
        .into_iter()
        .map(|(name, count)| Tally {
            name: name.to_owned(),
            count,
        })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then(a.name.cmp(&b.name)));
    v.truncate(n);
    v
}

/// The stories carried by more than one source, the most carried first: mentions are grouped by story
/// (rewritten copies: [`crate::analysis::story`]), by link (without its query and fragment) and by title
/// (folded), and a group counts its distinct sources.
fn syndicated(mentions: &[StoredMention], n: usize) -> Vec<Syndicated> {
    // Union of the two keys: a mention joins the group its link or its title already names.
    let mut group_of: HashMap<String, usize> = HashMap::new();
    let mut groups: Vec<Syndicated> = Vec::new();
    for m in mentions {
        let link_key = m.link.as_deref().and_then(|l| {
            let mut u = url::Url::parse(l).ok()?;
            u.set_query(None);
            u.set_fragment(None);
            Some(format!("link:{u}"))
        });
        let title_key = m
            .title
            .as_deref()
            .map(|t| crate::analysis::fold::fold(t).as_str().to_owned())
            .filter(|t| t.split_whitespace().count() >= 3)
            .map(|t| format!("title:{t}"));
        let story_key = Some(format!("story:{}", m.story));
        let keys: Vec<String> = story_key
            .into_iter()
            .chain(link_key)
            .chain(title_key)
            .collect();
        let found = keys.iter().find_map(|k| group_of.get(k).copied());
        let i = found.unwrap_or_else(|| {
            groups.push(Syndicated {
                title: m
                    .title
                    .clone()
                    .unwrap_or_else(|| m.text.chars().take(100).collect()),
                link: m.link.clone(),
                sources: Vec::new(),
            });
            groups.len() - 1
        });
        for k in keys {
            group_of.entry(k).or_insert(i);
        }
        if !groups[i].sources.contains(&m.source) {
            groups[i].sources.push(m.source.clone());
        }
    }
    let mut out: Vec<Syndicated> = groups.into_iter().filter(|g| g.sources.len() > 1).collect();
    out.sort_by_key(|g| std::cmp::Reverse(g.sources.len()));
    out.truncate(n);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(source: &str, author: Option<&str>, title: &str, link: &str) -> StoredMention {
        StoredMention {
            key: 1,
            id: "g".into(),
            source: source.into(),
            link: Some(link.into()),
            title: Some(title.into()),
            text: "t".into(),
            author: author.map(str::to_owned),
            published: None,
            fetched: DateTime::default(),
            lang: crate::model::Lang::Fr,
            score: -0.5,
            label: crate::model::Label::Neg,
            matches: Vec::new(),
            kind: crate::model::SourceKind::Feed,
            author_handle: None,
            author_followers: None,
            likes: None,
            reposts: None,
            replies: None,
            points: None,
            // The exact hash of its words, as a feed gives it: different titles, different stories.
            story: crate::sources::parse::story_hash(Some(title), ""),
            medium: None,
        }
    }

    #[test]
    fn tags_decide_press_or_social_before_the_kind() {
        let tags = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            Reach::of(&tags(&["Presse"]), Some("mastodon-tag")),
            Reach::Press
        );
        assert_eq!(Reach::of(&tags(&["social"]), None), Reach::Social);
        assert_eq!(Reach::of(&[], Some("bluesky-search")), Reach::Social);
        assert_eq!(Reach::of(&[], None), Reach::Press);
        assert_eq!(
            Reach::of(&tags(&["marque"]), Some("google-news")),
            Reach::Press
        );
    }

    /// A mention's reach: its source's as configured now, else the one stored with it when it was read
    /// (a feed tagged `social` then), else its kind's.
    #[test]
    fn the_configuration_then_the_stored_medium_then_the_kind_decide_a_reach() {
        let configured = Reaches(HashMap::from([("forum".to_owned(), Reach::Press)]));
        let mut social_feed = m("forum", None, "t", "https://f.example/1");
        social_feed.medium = Some(Reach::Social);
        assert_eq!(configured.reach(&social_feed), Reach::Press);
        let unconfigured = Reaches::default();
        assert_eq!(unconfigured.reach(&social_feed), Reach::Social);
        social_feed.medium = None;
        assert_eq!(unconfigured.reach(&social_feed), Reach::Press, "a feed");
    }

    #[test]
    fn sources_split_by_reach_first_mentions_and_syndication() {
        let reaches = Reaches(HashMap::from([
            ("lemonde".to_owned(), Reach::Press),
            ("masto".to_owned(), Reach::Social),
        ]));
        let ms = vec![
            m(
                "masto",
                Some("@ana"),
                "Boycott de la brioche ce matin",
                "https://m.example/1",
            ),
            m(
                "lemonde",
                None,
                "Maison Brioche dans la tourmente",
                "https://lemonde.example/a?utm=x",
            ),
            m(
                "ouest",
                None,
                "Maison Brioche dans la tourmente",
                "https://ouest.example/b",
            ),
            m("masto", Some("@ana"), "encore", "https://m.example/2"),
            m("masto", Some("@bob"), "et encore", "https://m.example/3"),
            m(
                "lemonde",
                None,
                "autre titre long ici",
                "https://lemonde.example/a#top",
            ),
        ];
        let w = IncidentWindow::of(
            DateTime::default(),
            DateTime::default(),
            None,
            &ms,
            &reaches,
            false,
        );
        assert_eq!(w.first[0].source, "masto", "who started it comes first");
        assert_eq!(
            w.social,
            vec![Tally {
                name: "masto".into(),
                count: 3
            }]
        );
        assert_eq!(
            w.press[0],
            Tally {
                name: "lemonde".into(),
                count: 2
            }
        );
        assert_eq!(
            w.press[1],
            Tally {
                name: "ouest".into(),
                count: 1
            },
            "an unknown source is press"
        );
        assert_eq!(
            w.authors[0],
            Tally {
                name: "@ana".into(),
                count: 2
            }
        );
        assert_eq!(w.syndicated.len(), 1, "{:?}", w.syndicated);
        assert_eq!(
            w.syndicated[0].sources,
            vec!["lemonde".to_owned(), "ouest".to_owned()]
        );
    }
}
