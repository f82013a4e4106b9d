//go:build !linux

package app

import "os"

// hideInput leaves echo on where Lading does not know the terminal's
// controls.
// TODO: turn echo off on macOS and Windows too; until then a typed token
// shows on screen there.
func hideInput(*os.File) func() { return func() {} }

// isTTY reports whether f is a character device, the best guess for a
// terminal here.
func isTTY(f *os.File) bool { return isTerminal(f) }
