package portal

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"lading.dev/lading/api"
)

// The account is built once, but the portal it plays changes while it runs:
// orders are restored, lines downloaded, reviews asked for and answered,
// orders opened by access links, licenses accepted and notifications sent.
// All of it lives in state, changes under Server.stateMu, and moves the
// change sequence on, which is what an incremental sync asks about. With
// Config.StateFile set, every change is saved, and the next demo portal
// started on the same file picks it up.

// Business days a review may take under the download policy.
const (
	reviewDaysShort = 1
	reviewDaysLong  = 3
)

// continueWindow is how long a client may resume a grant whose file was
// already sent to its end.
const continueWindow = 24 * time.Hour

// reasonWindow is how long after an order became available a second
// download needs only a reason.
const reasonWindow = 90 * 24 * time.Hour

// state is what changed since the account was built. It is saved as JSON, so
// its fields are exported to the encoder only.
type state struct {
	// Seq counts changes; Changed holds the Seq of each order's last change
	// and Bumps how far its revision moved.
	Seq     int64            `json:"seq"`
	Changed map[string]int64 `json:"changed"`
	Bumps   map[string]int64 `json:"bumps"`

	Restored map[string]time.Time  `json:"restored"`
	Granted  map[string]time.Time  `json:"granted"`
	Lines    map[string]*lineState `json:"lines"`
	// Registered maps each registered key to when it was registered.
	Registered    map[string]time.Time    `json:"registered"`
	Acceptances   []api.LicenseAcceptance `json:"acceptances"`
	Notifications []api.Notification      `json:"notifications"`
	NextID        int64                   `json:"next_id"`
}

// lineState is one software line's standing under the download policy.
type lineState struct {
	Count int `json:"count"`
	// Grant is the open grant: a counted download whose file has not yet
	// been served to its last byte. Asking again while it is open renews
	// the link without counting.
	Grant string `json:"grant,omitempty"`
	// LastGrant is the most recent grant, open or not, and LastGrantAt
	// when it was given; a client resuming it within continueWindow gets
	// it back without a new count.
	LastGrant   string       `json:"last_grant,omitempty"`
	LastGrantAt time.Time    `json:"last_grant_at,omitempty"`
	Approved    bool         `json:"approved,omitempty"`
	Review      *reviewState `json:"review,omitempty"`
	Reasons     []string     `json:"reasons,omitempty"`
}

// reviewState is a review asked for and not yet answered.
type reviewState struct {
	Reason    string    `json:"reason"`
	Requested time.Time `json:"requested"`
	Due       time.Time `json:"due"`
	Days      int       `json:"days"`
}

func newState() *state {
	return &state{
		Changed:    map[string]int64{},
		Bumps:      map[string]int64{},
		Restored:   map[string]time.Time{},
		Granted:    map[string]time.Time{},
		Lines:      map[string]*lineState{},
		Registered: map[string]time.Time{},
	}
}

// lineKey names a line in state's maps.
func lineKey(order, line string) string { return order + "/" + line }

// fingerprint names everything that shapes the generated account, so that a
// sync cursor handed out by one build is not trusted by another.
func fingerprint(cfg Config) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "v1|%d|%d|%d|%d|%s", cfg.Seed, cfg.Orders,
		cfg.LinesPerOrder, cfg.MaxFileSize, cfg.Now.Format(time.DateOnly)))
	return hex.EncodeToString(sum[:8])
}

// loadState reads Config.StateFile, when there is one, and applies it to the
// freshly built account. A missing file is a fresh start.
func (s *Server) loadState() error {
	if s.cfg.StateFile == "" {
		return nil
	}
	data, err := os.ReadFile(s.cfg.StateFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read the portal's state: %w", err)
	}
	st := newState()
	if err := json.Unmarshal(data, st); err != nil {
		return fmt.Errorf("%w: state file %s is damaged: %w", ErrConfig, s.cfg.StateFile, err)
	}
	s.st = st
	s.applyState()
	return nil
}

// applyState writes what state says into the account's orders.
func (s *Server) applyState() {
	for number, n := range s.st.Bumps {
		if o, err := s.acct.order(number); err == nil {
			o.Revision += n
		}
	}
	for number := range s.st.Restored {
		if o, err := s.acct.order(number); err == nil {
			o.Archived = false
		}
	}
	for number := range s.st.Granted {
		if o, err := s.acct.order(number); err == nil && !s.ownAccount(o.AccountID) {
			o.Access = api.AccessOrder
		}
	}
	now := s.now()
	for key := range s.st.Lines {
		if o, l := s.lineByKey(key); l != nil {
			l.Download = s.downloadState(o, key, now)
		}
	}
}

// lineByKey finds the line a state key names.
func (s *Server) lineByKey(key string) (*api.Order, *api.Line) {
	for i := 0; i < len(key); i++ {
		if key[i] == '/' {
			o, l, err := s.acct.line(key[:i], key[i+1:])
			if err != nil {
				return nil, nil
			}
			return o, l
		}
	}
	return nil, nil
}

// saveLocked writes the state file, when there is one. A failure is logged:
// the portal keeps serving from memory.
func (s *Server) saveLocked() {
	if s.cfg.StateFile == "" {
		return
	}
	data, err := json.Marshal(s.st)
	if err == nil {
		err = writeFileAtomic(s.cfg.StateFile, data)
	}
	if err != nil {
		s.log.Warn("Portal state not saved", slog.String("file", s.cfg.StateFile),
			slog.Any("error", err))
	}
}

// writeFileAtomic replaces path with data through a temporary file, so a
// crash leaves the old state or the new one.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".portal-state-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// changedLocked records that an order changed: its revision grows and the
// feed will list it to every sync that began before now.
func (s *Server) changedLocked(o *api.Order) {
	delete(s.encoded, o.Number)
	s.st.Seq++
	s.st.Changed[o.Number] = s.st.Seq
	s.st.Bumps[o.Number]++
	o.Revision++
}

// nextIDLocked returns a fresh number for grants, acceptances and
// notifications.
func (s *Server) nextIDLocked() int64 {
	s.st.NextID++
	return s.st.NextID
}

// ownAccount reports whether the demo user belongs to an account.
func (s *Server) ownAccount(id string) bool {
	for _, a := range userAccounts {
		if a.ID == id {
			return true
		}
	}
	return false
}

// visibleLocked reports whether the demo user sees an order: through one of
// their accounts or through an access link.
func (s *Server) visibleLocked(o *api.Order) bool {
	if s.ownAccount(o.AccountID) {
		return true
	}
	_, ok := s.st.Granted[o.Number]
	return ok
}

// tickLocked lets time act before a request is answered: reviews whose
// answer is due are approved, and a line past its 90 days moves from
// "reason" to "review". Each order that changed this way is marked changed.
func (s *Server) tickLocked() {
	now := s.now()
	if now.Before(s.quietUntil) {
		return
	}
	changed := false
	next := now.Add(24 * time.Hour) // look again a day later at most
	for key, ls := range s.st.Lines {
		if ls.Review != nil && !now.Before(ls.Review.Due) {
			ls.Review, ls.Approved = nil, true
		}
		o, l := s.lineByKey(key)
		if l == nil {
			continue
		}
		ds := s.downloadState(o, key, now)
		if !sameDownload(l.Download, ds) {
			l.Download = ds
			s.changedLocked(o)
			changed = true
		}
		if at := nextChange(o, ls, now); !at.IsZero() && at.Before(next) {
			next = at
		}
	}
	s.quietUntil = next
	if changed {
		s.saveLocked()
	}
}

// nextChange is when time alone will next change a line's download state:
// its review's answer, or the end of its order's reason window. Zero means
// never, unless the line is downloaded again.
func nextChange(o *api.Order, ls *lineState, now time.Time) time.Time {
	if ls.Review != nil {
		return ls.Review.Due
	}
	if end := o.Available.Add(reasonWindow); ls.Count == 1 && now.Before(end) {
		return end
	}
	return time.Time{}
}

// sameDownload compares two download states by value.
func sameDownload(a, b *api.DownloadState) bool {
	if a == nil || b == nil {
		return a == b
	}
	dueA, dueB := a.ReviewDue != nil, b.ReviewDue != nil
	return a.Count == b.Count && a.Next == b.Next && a.ReviewDays == b.ReviewDays &&
		dueA == dueB && (!dueA || a.ReviewDue.Equal(*b.ReviewDue))
}

// downloadState says what a line's next download needs, from its count, its
// review and the days since the order became available.
func (s *Server) downloadState(o *api.Order, key string, now time.Time) *api.DownloadState {
	ls := s.st.Lines[key]
	if ls == nil {
		return &api.DownloadState{Next: api.NextFree}
	}
	ds := &api.DownloadState{Count: ls.Count}
	switch {
	case s.cfg.UnlimitedDownloads, ls.Count == 0:
		ds.Next = api.NextFree
	case ls.Review != nil:
		due := ls.Review.Due
		ds.Next, ds.ReviewDays, ds.ReviewDue = api.NextPending, ls.Review.Days, &due
	case ls.Approved:
		ds.Next = api.NextApproved
	case ls.Count == 1 && now.Before(o.Available.Add(reasonWindow)):
		ds.Next = api.NextReason
	case ls.Count <= 2:
		ds.Next, ds.ReviewDays = api.NextReview, reviewDaysShort
	default:
		ds.Next, ds.ReviewDays = api.NextReview, reviewDaysLong
	}
	return ds
}

// addBusinessDays returns t moved forward by n working days, skipping
// Saturdays and Sundays.
func addBusinessDays(t time.Time, n int) time.Time {
	for n > 0 {
		t = t.AddDate(0, 0, 1)
		if wd := t.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return t
}
