# Common forms: numbers, durations, dates, quotation marks, day names.

quoted = “{ $text }”
colon = :
duration-days = { $n } d
duration-hours = { $n } h
duration-minutes = { $n } min
duration-hours-minutes = { $h } h { $m } min
datetime = { $iso } { $hm }
moment = { $day } { $month } { $hm }
hour = { $hh }:{ $mm }
window-day = on { $day } { $month } between { $from } and { $to }
window-span = from { $from } to { $to }
zone = { $kind ->
    [utc] UTC
   *[city] { $city } time ({ $utc })
}
times-in = Times in { $zone }.
weekday = { $day ->
    [0] Monday
    [1] Tuesday
    [2] Wednesday
    [3] Thursday
    [4] Friday
    [5] Saturday
   *[6] Sunday
}
weekdays = { $day ->
    [0] Mondays
    [1] Tuesdays
    [2] Wednesdays
    [3] Thursdays
    [4] Fridays
    [5] Saturdays
   *[6] Sundays
}
month-short = { $month ->
    [1] Jan
    [2] Feb
    [3] Mar
    [4] Apr
    [5] May
    [6] Jun
    [7] Jul
    [8] Aug
    [9] Sep
    [10] Oct
    [11] Nov
   *[12] Dec
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
    [one] { $count } feed
   *[other] { $count } feeds
}
n-incidents = { $count ->
    [one] { $count } incident
   *[other] { $count } incidents
}
severity = { $severity ->
    [critical] critical
    [warning] warning
   *[info] info
}
severity-upper = { $severity ->
    [critical] CRITICAL
    [warning] WARNING
   *[info] INFO
}
label = { $label ->
    [neg] negative
    [pos] positive
   *[neu] neutral
}
untitled = (untitled)
none = —
