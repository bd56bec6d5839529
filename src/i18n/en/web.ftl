# The web console and the accounts (veille users).

web-title = veille
web-nav-overview = Overview
web-nav-incidents = Incidents
web-nav-mentions = Mentions
web-nav-sources = Sources
web-nav-rules = Rules
web-logout = Sign out
web-signed-in-as = Signed in:
web-lang-switch = Français
web-login-title = Sign in to the console
web-username = Username
web-password = Password
web-login-submit = Sign in
web-login-failed = Wrong username or password.
web-login-throttled = Too many failed attempts: try again in a quarter of an hour.
web-csrf-refused = This form has expired or did not come from the console: reload the page and try again.
web-role-refused = Your role may read, not act on incidents: ask an administrator for the veilleur role.
web-silence-bad-duration = Invalid silence duration: choose between 1 minute and 90 days.
web-not-found = There is no such incident.
web-open-incidents = Open incidents
web-no-incident = No incident.
web-take = Take it
web-ack-note-label = Note for the team (optional)
web-timeline-note-label = Add a note to the incident's timeline
web-note-submit = Add the note
web-silence = Silence
web-silence-duration = Duration
web-silence-reason = Reason
web-actions = Act
web-search = Search (words, "phrases", AND, OR, NOT, prefix*)
web-search-submit = Search
web-search-invalid = Invalid search: { $problem }
web-csv = Export as CSV
web-next-page = Older mentions
web-no-mention = No mention.
web-sources-title = Sources' health
web-rules-title = Rules and watches
web-rules-test = Test a text against the rules
web-rules-test-submit = Test
web-filter = Filter
web-all = All
web-never = never
web-col-time = Time
web-col-source = Source
web-col-title = Title
web-col-sentiment = Sentiment
web-col-last-success = Last success
web-col-last-error = Last error
web-col-failures = Failures in a row
web-col-next-poll = Next poll
web-col-items = Items seen
web-col-id = No.
web-col-watch = Watches
web-col-severity = Severity
web-col-status = Status
web-col-summary = Summary
web-sources-line = { $count ->
    [one] { $count } source
   *[other] { $count } sources
}{ $failing ->
    [0] , all working
    [one] , { $failing } failing{ $since ->
        [none] {""}
       *[other] {" "}for { $since }
    }
   *[other] , { $failing } failing{ $since ->
        [none] {""}
       *[other] {" "}(the oldest for { $since })
    }
}
web-mentions-line = { $count ->
    [one] { $count } mention kept
   *[other] { $count } mentions kept
}
users-added = Account { $name } created (role { $role }).
users-passwd = Password of { $name } changed; its sessions are closed.
users-removed = Account { $name } removed.
users-none = No account. Create one: veille users add NAME --role admin --password-stdin
demo-web = The console is served at { $url } (Ctrl-C to stop).
    Username: { $user }   Password (for this demo only): { $password }
web-chart-stories = { $watch }: stories per hour (band: usual level)
web-chart-negative = { $watch }: negative stories per hour (band: usual)
web-chart-empty = No data yet for this period.
web-download-svg = Download (SVG)
web-last-24h = Last 24 hours
web-last-7d = Last 7 days
web-search-capped = Search paused after reading { $count } mentions: "Older mentions" goes on.
web-critical-more = … and { $count ->
    [one] { $count } more critical mention, counted in the incident (see Mentions to read them)
   *[other] { $count } more critical mentions, counted in the incident (see Mentions to read them)
}
web-chart-share = { $watch }: share of negative stories (dashes: usual share)
web-chart-window = incident
web-download-png = Download (PNG)
web-charts = Charts
web-first-mentions = Who started it
web-press = Press
web-social = Social networks
web-top-authors = Most active authors
web-telling = Most telling mentions
web-syndication = Pickup (same story, same link or same title)
web-syndicated-by = { $count ->
    [one] carried by { $count } source
   *[other] carried by { $count } sources
}: { $sources }
web-window-read = { $capped ->
    [yes] From the first { $count } mentions of the incident.
   *[no] { $count ->
        [one] From { $count } mention of the incident.
       *[other] From the { $count } mentions of the incident.
    }
}
web-window-pruned = The incident's mentions were pruned: they are older than { $days } days (the retention_days setting).
web-none-yet = Nothing yet.
web-resolve = Mark as resolved
web-resolve-note-label = Why (optional)
web-period = Period
web-period-24h = Last 24 h
web-period-7d = Last 7 days
web-period-30d = Last 30 days
web-col-rule = Rule
web-col-language = Language
web-col-label = Tone
web-col-incident = Incident
web-filters-reset = Clear the filters
web-users = Accounts
web-users-title = Console accounts
web-col-name = Name
web-col-role = Role
web-col-lang = Language
web-col-created = Created
web-user-add = Add an account
web-user-save = Save
web-user-remove = Remove
web-user-new-password = New password (at least 8 characters; empty: unchanged)
web-lang-browser = the browser's
web-admin-refused = Only an administrator manages accounts.
web-user-name-invalid = Invalid account name: 1 to 64 letters, digits, '.', '-', '_' or '@'.
web-user-exists = An account with this name exists already.
web-user-password-short = Password too short: at least 8 characters.
web-user-last-admin = Not possible: that would remove the last administrator.
web-user-missing = No such account.
web-role-lecteur = lecteur (reads)
web-role-veilleur = veilleur (acts on incidents)
web-role-admin = admin (also manages accounts)
web-lang-name = { $lang ->
    [fr] French
    [en] English
   *[other] other
}
web-critical = Critical mentions
