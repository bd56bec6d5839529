# Alert emails.

email-label = { $label ->
    [figures] The figures
    [mentions] The most telling mentions
    [terms] Terms
    [spotted-terms] Terms spotted
    [sentiment] Sentiment
    [actions] What to do
    [footer] veille — watching what is said about your brands
    [digest-title] veille digest
    [handled] What the team did
    [open] Open the incident and take it
   *[other] { $label }
}
email-figure = { $figure ->
    [count] Negative mentions
    [critical] Critical mentions
    [usual] Usual level
    [ratio] Against the usual
    [share] Negative share
    [sources] Sources
    [z] Deviation (z-score)
    [duration] Duration
    [peak] Peak
    [share-test] Share test
    [pickup] Pickup
    [event] Planned event
    [trend] Trend over 24 h
   *[other] { $figure }
}
email-count-value = { $count }{ $window ->
    [none] {""}
   *[other] {" "}{ $window }
}
email-usual-value = { $zero ->
    [yes] none
   *[no] { $usual }
}{ $where ->
    [none] {""}
   *[other] {" "}{ $where }
}
email-legacy-window = in { $window }
email-subject = [veille] { severity-upper } — { $line }
email-subject-resolved = [veille] { $line }
email-subject-digest = [veille] Digest — { $count ->
    [one] { $count } notification waiting
   *[other] { $count } notifications waiting
}
email-line-surge = { $brand }: { $count ->
    [-1] incident under way
    [one] { $count } negative mention { $window }
   *[other] { $count } negative mentions { $window }
}{ $ratio ->
    [none] {""}
   *[other] {" "}(×{ $ratio } the usual)
}{ $rising ->
    [yes] , rising
   *[no] {""}
}
email-line-critical = { $brand }: critical mention{ $source ->
    [none] {""}
   *[other] {" "}on { $source }
}
email-line-critical-more = { $brand }: { $count ->
    [one] { $count } more critical mention
   *[other] { $count } more critical mentions
}{ $rule ->
    [none] {""}
   *[other] {" "}(rule { $rule })
}
email-line-resolved = Crisis over — { $brand }{ $lasted ->
    [none] {""}
   *[other] : lasted { $lasted }
}{ $peak ->
    [-1] {""}
    [one] , peak of { $peak } mention
   *[other] , peak of { $peak } mentions
}
email-sentence = { $kind ->
    [resolved] The crisis about { $brand } is over: negative mentions are back to their usual level{ $lasted ->
        [none] {""}
       *[other] {" "}after { $lasted }
    }.
    [critical] { $rule ->
        [none] A critical mention of { $brand } was just published.
       *[other] A mention of { $brand } matches the critical rule { $rule }.
    }
    [escalated] A surge of negative mentions of { $brand } is getting worse{ $count ->
        [-1] {""}
       *[other] : { $count }{ $usual ->
            [none] {""}
           *[other] {" "}against { $usual } usually
        }
    }.
   *[other] A surge of negative mentions of { $brand } has started{ $count ->
        [-1] {""}
       *[other] : { $count }{ $usual ->
            [none] {""}
           *[other] {" "}against { $usual } usually
        }
    }.
}
email-cap-reached = Sending limit reached for { $who }: further alerts this hour go to the next digest.
email-more-mentions = … and { $count } more { $count ->
    [one] mention
   *[other] mentions
}, shown by `veille mentions`.
email-action-open = Open the incident and take it
email-action-ack = Take the incident
email-action-silence = Silence the watch
email-action-silence-source = Silence the source
email-test-subject = [veille] Test email
email-test-sentence = This is a veille test email: if you read it, alerts will reach you.
