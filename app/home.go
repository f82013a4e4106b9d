package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// Home is Lading's data folder: the database, downloads, the license archive
// and the logs all live under it.
type Home string

// DefaultHome picks the data folder: the --home flag, then LADING_HOME, then
// the platform's usual place for per-user application data.
func DefaultHome(flagValue string) (Home, error) {
	if flagValue != "" {
		return absHome(flagValue)
	}
	if env := os.Getenv("LADING_HOME"); env != "" {
		return absHome(env)
	}
	if runtime.GOOS == "linux" {
		if xdg := os.Getenv("XDG_DATA_HOME"); xdg != "" {
			return absHome(filepath.Join(xdg, "lading"))
		}
		if h, err := os.UserHomeDir(); err == nil {
			return absHome(filepath.Join(h, ".local", "share", "lading"))
		}
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", errors.New("cannot tell where to keep Lading's data; " +
			"pass --home DIR or set LADING_HOME")
	}
	return absHome(filepath.Join(dir, "Lading"))
}

func absHome(p string) (Home, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("data folder %s: %w", p, err)
	}
	return Home(abs), nil
}

// Ensure creates the data folder and its subfolders.
func (h Home) Ensure() error {
	for _, d := range []string{string(h), h.Downloads(), h.Archive()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("cannot create the data folder %s: %w", d, err)
		}
	}
	return nil
}

// Database is the SQLite file.
func (h Home) Database() string { return filepath.Join(string(h), "lading.db") }

// Downloads holds the software images, one folder per order.
func (h Home) Downloads() string { return filepath.Join(string(h), "downloads") }

// Archive holds the license documents, one folder per order.
func (h Home) Archive() string { return filepath.Join(string(h), "archive") }

// Log is the application's log file.
func (h Home) Log() string { return filepath.Join(string(h), "lading.log") }

// PortalLog is where the built-in demo portal logs its requests.
func (h Home) PortalLog() string { return filepath.Join(string(h), "portal.log") }
