# L'état du service : la ligne d'état de systemd et veille status.

store-fault = { $fault ->
    [disk_full] disque plein
    [locked] base verrouillée
   *[io] erreur d'entrée-sortie du disque
}
status-line = { $sources ->
    [one] { $sources } source
   *[other] { $sources } sources
} ({ $failing } en échec), { $incidents ->
    [0] aucun incident ouvert
    [one] { $incidents } incident ouvert
   *[other] { $incidents } incidents ouverts
}, { $cycle ->
    [-1] premier cycle en cours
   *[other] dernier cycle il y a { $cycle } s
}
status-line-waiting = { $fault } : écritures en attente, nouvel essai dans { $seconds } s
status-line-unusable = { $fault } : base inutilisable au démarrage, nouvel essai dans { $seconds } s
status-verdict = { $verdict ->
    [OK] OK
    [ATTENTION] ATTENTION
   *[CRITICAL] CRITIQUE
}
status-summary = { status-verdict } : { $sources ->
    [one] { $sources } source
   *[other] { $sources } sources
} ({ $failing } en échec), { $mentions } mentions, dernière lecture { $last_fetch }, dernier succès { $last_success }, courriels en attente : { $pending }, en échec : { $failed }
status-business = Veille : { $incidents ->
    [0] aucun incident en cours.
    [one] { $incidents } incident en cours (veille incidents --open).
   *[other] { $incidents } incidents en cours (veille incidents --open).
}
status-web = Console : { $up ->
    [yes] en service sur { $listen }
   *[no] arrêtée (elle écoutait sur { $listen })
}, { $requests ->
    [one] { $requests } requête
   *[other] { $requests } requêtes
} dont { $errors } en erreur (au { $at }).
status-problem = { $problem ->
    [store_fault] la base ne peut plus être écrite depuis le { $at } : { $fault } (le service attend et réessaie ; rien n'est perdu){ $fault_kind ->
        [disk_full]  ; libérez de la place sur son disque
        [locked]  ; terminez la transaction de l'autre programme
       *[io]  ; voyez le journal du système
    }
    [daemon_gone] le service (pid { $pid }) ne tourne plus ; son dernier signe de vie date du { $at }
    [daemon_failed] le service s'est arrêté sur une erreur le { $at } : { $detail }
    [no_fetch_since] aucune lecture depuis le { $at } (le service tourne-t-il ?)
    [no_fetch_ever] aucune lecture enregistrée (le service tourne-t-il ?)
    [source_failing] la source { $name } échoue ({ $errors } fois de suite) : { $error }
    [source_blind] la source { $name } est aveugle depuis le { $at } : { $why ->
        [rate_limited] le service la limite (trop de requêtes, 429)
        [silent] rien de nouveau, bien au-delà de son rythme habituel
       *[failing] aucune lecture ne réussit
    }{ $error ->
        [none] {""}
       *[other] {" "}({ $error })
    } ; un incident est ouvert (veille incidents --open)
    [outbox_failed] { $count ->
        [one] { $count } notification n'a pas pu être remise
       *[other] { $count } notifications n'ont pas pu être remises
    } (veille outbox)
    [outbox_uncertain] { $count ->
        [one] { $count } message de canal a peut-être été remis sans réponse du service ; il n'est pas renvoyé : vérifiez le canal
       *[other] { $count } messages de canal ont peut-être été remis sans réponse du service ; ils ne sont pas renvoyés : vérifiez le canal
    } (veille outbox)
    [outbox_stuck] des notifications attendent depuis le { $at } (le serveur de courriel est-il joignable ?)
   *[open_incidents] { $count ->
        [one] { $count } incident en cours
       *[other] { $count } incidents en cours
    } (veille incidents --open)
}
status-database-error = la base ne s'ouvre pas : { $error }
