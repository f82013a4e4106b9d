// Package downloader fetches the files of a user's order lines: it keeps a
// queue of tasks in the store, runs a capped number of workers, and drives
// each transfer through grab with resume, retry and MD5 verification.
//
// A file is written under its ".part" name while it downloads and renamed to
// its final name only once the MD5 of every byte matches the order. The
// digest is computed while the bytes stream and checkpointed in the store,
// so a run killed mid-transfer resumes from the bytes on disk without
// reading the whole partial again.
//
// The package imports no UI: callers watch it through an Observer.
package downloader
