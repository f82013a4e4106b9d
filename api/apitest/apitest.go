// Package apitest reads the golden JSON examples of docs/portal-api.md, so
// that the API types, the demo portal and the client are each tested
// against the same contract. It is for tests only.
package apitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
)

// DocPath is the contract document, found from this file's place in the
// module.
func DocPath() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "docs", "portal-api.md")
}

// exampleRE finds "<!-- example: NAME -->" followed by a fenced json block.
var exampleRE = regexp.MustCompile("(?s)<!-- example: ([a-z-]+) -->\\s*```json\\n(.*?)\\n```")

// Examples returns every golden example of the document by name.
func Examples() (map[string][]byte, error) {
	doc, err := os.ReadFile(DocPath())
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, m := range exampleRE.FindAllSubmatch(doc, -1) {
		name := string(m[1])
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("example %q appears twice", name)
		}
		if !json.Valid(m[2]) {
			return nil, fmt.Errorf("example %q is not valid JSON", name)
		}
		out[name] = m[2]
	}
	return out, nil
}

// Document returns the whole contract document.
func Document() (string, error) {
	doc, err := os.ReadFile(DocPath())
	return string(doc), err
}

// DecodeStrict decodes data into v, refusing fields v does not have.
func DecodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// Keys lists the field paths of a JSON document, such as
// "orders[].lines[].download.next", sorted. Array elements share one path,
// so the list is the union over every element.
func Keys(data []byte) ([]string, error) {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	set := map[string]bool{}
	walk(v, "", set)
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out, nil
}

func walk(v any, path string, set map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			p := k
			if path != "" {
				p = path + "." + k
			}
			set[p] = true
			walk(child, p, set)
		}
	case []any:
		for _, child := range v {
			walk(child, path+"[]", set)
		}
	}
}

// Missing returns the keys of want that got lacks.
func Missing(want, got []string) []string {
	var out []string
	for _, k := range want {
		if !slices.Contains(got, k) {
			out = append(out, k)
		}
	}
	return out
}
