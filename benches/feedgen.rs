//! Synthetic feeds for benchmarks: RSS 2.0 files of French and English social-style items with HTML
//! descriptions of about 300 characters, from a seeded generator so every run measures the same bytes.
#![allow(dead_code)]

const FR: &[&str] = &[
    "Franchement déçu par le service client, personne ne répond depuis trois jours.",
    "La nouvelle boutique est top, accueil très sympa et croissants délicieux !",
    "Encore une panne ce matin, c'est la troisième cette semaine, c'est honteux.",
    "Je ne suis pas convaincu par la nouvelle offre, les prix ont encore augmenté.",
    "Rappel produit annoncé ce soir : vérifiez vos achats de la semaine dernière.",
    "L'entreprise n'a toujours pas réagi aux accusations publiées hier par la presse.",
    "Bravo à l'équipe pour la livraison rapide, rien à redire.",
    "Appel au boycott lancé sur les réseaux après la vidéo de l'atelier.",
    "Les salariés sont en grève depuis lundi et les livraisons sont perturbées.",
    "Service impeccable et remboursement obtenu en deux jours, merci !",
];
const EN: &[&str] = &[
    "Worst customer service ever, nobody has answered my ticket for a week.",
    "The new plan is great value and the app finally works as it should.",
    "Another outage tonight, thousands of customers offline across the country.",
    "Not impressed by the update, it broke half of the features I use daily.",
    "They confirmed a data breach affecting names and addresses of customers.",
    "Support fixed my issue in ten minutes, really impressed with the team.",
    "People are calling for a boycott after the CEO's comments this morning.",
    "Prices went up again and the quality keeps going down, such a scam.",
    "Lovely experience at the store today, friendly staff and quick checkout.",
    "The recall notice was published late and the communication was awful.",
];
const BRANDS: &[&str] = &[
    "Maison Brioche",
    "Acme Telecom",
    "Orange Bleue",
    "Globex",
    "Initech",
    "Café Lumière",
];

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// One RSS 2.0 document with `items` items; `seed` makes it reproducible and distinct.
pub fn rss(seed: u64, items: usize) -> String {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut out = String::with_capacity(items * 700 + 400);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>");
    out.push_str(&format!("<title>Flux {seed}</title><link>https://site{seed}.example/</link><description>Bench</description>"));
    for i in 0..items {
        let french = rng.bool();
        let pool = if french { FR } else { EN };
        let brand = BRANDS[rng.usize(..BRANDS.len())];
        let s1 = pool[rng.usize(..pool.len())];
        let s2 = pool[rng.usize(..pool.len())];
        let s3 = pool[rng.usize(..pool.len())];
        let html = format!(
            "<p>{brand} : {s1}</p><p>{s2} <a href=\"https://site{seed}.example/p/{i}\">{brand}</a> {s3}</p><p><em>#{}</em></p>",
            brand.replace(' ', "")
        );
        let day = 1 + (i % 28);
        let hour = rng.usize(..24);
        out.push_str(&format!(
            "<item><title>{}</title><link>https://site{seed}.example/p/{i}?utm_source=rss</link><guid>s{seed}-{i}</guid><pubDate>{:02} Nov 2026 {hour:02}:{:02}:00 +0000</pubDate><author>u{}@site{seed}.example (Auteur {})</author><description>{}</description></item>",
            escape(&format!("{brand} — {}", &s1[..s1.len().min(60)].trim_end_matches(|c: char| !c.is_ascii()))),
            day,
            rng.usize(..60),
            rng.u32(..5000),
            rng.u32(..5000),
            escape(&html),
        ));
    }
    out.push_str("</channel></rss>\n");
    out
}
