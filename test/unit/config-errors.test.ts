/**
 * Each bad config must be refused with these exact messages: file, line,
 * column, path in the document, and what was expected. A change to a message
 * is a change to what operators read, so it shows up here.
 */
import { describe, expect, it } from 'vitest';
import { formatProblems, parseConfig } from '../../src/core/config/load.ts';

const badConfigs: { name: string; yaml: string; expected: string }[] = [
  {
    name: "unknown parameter type",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    parameters:\n      - name: a\n        type: \"txt\"\n",
    expected: "config.yaml:7:15 pages[0].parameters[0].type: expected one of text, textarea, integer, number, boolean, select, multiselect, date, datetime, secret, file, got \"txt\"",
  },
  {
    name: "integer default written as a string",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    parameters:\n      - name: retries\n        type: integer\n        default: \"5\"\n",
    expected: "config.yaml:8:18 pages[0].parameters[0].default: expected an integer, got \"5\" (remove the quotes)",
  },
  {
    name: "decimal integer default",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    parameters:\n      - name: retries\n        type: integer\n        default: 2.5\n",
    expected: "config.yaml:8:18 pages[0].parameters[0].default: expected an integer, got the decimal 2.5",
  },
  {
    name: "boolean default written as yes",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    parameters:\n      - name: debug\n        type: boolean\n        default: \"yes\"\n",
    expected: "config.yaml:8:18 pages[0].parameters[0].default: expected true or false, got \"yes\" (write true or false without quotes)",
  },
  {
    name: "unknown key on a parameter",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    parameters:\n      - name: a\n        type: text\n        colour: red\n",
    expected: "config.yaml:8:9 pages[0].parameters[0].colour: unknown key \"colour\" (allowed: name, label, type, default, required, help_text, visible_when, max_length, pattern, pattern_message)",
  },
  {
    name: "unknown top-level key",
    yaml: "toplevel_title: T\ntheme: dark\npages:\n  - slug: home\n    title: Home\n",
    expected: "config.yaml:2:1 theme: unknown key \"theme\" (allowed: toplevel_title, pages, git, retention, notify)",
  },
  {
    name: "duplicate page slugs",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n  - slug: home\n    title: Again\n",
    expected: "config.yaml:5:11 pages[1].slug: duplicate page slug \"home\" (first used at index 0)",
  },
  {
    name: "duplicate parameter names",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    parameters:\n      - {name: a, type: text}\n      - {name: a, type: integer}\n",
    expected: "config.yaml:7:16 pages[0].parameters[1].name: duplicate parameter name \"a\" (first used at index 0)",
  },
  {
    name: "duplicate button names",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - {name: go, label: Go, script_path: scripts/a.sh, status_file: app_data/status/a.json, report_path: app_data/reports/a.html}\n      - {name: go, label: Go again, script_path: scripts/b.sh, status_file: app_data/status/b.json, report_path: app_data/reports/b.html}\n",
    expected: "config.yaml:7:16 pages[0].buttons[1].name: duplicate button name \"go\" (first used at index 0)",
  },
  {
    name: "select default not among the options",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    parameters:\n      - name: level\n        type: select\n        options: [debug, info]\n        default: verbose\n",
    expected: "config.yaml:9:18 pages[0].parameters[0].default: must be one of the options (debug, info), got \"verbose\"",
  },
  {
    name: "select with no options",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    parameters:\n      - {name: level, type: select, options: []}\n",
    expected: "config.yaml:6:46 pages[0].parameters[0].options: must list at least one option",
  },
  {
    name: "unsafe slug",
    yaml: "toplevel_title: T\npages:\n  - slug: \"../admin\"\n    title: Home\n",
    expected: "config.yaml:3:11 pages[0].slug: must be a safe slug: lowercase letters, digits and single dashes, at most 64 characters, no dash at either end, got \"../admin\"",
  },
  {
    name: "unsafe parameter name",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    parameters:\n      - {name: \"Input-Dir\", type: text}\n",
    expected: "config.yaml:6:16 pages[0].parameters[0].name: must be a safe identifier: lowercase letters, digits and _, starting with a letter, at most 64 characters, got \"Input-Dir\"",
  },
  {
    name: "reserved parameter name",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    parameters:\n      - {name: filename, type: text}\n",
    expected: "config.yaml:6:16 pages[0].parameters[0].name: is reserved for the page form (filename, action); choose another name",
  },
  {
    name: "script outside scripts/",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - name: go\n        label: Go\n        script_path: scripts/../../bin/sh\n        status_file: app_data/status/s.json\n        report_path: app_data/reports/r.html\n",
    expected: "config.yaml:8:22 pages[0].buttons[0].script_path: must stay inside scripts/ (no \"..\", \".\" or empty segments)",
  },
  {
    name: "absolute script path",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - {name: go, label: Go, script_path: /bin/sh, status_file: app_data/status/s.json, report_path: app_data/reports/r.html}\n",
    expected: "config.yaml:6:44 pages[0].buttons[0].script_path: must be relative and inside scripts/, got an absolute path",
  },
  {
    name: "status file outside app_data/",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - {name: go, label: Go, script_path: scripts/go.sh, status_file: /etc/passwd, report_path: app_data/reports/r.html}\n",
    expected: "config.yaml:6:72 pages[0].buttons[0].status_file: must be relative and inside app_data/, got an absolute path",
  },
  {
    name: "report path outside app_data/",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - {name: go, label: Go, script_path: scripts/go.sh, status_file: app_data/status/s.json, report_path: reports/r.html}\n",
    expected: "config.yaml:6:109 pages[0].buttons[0].report_path: must be inside app_data/",
  },
  {
    name: "status file on Switchyard's own database",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - {name: go, label: Go, script_path: scripts/go.sh, status_file: app_data/switchyard.db, report_path: app_data/reports/r.html}\n",
    expected: "config.yaml:6:72 pages[0].buttons[0].status_file: must be inside app_data/status/ (the rest of app_data/ holds Switchyard's own database, backups and run files), got \"app_data/switchyard.db\"",
  },
  {
    name: "report path among the backups",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - {name: go, label: Go, script_path: scripts/go.sh, status_file: app_data/status/s.json, report_path: app_data/backups/latest.db.gz}\n",
    expected: "config.yaml:6:109 pages[0].buttons[0].report_path: must be inside app_data/reports/ (the rest of app_data/ holds Switchyard's own database, backups and run files), got \"app_data/backups/latest.db.gz\"",
  },
  {
    name: "two buttons on different pages sharing a status file",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - {name: go, label: Go, script_path: scripts/go.sh, status_file: app_data/status/s.json, report_path: app_data/reports/a.html}\n  - slug: other\n    title: Other\n    buttons:\n      - {name: go, label: Go, script_path: scripts/go.sh, status_file: app_data/status/s.json, report_path: app_data/reports/b.html}\n",
    expected: "config.yaml:10:72 pages[1].buttons[0].status_file: \"app_data/status/s.json\" is already used by pages[0].buttons[0].status_file: every button needs its own status file and report",
  },
  {
    name: "a report path that is another report's folder",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - {name: a, label: A, script_path: scripts/go.sh, status_file: app_data/status/a.json, report_path: app_data/reports/a}\n      - {name: b, label: B, script_path: scripts/go.sh, status_file: app_data/status/b.json, report_path: app_data/reports/a/b.html}\n",
    expected: "config.yaml:7:107 pages[0].buttons[1].report_path: \"app_data/reports/a/b.html\" and pages[0].buttons[0].report_path (\"app_data/reports/a\") would need the same path as a file and as a folder",
  },
  {
    name: "missing pages",
    yaml: "toplevel_title: T\n",
    expected: "config.yaml:1:1 pages: required, expected a list",
  },
  {
    name: "no pages",
    yaml: "toplevel_title: T\npages: []\n",
    expected: "config.yaml:2:8 pages: must list at least one page",
  },
  {
    name: "missing parameter type",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    parameters:\n      - name: a\n",
    expected: "config.yaml:6:9 pages[0].parameters[0].type: required, expected one of text, textarea, integer, number, boolean, select, multiselect, date, datetime, secret, file",
  },
  {
    name: "integer min above max",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    parameters:\n      - {name: n, type: integer, min: 10, max: 1}\n",
    expected: "config.yaml:6:48 pages[0].parameters[0].max: must be at least min (10)",
  },
  {
    name: "YAML duplicate key",
    yaml: "toplevel_title: T\ntoplevel_title: U\npages:\n  - slug: home\n    title: Home\n",
    expected: "config.yaml:2:1 YAML error: Map keys must be unique (a key appears twice in the same mapping)",
  },
  {
    name: "YAML anchors and aliases",
    yaml: "toplevel_title: &t T\npages:\n  - slug: home\n    title: *t\n",
    expected: "config.yaml:1:20 YAML anchors (\"&t\") are not allowed: write the value out",
  },
  {
    name: "YAML tag",
    yaml: "toplevel_title: !!python/object:os.system T\npages:\n  - slug: home\n    title: Home\n",
    expected: "config.yaml:1:17 YAML error: Unresolved tag: tag:yaml.org,2002:python/object:os.system",
  },
  {
    name: "several YAML documents",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n---\ntoplevel_title: U\n",
    expected: "config.yaml:5:1 expected a single YAML document, found several (remove the \"---\" separator)",
  },
  {
    name: "YAML syntax error",
    yaml: "toplevel_title: \"T\npages:\n  - slug: home\n",
    expected: "config.yaml:4:1 YAML error: Missing closing \"quote",
  },
  {
    name: "tab indentation",
    yaml: "toplevel_title: T\npages:\n\t- slug: home\n",
    expected: "config.yaml:3:1 YAML error: tabs are not allowed for indentation, use spaces",
  },
  {
    name: "empty file",
    yaml: "",
    expected: "config.yaml:1:1 file is empty: expected toplevel_title and pages",
  },
  {
    name: "a list at the top",
    yaml: "- slug: home\n",
    expected: "config.yaml:1:1 expected a mapping, got a list",
  },  {
    name: "retention age in minutes",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\nretention:\n  runs: {max_age: 90m}\n",
    expected: "config.yaml:6:19 retention.runs.max_age: must be in hours, days or weeks, such as \"12h\", \"30d\" or \"2w\", got \"90m\" (minutes and seconds are not accepted: \"m\" is too easily read as months)",
  },
  {
    name: "retention age without a unit",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\nretention:\n  runs: {max_age: 30}\n",
    expected: "config.yaml:6:19 retention.runs.max_age: must be an age with its unit (h, d or w), such as \"12h\", \"30d\" or \"2w\", got 30",
  },
  {
    name: "retention age over 100 years",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\nretention:\n  history: {max_age: 36501d}\n",
    expected: "config.yaml:6:22 retention.history.max_age: must be an age in hours, days or weeks, such as \"12h\", \"30d\" or \"2w\", at most 36500d, or none, got \"36501d\"",
  },
  {
    name: "retention count of zero",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\nretention:\n  runs: {max_count: 0}\n",
    expected: "config.yaml:6:21 retention.runs.max_count: must be a whole number of runs from 1 to 1000000, or none, got 0",
  },
  {
    name: "retention count written as a string",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - {name: go, label: Go, script_path: scripts/go.sh, status_file: app_data/status/a.json, report_path: app_data/reports/a.html, retention: {runs: {max_count: \"50\"}}}\n",
    expected: "config.yaml:6:164 pages[0].buttons[0].retention.runs.max_count: must be a whole number of runs from 1 to 1000000, or none, got \"50\"",
  },
  {
    name: "retention audit without an age",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\nretention:\n  audit: {}\n",
    expected: "config.yaml:6:10 retention.audit.max_age: required, expected an age such as \"12h\", \"30d\" or \"2w\", or none",
  },
  {
    name: "unknown retention kind",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\nretention:\n  logs: {max_age: 1d}\n",
    expected: "config.yaml:6:3 retention.logs: unknown key \"logs\" (allowed: runs, audit, history)",
  },
  {
    name: "audit retention on a page",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    retention:\n      audit: {max_age: 30d}\n",
    expected: "config.yaml:6:7 pages[0].retention.audit: unknown key \"audit\" (allowed: runs, history)",
  },
  {
    name: "history retention on a button",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - {name: go, label: Go, script_path: scripts/go.sh, status_file: app_data/status/a.json, report_path: app_data/reports/a.html, retention: {history: {max_age: 1d}}}\n",
    expected: "config.yaml:6:146 pages[0].buttons[0].retention.history: unknown key \"history\" (allowed: runs)",
  },
  {
    name: "timeout of more than 7 days in days",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - {name: go, label: Go, script_path: scripts/go.sh, status_file: app_data/status/a.json, report_path: app_data/reports/a.html, timeout: 8d}\n",
    expected: "config.yaml:6:143 pages[0].buttons[0].timeout: must be a duration of at most 7 days, such as 90, \"90s\", \"15m\" or \"2h\"",
  },
  {
    name: "notify: unknown event",
    yaml: "toplevel_title: T\nnotify:\n  targets:\n    - name: ops\n      webhook: {url: \"https://h.example/x\", secret_env: S}\n      events: [run.failled]\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - name: go\n        label: Go\n        script_path: scripts/go.sh\n        status_file: app_data/status/go.json\n        report_path: app_data/reports/go.html\n",
    expected: "config.yaml:6:16 notify.targets[0].events[0]: unknown event \"run.failled\"; events are run.succeeded, run.failed, run.cancelled, run.timed_out, run.lost, values.saved, values.restored, publication.failed, schedule.missed",
  },
  {
    name: "notify: an email target without an SMTP server",
    yaml: "toplevel_title: T\nnotify:\n  targets:\n    - name: mail\n      email: {to: [a@b.example]}\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - name: go\n        label: Go\n        script_path: scripts/go.sh\n        status_file: app_data/status/go.json\n        report_path: app_data/reports/go.html\n",
    expected: "config.yaml:5:14 notify.targets[0].email: needs notify.smtp: the SMTP server that sends the email",
  },
  {
    name: "notify: not an email address",
    yaml: "toplevel_title: T\nnotify:\n  smtp: {host: smtp.example, from: s@example.com}\n  targets:\n    - name: mail\n      email: {to: [\"not an address\"]}\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - name: go\n        label: Go\n        script_path: scripts/go.sh\n        status_file: app_data/status/go.json\n        report_path: app_data/reports/go.html\n",
    expected: "config.yaml:6:20 notify.targets[0].email.to[0]: must be an email address such as ops@example.com, got \"not an address\"",
  },
  {
    name: "notify: credentials in a webhook URL",
    yaml: "toplevel_title: T\nnotify:\n  targets:\n    - name: ops\n      webhook: {url: \"https://u:p@h.example/x\", secret_env: S}\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - name: go\n        label: Go\n        script_path: scripts/go.sh\n        status_file: app_data/status/go.json\n        report_path: app_data/reports/go.html\n",
    expected: "config.yaml:5:22 notify.targets[0].webhook.url: must not carry a user name or password; the body is signed with the key named by secret_env instead",
  },
  {
    name: "notify: a page subscribes a target that is not defined",
    yaml: "toplevel_title: T\nnotify:\n  targets:\n    - name: ops\n      webhook: {url: \"https://h.example/x\", secret_env: S}\npages:\n  - slug: home\n    title: Home\n    notify:\n      - target: opz\n        events: [values.saved]\n    buttons:\n      - name: go\n        label: Go\n        script_path: scripts/go.sh\n        status_file: app_data/status/go.json\n        report_path: app_data/reports/go.html\n",
    expected: "config.yaml:10:17 pages[0].notify[0].target: no target named \"opz\"; targets are ops",
  },
  {
    name: "notify: a button subscribes to a page event",
    yaml: "toplevel_title: T\nnotify:\n  targets:\n    - name: ops\n      webhook: {url: \"https://h.example/x\", secret_env: S}\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - name: go\n        label: Go\n        script_path: scripts/go.sh\n        status_file: app_data/status/go.json\n        report_path: app_data/reports/go.html\n        notify:\n          - target: ops\n            events: [values.saved]\n",
    expected: "config.yaml:17:22 pages[0].buttons[0].notify[0].events[0]: \"values.saved\" is not about a button; name it in the page's notify (allowed here: run.succeeded, run.failed, run.cancelled, run.timed_out, run.lost, schedule.missed)",
  },
  {
    name: "notify: SMTP user without password",
    yaml: "toplevel_title: T\nnotify:\n  smtp: {host: smtp.example, from: s@example.com, username_env: U}\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - name: go\n        label: Go\n        script_path: scripts/go.sh\n        status_file: app_data/status/go.json\n        report_path: app_data/reports/go.html\n",
    expected: "config.yaml:3:9 notify.smtp: needs both username_env and password_env, or neither",
  },
  {
    name: "docs: a file outside the config's folder",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    docs: ../secrets.md\n",
    expected: "config.yaml:5:11 pages[0].docs: must stay in the folder of config.yaml (no \"..\", \".\" or empty segments)",
  },
  {
    name: "docs: an unknown language",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    docs: {en: \"Hello\", de: \"Hallo\"}\n",
    expected: "config.yaml:5:29 pages[0].docs.de: unknown language \"de\"; languages are en, es, it, fr",
  },
  {
    name: "docs: without the default language",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    docs: {es: \"Hola\"}\n",
    expected: "config.yaml:5:11 pages[0].docs: needs the default language \"en\" (the text shown when no other fits)",
  },
  {
    name: "a title in an unknown language",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: {en: Home, de: Startseite}\n",
    expected: "config.yaml:4:27 pages[0].title.de: unknown language \"de\"; languages are en, es, it, fr",
  },
  {
    name: "a label without the default language",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    parameters:\n      - {name: n, type: integer, label: {fr: Nombre}}\n",
    expected: "config.yaml:6:41 pages[0].parameters[0].label: needs the default language \"en\" (the text shown when no other fits)",
  },
  {
    name: "an empty translation of a button's confirm",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - name: go\n        label: Go\n        confirm: {en: Sure?, es: \"  \"}\n        script_path: scripts/go.sh\n        status_file: app_data/status/go.json\n        report_path: app_data/reports/go.html\n",
    expected: "config.yaml:8:34 pages[0].buttons[0].confirm.es: must not be empty",
  },
  {
    name: "help text as a list",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    parameters:\n      - {name: n, type: integer, help_text: [a, b]}\n",
    expected: "config.yaml:6:45 pages[0].parameters[0].help_text: expected a string, or one per language such as {en: \"Backup\", fr: \"Sauvegarde\"}, got a list",
  },
  {
    name: "button input named like a page parameter",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    parameters:\n      - {name: target, type: text}\n    buttons:\n      - name: go\n        label: Go\n        script_path: scripts/go.sh\n        status_file: app_data/status/go.json\n        report_path: app_data/reports/go.html\n        inputs:\n          - {name: target, type: text}\n",
    expected: "config.yaml:14:20 pages[0].buttons[0].inputs[0].name: \"target\" is already a parameter of this page; inputs reach the script as parameters do, so choose another name",
  },
  {
    name: "duplicate button input names",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - name: go\n        label: Go\n        script_path: scripts/go.sh\n        status_file: app_data/status/go.json\n        report_path: app_data/reports/go.html\n        inputs:\n          - {name: n, type: integer}\n          - {name: n, type: text}\n",
    expected: "config.yaml:13:20 pages[0].buttons[0].inputs[1].name: duplicate input name \"n\" (first used at index 0)",
  },
  {
    name: "scheduled button with a required input without default",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - name: go\n        label: Go\n        script_path: scripts/go.sh\n        status_file: app_data/status/go.json\n        report_path: app_data/reports/go.html\n        schedule: \"0 3 * * *\"\n        inputs:\n          - {name: ticket, type: text, required: true}\n",
    expected: "config.yaml:13:13 pages[0].buttons[0].inputs[0].default: is needed: the button has a schedule, and a scheduled run takes the inputs' defaults (input \"ticket\" is required)",
  },
  {
    name: "runs_on label with a space",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - name: go\n        label: Go\n        script_path: scripts/go.sh\n        status_file: app_data/status/go.json\n        report_path: app_data/reports/go.html\n        runs_on: [\"host db-1\"]\n",
    expected: "config.yaml:11:19 pages[0].buttons[0].runs_on[0]: must be a runner label: up to 100 letters, digits, \".\", \"_\", \":\", \"/\", \"=\" or \"-\", such as gpu or host=db-1, got \"host db-1\"",
  },
  {
    name: "metric name a script cannot write",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - name: go\n        label: Go\n        script_path: scripts/go.sh\n        status_file: app_data/status/go.json\n        report_path: app_data/reports/go.html\n        metrics:\n          - {name: Archive-Size, label: Size, unit: bytes}\n",
    expected: "config.yaml:12:20 pages[0].buttons[0].metrics[0].name: must be a figure's name as the script writes it: a-z, 0-9 and _, starting with a letter, such as archive_bytes, got \"Archive-Size\"",
  },
  {
    name: "metric with an unknown unit",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - name: go\n        label: Go\n        script_path: scripts/go.sh\n        status_file: app_data/status/go.json\n        report_path: app_data/reports/go.html\n        metrics:\n          - {name: size, label: Size, unit: kilobytes}\n",
    expected: "config.yaml:12:45 pages[0].buttons[0].metrics[0].unit: expected \"bytes\" or \"seconds\" or \"count\" or \"number\", got \"kilobytes\"",
  },
  {
    name: "options_from on a page parameter",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    parameters:\n      - {name: pick, type: select, options_from: {button: go, file: a.txt}}\n    buttons:\n      - name: go\n        label: Go\n        script_path: scripts/go.sh\n        status_file: app_data/status/go.json\n        report_path: app_data/reports/go.html\n",
    expected: "config.yaml:6:50 pages[0].parameters[0].options_from: is only for a button's inputs: a saved value must stay valid while the list it came from changes",
  },
  {
    name: "select input with both options and options_from",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - name: go\n        label: Go\n        script_path: scripts/go.sh\n        status_file: app_data/status/go.json\n        report_path: app_data/reports/go.html\n        inputs:\n          - {name: pick, type: select, options: [a], options_from: {file: a.txt}}\n",
    expected: "config.yaml:12:68 pages[0].buttons[0].inputs[0].options_from: cannot be given with options: the choices come from one or the other",
  },
  {
    name: "options_from naming a button its page lacks",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - name: go\n        label: Go\n        script_path: scripts/go.sh\n        status_file: app_data/status/go.json\n        report_path: app_data/reports/go.html\n        inputs:\n          - {name: pick, type: select, options_from: {button: nope, file: a.txt}}\n",
    expected: "config.yaml:12:63 pages[0].buttons[0].inputs[0].options_from.button: page \"home\" has no button \"nope\"",
  },
  {
    name: "options_from naming a page that does not exist",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - name: go\n        label: Go\n        script_path: scripts/go.sh\n        status_file: app_data/status/go.json\n        report_path: app_data/reports/go.html\n        inputs:\n          - {name: pick, type: select, options_from: {page: other, file: a.txt}}\n",
    expected: "config.yaml:12:61 pages[0].buttons[0].inputs[0].options_from.page: no page \"other\"",
  },
  {
    name: "select input without options or options_from",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - name: go\n        label: Go\n        script_path: scripts/go.sh\n        status_file: app_data/status/go.json\n        report_path: app_data/reports/go.html\n        inputs:\n          - {name: pick, type: select}\n",
    expected: "config.yaml:12:13 pages[0].buttons[0].inputs[0].options: must list at least one option",
  },
  {
    name: "default on a select input with options_from",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - name: go\n        label: Go\n        script_path: scripts/go.sh\n        status_file: app_data/status/go.json\n        report_path: app_data/reports/go.html\n        inputs:\n          - {name: pick, type: select, default: a, options_from: {file: a.txt}}\n",
    expected: "config.yaml:12:49 pages[0].buttons[0].inputs[0].default: cannot be given with options_from: the choices are not known until a run lists them",
  },
  {
    name: "pattern that is not a valid regex",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    parameters:\n      - {name: code, type: text, max_length: 20, pattern: \"[a-z\"}\n",
    expected: "config.yaml:6:59 pages[0].parameters[0].pattern: must be a valid regular expression (JavaScript, u flag): Invalid regular expression: /[a-z/u: Unterminated character class",
  },
  {
    name: "pattern on a text allowed to be long",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    parameters:\n      - {name: code, type: text, pattern: \"[a-z]+\"}\n",
    expected: "config.yaml:6:9 pages[0].parameters[0].max_length: must be set to at most 1000 on a text with a pattern (it bounds the time the pattern may take)",
  },
  {
    name: "pattern too long",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    parameters:\n      - {name: code, type: text, max_length: 20, pattern: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}\n",
    expected: "config.yaml:6:59 pages[0].parameters[0].pattern: must be at most 200 characters",
  },
  {
    name: "text default that misses its pattern",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    parameters:\n      - {name: code, type: text, max_length: 20, pattern: \"[a-z]+\", default: ABC}\n",
    expected: "config.yaml:6:78 pages[0].parameters[0].default: must match the pattern [a-z]+",
  },
  {
    name: "number step of zero",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    parameters:\n      - {name: ratio, type: number, step: 0}\n",
    expected: "config.yaml:6:43 pages[0].parameters[0].step: must be greater than 0",
  },
  {
    name: "multiselect default not an option",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    parameters:\n      - {name: regions, type: multiselect, options: [eu, us], default: [eu, asia]}\n",
    expected: 'config.yaml:6:77 pages[0].parameters[0].default[1]: must be one of the options (eu, us), got "asia"',
  },
  {
    name: "date default not a date",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    parameters:\n      - {name: day, type: date, default: 31.03.2026}\n",
    expected: 'config.yaml:6:42 pages[0].parameters[0].default: must be a date such as 2026-03-31, got "31.03.2026"',
  },
  {
    name: "secret with a default",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    parameters:\n      - {name: token, type: secret, default: hunter2}\n",
    expected: 'config.yaml:6:37 pages[0].parameters[0].default: unknown key "default" (allowed: name, label, type, required, help_text, visible_when)',
  },
  {
    name: "visible_when naming an unknown parameter",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    parameters:\n      - {name: mode, type: select, options: [simple, advanced]}\n      - {name: depth, type: integer, visible_when: {mod: advanced}}\n",
    expected: "config.yaml:7:58 pages[0].parameters[1].visible_when.mod: is not a parameter of this page (it has mode, depth)",
  },
  {
    name: "visible_when with a value the parameter cannot have",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    parameters:\n      - {name: mode, type: select, options: [simple, advanced]}\n      - {name: depth, type: integer, visible_when: {mode: expert}}\n",
    expected: 'config.yaml:7:59 pages[0].parameters[1].visible_when.mode: must be one of the options of mode (simple, advanced), got "expert"',
  },
  {
    name: "visible_when on itself",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    parameters:\n      - {name: depth, type: integer, visible_when: {depth: 1}}\n",
    expected: "config.yaml:6:60 pages[0].parameters[0].visible_when.depth: cannot depend on the field itself",
  },
  {
    name: "visible_when cycle",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    parameters:\n      - {name: a, type: boolean, visible_when: {b: true}}\n      - {name: b, type: boolean, visible_when: {a: true}}\n",
    expected: "config.yaml:6:48 pages[0].parameters[0].visible_when: makes a cycle: a → b → a",
  },
  {
    name: "visible_when on a secret",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    parameters:\n      - {name: token, type: secret}\n      - {name: a, type: boolean, visible_when: {token: x}}\n",
    expected: "config.yaml:7:56 pages[0].parameters[1].visible_when.token: cannot depend on token: a secret's value is never shown, not even by which fields it reveals",
  },
  {
    name: "a button's access naming an unknown role",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - name: go\n        label: Go\n        script_path: scripts/go.sh\n        status_file: app_data/status/go.json\n        report_path: app_data/reports/go.log\n        access: {run: superuser}\n",
    expected: "config.yaml:11:23 pages[0].buttons[0].access.run: expected \"viewer\" or \"operator\" or \"editor\" or \"admin\", got \"superuser\"",
  },
  {
    name: "a button's access widening its page's",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    access: {run: editor}\n    buttons:\n      - name: go\n        label: Go\n        script_path: scripts/go.sh\n        status_file: app_data/status/go.json\n        report_path: app_data/reports/go.log\n        access: {run: operator}\n",
    expected: "config.yaml:12:23 pages[0].buttons[0].access.run: can only narrow who may run: the page lets editor and above run its buttons, so editor or admin, got \"operator\"",
  },
  {
    name: "a button's access with a key buttons do not have",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - name: go\n        label: Go\n        script_path: scripts/go.sh\n        status_file: app_data/status/go.json\n        report_path: app_data/reports/go.log\n        access: {view: admin, run: admin}\n",
    expected: "config.yaml:11:18 pages[0].buttons[0].access.view: unknown key \"view\" (allowed: run)",
  },
  {
    name: "a confirm naming no input",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - name: go\n        label: Go\n        script_path: scripts/go.sh\n        status_file: app_data/status/go.json\n        report_path: app_data/reports/go.log\n        confirm: \"Restore {archve} into {target}?\"\n        inputs:\n          - {name: archive, type: text}\n          - {name: target, type: text}\n",
    expected: "config.yaml:11:18 pages[0].buttons[0].confirm: names {archve}, which is not an input of this button (its inputs are archive, target); a placeholder is filled with the value entered for that input",
  },
  {
    name: "a translated confirm naming an input of a button without inputs",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - name: go\n        label: Go\n        script_path: scripts/go.sh\n        status_file: app_data/status/go.json\n        report_path: app_data/reports/go.log\n        confirm: {en: \"Run it?\", fr: \"Lancer {cible}\u00a0?\"}\n",
    expected: "config.yaml:11:38 pages[0].buttons[0].confirm.fr: names {cible}, which is not an input of this button (it has no inputs); a placeholder is filled with the value entered for that input",
  },
  {
    name: "button docs outside the config folder",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - name: go\n        label: Go\n        script_path: scripts/go.sh\n        status_file: app_data/status/go.json\n        report_path: app_data/reports/go.log\n        docs: ../secrets.md\n",
    expected: "config.yaml:11:15 pages[0].buttons[0].docs: must stay in the folder of config.yaml (no \"..\", \".\" or empty segments)",
  },
  {
    name: "a file parameter on a page",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    parameters:\n      - {name: model, type: file}\n",
    expected: "config.yaml:6:29 pages[0].parameters[0].type: cannot be file on a page: a file is given when a button is pressed; make it one of the button's inputs",
  },
  {
    name: "a required file input on a scheduled button",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - name: go\n        label: Go\n        script_path: scripts/go.sh\n        status_file: app_data/status/go.json\n        report_path: app_data/reports/go.html\n        schedule: \"0 3 * * *\"\n        inputs:\n          - {name: model, type: file, required: true}\n",
    expected: "config.yaml:13:49 pages[0].buttons[0].inputs[0].required: cannot be true: the button has a schedule, and a scheduled run has nobody to give it a file (input \"model\")",
  },
  {
    name: "a file extension in upper case",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - name: go\n        label: Go\n        script_path: scripts/go.sh\n        status_file: app_data/status/go.json\n        report_path: app_data/reports/go.html\n        inputs:\n          - {name: model, type: file, accept: [STL]}\n",
    expected: "config.yaml:12:48 pages[0].buttons[0].inputs[0].accept[0]: must be a file extension in lower case with its dot, such as .stl, got \"STL\"",
  },
  {
    name: "a file input larger than the bound",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - name: go\n        label: Go\n        script_path: scripts/go.sh\n        status_file: app_data/status/go.json\n        report_path: app_data/reports/go.html\n        inputs:\n          - {name: model, type: file, max_size_mb: 50}\n",
    expected: "config.yaml:12:52 pages[0].buttons[0].inputs[0].max_size_mb: must be at most 16, got 50",
  },
  {
    name: "file inputs larger than the bound together",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - name: go\n        label: Go\n        script_path: scripts/go.sh\n        status_file: app_data/status/go.json\n        report_path: app_data/reports/go.html\n        inputs:\n          - {name: a, type: file, max_size_mb: 10}\n          - {name: b, type: file, max_size_mb: 10}\n",
    expected: "config.yaml:12:11 pages[0].buttons[0].inputs: file inputs may allow at most 16 MB together (one request carries them all), got 20 MB: set max_size_mb on each",
  },
  {
    name: "a default on a file input",
    yaml: "toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - name: go\n        label: Go\n        script_path: scripts/go.sh\n        status_file: app_data/status/go.json\n        report_path: app_data/reports/go.html\n        inputs:\n          - {name: a, type: file, default: x.stl}\n",
    expected: "config.yaml:12:35 pages[0].buttons[0].inputs[0].default: unknown key \"default\" (allowed: name, label, type, required, help_text, visible_when, accept, max_size_mb)",
  },
];

describe('config.yaml validation', () => {
  it.each(badConfigs)('refuses $name', ({ yaml, expected }) => {
    const result = parseConfig(yaml);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(formatProblems(result.problems)).toBe(expected);
  });

  it('has at least 15 distinct bad configs', () => {
    expect(new Set(badConfigs.map((c) => c.expected)).size).toBeGreaterThanOrEqual(15);
  });
});
