//go:build linux && prof

package bench

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"testing"
	"time"

	"lading.dev/lading/app"
	"lading.dev/lading/portal"
)

func TestProfSmall(t *testing.T) {
	srv, err := portal.New(portal.Config{Orders: 1200, MaxFileSize: smallMax,
		URLTTL: time.Hour, UnlimitedDownloads: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	defer srv.Close()
	orders, _ := pickOrders(srv.Orders(), manyFiles)
	home := t.TempDir()
	os.Setenv("LADING_TOKEN", srv.Token())
	if app.Main([]string{"--home", home, "--portal", srv.URL(), "sync"}) != 0 {
		t.Fatal("sync")
	}
	f, _ := os.Create("/tmp/small.prof")
	pprof.StartCPUProfile(f)
	start := time.Now()
	code := app.Main(append([]string{"--home", home, "--portal", srv.URL(), "--workers", "8", "download", "--no-sync", "--accept-license"}, orders...))
	fmt.Fprintln(os.Stderr, "took", time.Since(start), code)
	pprof.StopCPUProfile()
	f.Close()
}
