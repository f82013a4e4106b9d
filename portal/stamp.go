package portal

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Drawing a PDF costs most of a millisecond, mostly in loading fonts, which
// is too slow for an account of ten thousand orders. Generated orders are
// therefore stamped: a template is drawn once per shape of document, with
// fixed-width blanks where per-order text goes, and each document is a copy
// of it with the blanks overwritten. The PDF has no compression, so the text
// sits in the file as written and overwriting it with text of the same length
// keeps every offset valid.

// Fields a template leaves blank, in the order of stampValues.
const (
	fieldOrder = iota
	fieldPO
	fieldLine
	fieldProduct
	fieldQuantity
	fieldDate
	fieldPDFDate
	fieldPAK // the first of maxPAKs fields
)

// maxPAKs is the most keys a stamped document carries.
const maxPAKs = 3

// fieldWidths are the widths of the blanks, indexed by field.
var fieldWidths = []int{16, 24, 40, 64, 8, 10, 14, 18, 18, 18}

// sentinelDate is the issue date of every template; its digits mark where
// the real dates go.
var sentinelDate = time.Date(1999, time.January, 1, 0, 0, 0, 0, time.UTC)

// pdfDoc is the PDF of one document. A drawn PDF keeps its bytes; a stamped
// one keeps its template and values and is stamped again when served.
type pdfDoc struct {
	data []byte
	tmpl *pdfTemplate
	vals []string
}

// prepare draws or stamps the document and returns its bytes.
func (d *pdfDoc) prepare(p pdfPage, stamped bool) ([]byte, error) {
	vals := stampValues(p)
	if !stamped || !stampable(vals) {
		data, err := renderPDF(p)
		d.data = data
		return data, err
	}

	t, err := templateFor(p.kind, p.line != "", len(p.paks))
	if err != nil {
		return nil, err
	}
	d.tmpl, d.vals = t, vals
	return t.fill(vals), nil
}

// bytes returns the document's PDF.
func (d *pdfDoc) bytes() []byte {
	if d.tmpl != nil {
		return d.tmpl.fill(d.vals)
	}
	return d.data
}

// stampValues lists what goes in each field for page p.
func stampValues(p pdfPage) []string {
	vals := make([]string, fieldPAK+maxPAKs)
	vals[fieldOrder] = p.order
	vals[fieldPO] = p.po
	vals[fieldDate] = p.issued.Format(time.DateOnly)
	vals[fieldPDFDate] = p.issued.Format("20060102150405")
	vals[fieldLine] = p.line
	vals[fieldProduct] = p.product
	vals[fieldQuantity] = p.quantity
	for i, pak := range p.paks {
		if i < maxPAKs {
			vals[fieldPAK+i] = pak
		}
	}
	return vals
}

// stampable reports whether every value fits its blank and is plain text
// that a PDF string holds unescaped.
func stampable(vals []string) bool {
	for i, v := range vals {
		if len(v) > fieldWidths[i] || strings.ContainsAny(v, `()\`) {
			return false
		}
		for _, c := range []byte(v) {
			if c < 0x20 || c > 0x7e {
				return false
			}
		}
	}
	return true
}

// pdfTemplate is a drawn PDF and the places of its blanks.
type pdfTemplate struct {
	data  []byte
	spans []span
}

// span is one blank: where it starts and which field it holds.
type span struct {
	off   int
	field int
}

// fill returns a copy of the template with vals written into the blanks,
// each padded with spaces to the blank's width.
func (t *pdfTemplate) fill(vals []string) []byte {
	out := bytes.Clone(t.data)
	for _, s := range t.spans {
		v := vals[s.field]
		w := fieldWidths[s.field]
		copy(out[s.off:s.off+w], v+strings.Repeat(" ", w-len(v)))
	}
	return out
}

// templateShape names a template: documents of one shape share it.
type templateShape struct {
	kind    string
	hasLine bool
	paks    int
}

// templateEntry draws one template once.
type templateEntry struct {
	once sync.Once
	t    *pdfTemplate
	err  error
}

// templates memoizes templates for the life of the process; they do not
// depend on the seed.
var templates = struct {
	sync.Mutex
	m map[templateShape]*templateEntry
}{m: make(map[templateShape]*templateEntry)}

// templateFor returns the template for a document shape, drawing it the
// first time it is asked for.
func templateFor(kind string, hasLine bool, paks int) (*pdfTemplate, error) {
	shape := templateShape{kind: kind, hasLine: hasLine, paks: paks}
	templates.Lock()
	e, ok := templates.m[shape]
	if !ok {
		e = &templateEntry{}
		templates.m[shape] = e
	}
	templates.Unlock()

	e.once.Do(func() { e.t, e.err = drawTemplate(shape) })
	return e.t, e.err
}

// drawTemplate draws the PDF of a shape with placeholders and finds them.
func drawTemplate(shape templateShape) (*pdfTemplate, error) {
	marks := placeholders()
	p := pdfPage{
		kind:    shape.kind,
		title:   docTitles[shape.kind],
		order:   marks[fieldOrder],
		po:      marks[fieldPO],
		account: demoAccount,
		issued:  sentinelDate,
	}
	if shape.hasLine {
		p.line, p.product = marks[fieldLine], marks[fieldProduct]
		p.quantity = marks[fieldQuantity]
	}
	p.paks = marks[fieldPAK : fieldPAK+shape.paks]

	data, err := renderPDF(p)
	if err != nil {
		return nil, err
	}
	return findBlanks(data, marks, shape)
}

// placeholders returns the text drawn in each blank. Most are a tilde, a
// letter naming the field and more tildes; the dates are the sentinel's.
func placeholders() []string {
	marks := make([]string, len(fieldWidths))
	for i, w := range fieldWidths {
		marks[i] = "~" + string(rune('A'+i)) + strings.Repeat("~", w-2)
	}
	marks[fieldDate] = sentinelDate.Format(time.DateOnly)
	marks[fieldPDFDate] = sentinelDate.Format("20060102150405")
	return marks
}

// findBlanks records every place a placeholder was drawn.
func findBlanks(data []byte, marks []string, shape templateShape) (*pdfTemplate, error) {
	t := &pdfTemplate{data: data}
	for field, mark := range marks {
		for off := 0; ; {
			i := bytes.Index(data[off:], []byte(mark))
			if i < 0 {
				break
			}
			t.spans = append(t.spans, span{off: off + i, field: field})
			off += i + len(mark)
		}
	}
	if !t.has(fieldOrder) || !t.has(fieldPDFDate) {
		return nil, fmt.Errorf("draw template for %v: blanks not found", shape)
	}
	return t, nil
}

// has reports whether the template has a blank for field.
func (t *pdfTemplate) has(field int) bool {
	for _, s := range t.spans {
		if s.field == field {
			return true
		}
	}
	return false
}
