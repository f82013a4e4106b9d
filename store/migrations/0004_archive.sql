-- The license archive's index and the audit trail (issue 5).
--
-- archive_blobs holds each distinct document body once, keyed by its SHA-256,
-- so a document shared by several orders is stored a single time.
-- archive_versions has one row per fetched version of a document; a new
-- version points at the one it replaces, and only the newest is latest. It
-- copies what it needs from the order (account, PO, product, order date) so
-- the archive stays searchable after the order leaves the portal, and after
-- it is imported on a machine that never synced it.
-- audit_events is append-only: every download attempt, verification,
-- refusal, import, license acceptance and download reason.

CREATE TABLE archive_blobs (
    sha256    TEXT PRIMARY KEY,
    -- Relative to the archive folder with forward slashes; rows migrated
    -- from the first schema keep their absolute path.
    path      TEXT NOT NULL,
    size      INTEGER NOT NULL,
    stored_at TEXT NOT NULL
);

CREATE TABLE archive_versions (
    id           INTEGER PRIMARY KEY,
    account_id   TEXT NOT NULL DEFAULT '',
    order_number TEXT NOT NULL,
    po_number    TEXT NOT NULL DEFAULT '',
    order_date   TEXT NOT NULL DEFAULT '',
    doc_id       TEXT NOT NULL,
    line_id      TEXT NOT NULL DEFAULT '',
    product_id   TEXT NOT NULL DEFAULT '',
    kind         TEXT NOT NULL,
    title        TEXT NOT NULL DEFAULT '',
    file_name    TEXT NOT NULL,
    version      INTEGER NOT NULL,
    previous_id  INTEGER REFERENCES archive_versions(id),
    latest       INTEGER NOT NULL DEFAULT 1,
    -- Where this version is filed in the layout. When its body was already
    -- stored for another document, the file lives at the blob's path.
    path         TEXT NOT NULL,
    sha256       TEXT NOT NULL REFERENCES archive_blobs(sha256),
    size         INTEGER NOT NULL,
    source       TEXT NOT NULL DEFAULT '',
    fetched_at   TEXT NOT NULL,
    UNIQUE (order_number, doc_id, version)
);
CREATE INDEX archive_versions_latest ON archive_versions(order_number, doc_id, latest);
CREATE INDEX archive_versions_sha ON archive_versions(sha256);

-- The keys a version carried when it was fetched.
CREATE TABLE archive_paks (
    version_id INTEGER NOT NULL REFERENCES archive_versions(id) ON DELETE CASCADE,
    pak        TEXT NOT NULL,
    PRIMARY KEY (version_id, pak)
);
CREATE INDEX archive_paks_pak ON archive_paks(pak);

-- Bring the first schema's rows across, each as version 1.
INSERT INTO archive_blobs(sha256, path, size, stored_at)
    SELECT sha256, path, size, fetched_at FROM archived_documents WHERE true
    ON CONFLICT(sha256) DO NOTHING;

INSERT INTO archive_versions(account_id, order_number, po_number, order_date, doc_id,
    line_id, product_id, kind, title, file_name, version, latest, path, sha256, size,
    source, fetched_at)
SELECT COALESCE(o.account_id, ''), a.order_number, COALESCE(o.po_number, ''),
    COALESCE(o.created_at, ''), a.doc_id, COALESCE(d.line_id, ''),
    COALESCE(l.product_id, ''), COALESCE(d.kind, 'info'), COALESCE(d.title, ''),
    COALESCE(d.file_name, a.doc_id || '.pdf'), 1, 1, a.path, a.sha256, a.size,
    'portal', a.fetched_at
FROM archived_documents a
LEFT JOIN documents d ON d.order_number = a.order_number AND d.doc_id = a.doc_id
LEFT JOIN orders o ON o.number = a.order_number
LEFT JOIN order_lines l ON l.order_number = d.order_number AND l.line_id = d.line_id;

INSERT INTO archive_paks(version_id, pak)
    SELECT v.id, p.pak FROM archive_versions v
    JOIN paks p ON p.order_number = v.order_number AND p.doc_id = v.doc_id;

DROP TABLE archived_documents;

CREATE TABLE audit_events (
    id           INTEGER PRIMARY KEY,
    at           TEXT NOT NULL,
    -- download, verify, archive, refuse, import, license or reason.
    event        TEXT NOT NULL,
    order_number TEXT NOT NULL DEFAULT '',
    line_id      TEXT NOT NULL DEFAULT '',
    doc_id       TEXT NOT NULL DEFAULT '',
    task_id      INTEGER NOT NULL DEFAULT 0,
    attempt      INTEGER NOT NULL DEFAULT 0,
    file         TEXT NOT NULL DEFAULT '',
    bytes        INTEGER NOT NULL DEFAULT 0,
    -- The digest the file was held to (md5 or sha256) and its value.
    algorithm    TEXT NOT NULL DEFAULT '',
    checksum     TEXT NOT NULL DEFAULT '',
    -- verified, mismatch, not checked, intact, changed, missing, refused.
    result       TEXT NOT NULL DEFAULT '',
    -- How a download attempt ended: the task's state, or retried.
    outcome      TEXT NOT NULL DEFAULT '',
    detail       TEXT NOT NULL DEFAULT '',
    reason       TEXT NOT NULL DEFAULT '',
    license      TEXT NOT NULL DEFAULT '',
    actor        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_line ON audit_events(order_number, line_id);
CREATE INDEX audit_events_task ON audit_events(task_id, attempt);
CREATE INDEX audit_events_check ON audit_events(event, checksum);

-- The trail is evidence: rows are added, never changed or removed.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only');
END;
