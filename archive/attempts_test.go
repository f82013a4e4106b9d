package archive

import (
	"fmt"
	"strings"
	"testing"

	"lading.dev/lading/downloader"
	"lading.dev/lading/store"
)

// step is one change the download manager reports.
type step struct {
	state    string
	attempts int
	done     int64
	err      string
}

func TestAttemptLogWritesOneRowPerAttempt(t *testing.T) {
	const stalled = "The portal stopped answering. Lading will try again."
	cases := []struct {
		name  string
		steps []step
		want  []string // attempt outcome result detail
	}{
		{"clean", []step{{store.TaskQueued, 0, 0, ""}, {store.TaskRunning, 1, 0, ""},
			{store.TaskRunning, 1, 50, ""}, {store.TaskRunning, 1, 90, ""},
			{store.TaskVerifying, 1, 100, ""}, {store.TaskDone, 1, 100, ""}},
			[]string{"1 done verified "}},
		{"retried after a stall", []step{{store.TaskRunning, 1, 0, ""},
			{store.TaskRunning, 1, 40, stalled}, {store.TaskRunning, 2, 40, stalled},
			{store.TaskVerifying, 2, 100, stalled}, {store.TaskDone, 2, 100, ""}},
			[]string{"1 retried not checked " + stalled, "2 done verified "}},
		{"checksum mismatch, then clean", []step{{store.TaskRunning, 1, 0, ""},
			{store.TaskVerifying, 1, 100, ""}, {store.TaskRunning, 2, 0, ""},
			{store.TaskVerifying, 2, 100, ""}, {store.TaskDone, 2, 100, ""}},
			[]string{"1 retried mismatch ", "2 done verified "}},
		{"paused, resumed, failed", []step{{store.TaskRunning, 1, 0, ""},
			{store.TaskPaused, 1, 30, ""}, {store.TaskQueued, 1, 30, ""},
			{store.TaskRunning, 2, 30, ""}, {store.TaskFailed, 2, 30, "The portal said 404."}},
			[]string{"1 paused not checked ", "2 failed not checked The portal said 404."}},
		{"closed mid-attempt", []step{{store.TaskRunning, 1, 0, ""},
			{store.TaskQueued, 1, 60, ""}},
			[]string{"1 interrupted not checked Lading was closed during this attempt; " +
				"the next run resumes it."}},
		// The first run was killed during attempt 1, which left no row.
		{"killed in an earlier run", []step{{store.TaskQueued, 1, 70, ""},
			{store.TaskRunning, 2, 70, ""}, {store.TaskDone, 2, 100, ""}},
			[]string{"1 interrupted not checked Lading stopped during this attempt.",
				"2 done verified "}},
		{"canceled before it started", []step{{store.TaskQueued, 0, 0, ""},
			{store.TaskCanceled, 0, 0, ""}}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			task := f.doneDownload("SO-1", "20", "image.bin", []byte("x"))
			l := NewAttemptLog(f.st, nil)
			defer l.Close()
			for _, s := range tc.steps {
				l.TaskChanged(downloader.Progress{ID: task.ID, OrderNumber: "SO-1",
					LineID: "20", DestPath: task.DestPath, MD5: task.MD5, State: s.state,
					Attempts: s.attempts, Done: s.done, Err: s.err})
			}
			l.Flush()
			var got []string
			for _, e := range f.audit(store.AuditDownload) {
				got = append(got, fmt.Sprintf("%d %s %s %s", e.Attempt, e.Outcome,
					e.Result, e.Detail))
				if e.OrderNumber != "SO-1" || e.LineID != "20" || e.Checksum != task.MD5 ||
					e.File != task.DestPath || e.TaskID != task.ID {
					t.Errorf("row %+v does not name the task's line, file and MD5", e)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"),
					strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestAttemptLogContinuesAnEarlierRunsRows: a log started by a later run
// picks up after the rows an earlier run wrote, and writes none twice.
func TestAttemptLogContinuesAnEarlierRunsRows(t *testing.T) {
	f := newFixture(t)
	task := f.doneDownload("SO-1", "20", "image.bin", []byte("x"))
	progress := func(state string, attempts int, done int64) downloader.Progress {
		return downloader.Progress{ID: task.ID, OrderNumber: "SO-1", LineID: "20",
			DestPath: task.DestPath, MD5: task.MD5, State: state, Attempts: attempts, Done: done}
	}
	first := NewAttemptLog(f.st, nil)
	for _, p := range []downloader.Progress{progress(store.TaskQueued, 0, 0),
		progress(store.TaskRunning, 1, 0), progress(store.TaskPaused, 1, 40)} {
		first.TaskChanged(p)
	}
	first.Close()

	second := NewAttemptLog(f.st, nil)
	for _, p := range []downloader.Progress{progress(store.TaskPaused, 1, 40),
		progress(store.TaskRunning, 2, 40), progress(store.TaskDone, 2, 100)} {
		second.TaskChanged(p)
	}
	second.Close()

	var got []string
	for _, e := range f.audit(store.AuditDownload) {
		got = append(got, fmt.Sprintf("%d %s %s", e.Attempt, e.Outcome, e.Checksum))
	}
	want := []string{"1 paused " + task.MD5, "2 done " + task.MD5}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("rows over two runs: %q, want %q", got, want)
	}
}

func TestAttemptRowsCarryTheLicenseAndReason(t *testing.T) {
	f := newFixture(t)
	task := f.doneDownload("SO-1", "20", "image.bin", []byte("x"))
	for _, e := range []store.AuditEvent{
		{Event: store.AuditLicense, OrderNumber: "SO-1", License: store.LicenseAccepted,
			Actor: "dana@example.test"},
		{Event: store.AuditReason, OrderNumber: "SO-1", LineID: "20",
			Reason: "The first copy was lost with a failed disk."},
	} {
		if err := f.st.RecordAudit(f.ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	l := NewAttemptLog(f.st, nil)
	for _, s := range []string{store.TaskRunning, store.TaskDone} {
		l.TaskChanged(downloader.Progress{ID: task.ID, OrderNumber: "SO-1", LineID: "20",
			MD5: task.MD5, State: s, Attempts: 1})
	}
	l.Close()
	rows := f.audit(store.AuditDownload)
	if len(rows) != 1 || rows[0].License != store.LicenseAccepted ||
		rows[0].Actor != "dana@example.test" || !strings.HasPrefix(rows[0].Reason, "The first") {
		t.Errorf("attempt rows = %+v; want the acceptance and the reason", rows)
	}
	// The trail is append-only.
	if _, err := f.st.DB().Exec("DELETE FROM audit_events"); err == nil {
		t.Error("the database let an audit row be deleted")
	}
}
