-- Which file each task's partial is (issue 3). part_id names the partial by
-- its device and inode where the system has them, recorded when an attempt
-- starts; empty where it does not, or before the first attempt. A resume
-- trusts the saved digest only for the same file: a partial replaced since
-- its checkpoint is hashed again from disk, so the final check covers the
-- bytes that are really there.
ALTER TABLE download_tasks ADD COLUMN part_id TEXT NOT NULL DEFAULT '';
