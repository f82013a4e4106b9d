package app

import (
	"os"

	"golang.org/x/sys/unix"
)

// hideInput stops the terminal from echoing what is typed, so a pasted
// token does not stay on screen, and returns the function that undoes it.
func hideInput(f *os.File) func() {
	fd := int(f.Fd())
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return func() {}
	}
	quiet := *old
	quiet.Lflag &^= unix.ECHO
	if unix.IoctlSetTermios(fd, unix.TCSETS, &quiet) != nil {
		return func() {}
	}
	return func() { unix.IoctlSetTermios(fd, unix.TCSETS, old) }
}

// isTTY reports whether f is a terminal a person types into. /dev/null is a
// character device too, so the file mode cannot tell.
func isTTY(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
