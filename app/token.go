package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/zalando/go-keyring"
)

// The portal token is a secret: it lives in the operating system's keyring
// (Secret Service on Linux, Keychain on macOS, Credential Manager on
// Windows), one entry per portal URL. Where no keyring service runs, as on a
// build server, it falls back to a file in the data folder that only the
// user may read. It is never written to a log.

// keyringService names Lading's entries in the keyring.
const keyringService = "lading"

// credentialsFile is the fallback store, a JSON object from portal URL to
// token, mode 0600.
const credentialsFile = "credentials.json"

// tokenVault keeps portal tokens. Tests replace useKeyring to force the
// file.
type tokenVault struct {
	home       Home
	useKeyring func() bool
}

// newVault returns the vault of a data folder.
func newVault(h Home) *tokenVault { return &tokenVault{home: h, useKeyring: keyringUsable} }

// keyringUsable reports whether a keyring service can be reached without
// starting one: on Linux and the BSDs that needs a session bus, which a
// build server or a container does not have.
func keyringUsable() bool {
	switch runtime.GOOS {
	case "darwin", "windows":
		return true
	}
	return os.Getenv("DBUS_SESSION_BUS_ADDRESS") != ""
}

// Load returns the token stored for a portal, or "" when there is none.
func (v *tokenVault) Load(portal string) (string, error) {
	if v.useKeyring() {
		tok, err := keyring.Get(keyringService, portal)
		if err == nil {
			return tok, nil
		}
		if !errors.Is(err, keyring.ErrNotFound) {
			// The keyring is there but does not answer; the file may hold it.
			return v.loadFile(portal)
		}
	}
	return v.loadFile(portal)
}

// Save stores a portal's token and says where it went.
func (v *tokenVault) Save(portal, token string) (string, error) {
	if v.useKeyring() {
		if err := keyring.Set(keyringService, portal, token); err == nil {
			v.removeFile(portal)
			return "the system keyring", nil
		}
	}
	if err := v.saveFile(portal, token); err != nil {
		return "", err
	}
	return v.path() + " (readable only by you)", nil
}

// path is the fallback file.
func (v *tokenVault) path() string { return filepath.Join(string(v.home), credentialsFile) }

// readFile reads the fallback file; a missing file is an empty one.
func (v *tokenVault) readFile() (map[string]string, error) {
	data, err := os.ReadFile(v.path())
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the stored sign-in: %w", err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("the stored sign-in in %s is damaged; run lading login "+
			"again", v.path())
	}
	return m, nil
}

// loadFile returns a portal's token from the fallback file.
func (v *tokenVault) loadFile(portal string) (string, error) {
	m, err := v.readFile()
	return m[portal], err
}

// saveFile writes a portal's token into the fallback file, readable and
// writable by the user alone.
func (v *tokenVault) saveFile(portal, token string) error {
	m, err := v.readFile()
	if err != nil {
		m = map[string]string{}
	}
	m[portal] = token
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	tmp := v.path() + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("cannot store the sign-in: %w", err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cannot store the sign-in: %w", err)
	}
	if err := os.Rename(tmp, v.path()); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cannot store the sign-in: %w", err)
	}
	return nil
}

// removeFile drops a portal's token from the fallback file once the
// keyring holds it.
func (v *tokenVault) removeFile(portal string) {
	m, err := v.readFile()
	if err != nil || m[portal] == "" {
		return
	}
	delete(m, portal)
	if data, err := json.Marshal(m); err == nil {
		os.WriteFile(v.path(), data, 0o600)
	}
}

// portalToken is the token for a portal: LADING_TOKEN when set, else the
// one lading login stored. The built-in demo portal needs none.
func portalToken(h Home, portal string) string {
	if t := os.Getenv("LADING_TOKEN"); t != "" || portal == "" {
		return t
	}
	t, _ := newVault(h).Load(portal)
	return t
}
