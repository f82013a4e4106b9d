-- The download engine's second schema (issue 3): what a task learned about
-- its server, the order's stronger digests, and a per-task speed cap.

-- resumable is 0 once the server has shown it cannot continue a partial
-- file (it ignored a Range request, or said "Accept-Ranges: none"), so the
-- window can say a pause means starting over.
ALTER TABLE download_tasks ADD COLUMN resumable INTEGER NOT NULL DEFAULT 1;

-- The order's SHA-256 and SHA-512, lower-case hex, empty when not given.
-- Every digest given is checked before a file gets its final name.
ALTER TABLE download_tasks ADD COLUMN sha256 TEXT NOT NULL DEFAULT '';
ALTER TABLE download_tasks ADD COLUMN sha512 TEXT NOT NULL DEFAULT '';

-- rate_limit caps this task alone, in bytes a second; 0 means no cap of
-- its own (the global cap still applies).
ALTER TABLE download_tasks ADD COLUMN rate_limit INTEGER NOT NULL DEFAULT 0;

-- The queue is read in this order on every start.
CREATE INDEX download_tasks_queue ON download_tasks(priority DESC, id);
