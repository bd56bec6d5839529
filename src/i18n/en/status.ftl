# The state of the service: systemd's status line and veille status.

store-fault = { $fault ->
    [disk_full] disk full
    [locked] database locked
   *[io] disk I/O error
}
status-line = { $sources ->
    [one] { $sources } source
   *[other] { $sources } sources
} ({ $failing } failing), { $incidents ->
    [0] no incident open
    [one] { $incidents } incident open
   *[other] { $incidents } incidents open
}, { $cycle ->
    [-1] first cycle under way
   *[other] last cycle { $cycle } s ago
}
status-line-waiting = { $fault }: writes waiting, next try in { $seconds } s
status-line-unusable = { $fault }: database unusable at start, next try in { $seconds } s
status-verdict = { $verdict ->
    [OK] OK
    [ATTENTION] ATTENTION
   *[CRITICAL] CRITICAL
}
status-summary = { status-verdict }: { $sources ->
    [one] { $sources } source
   *[other] { $sources } sources
} ({ $failing } failing), { $mentions } mentions, last fetch { $last_fetch }, last success { $last_success }, emails pending: { $pending }, failed: { $failed }
status-business = Watch: { $incidents ->
    [0] no incident under way.
    [one] { $incidents } incident under way (veille incidents --open).
   *[other] { $incidents } incidents under way (veille incidents --open).
}
status-web = Console: { $up ->
    [yes] serving on { $listen }
   *[no] stopped (it listened on { $listen })
}, { $requests ->
    [one] { $requests } request
   *[other] { $requests } requests
}, { $errors } failed (as of { $at }).
status-problem = { $problem ->
    [store_fault] the database cannot be written since { $at }: { $fault } (the service waits and retries; nothing is lost){ $fault_kind ->
        [disk_full] ; free some space on its disk
        [locked] ; end the other program's transaction
       *[io] ; see the system log
    }
    [daemon_gone] the service (pid { $pid }) is no longer running; it last reported at { $at }
    [daemon_failed] the service stopped on an error at { $at }: { $detail }
    [no_fetch_since] no fetch since { $at } (is the service running?)
    [no_fetch_ever] no fetch ever recorded (is the service running?)
    [source_failing] source { $name } failing ({ $errors } in a row): { $error }
    [source_blind] source { $name } has been blind since { $at }: { $why ->
        [rate_limited] the service limits it (too many requests, 429)
        [silent] nothing new, far beyond its usual pace
       *[failing] no fetch succeeds
    }{ $error ->
        [none] {""}
       *[other] {" "}({ $error })
    }; an incident is open (veille incidents --open)
    [outbox_failed] { $count ->
        [one] { $count } notification could not be delivered
       *[other] { $count } notifications could not be delivered
    } (veille outbox)
    [outbox_uncertain] { $count ->
        [one] { $count } channel message may have arrived without the service's answer; it is not sent again: check the channel
       *[other] { $count } channel messages may have arrived without the service's answer; they are not sent again: check the channel
    } (veille outbox)
    [outbox_stuck] notifications pending since { $at } (is the mail server reachable?)
   *[open_incidents] { $count ->
        [one] { $count } incident under way
       *[other] { $count } incidents under way
    } (veille incidents --open)
}
status-database-error = the database does not open: { $error }
