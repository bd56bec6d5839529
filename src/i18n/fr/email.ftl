# Les courriels d'alerte.

email-label = { $label ->
    [figures] Les chiffres
    [mentions] Les mentions les plus parlantes
    [terms] Termes
    [spotted-terms] Termes repérés
    [sentiment] Sentiment
    [actions] Que faire
    [footer] veille — veille des mentions de vos marques
    [digest-title] Résumé veille
    [handled] Ce que l'équipe a fait
    [open] Voir l'incident et le prendre en charge
   *[other] { $label }
}
email-figure = { $figure ->
    [count] Mentions négatives
    [critical] Mentions critiques
    [usual] Niveau habituel
    [ratio] Rapport à la normale
    [share] Part négative
    [sources] Sources
    [z] Écart (score z)
    [duration] Durée
    [peak] Pic
    [share-test] Test de hausse
    [pickup] Reprises
    [event] Événement prévu
    [trend] Tendance sur 24 h
   *[other] { $figure }
}
email-count-value = { $count }{ $window ->
    [none] {""}
   *[other] {" "}{ $window }
}
email-usual-value = { $zero ->
    [yes] aucune
   *[no] { $usual }
}{ $where ->
    [none] {""}
   *[other] {" "}{ $where }
}
email-legacy-window = en { $window }
email-subject = [veille] { severity-upper } — { $line }
email-subject-resolved = [veille] { $line }
email-subject-digest = [veille] Résumé — { $count ->
    [one] { $count } notification en attente
   *[other] { $count } notifications en attente
}
email-line-surge = { $brand } : { $count ->
    [-1] incident en cours
    [one] { $count } mention négative { $window }
   *[other] { $count } mentions négatives { $window }
}{ $ratio ->
    [none] {""}
   *[other] {" "}(×{ $ratio } la normale)
}{ $rising ->
    [yes] , en hausse
   *[no] {""}
}
email-line-critical = { $brand } : mention critique{ $source ->
    [none] {""}
   *[other] {" "}sur { $source }
}
email-line-critical-more = { $brand } : { $count ->
    [one] { $count } mention critique de plus
   *[other] { $count } mentions critiques de plus
}{ $rule ->
    [none] {""}
   *[other] {" "}(règle { $rule })
}
email-line-resolved = Crise terminée — { $brand }{ $lasted ->
    [none] {""}
   *[other]  : a duré { $lasted }
}{ $peak ->
    [-1] {""}
    [one] , pic de { $peak } mention
   *[other] , pic de { $peak } mentions
}
email-sentence = { $kind ->
    [resolved] La crise sur { $brand } est terminée : les mentions négatives sont revenues à leur niveau habituel{ $lasted ->
        [none] {""}
       *[other] {" "}après { $lasted }
    }.
    [critical] { $rule ->
        [none] Une mention critique de { $brand } vient d'être publiée.
       *[other] Une mention de { $brand } correspond à la règle critique { $rule }.
    }
    [escalated] Un pic de mentions négatives sur { $brand } s'aggrave{ $count ->
        [-1] {""}
       *[other]  : { $count }{ $usual ->
            [none] {""}
           *[other] {" "}contre { $usual } d'habitude
        }
    }.
   *[other] Un pic de mentions négatives sur { $brand } commence{ $count ->
        [-1] {""}
       *[other]  : { $count }{ $usual ->
            [none] {""}
           *[other] {" "}contre { $usual } d'habitude
        }
    }.
}
email-cap-reached = Limite d'envois atteinte pour { $who } : les prochaines alertes de l'heure iront dans le prochain résumé.
email-more-mentions = … et { $count ->
    [one] { $count } autre mention, visible
   *[other] { $count } autres mentions, visibles
} avec « veille mentions ».
email-action-open = Voir l'incident et le prendre en charge
email-action-ack = Prendre l'incident en charge
email-action-silence = Mettre la veille en sourdine
email-action-silence-source = Mettre la source en sourdine
email-test-subject = [veille] Essai d'envoi
email-test-sentence = Ceci est un courriel d'essai de veille : si vous le lisez, les alertes vous parviendront.
