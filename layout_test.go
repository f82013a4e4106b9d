package main

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const module = "lading.dev/lading"

// wiring may reach Fyne through the ui package; everything else is core and
// may not reach it at all.
var wiring = map[string]bool{module: true, module + "/app": true, module + "/ui": true}

// TestOnlyUIImportsFyne keeps the core testable without a display: no
// package but ui imports Fyne, and no core package depends on ui.
func TestOnlyUIImportsFyne(t *testing.T) {
	imports := moduleImports(t)
	if len(imports) < 6 {
		t.Fatalf("found only %d packages; the walk is broken", len(imports))
	}
	for pkg, deps := range imports {
		if pkg == module+"/ui" {
			continue
		}
		for _, d := range deps {
			if strings.HasPrefix(d, "fyne.io/") {
				t.Errorf("%s imports %s; only %s/ui may import Fyne", pkg, d, module)
			}
		}
		if !wiring[pkg] {
			if via := reaches(imports, pkg, module+"/ui", map[string]bool{}); via {
				t.Errorf("core package %s depends on the ui package", pkg)
			}
		}
	}
}

// reaches reports whether pkg depends on target through module packages.
func reaches(imports map[string][]string, pkg, target string, seen map[string]bool) bool {
	if seen[pkg] {
		return false
	}
	seen[pkg] = true
	for _, d := range imports[pkg] {
		if d == target || reaches(imports, d, target, seen) {
			return true
		}
	}
	return false
}

// moduleImports maps each package of the module to what its files import,
// tests included.
func moduleImports(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && p != "." || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		pkg := path.Join(module, filepath.ToSlash(filepath.Dir(p)))
		for _, imp := range f.Imports {
			v, _ := strconv.Unquote(imp.Path.Value)
			out[pkg] = append(out[pkg], v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
