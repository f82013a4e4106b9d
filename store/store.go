// Package store keeps Lading's state in one SQLite file: the orders synced
// from the portal, the license archive's index and the download tasks. The
// schema lives in numbered migrations embedded in the binary.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// ErrNotFound is returned when a row asked for does not exist.
var ErrNotFound = errors.New("not found")

// ErrTooNew is returned when the database was written by a newer Lading.
var ErrTooNew = errors.New("database schema is newer than this Lading")

// Store is an open database. It is safe for concurrent use.
type Store struct {
	db   *sql.DB // reads, which WAL lets run beside a write, and syncs
	w    *writer // every other write, on one connection
	path string
}

// Open opens or creates the database at path and brings its schema up to
// date. WAL lets readers run while a download writes its progress, and
// _txlock=immediate makes every transaction take the write lock up front,
// so two writers never deadlock on an upgrade from a read lock.
func Open(ctx context.Context, path string) (*Store, error) {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "10000")
	q.Set("_txlock", "immediate")
	q.Set("_synchronous", "NORMAL")
	// Keep prepared statements per connection: the download engine writes
	// the same few statements for every file, and preparing them again
	// costs more than running them.
	q.Set("_stmt_cache_size", "64")
	dsn := "file:" + path + "?" + q.Encode()
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	// Keep the connections the download workers use at once: by default
	// database/sql closes all but two when they fall idle, and a queue of
	// small files would open them again for nearly every file.
	db.SetMaxIdleConns(16)
	// SQLite lets one writer in at a time and makes the others sleep and
	// try again, a millisecond or more each time. The short writes of the
	// engine, the queue and the audit log go to one connection instead,
	// those that arrive together in one transaction (see writer). A sync
	// writes on a connection of its own and takes the write lock only to
	// commit (see BeginFeed), so a slow portal never holds this one.
	wdb, err := sql.Open("sqlite3", dsn)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	wdb.SetMaxOpenConns(1)
	s := &Store{db: db, w: newWriter(wdb), path: path}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	s.w.close()
	return errors.Join(s.w.db.Close(), s.db.Close())
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// DB exposes the handle for tests and read-only reports.
func (s *Store) DB() *sql.DB { return s.db }

// SchemaVersion returns the number of the last migration applied.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

// migrate applies every migration newer than the stored version, all in one
// transaction, so a crash leaves either the old schema or the new one.
func (s *Store) migrate(ctx context.Context) error {
	steps, err := migrationSteps()
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		var have int
		if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
			return err
		}
		if have > len(steps) {
			return fmt.Errorf("%w (version %d, this build knows %d)", ErrTooNew, have, len(steps))
		}
		for i := have; i < len(steps); i++ {
			if _, err := tx.ExecContext(ctx, steps[i]); err != nil {
				return fmt.Errorf("migration %d: %w", i+1, err)
			}
		}
		_, err := tx.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(len(steps)))
		return err
	})
}

// migrationSteps reads the embedded files in number order and checks that the
// numbers run 1, 2, 3… without a gap.
func migrationSteps() ([]string, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	steps := make([]string, 0, len(names))
	for i, name := range names {
		num, _, _ := strings.Cut(path.Base(name), "_")
		if n, err := strconv.Atoi(num); err != nil || n != i+1 {
			return nil, fmt.Errorf("migration %s is out of sequence", name)
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return nil, err
		}
		steps = append(steps, string(body))
	}
	return steps, nil
}

// tx runs fn in a write transaction, which it may share with other
// writes, and returns once that is committed; nothing of fn is kept when
// it fails. fn may run more than once, so it must set its results afresh.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	return s.w.do(ctx, fn)
}

// exec runs one write statement through tx.
func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		res, err = tx.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

// timeText formats t the one way the database stores times.
func timeText(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// parseTime reads a time written by timeText; a blank or bad value is zero.
func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}
