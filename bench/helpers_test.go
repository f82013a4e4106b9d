//go:build linux

package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// sample is one run of one tool.
type sample struct {
	wall time.Duration
	cpu  time.Duration // user + system of the child processes; 0 when in-process
	rss  int64         // peak resident bytes of the largest child; 0 when in-process
}

// add combines two steps of one run, as "curl && md5sum".
func (s sample) add(o sample) sample {
	return sample{wall: s.wall + o.wall, cpu: s.cpu + o.cpu, rss: max(s.rss, o.rss)}
}

// run starts a child process and measures it. Its output is returned for
// checks; a failure includes what it printed.
func run(ctx context.Context, env []string, name string, args ...string) (sample, string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	s := sample{wall: time.Since(start)}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		s.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		s.rss = ru.Maxrss << 10 // KiB on Linux
	}
	if err != nil {
		return s, out.String(), fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err,
			out.String())
	}
	return s, out.String(), nil
}

// series is every run of one tool in one comparison.
type series []sample

func (s series) median(of func(sample) float64) float64 {
	v := make([]float64, len(s))
	for i, x := range s {
		v[i] = of(x)
	}
	return median(v)
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func wallOf(s sample) float64 { return s.wall.Seconds() }
func cpuOf(s sample) float64  { return s.cpu.Seconds() }
func rssOf(s sample) float64  { return float64(s.rss) }

// pairedRatio is the median over rounds of a's time divided by b's time
// in the same round, so slow drift of the machine cancels out.
func pairedRatio(a, b series) float64 {
	var r []float64
	for i := range min(len(a), len(b)) {
		r = append(r, a[i].wall.Seconds()/b[i].wall.Seconds())
	}
	return median(r)
}

// source is a file the test server offers.
type source struct {
	path string
	size int64
	md5  string
}

// makeSource writes size reproducible, incompressible bytes to path and
// returns their MD5.
func makeSource(path string, size int64) (source, error) {
	f, err := os.Create(path)
	if err != nil {
		return source{}, err
	}
	sum := md5.New()
	w := bufio.NewWriterSize(io.MultiWriter(f, sum), 1<<20)
	rng := rand.NewChaCha8([32]byte{1, 2, 3})
	if _, err := io.CopyN(w, rng, size); err != nil {
		f.Close()
		return source{}, err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return source{}, err
	}
	if err := f.Close(); err != nil {
		return source{}, err
	}
	return source{path: path, size: size, md5: hex.EncodeToString(sum.Sum(nil))}, nil
}

// fileServer serves the files of a folder on 127.0.0.1 with
// http.ServeContent, which sends them with sendfile and honours Range and
// If-Range. While cut is above zero, GET answers stop after that many
// bytes and then hang until the client goes: a link that dies part-way.
type fileServer struct {
	*httptest.Server
	dir string
	cut atomic.Int64
}

func newFileServer(dir string) *fileServer {
	s := &fileServer{dir: dir}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

func (s *fileServer) serve(w http.ResponseWriter, r *http.Request) {
	f, err := os.Open(filepath.Join(s.dir, filepath.Base(r.URL.Path)))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("ETag", fmt.Sprintf(`"%x-%x"`, fi.Size(), fi.ModTime().UnixNano()))
	if cut := s.cut.Load(); cut > 0 && r.Method == http.MethodGet {
		w.Header().Set("Content-Length", fmt.Sprint(fi.Size()))
		w.WriteHeader(http.StatusOK)
		io.CopyN(w, f, cut)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		return
	}
	http.ServeContent(w, r, fi.Name(), fi.ModTime(), f)
}

func (s *fileServer) url(name string) string { return s.URL + "/" + name }

// syncAll flushes every dirty page, so one run's writes do not land on the
// next run's clock.
func syncAll() { syscall.Sync() }

// need returns the path of a tool, or skips the benchmark without it.
func need(b *testing.B, tool string) string {
	b.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		b.Skipf("%s is not installed; make bench installs it", tool)
	}
	return p
}

// ladingBin is the binary under test: $LADING_BIN, else bin/lading of the
// repository, which make bench builds first.
func ladingBin(b *testing.B) string {
	b.Helper()
	p := os.Getenv("LADING_BIN")
	if p == "" {
		p = filepath.Join("..", "bin", "lading")
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := os.Stat(abs); err != nil {
		b.Skipf("%s is missing: run make bench, which builds it", abs)
	}
	return abs
}

// md5sumOf runs md5sum on path and checks the digest it prints.
func md5sumOf(ctx context.Context, path, want string) (sample, error) {
	s, out, err := run(ctx, nil, "md5sum", path)
	if err != nil {
		return s, err
	}
	if got, _, _ := strings.Cut(out, " "); got != want {
		return s, fmt.Errorf("md5sum %s = %s, want %s", path, got, want)
	}
	return s, nil
}

// waitSize waits until path holds at least n bytes.
func waitSize(ctx context.Context, path string, n int64) error {
	for {
		if fi, err := os.Stat(path); err == nil && fi.Size() >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s never reached %d bytes: %w", path, n, ctx.Err())
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// envInt reads a positive number from the environment, or gives def.
func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// scratch makes a folder for a benchmark's files and removes it at the
// end. It lives under $BENCH_DIR, else /var/tmp: the usual place for large
// temporary files, on disk, where /tmp is often a small RAM disk on which
// a flush costs nothing and gigabytes do not fit.
func scratch(b *testing.B) string {
	b.Helper()
	base := os.Getenv("BENCH_DIR")
	if base == "" {
		base = "/var/tmp"
	}
	dir, err := os.MkdirTemp(base, "lading-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// mib shows bytes in MiB.
func mib(n float64) string { return fmt.Sprintf("%.1f MiB", n/(1<<20)) }
