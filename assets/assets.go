// Package assets holds the files Lading ships inside its binary. It imports
// no UI package, so any part of the program may use it.
package assets

import _ "embed"

// Icon is the application icon, a 256x256 PNG of a download arrow dropping
// into a tray. FyneApp.toml names the same file for packaging.
//
//go:embed icon.png
var Icon []byte
