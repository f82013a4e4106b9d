-- What an order carries beyond the first schema (issue 4): how the user sees
-- it, each line's standing under the download policy, the state of the
-- incremental order feed, license acceptances, download reasons and a few
-- preferences.

-- access is 'account' for an order of one of the user's company accounts,
-- 'order' for one added through an access link.
ALTER TABLE orders ADD COLUMN access TEXT NOT NULL DEFAULT 'account';

-- download_next is '' for lines the policy does not cover (licenses,
-- documentation); else free, reason, review, pending or approved.
ALTER TABLE order_lines ADD COLUMN download_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE order_lines ADD COLUMN download_next TEXT NOT NULL DEFAULT '';
ALTER TABLE order_lines ADD COLUMN review_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE order_lines ADD COLUMN review_due TEXT;

-- The feed's state is kept per portal in sync_state, keyed 'feed:' + the
-- portal's URL: since_cursor asks for the changes after the last sync, and
-- page_etag is the feed's tag, sent back so an unchanged feed answers 304.
ALTER TABLE sync_state ADD COLUMN since_cursor TEXT NOT NULL DEFAULT '';

-- One row per line a user accepted the license agreement for. portal_id is
-- the portal's record of it, empty until the portal has it.
CREATE TABLE license_acceptances (
    id           INTEGER PRIMARY KEY,
    order_number TEXT NOT NULL,
    line_id      TEXT NOT NULL,
    user         TEXT NOT NULL,
    accepted_at  TEXT NOT NULL,
    portal_id    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX license_acceptances_line ON license_acceptances(order_number, line_id);

-- The reason given for a line's next download, sent with its next ticket
-- request. used_at is set once the portal granted or reviewed it.
CREATE TABLE download_reasons (
    id           INTEGER PRIMARY KEY,
    order_number TEXT NOT NULL,
    line_id      TEXT NOT NULL,
    reason       TEXT NOT NULL,
    given_at     TEXT NOT NULL,
    used_at      TEXT
);
CREATE INDEX download_reasons_line ON download_reasons(order_number, line_id);

-- Small settings that outlive a run, such as the chosen account.
CREATE TABLE preferences (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
