package presubmit

import (
	"bytes"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// repoRoot finds the module root (the directory holding go.mod) above the
// test's working directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the working directory")
		}
		dir = parent
	}
}

type goFile struct {
	rel string // slash-separated path from the repository root
	src []byte
}

// goFiles lists the Go files the go tool would see: it skips testdata,
// vendor, and directories whose names start with "." or "_".
func goFiles(t *testing.T) []goFile {
	t.Helper()
	root := repoRoot(t)
	var files []goFile
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		files = append(files, goFile{rel: filepath.ToSlash(rel), src: src})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no Go files found")
	}
	return files
}

func inCmd(rel string) bool      { return strings.HasPrefix(rel, "cmd/") }
func isTestFile(rel string) bool { return strings.HasSuffix(rel, "_test.go") }
func position(fset *token.FileSet, rel string, pos token.Pos) string {
	return rel + ":" + strconv.Itoa(fset.Position(pos).Line)
}

// printViolations reports fmt.Print, fmt.Printf, fmt.Println and the print
// and println builtins in src.
func printViolations(rel string, src []byte) ([]string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, rel, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	fmtName, fmtDot := "", false
	for _, imp := range f.Imports {
		if path, _ := strconv.Unquote(imp.Path.Value); path == "fmt" {
			fmtName = "fmt"
			if imp.Name != nil {
				fmtName = imp.Name.Name
				fmtDot = imp.Name.Name == "."
			}
		}
	}
	// A file that declares its own print or println does not call the builtin.
	shadowed := map[string]bool{}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil {
			shadowed[fd.Name.Name] = true
		}
	}
	isPrint := func(name string) bool { return name == "Print" || name == "Printf" || name == "Println" }

	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if id, ok := n.X.(*ast.Ident); ok && fmtName != "" && id.Name == fmtName && isPrint(n.Sel.Name) {
				out = append(out, position(fset, rel, n.Pos())+": fmt."+n.Sel.Name+" outside cmd/ (log through log/slog)")
			}
		case *ast.CallExpr:
			id, ok := n.Fun.(*ast.Ident)
			if !ok {
				return true
			}
			switch {
			case (id.Name == "print" || id.Name == "println") && !shadowed[id.Name]:
				out = append(out, position(fset, rel, n.Pos())+": builtin "+id.Name+" outside cmd/ (log through log/slog)")
			case fmtDot && isPrint(id.Name) && !shadowed[id.Name]:
				out = append(out, position(fset, rel, n.Pos())+": fmt."+id.Name+" (dot-imported) outside cmd/ (log through log/slog)")
			}
		}
		return true
	})
	return out, nil
}

// stdLogViolations reports imports of the standard log package.
func stdLogViolations(rel string, src []byte) ([]string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, rel, src, parser.ImportsOnly)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, imp := range f.Imports {
		if path, _ := strconv.Unquote(imp.Path.Value); path == "log" {
			out = append(out, position(fset, rel, imp.Pos())+`: imports "log" outside cmd/ (use log/slog)`)
		}
	}
	return out, nil
}

func TestNoPrintOutsideCmd(t *testing.T) {
	for _, f := range goFiles(t) {
		if inCmd(f.rel) || isTestFile(f.rel) {
			continue
		}
		vs, err := printViolations(f.rel, f.src)
		if err != nil {
			t.Errorf("%s: %v", f.rel, err)
		}
		for _, v := range vs {
			t.Error(v)
		}
	}
}

func TestNoStdLogOutsideCmd(t *testing.T) {
	for _, f := range goFiles(t) {
		if inCmd(f.rel) {
			continue
		}
		vs, err := stdLogViolations(f.rel, f.src)
		if err != nil {
			t.Errorf("%s: %v", f.rel, err)
		}
		for _, v := range vs {
			t.Error(v)
		}
	}
}

func TestGofmt(t *testing.T) {
	for _, f := range goFiles(t) {
		formatted, err := format.Source(f.src)
		if err != nil {
			t.Errorf("%s: %v", f.rel, err)
			continue
		}
		if !bytes.Equal(formatted, f.src) {
			t.Errorf("%s: not gofmt-formatted (run gofmt -w %s)", f.rel, f.rel)
		}
	}
}

// TestCheckers proves the checks catch what they must and nothing else.
func TestCheckers(t *testing.T) {
	tests := []struct {
		name, src string
		prints    int
		stdLog    int
	}{
		{"clean", "package p\nimport \"log/slog\"\nfunc f() { slog.Info(\"x\") }\n", 0, 0},
		{"fmt.Println", "package p\nimport \"fmt\"\nfunc f() { fmt.Println(1); fmt.Printf(\"%d\", 1); fmt.Print(1) }\n", 3, 0},
		{"aliased fmt", "package p\nimport f \"fmt\"\nfunc g() { f.Println(1) }\n", 1, 0},
		{"dot-imported fmt", "package p\nimport . \"fmt\"\nfunc g() { Println(1) }\n", 1, 0},
		{"fmt.Println as a value", "package p\nimport \"fmt\"\nvar p = fmt.Println\n", 1, 0},
		{"Sprintf and Fprintf are fine", "package p\nimport (\"fmt\"; \"os\")\nfunc g() { fmt.Fprintf(os.Stderr, fmt.Sprintf(\"x\")) }\n", 0, 0},
		{"builtins", "package p\nfunc g() { print(1); println(2) }\n", 2, 0},
		{"own println", "package p\nfunc println(...any) {}\nfunc g() { println(2) }\n", 0, 0},
		{"other package's Println", "package p\nimport \"example.com/x\"\nfunc g() { x.Println() }\n", 0, 0},
		{"std log", "package p\nimport \"log\"\nfunc g() { log.Printf(\"x\") }\n", 0, 1},
		{"aliased std log", "package p\nimport stdlog \"log\"\nfunc g() { stdlog.Printf(\"x\") }\n", 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := printViolations("p/p.go", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			l, err := stdLogViolations("p/p.go", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if len(p) != tt.prints || len(l) != tt.stdLog {
				t.Errorf("print violations %v, std log violations %v; want %d and %d", p, l, tt.prints, tt.stdLog)
			}
		})
	}
}
