# What detection decided, in words: incidents, critical mentions, buzz, and their figures.

incident-kind = { $kind ->
    [bad_buzz] bad buzz
    [trend] negative trend
    [critical_mention] critical mention
    [buzz] buzz
    [source] source
   *[other] { $kind }
}
incident-status = { $status ->
    [resolved] resolved
    [silenced] silenced
    [acknowledged] acknowledged
   *[open] open
}
event-kind = { $kind ->
    [opened] opened
    [updated] new peak
    [escalated] escalated
    [resolved] over
    [mention_attached] mention attached
    [acknowledged] acknowledged
    [silenced] silenced
    [critical_mention] critical mention
    [more_critical] more critical mentions
    [buzz] buzz
    [note] note
   *[other] { $kind }
}
buzz-event = { $event ->
    [opened] Bad buzz detected on { $watch } (level: { $severity }).
    [updated] Bad buzz on { $watch }: new peak.
    [escalated] The bad buzz on { $watch } is growing: now critical.
   *[other] Incident on { $watch }: { event-kind }.
}
buzz-resolved = Crisis over on { $watch }: back to its usual level for { $calm }. Duration: { $lasted }; peak: { $peak ->
    [one] { $peak } negative story
   *[other] { $peak } negative stories
} in { $window } ({ $peak_at }); { $mentions ->
    [one] { $mentions } negative mention
   *[other] { $mentions } negative mentions
} in all.
rule-incident-resolved = Incident { $rule } on { $watch } over: no new critical mention for { $calm }. { $mentions ->
    [one] { $mentions } critical mention
   *[other] { $mentions } critical mentions
} since { $opened }.
rule-incident-more = { $count ->
    [one] { $count } more critical mention
   *[other] { $count } more critical mentions
} of { $watch } (rule { $rule }) since the last message ({ $since }); { $mentions } in all since { $opened }.
rule-incident-event = Incident { $rule } on { $watch }: { $event }.
critical-mention = Critical mention of { $watch } (rule { $rule }): { $title } — { $source }{ $author ->
    [none] {""}
   *[other] , { $author }
}.
critical-rule-terms = Rule terms: { $terms }.
critical-negative-terms = Negative terms: { $terms }.
volume-buzz = Buzz on { $watch }: volume is up, negativity is not.
suppressed-silenced = (Not notified: silenced until { $until }, { $reason }.)
suppressed-inhibited = (Attached to the open incident { $incident }.)
suppressed-same-story = (Same article already reported.)
usual-where = { $profile ->
    [all-hours] across all hours
    [hour-of-week] on { weekdays } at { $hour } { $samples ->
        [one] last week
       *[other] of the last { $samples } weeks
    }
   *[hour-of-day] at this hour { $samples ->
        [one] the day before
       *[other] of the last { $samples } days
    }
}
n-window-mentions = { $negative ->
    [yes] { $count ->
        [one] { $count } negative mention
       *[other] { $count } negative mentions
    }
   *[no] { $count ->
        [one] { $count } mention
       *[other] { $count } mentions
    }
}
n-stories-of-mentions = { $negative ->
    [yes] { $count ->
        [one] { $count } distinct negative story
       *[other] { $count } distinct negative stories
    }
   *[no] { $count ->
        [one] { $count } distinct story
       *[other] { $count } distinct stories
    }
} ({ $mentions })
against-usual = { $level ->
    [zero] when there are usually none { $where } (z = { $z })
    [below-one] against a usual { $usual } { $where } (z = { $z })
   *[some] against a usual { $usual } { $where } (×{ $ratio }; z = { $z })
}
explain-count = { $count } { $window }, { $against }.
explain-share = Negative share: { $share }{ $usual ->
    [none] {""}
   *[other] {" "}(usually { $usual })
}.
explain-share-test = Share test: { share-test-value }.
share-test-value = { $sure ->
    [yes] a clear rise, beyond the sentiment scorer's usual mistakes
   *[no] within the sentiment scorer's usual mistakes
} (z = { $z })
explain-syndication = One article carried by { $sources } sources counts as a single story{ $title ->
    [none] {""}
   *[other] : { $title }
}{ $sites ->
    [none] {""}
   *[other] ; picked up by { $sites }{ $more ->
        [0] {""}
       *[other] {" "}and { $more } more
    }
}.
explain-pickup = Pickup: { pickup-value }.
pickup-value = { $stories ->
    [one] one article
   *[other] { $stories } articles
} carried by { $sites } sites{ $press ->
    [none] , none of them press
   *[other] ; press: { $press }{ $more ->
        [0] {""}
       *[other] {" "}and { $more } more
    }
}
explain-top-sources = Top sources: { $sources }.
explain-authors = { $count ->
    [one] { $count } distinct author
   *[other] { $count } distinct authors
}{ $loud ->
    [none] {""}
   *[other] ; most active: { $loud }
}.
explain-telling = Telling mentions:
explain-terms = Driving terms: { $terms }.
telling-why = { $why ->
    [most-negative] among the most negative
    [most-shared] most shared
   *[strongest] strongest tone
}
telling-line = { $title } — { $source }{ $author ->
    [none] {""}
   *[other] , { $author }
}; score { $score }{ $sources ->
    [1] {""}
   *[other] ; carried by { $sources } sources
}{ $terms ->
    [none] {""}
   *[other] ; terms: { $terms }
}
source-opened = Source { $source } blind since { $since }: { $why ->
    [rate_limited] the service refuses its fetches (too many requests, 429)
    [silent] nothing new, though its items usually come { $gap } apart
   *[failing] no fetch succeeds
}.
source-last-error = Last error: { $error } ({ $errors ->
    [one] { $errors } failure
   *[other] { $errors } failures in a row
}).
source-feeds = { $count ->
    [0] It feeds no watch yet.
    [one] It feeds the watch { $watches }.
   *[other] It feeds the watches { $watches }.
}
source-resolved = { $removed ->
    [yes] Source { $source } removed from the configuration: the incident is closed.
   *[no] Source { $source } heard again, after { $lasted } without it.
}
trend-opened = Negative trend on { $watch }: the negative share has been rising for days, without an hourly surge.
trend-resolved = Negative trend on { $watch } over: the negative share is back to its usual level. Duration: { $lasted }.
trend-day = Over the 24 h from { $from } to { $to }: { $negative ->
    [one] { $negative } negative story
   *[other] { $negative } negative stories
} of { $stories }, a negative share of { $share } against a usual { $usual } (the { $days } days before, incidents left out).
trend-cusum = Cumulated rise (CUSUM of the negative share{ $since ->
    [none] {""}
   *[other] {" "}since { $since }
}): { $cusum } for a threshold of { $threshold }, tuned to a share of { $alarm }.
expected-peak = Expected peak: { $event } (volume up on { $watch }, the negative share not).
explain-event = During the planned event { $event }: the volume was expected, not this rise of the negative share.
explain-expected = Expected peak: { $event }.
