-- Which files a task's partial and final name are (issue 3). part_id names the partial by
-- its device and inode where the system has them, recorded when an attempt
-- starts; empty where it does not, or before the first attempt. A resume
-- trusts the saved digest only for the same file: a partial replaced since
-- its checkpoint is hashed again from disk, so the final check covers the
-- bytes that are really there.
ALTER TABLE download_tasks ADD COLUMN part_id TEXT NOT NULL DEFAULT '';

-- dest_id names, the same way, the file a task may replace when it renames
-- its verified download: the earlier version of the line that Lading itself
-- downloaded, when the order changed the file. Empty means the final name
-- must be free. Anything else found there was put there by someone else
-- during the download, and is never replaced.
ALTER TABLE download_tasks ADD COLUMN dest_id TEXT NOT NULL DEFAULT '';
