package app

import (
	"net/http"
	"path/filepath"

	ordersync "lading.dev/lading/sync"
)

// portalHTTP is the HTTP client for the portal and its file links: the
// configured one, or one that trusts the system's authorities and those of
// Config.CAFile. Certificate checks are never turned off.
func portalHTTP(cfg Config) (*http.Client, error) {
	if cfg.HTTPClient != nil {
		return cfg.HTTPClient, nil
	}
	return ordersync.HTTPClient(cfg.CAFile)
}

// demoStatePath is where the built-in demo portal keeps what changed while
// it ran (restores, download counts, access links, notifications), so that
// the next run of Lading meets the same portal.
func demoStatePath(h Home) string { return filepath.Join(string(h), "portal-state.json") }
