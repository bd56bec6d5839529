# Les messages des canaux de discussion et des webhooks.

channel-label = { $label ->
    [figures] Les chiffres
    [mentions] Les mentions les plus parlantes
    [open] Ouvrir l'incident
    [read] Lire
    [brand] veille
   *[other] { $label }
}
channel-summary-title = { $count ->
    [one] { $count } alerte regroupée
   *[other] { $count } alertes regroupées
}
channel-summary-sentence = Heures calmes ou limite de messages par heure : voici, en un seul message, ce qui est arrivé entre-temps.
channel-more-mentions = { $count ->
    [one] … et { $count } autre mention.
   *[other] … et { $count } autres mentions.
}
channel-test-title = Message de test
channel-test-sentence = Ce message vérifie que veille peut écrire dans ce canal ; il n'y a aucun incident.
channel-demo-teams = La carte Teams que veille publierait pour la même alerte (canal de type « teams ») :
channel-demo-webhook = Le contenu du webhook (type « webhook », en-têtes X-Veille-Event, la valeur de « event », et X-Veille-Signature, signée avec le secret du canal) :
