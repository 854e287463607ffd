package server

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/barnteam/barnteam"

// allowedImports is the dependency direction of DESIGN.md: the domain imports nothing of
// ours; storage, the live board and exports import only the domain; the HTTP layer imports
// them all; cmd wires. Keys and values are paths inside the module; a package missing
// from the table may import nothing of ours. Third-party limits are in forbiddenExternal.
var allowedImports = map[string][]string{
	"server/board":             {},
	"server/i18n":              {},
	"server/secret":            {},
	"server/auth":              {},
	"server/store":             {"server/board"},
	"server/metrics":           {},
	"server/store/groupcommit": {"server/board"},
	"server/store/pgtest":      {},
	"server/store/sqlite":      {"server/board", "server/store/groupcommit"},
	"server/store/postgres":    {"server/board", "server/store/groupcommit"},
	"server/realtime":          {"server/board", "server/metrics"},
	"server/compass":           {"server/board"},
	"exports":                  {"server/board", "server/compass"},
	"server/accounts":          {"server/auth", "server/board", "server/secret"},
	"server/demo":              {"server/auth", "server/board", "server/secret"},
	"server":                   {"server/accounts", "server/auth", "server/board", "server/compass", "server/i18n", "server/metrics", "server/realtime", "server/secret", "server/store", "exports", "static", "templates"},
	"server/servertest":        {"exports", "server", "server/auth", "server/board", "server/demo", "server/i18n", "server/realtime", "server/secret", "server/store/sqlite"},
	"cmd/barnteam":             {"exports", "server", "server/accounts", "server/board", "server/demo", "server/i18n", "server/store/sqlite", "server/store/postgres"},
	"cmd/barnteam-load":        {"server/board", "server/secret", "server/store/sqlite", "server/store/postgres"},
	"static":                   {},
	"templates":                {},
}

// forbiddenExternal keeps web frameworks out of the packages that must not know about HTTP
// routing, and everything but the standard library out of the domain.
var forbiddenExternal = map[string][]string{
	"server/realtime": {"github.com/labstack/"},
	"server/store":    {"github.com/labstack/", "github.com/coder/"},
	"exports":         {"github.com/labstack/", "github.com/coder/"},
	"server/compass":  {"github.com/"},
}

// TestDependencyDirection parses every non-test Go file of the module and checks its
// imports against the table above. A new package must be added to the table on purpose.
func TestDependencyDirection(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	imports := map[string]map[string]bool{} // package dir -> imported paths
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		if imports[rel] == nil {
			imports[rel] = map[string]bool{}
		}
		for _, imp := range f.Imports {
			imports[rel][strings.Trim(imp.Path.Value, `"`)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(imports) < 5 {
		t.Fatalf("found only %d packages under %s; is the walk broken?", len(imports), root)
	}
	var pkgs []string
	for p := range imports {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, pkg := range pkgs {
		allowed, known := allowedImports[pkg]
		if !known {
			t.Errorf("package %s is not in the dependency table (server/architecture_test.go): decide where it sits", pkg)
			continue
		}
		for imp := range imports[pkg] {
			if inner, ok := strings.CutPrefix(imp, module+"/"); ok {
				if !contains(allowed, inner) {
					t.Errorf("%s imports %s: against the dependency direction", pkg, inner)
				}
				continue
			}
			if pkg == "server/board" && strings.Contains(strings.Split(imp, "/")[0], ".") {
				t.Errorf("server/board imports %s: the domain uses the standard library only", imp)
			}
			for prefix, bad := range forbiddenExternal {
				if pkg != prefix && !strings.HasPrefix(pkg, prefix+"/") {
					continue
				}
				for _, b := range bad {
					if strings.HasPrefix(imp, b) {
						t.Errorf("%s imports %s", pkg, imp)
					}
				}
			}
		}
	}
}

func contains(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}

// TestNoCDNAssets: every asset is embedded; no page or stylesheet loads anything from
// another host.
func TestNoCDNAssets(t *testing.T) {
	for _, dir := range []string{"../templates", "../static/css", "../static/js"} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			s := string(b)
			for _, bad := range []string{`src="http`, `href="http`, `src="//`, `href="//`, `url(http`, `url(//`, `import "http`, `from "http`} {
				if strings.Contains(s, bad) {
					t.Errorf("%s loads an asset from another host (%s)", path, bad)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
