//go:build linux && prof

package bench

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"testing"
	"time"

	"lading.dev/lading/portal"
)

func TestProfSmallBin(t *testing.T) {
	srv, _ := portal.New(portal.Config{Orders: 1200, MaxFileSize: smallMax,
		URLTTL: time.Hour, UnlimitedDownloads: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv.Start()
	defer srv.Close()
	orders, _ := pickOrders(srv.Orders(), manyFiles)
	home, _ := os.MkdirTemp("/var/tmp", "prof-")
	defer os.RemoveAll(home)
	env := []string{"LADING_TOKEN=" + srv.Token()}
	run(t.Context(), env, "/tmp/lading-prof", "--home", home, "--portal", srv.URL(), "sync")
	s, out, err := run(t.Context(), append(env, "LADING_CPUPROFILE=/tmp/bin.prof", "LADING_CPUPROFILE_SECONDS=2.6"), "/tmp/lading-prof", append([]string{"--home", home, "--portal", srv.URL(), "--workers", "8", "download", "--no-sync", "--accept-license"}, orders...)...)
	time.Sleep(3 * time.Second)
	fmt.Fprintln(os.Stderr, s, err, len(out))
	_ = exec.Command
}
