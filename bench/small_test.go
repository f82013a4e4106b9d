//go:build linux

package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lading.dev/lading/api"
	"lading.dev/lading/portal"
)

// Sizes of the small files, as the issue asks.
const (
	smallMin = 4 << 10
	smallMax = 64 << 10
)

// smallFiles is comparison 3: the same 500 small files, each verified by
// its MD5, through lading download against the portal and through aria2c
// from a list of the portal's signed links.
func (e *bench) smallFiles(b *testing.B) {
	srv, err := portal.New(portal.Config{Orders: 1200, MaxFileSize: smallMax,
		URLTTL: time.Hour, UnlimitedDownloads: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	orders, lines := pickOrders(srv.Orders(), manyFiles)
	if len(lines) != manyFiles {
		b.Fatalf("the portal offers %d fitting files, want %d", len(lines), manyFiles)
	}
	links, err := aria2Links(srv, lines)
	if err != nil {
		b.Fatal(err)
	}

	// Every run writes into a folder of its own, and all are removed only
	// once the comparison is over. On a file system without a journal,
	// ext4 skips the inodes freed in the last minutes when it picks one for
	// a new file, checking each; removing every run's 700 files and folders
	// before the next run made each run slower than the one before it,
	// whichever tool it was.
	runs := filepath.Join(e.out, "small")
	if err := os.MkdirAll(runs, 0o755); err != nil {
		b.Fatal(err)
	}
	defer e.clean(runs)
	tools := []tool{
		{name: fmt.Sprintf("lading --workers %d download --no-sync --accept-license (%d orders)", workers,
			len(orders)), run: func(int) (sample, error) {
			home, err := e.ladingSynced(srv, runs)
			if err != nil {
				return sample{}, err
			}
			syncAll()
			args := append([]string{"--home", home, "--portal", srv.URL(), "--workers",
				fmt.Sprint(workers), "download", "--no-sync", "--accept-license"}, orders...)
			s, out, err := run(e.ctx, []string{"LADING_TOKEN=" + srv.Token()}, e.bin, args...)
			if err == nil && !strings.Contains(out, fmt.Sprintf("%d files downloaded and verified",
				manyFiles)) {
				err = fmt.Errorf("lading did not verify %d files:\n%s", manyFiles, out)
			}
			return s, err
		}},
		{name: fmt.Sprintf("aria2c -i LIST -j %d (MD5 of each)", workers),
			run: func(int) (sample, error) {
				dest, err := os.MkdirTemp(runs, "aria2c-")
				if err != nil {
					return sample{}, err
				}
				list := filepath.Join(dest, "aria2.list")
				if err := writeAria2List(list, links, lines, dest); err != nil {
					return sample{}, err
				}
				syncAll()
				return e.run("aria2c", "-q", "-i", list, "-j", fmt.Sprint(workers),
					"--allow-overwrite=true", "--auto-file-renaming=false",
					"--file-allocation=none")
			}},
	}
	res := e.compare(b, tools)
	e.table.add(fmt.Sprintf("%d small files (4–64 KiB)", manyFiles), tools, res)
	e.table.ratio("Small files: lading ÷ aria2c", pairedRatio(res[0], res[1]), 1.0)
	b.ReportMetric(pairedRatio(res[0], res[1]), "ratio-vs-aria2c")
}

// fileLine is one small file: its order, line and what the order says.
type fileLine struct {
	order string
	line  api.Line
}

// pickOrders chooses whole orders whose every line lading would download
// is a small file, until there are exactly want such files.
func pickOrders(orders []api.Order, want int) ([]string, []fileLine) {
	var numbers []string
	var lines []fileLine
	for _, o := range orders {
		var ls []fileLine
		fits := !o.Archived && len(o.Holds) == 0 &&
			(o.EarlyShip || o.RequestedDate == nil || time.Now().After(*o.RequestedDate))
		for _, l := range o.Lines {
			if l.FileType != api.FileSoftware {
				continue
			}
			fits = fits && len(l.Holds) == 0 && !l.Deferred() &&
				l.Size >= smallMin && l.Size <= smallMax
			ls = append(ls, fileLine{order: o.Number, line: l})
		}
		if !fits || len(ls) == 0 || len(lines)+len(ls) > want {
			continue
		}
		numbers, lines = append(numbers, o.Number), append(lines, ls...)
		if len(lines) == want {
			break
		}
	}
	return numbers, lines
}

// aria2Links asks the portal for a signed link to every file.
func aria2Links(srv *portal.Server, lines []fileLine) ([]string, error) {
	links := make([]string, len(lines))
	for i, fl := range lines {
		t, err := ticket(srv, fl.order, fl.line.ID)
		if err != nil {
			return nil, err
		}
		links[i] = t.URL
	}
	return links, nil
}

// writeAria2List writes aria2c's input list: each link with its folder
// under dest, its name and its MD5, laid out as lading lays out its
// downloads.
func writeAria2List(path string, links []string, lines []fileLine, dest string) error {
	var sb strings.Builder
	for i, fl := range lines {
		fmt.Fprintf(&sb, "%s\n  dir=%s\n  out=%s\n  checksum=md5=%s\n", links[i],
			filepath.Join(dest, fl.order), fl.line.FileName, fl.line.MD5)
	}
	return os.WriteFile(path, []byte(sb.String()), 0o644)
}

// ticket asks the portal for one signed link.
func ticket(srv *portal.Server, order, line string) (api.DownloadTicket, error) {
	path := strings.NewReplacer("{order}", order, "{line}", line).Replace(api.PathDownload)
	req, err := http.NewRequest(http.MethodPost, strings.TrimSuffix(srv.URL(), "/")+path, nil)
	if err != nil {
		return api.DownloadTicket{}, err
	}
	req.Header.Set("Authorization", "Bearer "+srv.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return api.DownloadTicket{}, err
	}
	defer resp.Body.Close()
	var t api.DownloadTicket
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		return t, fmt.Errorf("ticket for %s line %s: %s: %s", order, line, resp.Status, body)
	}
	return t, json.NewDecoder(resp.Body).Decode(&t)
}

// ladingSynced returns a fresh data folder under dir that has synced the
// portal, so the measured run only downloads.
func (e *bench) ladingSynced(srv *portal.Server, dir string) (string, error) {
	home, err := os.MkdirTemp(dir, "lading-")
	if err != nil {
		return "", err
	}
	_, _, err = run(e.ctx, []string{"LADING_TOKEN=" + srv.Token()}, e.bin, "--home", home,
		"--portal", srv.URL(), "sync")
	return home, err
}
