# La console web et les comptes (veille users).

web-title = veille
web-nav-overview = Vue d'ensemble
web-nav-incidents = Incidents
web-nav-mentions = Mentions
web-nav-sources = Sources
web-nav-rules = Règles
web-logout = Se déconnecter
web-signed-in-as = Connecté·e :
web-lang-switch = English
web-login-title = Connexion à la console
web-username = Identifiant
web-password = Mot de passe
web-login-submit = Se connecter
web-login-failed = Identifiant ou mot de passe incorrect.
web-login-throttled = Trop d'essais infructueux : réessayez dans un quart d'heure.
web-csrf-refused = Ce formulaire a expiré ou ne vient pas de la console : rechargez la page et recommencez.
web-role-refused = Votre rôle permet de consulter, pas d'agir sur les incidents : demandez le rôle veilleur à un administrateur.
web-silence-bad-duration = Durée de mise en sourdine invalide : choisissez entre 1 minute et 90 jours.
web-not-found = Cet incident n'existe pas.
web-open-incidents = Incidents ouverts
web-no-incident = Aucun incident.
web-take = Prendre en charge
web-ack-note-label = Note pour l'équipe (facultative)
web-timeline-note-label = Ajouter une note au fil de l'incident
web-note-submit = Ajouter la note
web-silence = Mettre en sourdine
web-silence-duration = Durée
web-silence-reason = Raison
web-actions = Agir
web-search = Rechercher (mots, « expressions », AND, OR, NOT, préfixe*)
web-search-submit = Rechercher
web-search-invalid = Recherche invalide : { $problem }
web-csv = Exporter en CSV
web-next-page = Mentions plus anciennes
web-no-mention = Aucune mention.
web-sources-title = Santé des sources
web-rules-title = Règles et veilles
web-rules-test = Tester un texte contre les règles
web-rules-test-submit = Tester
web-filter = Filtrer
web-all = Tous
web-never = jamais
web-col-time = Heure
web-col-source = Source
web-col-title = Titre
web-col-sentiment = Tonalité
web-col-last-success = Dernier succès
web-col-last-error = Dernière erreur
web-col-failures = Échecs consécutifs
web-col-next-poll = Prochaine relève
web-col-items = Éléments vus
web-col-id = N°
web-col-watch = Veilles
web-col-severity = Gravité
web-col-status = État
web-col-summary = Résumé
web-sources-line = { $count ->
    [one] { $count } source
   *[other] { $count } sources
}{ $failing ->
    [0] , toutes en service
    [one] , { $failing } en échec{ $since ->
        [none] {""}
       *[other] {" "}depuis { $since }
    }
   *[other] , { $failing } en échec{ $since ->
        [none] {""}
       *[other] {" "}(la plus ancienne depuis { $since })
    }
}
web-mentions-line = { $count ->
    [one] { $count } mention conservée
   *[other] { $count } mentions conservées
}
users-added = Compte { $name } créé (rôle { $role }).
users-passwd = Mot de passe de { $name } changé ; ses sessions sont fermées.
users-removed = Compte { $name } supprimé.
users-none = Aucun compte. Créez-en un : veille users add NOM --role admin --password-stdin
demo-web = La console est servie sur { $url } (Ctrl-C pour arrêter).
    Identifiant : { $user }   Mot de passe (valable pour cette démo seulement) : { $password }
web-chart-stories = { $watch } : sujets par heure (bande : niveau habituel)
web-chart-negative = { $watch } : sujets négatifs par heure (bande : habituel)
web-chart-empty = Pas encore de données pour cette période.
web-download-svg = Télécharger (SVG)
web-last-24h = Dernières 24 heures
web-last-7d = 7 derniers jours
web-search-capped = Recherche interrompue après { $count } mentions lues : « Mentions plus anciennes » la poursuit.
web-critical-more = … et { $count ->
    [one] { $count } autre mention critique, comptée dans l'incident (page Mentions pour les lire)
   *[other] { $count } autres mentions critiques, comptées dans l'incident (page Mentions pour les lire)
}
web-chart-share = { $watch } : part de sujets négatifs (tirets : part habituelle)
web-chart-window = incident
web-download-png = Télécharger (PNG)
web-charts = Courbes
web-first-mentions = Qui a lancé l'affaire
web-press = Presse
web-social = Réseaux sociaux
web-top-authors = Auteurs les plus actifs
web-telling = Mentions les plus parlantes
web-syndication = Reprises (même sujet, même lien ou même titre)
web-syndicated-by = { $count ->
    [one] reprise par { $count } source
   *[other] reprise par { $count } sources
} : { $sources }
web-window-read = { $capped ->
    [yes] Calculé sur les { $count } premières mentions de l'incident.
   *[no] { $count ->
        [one] Calculé sur { $count } mention de l'incident.
       *[other] Calculé sur les { $count } mentions de l'incident.
    }
}
web-window-pruned = Les mentions de l'incident ont été effacées : elles datent de plus de { $days } jours (réglage retention_days).
web-none-yet = Rien pour l'instant.
web-resolve = Marquer comme résolu
web-resolve-note-label = Pourquoi (facultatif)
web-period = Période
web-period-24h = Dernières 24 h
web-period-7d = 7 derniers jours
web-period-30d = 30 derniers jours
web-col-rule = Règle
web-col-language = Langue
web-col-label = Tonalité
web-col-incident = Incident
web-filters-reset = Effacer les filtres
web-users = Comptes
web-users-title = Comptes de la console
web-col-name = Nom
web-col-role = Rôle
web-col-lang = Langue
web-col-created = Créé le
web-user-add = Ajouter un compte
web-user-save = Enregistrer
web-user-remove = Supprimer
web-user-new-password = Nouveau mot de passe (8 caractères au moins, vide : inchangé)
web-lang-browser = celle du navigateur
web-admin-refused = Seul un administrateur gère les comptes.
web-user-name-invalid = Nom de compte invalide : de 1 à 64 lettres, chiffres, « . », « - », « _ » ou « @ ».
web-user-exists = Un compte porte déjà ce nom.
web-user-password-short = Mot de passe trop court : 8 caractères au moins.
web-user-last-admin = Impossible : ce serait retirer le dernier administrateur.
web-user-missing = Ce compte n'existe pas.
web-role-lecteur = lecteur (consulte)
web-role-veilleur = veilleur (agit sur les incidents)
web-role-admin = admin (gère aussi les comptes)
web-lang-name = { $lang ->
    [fr] français
    [en] anglais
   *[other] autre
}
web-critical = Mentions critiques
