package sync

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// A feed page of ten thousand lines is megabytes of JSON that Lading only
// needs cut into orders: the store reads each order's fields itself. So the
// page is split by hand, a single pass that tracks strings and nesting,
// instead of being decoded; each order is then checked in full when the
// store parses it. The page's small fields are decoded normally.

// errPage is the cause of every split failure.
var errPage = errors.New("the portal sent a feed page Lading cannot read")

// splitPage cuts a feed page into its orders, which stay slices of body,
// and decodes its cursors.
func splitPage(body []byte) (RawPage, error) {
	var page RawPage
	p := &pageScanner{b: body}
	if !p.expect('{') {
		return page, fmt.Errorf("%w: it is not a JSON object", errPage)
	}
	for p.skipSpace(); p.peek() != '}'; p.skipSpace() {
		key, ok := p.key()
		if !ok {
			return page, fmt.Errorf("%w: bad field at byte %d", errPage, p.i)
		}
		if err := p.field(key, &page); err != nil {
			return page, err
		}
		p.skipSpace()
		if p.peek() == ',' {
			p.i++
		}
	}
	return page, nil
}

// pageScanner walks a JSON text.
type pageScanner struct {
	b []byte
	i int
}

func (p *pageScanner) peek() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

func (p *pageScanner) skipSpace() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// expect consumes c after any space.
func (p *pageScanner) expect(c byte) bool {
	p.skipSpace()
	if p.peek() != c {
		return false
	}
	p.i++
	return true
}

// key reads an object key and its colon.
func (p *pageScanner) key() (string, bool) {
	start := p.i
	if !p.skipString() {
		return "", false
	}
	var k string
	if json.Unmarshal(p.b[start:p.i], &k) != nil || !p.expect(':') {
		return "", false
	}
	return k, true
}

// field reads one field's value into the page.
func (p *pageScanner) field(key string, page *RawPage) error {
	p.skipSpace()
	start := p.i
	// Keys match without regard to case, as encoding/json matches them.
	if strings.EqualFold(key, "orders") {
		return p.orders(page)
	}
	if !p.skipValue() {
		return fmt.Errorf("%w: bad value of %q", errPage, key)
	}
	var dst *string
	switch {
	case strings.EqualFold(key, "next_cursor"):
		dst = &page.NextCursor
	case strings.EqualFold(key, "sync_cursor"):
		dst = &page.SyncCursor
	default:
		return nil // a field added later in v1: ignored
	}
	if err := json.Unmarshal(p.b[start:p.i], dst); err != nil {
		return fmt.Errorf("%w: %s: %w", errPage, key, err)
	}
	return nil
}

// orders reads the orders array, each element as its own slice.
func (p *pageScanner) orders(page *RawPage) error {
	if !p.expect('[') {
		return fmt.Errorf("%w: orders is not a list", errPage)
	}
	page.Orders = []json.RawMessage{}
	for p.skipSpace(); p.peek() != ']'; p.skipSpace() {
		start := p.i
		if p.peek() != '{' || !p.skipValue() {
			return fmt.Errorf("%w: order %d is not an object", errPage, len(page.Orders)+1)
		}
		page.Orders = append(page.Orders, json.RawMessage(p.b[start:p.i]))
		p.skipSpace()
		if p.peek() == ',' {
			p.i++
		} else if p.peek() != ']' {
			return fmt.Errorf("%w: orders are not separated at byte %d", errPage, p.i)
		}
	}
	p.i++
	return nil
}

// skipString moves past a string, escapes included.
func (p *pageScanner) skipString() bool {
	if p.peek() != '"' {
		return false
	}
	for p.i++; p.i < len(p.b); p.i++ {
		switch p.b[p.i] {
		case '\\':
			p.i++
		case '"':
			p.i++
			return true
		}
	}
	return false
}

// skipValue moves past one value: an object or a list with everything in
// it, a string, or a scalar.
func (p *pageScanner) skipValue() bool {
	switch p.peek() {
	case '"':
		return p.skipString()
	case '{', '[':
		depth := 0
		for p.i < len(p.b) {
			switch p.b[p.i] {
			case '"':
				if !p.skipString() {
					return false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					p.i++
					return true
				}
			}
			p.i++
		}
		return false
	}
	start := p.i
	for p.i < len(p.b) && !isDelim(p.b[p.i]) {
		p.i++
	}
	return p.i > start
}

// isDelim reports whether c ends a scalar.
func isDelim(c byte) bool {
	switch c {
	case ',', '}', ']', ' ', '\t', '\n', '\r':
		return true
	}
	return false
}
