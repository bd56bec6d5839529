# Ce que les commandes écrivent dans un terminal.

column = { $column ->
    [id] N°
    [opened] OUVERT
    [kind] TYPE
    [target] VEILLE/RÈGLE
    [severity] NIVEAU
    [peak] PIC
    [mentions] MENTIONS
    [status] ÉTAT
    [summary] RÉSUMÉ
    [at] QUAND
    [incident] INCIDENT
    [mail] MAIL
    [text] TEXTE
    [until] JUSQU'AU
    [by] PAR
    [reason] RAISON
   *[other] { $column }
}
yes-no = { $answer ->
    [yes] oui
   *[no] non
}
field = { $field ->
    [watch] veille
    [rule] règle
    [source] source
    [opened] ouvert
    [updated] mis à jour
    [resolved] terminé
    [peak] pic
    [mentions] mentions
    [acknowledged] pris en charge
    [silenced] sourdine
    [count] nombre
    [usual] habituellement
    [deviation] écart
    [share] part négative
    [voices] voix
    [top-sources] sources princ.
    [top-authors] auteurs princ.
    [terms] termes
    [syndication] reprise
    [pickup] reprises
    [driving-terms] termes dominants
    [rule-terms] termes de la règle
    [negative-terms] termes négatifs
   *[other] { $field }
}
labelled = { $label } : { $value }
list-separator =  ;{" "}
incidents-none = Aucun incident.
incidents-none-open = Aucun incident en cours.
alerts-none = Aucune alerte.
show-heading = Incident { $id } — { $kind }, { $severity }, { $status }
resolved-after = { $at } (après { $lasted })
ack-value = { $by }, { $at }{ $note ->
    [none] {""}
   *[other] , { $note }
}
silenced-note = ses alertes sont enregistrées sans être envoyées (veille silence list)
section-what = Ce qui s'est passé
critical-summary = { $count ->
    [one] { $count } mention critique
   *[other] { $count } mentions critiques
} (règle { $rule }){ $watch ->
    [none] {""}
   *[other] {" "}sur { $watch }
} depuis le { $since }.
section-figures = Chiffres ({ $window })
usual-value = { $zero ->
    [yes] aucune { $where }
   *[no] médiane { $median }, MAD { $mad } ({ $where })
} — { $samples ->
    [one] { $samples } échantillon
   *[other] { $samples } échantillons
}
deviation-value = { $ratio ->
    [none] z = { $z }
   *[other] ×{ $ratio } ; z = { $z }
}
share-value = { $share }{ $usual ->
    [none] {""}
   *[other] {" "}(habituellement { $usual })
}
voices-value = { $sources ->
    [one] { $sources } source
   *[other] { $sources } sources
}, { $authors ->
    [one] { $authors } auteur distinct
   *[other] { $authors } auteurs distincts
}
section-telling = Mentions marquantes
detail-score = score { $score }
detail-story = sujet { $id }
detail-carried = repris par { $sources } sources
detail-rule = règle { $rule }
detail-not-mailed = non notifiée
syndication-value = un même article repris par { $sources } sources, compté comme un seul sujet{ $title ->
    [none] {""}
   *[other]  : { $title }
}
section-critical = Mentions critiques
critical-more = … et { $count ->
    [one] { $count } autre
   *[other] { $count } autres
} (voir la chronologie)
critical-more-counted = … et { $count ->
    [one] { $count } autre, comptée
   *[other] { $count } autres, comptées
} dans l'incident (veille mentions --rule { $rule } les liste)
section-timeline = Chronologie
mailed = { $mailed ->
    [yes] mail
   *[no] sans mail
}
timeline-by = (par { $by })
person-ack = Pris en charge par { $by }{ $note ->
    [none] {""}
   *[other]  : { $note }
}.
person-note = Note de { $by }{ $note ->
    [none] {""}
   *[other]  : { $note }
}.
person-resolve = Résolu à la main par { $by }{ $note ->
    [none] {""}
   *[other]  : { $note }
}.
person-silence = Mis en sourdine jusqu'au { $until } : { $reason }.
no-incident = aucun incident { $id } (voir « veille incidents » pour leurs numéros)
ack-done = Incident { $id } ({ $kind }, { $target }) pris en charge par { $by } le { $at }{ $note ->
    [none] {""}
   *[other] , note : { $note }
}.
resolve-done = Incident { $id } ({ $kind }, { $target }) résolu à la main par { $by } le { $at }{ $note ->
    [none] {""}
   *[other] , note : { $note }
}.
resolve-already = l'incident { $id } est déjà résolu (le { $at })
ack-stays-open = Il reste ouvert et ses alertes sont toujours envoyées ; « veille silence add » arrête les envois.
silence-added = Silence { $id } : { $kind ->
    [watch] veille
    [source] source
   *[rule] règle
} { $target } en sourdine jusqu'au { $until } ({ $length }, { $zone }), par { $by } : { $reason }. Ses alertes sont enregistrées sans être envoyées ; « veille silence remove { $id } » y met fin.
silences-none = Aucun silence en cours.
no-silence = aucun silence { $id } en cours (voir « veille silence list »)
silence-removed = Silence { $id } levé{ $target ->
    [none] {""}
   *[other]  : les alertes de { $target } sont de nouveau envoyées
}.
sources-import-header = Sources importées de { $file } par « veille sources import ».
sources-imported = { $added ->
    [0] Aucune source ajoutée
    [one] Une source ajoutée dans { $file }
   *[other] { $added } sources ajoutées dans { $file }
} ; { $duplicates ->
    [0] aucun doublon
    [one] un doublon ignoré (adresse déjà suivie)
   *[other] { $duplicates } doublons ignorés (adresses déjà suivies)
}{ $refused ->
    [0] {""}
    [one] {"\u00A0"}; une entrée sans adresse http(s) ignorée
   *[other] {"\u00A0"}; { $refused } entrées sans adresse http(s) ignorées
}.
fetch-closed-platform = { $platform } n'a pas d'interface publique que veille puisse lire sans compte. Faites-en un flux avec un RSS-Bridge ou un RSSHub que vous hébergez vous-même, puis donnez l'adresse de ce flux à veille (voir le README, « Plateformes sans interface publique »).
sources-add-tried = { $name } ({ $kind }) : { $count ->
    [0] aucune mention pour l'instant
    [one] une mention lue
   *[other] { $count } mentions lues
  } sur { $url }
sources-add-failed = { $name } ({ $kind }) : l'essai a échoué, rien n'est écrit : { $error }
sources-add-written = Source ajoutée à { $file } ; elle sera lue au prochain démarrage ou rechargement (systemctl reload veille).
sources-add-exists = Une source s'appelle déjà « { $name } » dans la configuration ({ $file } et son répertoire de sources) : choisissez un autre nom (--name).
mention-story = ↳ sujet { $id } : { $sources ->
    [one] { $mentions } mentions d'une même source
   *[other] repris par { $sources } sources ({ $mentions } mentions)
}
