//go:build linux

package bench

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cavaliergopher/grab/v3"
)

// rounds is how often each tool runs in each comparison; BENCH_ROUNDS
// changes it for a quick look.
var rounds = envInt("BENCH_ROUNDS", 5)

// What the comparisons move.
const (
	bigSize   = 1 << 30 // the verified download and the resume
	hugeSize  = 4 << 30 // the memory check
	resumeAt  = bigSize / 10 * 9
	manyFiles = 500
	workers   = 8 // lading --workers, aria2c -j
)

// bench is what every comparison shares.
type bench struct {
	ctx   context.Context
	bin   string // bin/lading
	dir   string
	srv   *fileServer
	big   source
	out   string // where the tools write
	table *table
}

// BenchmarkVersus runs every comparison once, side by side, and prints the
// table of medians and ratios that docs/benchmarks.md shows.
func BenchmarkVersus(b *testing.B) {
	e := &bench{ctx: context.Background(), bin: ladingBin(b), dir: scratch(b),
		table: &table{}}
	for _, tool := range []string{"curl", "aria2c", "md5sum", "sync"} {
		need(b, tool)
	}
	e.srv = newFileServer(e.dir)
	defer e.srv.Close()
	e.out = filepath.Join(e.dir, "out")
	if err := os.MkdirAll(e.out, 0o755); err != nil {
		b.Fatal(err)
	}
	var err error
	if e.big, err = makeSource(filepath.Join(e.dir, "big.bin"), bigSize); err != nil {
		b.Fatal(err)
	}

	b.Run("verified-1GiB", e.verified)
	b.Run("resume-from-90pct", e.resume)
	b.Run("500-small-files", e.smallFiles)
	b.Run("rss-4GiB", e.hugeRSS)
	fmt.Print(e.table.markdown())
}

// tool is one contender of a comparison: run does one measured run and
// cleans up after itself.
type tool struct {
	name      string
	inProcess bool // time only: CPU and memory would include the server
	run       func(round int) (sample, error)
}

// compare runs every tool rounds times, rotating the order each round so
// no tool always runs first, with the page cache flushed between runs.
func (e *bench) compare(b *testing.B, tools []tool) []series {
	b.Helper()
	res := make([]series, len(tools))
	only := os.Getenv("BENCH_ONLY") // a quick look at some tools: "lading|curl -s"
	for round := range rounds {
		for k := range tools {
			i := (k + round) % len(tools)
			if only != "" && !matchesAny(tools[i].name, only) {
				res[i] = append(res[i], sample{wall: time.Nanosecond})
				continue
			}
			syncAll()
			s, err := tools[i].run(round)
			if err != nil {
				b.Fatalf("%s: %v", tools[i].name, err)
			}
			res[i] = append(res[i], s)
		}
	}
	return res
}

// matchesAny reports whether name contains one of the |-separated words.
func matchesAny(name, words string) bool {
	for _, w := range strings.Split(words, "|") {
		if w != "" && strings.Contains(name, w) {
			return true
		}
	}
	return false
}

// verified is comparison 1: a 1 GiB download verified against its MD5.
func (e *bench) verified(b *testing.B) {
	url, src := e.srv.url("big.bin"), e.big
	dest := filepath.Join(e.out, "big.bin")
	tools := []tool{
		{name: "lading get --md5 HEX -o F", run: func(int) (sample, error) {
			defer e.clean(dest)
			return e.ladingGet(url, src.md5, dest)
		}},
		{name: "curl -s -o F URL && md5sum F", run: func(int) (sample, error) {
			defer e.clean(dest)
			return e.curl(url, dest, src.md5, false, false)
		}},
		{name: "aria2c --checksum=md5=HEX", run: func(int) (sample, error) {
			defer e.clean(dest)
			return e.aria2(url, src.md5, dest)
		}},
		{name: "grab SetChecksum (in-process)", inProcess: true, run: func(int) (sample, error) {
			defer e.clean(dest)
			return grabGet(url, src.md5, dest)
		}},
		{name: "curl && md5sum && sync F (lading's durability)", run: func(int) (sample, error) {
			defer e.clean(dest)
			return e.curl(url, dest, src.md5, false, true)
		}},
	}
	res := e.compare(b, tools)
	e.table.add("1 GiB verified download", tools, res)
	e.table.ratio("1 GiB verified: lading ÷ curl+md5sum", pairedRatio(res[0], res[1]), 0.75)
	e.table.ratio("1 GiB verified: lading ÷ aria2c", pairedRatio(res[0], res[2]), 0.75)
	e.table.ratio("1 GiB verified: lading ÷ grab SetChecksum", pairedRatio(res[0], res[3]), 0)
	e.table.ratio("1 GiB verified: lading ÷ curl+md5sum+sync", pairedRatio(res[0], res[4]), 0)
	b.ReportMetric(pairedRatio(res[0], res[1]), "ratio-vs-curl")
}

// resume is comparison 2: the last 10 % of a 1 GiB file, to a verified
// file. Lading resumes only a partial its own task made, so its partial
// comes from a lading run killed once 90 % is on disk; curl's is the
// first 90 % of the file.
func (e *bench) resume(b *testing.B) {
	url, src := e.srv.url("big.bin"), e.big
	dest := filepath.Join(e.out, "resume.bin")
	var home string
	tools := []tool{
		{name: "lading get (resumes its killed run)", run: func(int) (sample, error) {
			var err error
			if home, err = e.ladingPartial(url, src.md5, dest); err != nil {
				return sample{}, err
			}
			defer e.clean(dest, home)
			syncAll()
			s, err := e.run(e.bin, "--home", home, "get", url, "--md5", src.md5, "-o", dest)
			if err == nil {
				err = resumedAt(home, resumeAt)
			}
			return s, err
		}},
		{name: "curl -C - -o F URL && md5sum F", run: func(int) (sample, error) {
			defer e.clean(dest)
			if err := copyHead(src.path, dest, resumeAt); err != nil {
				return sample{}, err
			}
			syncAll()
			return e.curl(url, dest, src.md5, true, false)
		}},
	}
	res := e.compare(b, tools)
	e.table.add("Resume from 90 % of 1 GiB", tools, res)
	e.table.ratio("Resume: lading ÷ curl -C - + md5sum", pairedRatio(res[0], res[1]), 0.35)
	b.ReportMetric(pairedRatio(res[0], res[1]), "ratio-vs-curl")
}

// hugeRSS is check 4: lading's peak memory while it fetches 4 GiB.
func (e *bench) hugeRSS(b *testing.B) {
	src, err := makeSource(filepath.Join(e.dir, "huge.bin"), hugeSize)
	if err != nil {
		b.Fatal(err)
	}
	defer os.Remove(src.path)
	dest := filepath.Join(e.out, "huge.bin")
	tools := []tool{{name: "lading get --md5 (4 GiB)", run: func(int) (sample, error) {
		defer e.clean(dest)
		return e.ladingGet(e.srv.url("huge.bin"), src.md5, dest)
	}}}
	syncAll()
	n := len(e.table.flushes)
	s, err := tools[0].run(0)
	if err != nil {
		b.Fatal(err)
	}
	e.table.flushes = e.table.flushes[:n] // the note is about the 1 GiB runs
	e.table.add("4 GiB download, memory", tools, []series{{s}})
	e.table.limit("4 GiB: lading peak RSS", float64(s.rss), 64<<20)
	b.ReportMetric(float64(s.rss)/(1<<20), "MiB-peak-RSS")
}

// ladingGet runs lading get with a data folder of its own, and notes how
// long its flush before the rename took.
func (e *bench) ladingGet(url, sum, dest string) (sample, error) {
	home, err := os.MkdirTemp(e.dir, "home-")
	if err != nil {
		return sample{}, err
	}
	defer os.RemoveAll(home)
	s, err := e.run(e.bin, "--home", home, "get", url, "--md5", sum, "-o", dest)
	if err == nil {
		e.table.flush(home)
	}
	return s, err
}

// ladingPartial starts lading get against a server that stops at 90 %,
// and kills it once the partial holds that much, as a crash would. It
// returns the data folder, whose task and checkpoint the resume uses.
func (e *bench) ladingPartial(url, sum, dest string) (string, error) {
	home, err := os.MkdirTemp(e.dir, "home-")
	if err != nil {
		return "", err
	}
	e.srv.cut.Store(resumeAt)
	defer e.srv.cut.Store(0)
	cmd := exec.Command(e.bin, "--home", home, "get", url, "--md5", sum, "-o", dest)
	if err := cmd.Start(); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(e.ctx, time.Minute)
	defer cancel()
	err = waitSize(ctx, dest+".part", resumeAt)
	time.Sleep(200 * time.Millisecond) // let the last checkpoint land
	cmd.Process.Kill()
	cmd.Wait()
	return home, err
}

// resumedAt checks in lading's log that the run resumed from offset
// rather than starting over.
func resumedAt(home string, offset int64) error {
	log, err := os.ReadFile(filepath.Join(home, "lading.log"))
	if err != nil {
		return err
	}
	want := fmt.Sprintf("offset=%d", offset)
	for _, line := range strings.Split(string(log), "\n") {
		if strings.Contains(line, `msg="Download resumed"`) && strings.Contains(line, want) {
			return nil
		}
	}
	return fmt.Errorf("lading did not resume from byte %d:\n%s", offset, log)
}

// curl fetches url into dest, continuing it with -C - when resume is set,
// then checks it with md5sum, and flushes it to disk when durable is set.
func (e *bench) curl(url, dest, sum string, resume, durable bool) (sample, error) {
	args := []string{"-s", "-S", "-f", "-o", dest}
	if resume {
		args = append(args, "-C", "-")
	}
	s, err := e.run("curl", append(args, url)...)
	if err != nil {
		return s, err
	}
	m, err := md5sumOf(e.ctx, dest, sum)
	s = s.add(m)
	if err != nil || !durable {
		return s, err
	}
	f, err := e.run("sync", dest)
	return s.add(f), err
}

// aria2 fetches url into dest and has aria2c check its MD5. Preallocation
// is off: with it aria2c would write the file twice on some file systems.
func (e *bench) aria2(url, sum, dest string) (sample, error) {
	return e.run("aria2c", "-q", "--allow-overwrite=true", "--auto-file-renaming=false",
		"--file-allocation=none", "--checksum=md5="+sum, "-d", filepath.Dir(dest),
		"-o", filepath.Base(dest), url)
}

// grabGet is grab v3 on its own, in this process, checking the MD5 the
// way grab does: by reading the file again once it is written.
func grabGet(url, sum, dest string) (sample, error) {
	want, err := hex.DecodeString(sum)
	if err != nil {
		return sample{}, err
	}
	req, err := grab.NewRequest(dest, url)
	if err != nil {
		return sample{}, err
	}
	req.SetChecksum(md5.New(), want, true)
	start := time.Now()
	resp := grab.NewClient().Do(req)
	err = resp.Err()
	return sample{wall: time.Since(start)}, err
}

// run runs a child process with the bench's context.
func (e *bench) run(name string, args ...string) (sample, error) {
	s, _, err := run(e.ctx, nil, name, args...)
	return s, err
}

// clean removes what a run left behind.
func (e *bench) clean(paths ...string) {
	for _, p := range paths {
		os.RemoveAll(p)
		os.RemoveAll(p + ".part")
	}
}

// copyHead writes the first n bytes of src to dest.
func copyHead(src, dest string, n int64) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dest)
	if err != nil {
		return err
	}
	if _, err := io.CopyN(out, in, n); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// table collects the rows and ratios that make up the report.
type table struct {
	rows    []string
	ratios  []string
	flushes []float64 // seconds lading's 1 GiB runs spent flushing before the rename
}

// flush reads from lading's log how long its flush before the rename took.
func (t *table) flush(home string) {
	log, _ := os.ReadFile(filepath.Join(home, "lading.log"))
	for _, line := range strings.Split(string(log), "\n") {
		_, v, ok := strings.Cut(line, " flush=")
		if !ok || !strings.Contains(line, `msg="Download verified"`) {
			continue
		}
		if d, err := time.ParseDuration(strings.Fields(v)[0]); err == nil {
			t.flushes = append(t.flushes, d.Seconds())
		}
	}
}

// add records a comparison's tools with their medians.
func (t *table) add(scenario string, tools []tool, res []series) {
	for i, tl := range tools {
		s := res[i]
		var runs []string
		for _, x := range s {
			runs = append(runs, fmt.Sprintf("%.2f", x.wall.Seconds()))
		}
		cpu, rss := "–", "–"
		if !tl.inProcess {
			cpu = fmt.Sprintf("%.2f s", s.median(cpuOf))
			rss = mib(s.median(rssOf))
		}
		t.rows = append(t.rows, fmt.Sprintf("| %s | %s | %.2f s | %s | %s | %s |", scenario,
			tl.name, s.median(wallOf), strings.Join(runs, " / "), cpu, rss))
		scenario = ""
	}
}

// ratio records a median ratio and whether it meets its target; a target
// of 0 means the ratio is for information.
func (t *table) ratio(what string, r, target float64) {
	verdict, goal := "–", "–"
	if target > 0 {
		goal = fmt.Sprintf("≤ %.2f", target)
		verdict = "met"
		if r > target {
			verdict = "MISSED"
		}
	}
	t.ratios = append(t.ratios, fmt.Sprintf("| %s | %.2f | %s | %s |", what, r, goal, verdict))
}

// limit records a measured value against its ceiling.
func (t *table) limit(what string, v, ceiling float64) {
	verdict := "met"
	if v > ceiling {
		verdict = "MISSED"
	}
	t.ratios = append(t.ratios, fmt.Sprintf("| %s | %s | ≤ %s | %s |", what, mib(v),
		mib(ceiling), verdict))
}

func (t *table) markdown() string {
	var sb strings.Builder
	sb.WriteString("\n| comparison | tool | median wall | runs (s) | median CPU " +
		"| median peak RSS |\n")
	fmt.Fprintf(&sb, "|---|---|---|---|---|---|\n")
	for _, r := range t.rows {
		sb.WriteString(r + "\n")
	}
	fmt.Fprintf(&sb, "\n| median ratio (per round, then median) | value | target | verdict |\n")
	fmt.Fprintf(&sb, "|---|---|---|---|\n")
	for _, r := range t.ratios {
		sb.WriteString(r + "\n")
	}
	if len(t.flushes) > 0 {
		fmt.Fprintf(&sb, "\nlading get's flush before the rename (fsync of the verified file): "+
			"median %.2f s over its %d runs of 1 GiB.\n", median(t.flushes), len(t.flushes))
	}
	return sb.String()
}
