# Ce que la détection a décidé, en mots : incidents, mentions critiques, buzz, et leurs chiffres.

incident-kind = { $kind ->
    [bad_buzz] bad buzz
    [trend] tendance négative
    [critical_mention] mention critique
    [buzz] buzz
    [source] source
   *[other] { $kind }
}
incident-status = { $status ->
    [resolved] terminé
    [silenced] en sourdine
    [acknowledged] pris en charge
   *[open] en cours
}
event-kind = { $kind ->
    [opened] ouvert
    [updated] nouveau pic
    [escalated] aggravé
    [resolved] terminé
    [mention_attached] mention rattachée
    [acknowledged] pris en charge
    [silenced] mis en silence
    [critical_mention] mention critique
    [more_critical] mentions critiques de plus
    [buzz] buzz
    [note] note
   *[other] { $kind }
}
buzz-event = { $event ->
    [opened] Bad buzz détecté sur { $watch } (niveau : { $severity }).
    [updated] Bad buzz sur { $watch } : nouveau pic.
    [escalated] Le bad buzz sur { $watch } s'aggrave : niveau critique.
   *[other] Incident sur { $watch } : { event-kind }.
}
buzz-resolved = Crise terminée sur { $watch } : retour au niveau habituel depuis { $calm }. Durée : { $lasted } ; pic : { $peak ->
    [one] { $peak } sujet négatif
   *[other] { $peak } sujets négatifs
} en { $window } (le { $peak_at }) ; { $mentions ->
    [one] { $mentions } mention négative
   *[other] { $mentions } mentions négatives
} en tout.
rule-incident-resolved = Fin de l'incident { $rule } sur { $watch } : aucune nouvelle mention critique depuis { $calm }. { $mentions ->
    [one] { $mentions } mention critique
   *[other] { $mentions } mentions critiques
} depuis le { $opened }.
rule-incident-more = { $count ->
    [one] { $count } mention critique de plus
   *[other] { $count } mentions critiques de plus
} sur { $watch } (règle { $rule }) depuis le dernier message (le { $since }) ; { $mentions } en tout depuis le { $opened }.
rule-incident-event = Incident { $rule } sur { $watch } : { $event }.
critical-mention = Mention critique sur { $watch } (règle { $rule }) : { $title } — { $source }{ $author ->
    [none] {""}
   *[other] , { $author }
}.
critical-rule-terms = Termes de la règle : { $terms }.
critical-negative-terms = Termes négatifs : { $terms }.
volume-buzz = Buzz sur { $watch } : le volume monte sans que la part négative suive.
suppressed-silenced = (Non notifié : silence jusqu'au { $until }, { $reason }.)
suppressed-inhibited = (Rattaché à l'incident en cours { $incident }.)
suppressed-same-story = (Même article déjà signalé.)
usual-where = { $profile ->
    [all-hours] toutes heures confondues
    [hour-of-week] les { weekdays } à { $hour } { $samples ->
        [one] de la dernière semaine
       *[other] des { $samples } dernières semaines
    }
   *[hour-of-day] à cette heure { $samples ->
        [one] la veille
       *[other] des { $samples } derniers jours
    }
}
n-window-mentions = { $negative ->
    [yes] { $count ->
        [one] { $count } mention négative
       *[other] { $count } mentions négatives
    }
   *[no] { $count ->
        [one] { $count } mention
       *[other] { $count } mentions
    }
}
n-stories-of-mentions = { $negative ->
    [yes] { $count ->
        [one] { $count } sujet négatif distinct
       *[other] { $count } sujets négatifs distincts
    }
   *[no] { $count ->
        [one] { $count } sujet distinct
       *[other] { $count } sujets distincts
    }
} ({ $mentions })
against-usual = { $level ->
    [zero] alors que d'habitude il n'y en a aucune { $where } (z = { $z })
    [below-one] contre { $usual } d'habitude { $where } (z = { $z })
   *[some] contre { $usual } d'habitude { $where } (×{ $ratio } ; z = { $z })
}
explain-count = { $count } { $window }, { $against }.
explain-share = Part négative : { $share }{ $usual ->
    [none] {""}
   *[other] {" "}(habituellement { $usual })
}.
explain-share-test = Test de hausse : { share-test-value }.
share-test-value = { $sure ->
    [yes] hausse nette, au-delà des erreurs habituelles du score de sentiment
   *[no] dans les erreurs habituelles du score de sentiment
} (z = { $z })
explain-syndication = Un même article repris par { $sources } sources ne compte que pour un sujet{ $title ->
    [none] {""}
   *[other]  : { $title }
}{ $sites ->
    [none] {""}
   *[other]  ; repris par { $sites }{ $more ->
        [0] {""}
       *[other] {" "}et { $more } autres
    }
}.
explain-pickup = Reprises : { pickup-value }.
pickup-value = { $stories ->
    [one] un article repris
   *[other] { $stories } articles repris
} par { $sites } sites{ $press ->
    [none] , aucun de presse
   *[other] {" "}; presse : { $press }{ $more ->
        [0] {""}
       *[other] {" "}et { $more } autres
    }
}
explain-top-sources = Sources principales : { $sources }.
explain-authors = { $count ->
    [one] { $count } auteur distinct
   *[other] { $count } auteurs distincts
}{ $loud ->
    [none] {""}
   *[other]  ; les plus actifs : { $loud }
}.
explain-telling = Mentions marquantes :
explain-terms = Termes dominants : { $terms }.
telling-why = { $why ->
    [most-negative] parmi les plus négatives
    [most-shared] la plus reprise
   *[strongest] ton le plus marqué
}
telling-line = { $title } — { $source }{ $author ->
    [none] {""}
   *[other] , { $author }
} ; score { $score }{ $sources ->
    [1] {""}
   *[other]  ; repris par { $sources } sources
}{ $terms ->
    [none] {""}
   *[other]  ; termes : { $terms }
}
source-opened = Source { $source } aveugle depuis { $since } : { $why ->
    [rate_limited] le service refuse ses lectures (trop de requêtes, 429)
    [silent] plus rien de nouveau, alors que ses articles se suivent d'habitude à { $gap } d'intervalle
   *[failing] aucune lecture ne réussit
}.
source-last-error = Dernière erreur : { $error } ({ $errors ->
    [one] { $errors } échec
   *[other] { $errors } échecs de suite
}).
source-feeds = { $count ->
    [0] Elle n'alimente aucune veille pour l'instant.
    [one] Elle alimente la veille { $watches }.
   *[other] Elle alimente les veilles { $watches }.
}
source-resolved = { $removed ->
    [yes] Source { $source } retirée de la configuration : l'incident est clos.
   *[no] Source { $source } de nouveau entendue, après { $lasted } sans elle.
}
trend-opened = Tendance négative sur { $watch } : la part négative monte depuis plusieurs jours, sans pic horaire.
trend-resolved = Fin de la tendance négative sur { $watch } : la part négative est revenue à son niveau habituel. Durée : { $lasted }.
trend-day = Sur les 24 h du { $from } au { $to } : { $negative ->
    [one] { $negative } sujet négatif
   *[other] { $negative } sujets négatifs
} sur { $stories }, soit une part négative de { $share }, contre { $usual } d'habitude (les { $days } jours précédents, hors incidents).
trend-cusum = Hausse cumulée (CUSUM de la part négative{ $since ->
    [none] {""}
   *[other] {" "}depuis le { $since }
}) : { $cusum } pour un seuil de { $threshold }, réglé pour une part de { $alarm }.
expected-peak = Pic attendu : { $event } (le volume monte sur { $watch }, la part négative ne suit pas).
explain-event = Pendant l'événement prévu { $event } : le volume y était attendu, pas cette hausse de la part négative.
explain-expected = Pic attendu : { $event }.
