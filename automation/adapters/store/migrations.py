"""The schema as named migrations, one SQL statement per step.

Each migration runs inside one transaction, statement by statement (``executescript`` would
commit on its own and break that), and is recorded in the ``migrations`` table; a database that
records a migration this code does not know was written by a newer version and is refused.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[str, tuple[str, ...]]] = [
    ("0001_initial", (
        """CREATE TABLE contacts (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL DEFAULT '', first_name TEXT NOT NULL DEFAULT '',
        last_name TEXT NOT NULL DEFAULT '', company TEXT NOT NULL DEFAULT '',
        role TEXT NOT NULL DEFAULT '', timezone TEXT, notes TEXT NOT NULL DEFAULT '',
        phone TEXT NOT NULL DEFAULT '', location TEXT NOT NULL DEFAULT '',
        tags TEXT NOT NULL DEFAULT '[]',
        status TEXT NOT NULL DEFAULT 'new',
        needs_attention TEXT, snoozed_until INTEGER,
        referred_by INTEGER REFERENCES contacts(id),
        thread_id TEXT, user_note TEXT NOT NULL DEFAULT '',
        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
        status_changed_at INTEGER NOT NULL,
        extra TEXT NOT NULL DEFAULT '{}'
    )""",
        """CREATE INDEX contacts_status ON contacts(status)""",
        """CREATE TABLE aliases (
        email TEXT PRIMARY KEY, contact_id INTEGER NOT NULL REFERENCES contacts(id)
    )""",
        """CREATE TABLE timeline (
        id INTEGER PRIMARY KEY, contact_id INTEGER NOT NULL REFERENCES contacts(id),
        at INTEGER NOT NULL, event TEXT NOT NULL, old_status TEXT, new_status TEXT,
        cause TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '{}'
    )""",
        """CREATE INDEX timeline_contact ON timeline(contact_id, id)""",
        """CREATE TABLE holds (
        id INTEGER PRIMARY KEY, contact_id INTEGER NOT NULL REFERENCES contacts(id),
        start INTEGER NOT NULL, end INTEGER NOT NULL, expires_at INTEGER NOT NULL,
        message_id TEXT, released_at INTEGER
    )""",
        """CREATE INDEX holds_active ON holds(released_at, expires_at)""",
        """CREATE TABLE messages (
        id INTEGER PRIMARY KEY, contact_id INTEGER REFERENCES contacts(id),
        kind TEXT NOT NULL, direction TEXT NOT NULL, message_id TEXT, thread_id TEXT,
        draft_id TEXT, state TEXT NOT NULL, subject TEXT NOT NULL DEFAULT '',
        in_reply_to TEXT, created_at INTEGER NOT NULL, sent_at INTEGER,
        classification TEXT, detail TEXT NOT NULL DEFAULT '{}'
    )""",
        """CREATE INDEX messages_mid ON messages(message_id)""",
        """CREATE INDEX messages_contact ON messages(contact_id, id)""",
        """CREATE INDEX messages_thread ON messages(thread_id)""",
        """CREATE TABLE seen (key TEXT PRIMARY KEY, at INTEGER NOT NULL)""",
        """CREATE TABLE intents (
        id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
        contact_id INTEGER REFERENCES contacts(id), payload TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending', created_at INTEGER NOT NULL,
        done_at INTEGER, result TEXT
    )""",
        """CREATE TABLE interviews (
        id INTEGER PRIMARY KEY, contact_id INTEGER NOT NULL REFERENCES contacts(id),
        uid TEXT NOT NULL UNIQUE, start INTEGER NOT NULL, end INTEGER NOT NULL,
        sequence INTEGER NOT NULL DEFAULT 0, status TEXT NOT NULL DEFAULT 'confirmed',
        attendee_status TEXT, event_ref TEXT,
        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
    )""",
        """CREATE TABLE referrals (
        id INTEGER PRIMARY KEY, referrer_id INTEGER NOT NULL REFERENCES contacts(id),
        referred_id INTEGER NOT NULL REFERENCES contacts(id), created_at INTEGER NOT NULL,
        UNIQUE (referrer_id, referred_id)
    )""",
        """CREATE TABLE cursors (name TEXT PRIMARY KEY, value TEXT)""",
        """CREATE TABLE ticks (
        id INTEGER PRIMARY KEY, started_at INTEGER NOT NULL, ended_at INTEGER,
        outcome TEXT, counts TEXT NOT NULL DEFAULT '{}', error TEXT, pid INTEGER
    )""",
    )),
    # How the user knows of the contact; the outreach opens with it.
    ("0002_contact_connection", (
        """ALTER TABLE contacts ADD COLUMN connection TEXT NOT NULL DEFAULT ''""",
    )),
    # The dashboard counts and filters in SQL (adapters/store/reports.py); these keep its pages
    # fast at 10,000 contacts with a year of timeline.
    ("0003_report_indexes", (
        "CREATE INDEX timeline_status_contact ON timeline(new_status, contact_id, at)",
        "CREATE INDEX timeline_status_at ON timeline(new_status, at)",
        "CREATE INDEX contacts_status_changed ON contacts(status, status_changed_at)",
        "CREATE INDEX contacts_flagged ON contacts(id) WHERE needs_attention IS NOT NULL",
        "CREATE INDEX interviews_status_end ON interviews(status, end)",
    )),
    # Employers the user ranked (LAMP): their contacts get their outreach first.
    ("0004_employers", (
        """CREATE TABLE employers (
        key TEXT PRIMARY KEY, name TEXT NOT NULL, rank INTEGER, updated_at INTEGER NOT NULL
    )""",
    )),
    # What the user has been doing: a check-in carries the latest one not yet shared.
    ("0005_updates", (
        """CREATE TABLE updates (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, text TEXT NOT NULL)""",
    )),
    # What parsing each calendar file found, so an unchanged one is not parsed on every pass
    # (adapters/local/filecache.py); and the thread lookup of inbound mail without a scan.
    ("0006_file_cache", (
        """CREATE TABLE file_cache (
        kind TEXT NOT NULL, path TEXT NOT NULL, payload TEXT NOT NULL,
        PRIMARY KEY (kind, path)
    )""",
        "CREATE INDEX contacts_thread ON contacts(thread_id) WHERE thread_id IS NOT NULL",
    )),
    # A contact's latest interview (read per card and per prep sheet on the dashboard, and by
    # the pass) was a scan of every interview; the drafts waiting in Drafts were a scan of
    # every message.
    ("0007_page_indexes", (
        "CREATE INDEX interviews_contact ON interviews(contact_id, id)",
        "CREATE INDEX messages_state ON messages(direction, state)",
    )),
    # The pipeline's company filter lists every company: read off this index in order, not
    # sorted out of a scan of every contact (costs a large import ~70 ms per 100,000 rows
    # when its indexes are rebuilt).
    ("0008_company_index", (
        "CREATE INDEX contacts_company ON contacts(company)",
    )),
    # The pipeline's tag filter lists every tag in use: only the tagged contacts are read.
    ("0009_tagged_index", (
        "CREATE INDEX contacts_tagged ON contacts(id) WHERE tags != '[]'",
    )),
    # The interviews held by now (the Insights page's referral yield, the pass) are read off
    # the index alone, without a lookup of each interview's row for its contact; it serves
    # every query the narrower (status, end) index served.
    ("0010_held_index", (
        "CREATE INDEX interviews_status_end_contact ON interviews(status, end, contact_id)",
        "DROP INDEX interviews_status_end",
    )),
    # The daily outreach cap counts today's outreach drafts on every pass: off this index (a
    # covering read of today's messages), not a walk of every draft (about 7 ms an idle pass
    # at 10,000 contacts). Led by the time, so no read of one contact's messages is planned
    # through it instead of messages_contact (led by (kind, direction), it drew the employer
    # gate's per-contact read onto every sent outreach message: seconds).
    ("0011_drafts_by_day", (
        "CREATE INDEX messages_created ON messages(created_at, kind, direction)",
    )),
    # The "created" event of the contacts an import creates, one row per run of them
    # (adapters/store/createdruns.py) instead of one timeline row each: a 100,000-row import
    # wrote 100,000 rows and their three indexes. Earlier imports keep their timeline rows.
    ("0012_created_runs", (
        """CREATE TABLE created_runs (
        first_id INTEGER PRIMARY KEY, last_id INTEGER NOT NULL, at INTEGER NOT NULL,
        first_line INTEGER NOT NULL
    )""",
    )),
]
