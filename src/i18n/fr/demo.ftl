# La démonstration (veille demo).

demo-title = veille — démonstration sur { $feeds } flux d'exemple, le { $now }{ $db ->
    [none] {""}
   *[other] , base de données { $db }
}
demo-history = Historique : { $count } mentions ordinaires sur trois semaines relues (le niveau habituel de la marque).
demo-poll = Lecture des flux : { $feeds } lus, { $failed } en échec, { $count ->
    [one] { $count } mention
   *[other] { $count } mentions
}.
demo-mentions = Mentions lues ({ $count }), les plus récentes d'abord :
demo-rule-match = règle { $rule } ({ $severity }) : { $terms }
demo-incidents = Incidents ({ $count }) :
demo-incident = n° { $id } { severity-upper } — { $name } ({ $kind }), ouvert le { $opened }, { $status }
demo-email = Le courriel que veille enverrait en premier ({ $queued ->
    [one] { $queued } notification en file
   *[other] { $queued } notifications en file
} ; rien n'est envoyé dans la démonstration) :
demo-email-subject = Objet : { $subject }
demo-queried = Sources interrogées par l'interface de leur service (un petit serveur de la démonstration sur 127.0.0.1, atteint par base_url) :
demo-queried-source = { $name } ({ $kind }) : { $count ->
    [one] { $count } mention
   *[other] { $count } mentions
}
