# Messages of chat channels and webhooks.

channel-label = { $label ->
    [figures] The figures
    [mentions] The most telling mentions
    [open] Open the incident
    [read] Read
    [brand] veille
   *[other] { $label }
}
channel-summary-title = { $count ->
    [one] { $count } alert folded
   *[other] { $count } alerts folded
}
channel-summary-sentence = Quiet hours or hourly limit: here is, in one message, what happened meanwhile.
channel-more-mentions = { $count ->
    [one] … and { $count } more mention.
   *[other] … and { $count } more mentions.
}
channel-test-title = Test message
channel-test-sentence = This message checks that veille can write to this channel; there is no incident.
channel-demo-teams = The Teams card veille would post for the same alert (a channel of kind "teams"):
channel-demo-webhook = The webhook payload (kind "webhook", headers X-Veille-Event, the value of "event", and X-Veille-Signature, signed with the channel's secret):
