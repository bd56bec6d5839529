# The demo (veille demo).

demo-title = veille — demo on { $feeds } sample feeds, at { $now }{ $db ->
    [none] {""}
   *[other] , database { $db }
}
demo-history = History: { $count } ordinary mentions over three weeks replayed (the brand's usual level).
demo-poll = Feeds read: { $feeds } read, { $failed } failed, { $count ->
    [one] { $count } mention
   *[other] { $count } mentions
}.
demo-mentions = Mentions read ({ $count }), newest first:
demo-rule-match = rule { $rule } ({ $severity }): { $terms }
demo-incidents = Incidents ({ $count }):
demo-incident = #{ $id } { severity-upper } — { $name } ({ $kind }), opened { $opened }, { $status }
demo-email = The email veille would send first ({ $queued ->
    [one] { $queued } notification queued
   *[other] { $queued } notifications queued
}; nothing is sent in the demo):
demo-email-subject = Subject: { $subject }
demo-queried = Sources asked through their service's interface (a small demo server on 127.0.0.1, reached through base_url):
demo-queried-source = { $name } ({ $kind }): { $count ->
    [one] { $count } mention
   *[other] { $count } mentions
}
