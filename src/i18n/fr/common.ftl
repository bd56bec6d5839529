# Formes communes : nombres, durées, dates, guillemets, noms des jours.
# Les espaces insécables (U+00A0) et fines insécables (U+202F) de ce fichier sont voulues.

quoted = « { $text } »
colon =  :
duration-days = { $n } j
duration-hours = { $n } h
duration-minutes = { $n } min
duration-hours-minutes = { $h } h { $mm }
datetime = { $date } { $hm }
moment = { $dm } à { $hm }
hour = { $m ->
    [0] { $h } h
   *[other] { $h } h { $mm }
}
window-day = le { $dm } entre { $from } et { $to }
window-span = du { $from } au { $to }
zone = { $kind ->
    [utc] UTC
   *[city] heure de { $city } ({ $utc })
}
times-in = Heures en { $zone }.
weekday = { $day ->
    [0] lundi
    [1] mardi
    [2] mercredi
    [3] jeudi
    [4] vendredi
    [5] samedi
   *[6] dimanche
}
weekdays = { $day ->
    [0] lundis
    [1] mardis
    [2] mercredis
    [3] jeudis
    [4] vendredis
    [5] samedis
   *[6] dimanches
}
month-short = { $month ->
    [1] janv.
    [2] févr.
    [3] mars
    [4] avr.
    [5] mai
    [6] juin
    [7] juil.
    [8] août
    [9] sept.
    [10] oct.
    [11] nov.
   *[12] déc.
}
n-mentions = { $count ->
    [one] { $count } mention
   *[other] { $count } mentions
}
n-sources = { $count ->
    [one] { $count } source
   *[other] { $count } sources
}
n-feeds = { $count ->
    [one] { $count } flux
   *[other] { $count } flux
}
n-incidents = { $count ->
    [one] { $count } incident
   *[other] { $count } incidents
}
severity = { $severity ->
    [critical] critique
    [warning] alerte
   *[info] info
}
severity-upper = { $severity ->
    [critical] CRITIQUE
    [warning] ALERTE
   *[info] INFO
}
label = { $label ->
    [neg] négatif
    [pos] positif
   *[neu] neutre
}
untitled = (sans titre)
none = —
