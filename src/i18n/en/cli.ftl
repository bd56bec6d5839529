# What the commands write in a terminal.

column = { $column ->
    [id] ID
    [opened] OPENED
    [kind] KIND
    [target] WATCH/RULE
    [severity] SEVERITY
    [peak] PEAK
    [mentions] MENTIONS
    [status] STATUS
    [summary] SUMMARY
    [at] AT
    [incident] INCIDENT
    [mail] MAIL
    [text] TEXT
    [until] UNTIL
    [by] BY
    [reason] REASON
   *[other] { $column }
}
yes-no = { $answer ->
    [yes] yes
   *[no] no
}
field = { $field ->
    [watch] watch
    [rule] rule
    [source] source
    [opened] opened
    [updated] updated
    [resolved] resolved
    [peak] peak
    [mentions] mentions
    [acknowledged] acknowledged
    [silenced] silenced
    [count] count
    [usual] usually
    [deviation] deviation
    [share] negative share
    [voices] voices
    [top-sources] top sources
    [top-authors] top authors
    [terms] terms
    [syndication] syndication
    [pickup] pickup
    [driving-terms] driving terms
    [rule-terms] rule terms
    [negative-terms] negative terms
   *[other] { $field }
}
labelled = { $label }: { $value }
list-separator = ;{" "}
incidents-none = No incident.
incidents-none-open = No incident under way.
alerts-none = No alert.
show-heading = Incident { $id } — { $kind }, { $severity }, { $status }
resolved-after = { $at } (after { $lasted })
ack-value = { $by }, { $at }{ $note ->
    [none] {""}
   *[other] , { $note }
}
silenced-note = its alerts are recorded, not sent (veille silence list)
section-what = What happened
critical-summary = { $count ->
    [one] { $count } critical mention
   *[other] { $count } critical mentions
} (rule { $rule }){ $watch ->
    [none] {""}
   *[other] {" "}of { $watch }
} since { $since }.
section-figures = Figures ({ $window })
usual-value = { $zero ->
    [yes] none { $where }
   *[no] median { $median }, MAD { $mad } ({ $where })
} — { $samples ->
    [one] { $samples } sample
   *[other] { $samples } samples
}
deviation-value = { $ratio ->
    [none] z = { $z }
   *[other] ×{ $ratio }; z = { $z }
}
share-value = { $share }{ $usual ->
    [none] {""}
   *[other] {" "}(usually { $usual })
}
voices-value = { $sources ->
    [one] { $sources } source
   *[other] { $sources } sources
}, { $authors ->
    [one] { $authors } distinct author
   *[other] { $authors } distinct authors
}
section-telling = Telling mentions
detail-score = score { $score }
detail-story = story { $id }
detail-carried = carried by { $sources } sources
detail-rule = rule { $rule }
detail-not-mailed = not sent
syndication-value = one article carried by { $sources } sources, counted as a single story{ $title ->
    [none] {""}
   *[other] : { $title }
}
section-critical = Critical mentions
critical-more = … and { $count } more (see the timeline)
critical-more-counted = … and { $count } more, counted in the incident (veille mentions --rule { $rule } lists them)
section-timeline = Timeline
mailed = { $mailed ->
    [yes] mailed
   *[no] not mailed
}
timeline-by = (by { $by })
person-ack = Acknowledged by { $by }{ $note ->
    [none] {""}
   *[other] : { $note }
}.
person-note = Note by { $by }{ $note ->
    [none] {""}
   *[other] : { $note }
}.
person-resolve = Resolved by hand by { $by }{ $note ->
    [none] {""}
   *[other] : { $note }
}.
person-silence = Silenced until { $until }: { $reason }.
no-incident = no incident { $id } (see `veille incidents` for their ids)
ack-done = Incident { $id } ({ $kind }, { $target }) acknowledged by { $by } at { $at }{ $note ->
    [none] {""}
   *[other] , note: { $note }
}.
resolve-done = Incident { $id } ({ $kind }, { $target }) resolved by hand by { $by } at { $at }{ $note ->
    [none] {""}
   *[other] , note: { $note }
}.
resolve-already = incident { $id } is already resolved (at { $at })
ack-stays-open = It stays open and its alerts are still sent; `veille silence add` stops them.
silence-added = Silence { $id }: { $kind } { $target } silenced until { $until } ({ $length }, { $zone }), by { $by }: { $reason }. Its alerts are recorded, not sent; `veille silence remove { $id }` ends it.
silences-none = No silence in force.
no-silence = no silence { $id } in force (see `veille silence list`)
silence-removed = Silence { $id } removed{ $target ->
    [none] {""}
   *[other] : { $target } alerts are sent again
}.
sources-import-header = Sources imported from { $file } by "veille sources import".
sources-imported = { $added ->
    [0] No source added
    [one] One source added in { $file }
   *[other] { $added } sources added in { $file }
}; { $duplicates ->
    [0] no duplicate
    [one] one duplicate skipped (address already followed)
   *[other] { $duplicates } duplicates skipped (addresses already followed)
}{ $refused ->
    [0] {""}
    [one]; one entry without an http(s) address skipped
   *[other]; { $refused } entries without an http(s) address skipped
}.
fetch-closed-platform = { $platform } has no public interface veille can read without an account. Turn it into a feed with a self-hosted RSS-Bridge or RSSHub, then give veille that feed's address (see the README, "Platforms without a public interface").
sources-add-tried = { $name } ({ $kind }): { $count ->
    [0] no mention yet
    [one] one mention read
   *[other] { $count } mentions read
  } from { $url }
sources-add-failed = { $name } ({ $kind }): the try failed, nothing is written: { $error }
sources-add-written = Source added to { $file }; it is read at the next start or reload (systemctl reload veille).
sources-add-exists = A source is already named "{ $name }" in the configuration ({ $file } and its sources directory): choose another name (--name).
mention-story = ↳ story { $id }: { $sources ->
    [one] { $mentions } mentions from one source
   *[other] carried by { $sources } sources ({ $mentions } mentions)
}
