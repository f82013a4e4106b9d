-- The first schema: accounts, orders with their lines, holds, notices,
-- license documents and keys, download tasks and sync state.

CREATE TABLE accounts (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE orders (
    number         TEXT PRIMARY KEY,
    account_id     TEXT NOT NULL REFERENCES accounts(id),
    po_number      TEXT NOT NULL DEFAULT '',
    bill_to        TEXT NOT NULL DEFAULT '',
    ship_to        TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL,
    available_at   TEXT NOT NULL,
    archived       INTEGER NOT NULL DEFAULT 0,
    early_ship     INTEGER NOT NULL DEFAULT 1,
    requested_date TEXT,
    revision       INTEGER NOT NULL DEFAULT 0,
    content_hash   TEXT NOT NULL
);
CREATE INDEX orders_account ON orders(account_id);

CREATE TABLE order_lines (
    order_number TEXT NOT NULL REFERENCES orders(number) ON DELETE CASCADE,
    line_id      TEXT NOT NULL,
    position     INTEGER NOT NULL,
    product_id   TEXT NOT NULL DEFAULT '',
    description  TEXT NOT NULL DEFAULT '',
    file_type    TEXT NOT NULL,
    file_name    TEXT NOT NULL DEFAULT '',
    size         INTEGER NOT NULL DEFAULT 0,
    md5          TEXT NOT NULL DEFAULT '',
    sha512       TEXT NOT NULL DEFAULT '',
    quantity     INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (order_number, line_id)
);

-- A hold with an empty line_id holds the whole order.
CREATE TABLE holds (
    order_number TEXT NOT NULL REFERENCES orders(number) ON DELETE CASCADE,
    line_id      TEXT NOT NULL DEFAULT '',
    position     INTEGER NOT NULL,
    type         TEXT NOT NULL,
    reason       TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (order_number, line_id, position)
);

CREATE TABLE notices (
    order_number TEXT NOT NULL REFERENCES orders(number) ON DELETE CASCADE,
    line_id      TEXT NOT NULL,
    position     INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    text         TEXT NOT NULL DEFAULT '',
    replacement  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (order_number, line_id, position)
);

-- The portal's description of each license document. What the archive holds
-- locally lives in archived_documents, so a re-sync never touches it.
CREATE TABLE documents (
    order_number TEXT NOT NULL REFERENCES orders(number) ON DELETE CASCADE,
    doc_id       TEXT NOT NULL,
    position     INTEGER NOT NULL,
    line_id      TEXT NOT NULL DEFAULT '',
    kind         TEXT NOT NULL,
    title        TEXT NOT NULL DEFAULT '',
    file_name    TEXT NOT NULL,
    size         INTEGER NOT NULL DEFAULT 0,
    sha256       TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (order_number, doc_id)
);

CREATE TABLE paks (
    order_number TEXT NOT NULL REFERENCES orders(number) ON DELETE CASCADE,
    pak          TEXT NOT NULL,
    doc_id       TEXT NOT NULL,
    line_id      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (order_number, pak)
);
CREATE INDEX paks_pak ON paks(pak);

CREATE TABLE archived_documents (
    order_number TEXT NOT NULL,
    doc_id       TEXT NOT NULL,
    path         TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    fetched_at   TEXT NOT NULL,
    PRIMARY KEY (order_number, doc_id)
);

CREATE TABLE download_tasks (
    id            INTEGER PRIMARY KEY,
    order_number  TEXT NOT NULL DEFAULT '',
    line_id       TEXT NOT NULL DEFAULT '',
    url           TEXT NOT NULL DEFAULT '',
    name          TEXT NOT NULL,
    dest_path     TEXT NOT NULL UNIQUE,
    part_path     TEXT NOT NULL,
    size          INTEGER NOT NULL DEFAULT -1,
    md5           TEXT NOT NULL,
    state         TEXT NOT NULL,
    bytes_done    INTEGER NOT NULL DEFAULT 0,
    etag          TEXT NOT NULL DEFAULT '',
    last_modified TEXT NOT NULL DEFAULT '',
    hash_state    BLOB,
    hash_offset   INTEGER NOT NULL DEFAULT 0,
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT NOT NULL DEFAULT '',
    priority      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    finished_at   TEXT
);
CREATE INDEX download_tasks_line ON download_tasks(order_number, line_id);

CREATE TABLE sync_state (
    account_id   TEXT PRIMARY KEY,
    page_etag    TEXT NOT NULL DEFAULT '',
    last_sync_at TEXT NOT NULL,
    orders_seen  INTEGER NOT NULL DEFAULT 0
);
