package portal

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"time"

	"lading.dev/lading/api"
)

// archiveAge is how old an order is when the portal archives it.
const archiveAge = 15 // months

// orderSpec describes one order before its files are hashed and its
// documents drawn. Dates are in days relative to the portal's today.
type orderSpec struct {
	number    string
	account   api.Account // zero means the demo account
	billTo    string      // empty means the demo account's
	po        string
	shipTo    string
	age       int  // days before today that the order was created
	requested int  // days after today the customer asked for; 0 means none
	noEarly   bool // the customer refuses delivery before the requested date
	revision  int64
	holds     []api.Hold
	lines     []lineSpec
	docs      []docSpec
	stamped   bool // documents are stamped from shared templates
}

// lineSpec describes one order line.
type lineSpec struct {
	id       string
	product  string
	desc     string
	fileType string
	fileName string
	size     int64
	qty      int
	sha512   bool
	holds    []api.Hold
	notices  []api.Notice
}

// docSpec describes one license document; paks is how many keys it carries.
type docSpec struct {
	kind   string
	lineID string
	paks   int
}

// account is everything the portal serves, built once by New. Its orders
// change later only under Server.stateMu.
type account struct {
	orders []api.Order
	index  map[string]int
	docs   map[docKey]*pdfDoc
	// paks finds the order a product authorization key belongs to.
	paks map[string]string
}

// docKey names a document within the account.
type docKey struct {
	order string
	id    string
}

// builder turns order specs into an account. Work that takes time, hashing
// files and drawing PDFs, is collected as jobs and run on all CPUs at the end.
type builder struct {
	cfg  Config
	acct *account
	jobs []job
}

// job is one piece of build work; weight orders the jobs, heaviest first.
type job struct {
	weight int64
	run    func() error
}

// buildAccount builds the account cfg describes.
func buildAccount(cfg Config) (*account, error) {
	specs := accountSpecs(cfg)
	b := &builder{cfg: cfg, acct: &account{
		orders: make([]api.Order, 0, len(specs)),
		index:  make(map[string]int, len(specs)),
		docs:   make(map[docKey]*pdfDoc),
		paks:   make(map[string]string),
	}}
	for _, sp := range specs {
		b.addOrder(sp)
	}
	if err := runJobs(b.jobs, runtime.NumCPU()); err != nil {
		return nil, err
	}

	slices.SortStableFunc(b.acct.orders, func(x, y api.Order) int {
		return compareNumbers(x.Number, y.Number)
	})
	for i, o := range b.acct.orders {
		b.acct.index[o.Number] = i
		for _, d := range o.Documents {
			for _, pak := range d.PAKs {
				b.acct.paks[pak] = o.Number
			}
		}
	}
	return b.acct, nil
}

// accountSpecs lists every order the portal holds: the demo account's,
// which are the demo ones cut to cfg.Orders or followed by generated ones up
// to it, then the few orders of the second account and of the foreign one.
func accountSpecs(cfg Config) []orderSpec {
	specs := demoSpecs()
	switch {
	case cfg.Orders == 0:
	case cfg.Orders <= len(specs):
		specs = specs[:cfg.Orders]
	default:
		specs = append(specs, generateSpecs(cfg.Seed, len(specs), cfg.Orders-len(specs),
			cfg.LinesPerOrder)...)
	}
	return append(specs, otherSpecs(cfg.Seed)...)
}

// compareNumbers orders order numbers numerically when they share a prefix:
// a shorter number sorts first.
func compareNumbers(a, b string) int {
	return cmp.Or(cmp.Compare(len(a), len(b)), cmp.Compare(a, b))
}

// addOrder adds one order and queues the work its lines and documents need.
func (b *builder) addOrder(sp orderSpec) {
	now := b.cfg.Now
	created := now.AddDate(0, 0, -sp.age).Add(9*time.Hour + 30*time.Minute)
	acct, billTo := sp.account, sp.billTo
	if acct.ID == "" {
		acct, billTo = demoAccount, demoBillTo
	}
	o := api.Order{
		Number:    sp.number,
		PONumber:  sp.po,
		AccountID: acct.ID,
		Access:    api.AccessAccount,
		BillTo:    billTo,
		ShipTo:    sp.shipTo,
		Created:   created,
		Available: created.Add(2 * time.Hour),
		Archived:  created.Before(now.AddDate(0, -archiveAge, 0)),
		EarlyShip: !sp.noEarly,
		Revision:  max(1, sp.revision),
		Holds:     orEmpty(sp.holds),
		Lines:     make([]api.Line, len(sp.lines)),
		Documents: make([]api.Document, len(sp.docs)),
	}
	if sp.requested > 0 {
		t := now.AddDate(0, 0, sp.requested)
		o.RequestedDate = &t
	}

	for i, ls := range sp.lines {
		b.addLine(&o, &o.Lines[i], ls)
	}
	for i, ds := range sp.docs {
		b.addDocument(&o, &o.Documents[i], i+1, ds, sp.stamped, acct)
	}
	b.acct.orders = append(b.acct.orders, o)
}

// addLine fills one line and, for a software line, queues hashing its file.
func (b *builder) addLine(o *api.Order, l *api.Line, ls lineSpec) {
	*l = api.Line{
		ID:          ls.id,
		ProductID:   ls.product,
		Description: ls.desc,
		FileType:    ls.fileType,
		FileName:    ls.fileName,
		Quantity:    max(1, ls.qty),
		Holds:       orEmpty(ls.holds),
		Notices:     orEmpty(ls.notices),
	}
	if ls.fileType != api.FileSoftware {
		return
	}

	l.Download = &api.DownloadState{Next: api.NextFree}
	l.Size = ls.size
	if b.cfg.MaxFileSize > 0 {
		l.Size = min(l.Size, b.cfg.MaxFileSize)
	}
	key := contentKey{seed: b.cfg.Seed, order: o.Number, line: l.ID, size: l.Size}
	b.jobs = append(b.jobs, job{weight: l.Size, run: func() error {
		d := fileDigest(key, ls.sha512)
		l.MD5, l.SHA512 = d.md5, d.sha512
		return nil
	}})
}

// addDocument fills one document and queues drawing its PDF.
func (b *builder) addDocument(o *api.Order, d *api.Document, n int, ds docSpec, stamped bool,
	acct api.Account) {
	*d = api.Document{
		ID:       fmt.Sprintf("DOC-%d", n),
		LineID:   ds.lineID,
		Kind:     ds.kind,
		Title:    docTitles[ds.kind],
		FileName: fmt.Sprintf("%s-%s-%d.pdf", o.Number, ds.kind, n),
		PAKs:     make([]string, ds.paks),
	}
	for i := range d.PAKs {
		d.PAKs[i] = makePAK(b.cfg.Seed, o.Number, d.ID, i)
	}

	page := b.page(o, d, acct)
	doc := &pdfDoc{}
	b.acct.docs[docKey{order: o.Number, id: d.ID}] = doc
	b.jobs = append(b.jobs, job{weight: 1, run: func() error {
		data, err := doc.prepare(page, stamped)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		d.Size, d.SHA256 = int64(len(data)), hex.EncodeToString(sum[:])
		return nil
	}})
}

// page collects what a document's PDF shows. The line it names must already
// be filled.
func (b *builder) page(o *api.Order, d *api.Document, acct api.Account) pdfPage {
	p := pdfPage{
		kind:    d.Kind,
		title:   d.Title,
		order:   o.Number,
		po:      o.PONumber,
		account: acct,
		paks:    d.PAKs,
		issued:  o.Created,
	}
	for _, l := range o.Lines {
		if l.ID == d.LineID && d.LineID != "" {
			p.line = l.ID + " - " + l.ProductID
			p.product = l.Description
			p.quantity = fmt.Sprint(l.Quantity)
		}
	}
	return p
}

// pakAlphabet has no letters that read like digits (I, L, O, U).
const pakAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// makePAK derives the i-th product authorization key of a document, shaped
// like "PAK-7F3K-92QX-1M4T".
func makePAK(seed int64, order, doc string, i int) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "lading-portal-pak\x00%d\x00%s\x00%s\x00%d",
		seed, order, doc, i))
	v := binary.LittleEndian.Uint64(sum[:8])

	out := []byte("PAK-")
	for g := range 3 {
		for range 4 {
			out = append(out, pakAlphabet[v%32])
			v /= 32
		}
		if g < 2 {
			out = append(out, '-')
		}
	}
	return string(out)
}

// orEmpty returns s, or an empty slice for nil so that JSON shows [].
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return slices.Clone(s)
}

// runJobs runs the jobs on the given number of workers, heaviest first, and
// returns the first error.
func runJobs(jobs []job, workers int) error {
	slices.SortStableFunc(jobs, func(x, y job) int { return cmp.Compare(y.weight, x.weight) })
	queue := make(chan job)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range max(1, workers) {
		wg.Go(func() { errs <- work(queue) })
	}

	for _, j := range jobs {
		queue <- j
	}
	close(queue)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// work runs jobs from the queue until it is closed. After a failure it keeps
// draining the queue so the sender never blocks, and returns the failure.
func work(queue <-chan job) error {
	var first error
	for j := range queue {
		if first != nil {
			continue
		}
		first = j.run()
	}
	return first
}

// order finds an order by number.
func (a *account) order(number string) (*api.Order, error) {
	i, ok := a.index[number]
	if !ok {
		return nil, refuse(ErrNotFound, http.StatusNotFound, api.CodeNotFound,
			"Order %s is not in this account. Check the number, or sync again.", number)
	}
	return &a.orders[i], nil
}

// line finds a line of an order.
func (a *account) line(order, id string) (*api.Order, *api.Line, error) {
	o, err := a.order(order)
	if err != nil {
		return nil, nil, err
	}
	for i := range o.Lines {
		if o.Lines[i].ID == id {
			return o, &o.Lines[i], nil
		}
	}
	return nil, nil, refuse(ErrNotFound, http.StatusNotFound, api.CodeNotFound,
		"Order %s has no line %s. Sync again to get the current lines.", order, id)
}

// document finds a document of an order and its PDF.
func (a *account) document(order, id string) (*api.Order, *api.Document, *pdfDoc, error) {
	o, err := a.order(order)
	if err != nil {
		return nil, nil, nil, err
	}
	for i := range o.Documents {
		if o.Documents[i].ID == id {
			return o, &o.Documents[i], a.docs[docKey{order: order, id: id}], nil
		}
	}
	return nil, nil, nil, refuse(ErrNotFound, http.StatusNotFound, api.CodeNotFound,
		"Order %s has no document %s. Sync again to get the current documents.", order, id)
}
