package config

import (
	"errors"
	"testing"
)

// Types shaped like the [[app]] list later issues add, to prove that arrays
// of tables (and tables inside them) are decoded, checked and located.
type testRoute struct {
	Path string `toml:"path"`
}

type testApp struct {
	Name     string      `toml:"name"`
	Budget   Duration    `toml:"budget"`
	Routes   []testRoute `toml:"route"`
	Settings struct {
		Verbose bool `toml:"verbose"`
	} `toml:"settings"`
}

type testDoc struct {
	Server struct {
		Port int `toml:"port"`
	} `toml:"server"`
	Apps []testApp `toml:"app"`
}

func decodeTestDoc(src string) (testDoc, error) {
	var dst testDoc
	doc := &document{name: "t.toml", src: src}
	problems, _, err := doc.decode(&dst)
	if err != nil {
		return dst, err
	}
	if len(problems) > 0 {
		return dst, doc.first(problems)
	}
	return dst, nil
}

func TestArraysOfTables(t *testing.T) {
	got, err := decodeTestDoc(`
[server]
port = 1

[[app]]
name = "a"
budget = "2s"
[[app.route]]
path = "/x"
[[app.route]]
path = "/y"

[[app]]
name = "b"
[app.settings]
verbose = true
`)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Apps) != 2 || got.Apps[0].Name != "a" || len(got.Apps[0].Routes) != 2 ||
		got.Apps[0].Routes[1].Path != "/y" || got.Apps[1].Name != "b" || !got.Apps[1].Settings.Verbose {
		t.Errorf("decoded %+v", got)
	}
}

func TestArraysOfTablesErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
		kind            error
	}{
		{
			name: "type error in second element",
			src:  "[[app]]\nname = \"a\"\nbudget = 5\n[[app]]\nname = \"b\"\nbudget = 6\n",
			want: `t.toml:3: app[0].budget: expected a duration string such as "15s", got integer 5`,
			kind: ErrType,
		},
		{
			name: "bad value in second element only",
			src:  "[[app]]\nname = \"a\"\nbudget = \"1s\"\n\n[[app]]\nname = \"b\"\nbudget = \"1z\"\n",
			want: `t.toml:7: app[1].budget: invalid duration "1z" (want a number with a unit, like "15s", "150ms" or "1m30s")`,
			kind: ErrValue,
		},
		{
			name: "unknown key in second element",
			src:  "[[app]]\nname = \"a\"\n[[app]]\nnam = \"b\"\n",
			want: `t.toml:4: unknown key "nam" in [[app]] (did you mean "name"?)`,
			kind: ErrUnknownKey,
		},
		{
			name: "nested array of tables",
			src:  "[[app]]\nname = \"a\"\n[[app]]\n[[app.route]]\npath = \"/\"\n[[app.route]]\npath = 3\n",
			want: `t.toml:7: app[1].route[1].path: expected a string, got integer 3`,
			kind: ErrType,
		},
		{
			name: "table inside an element",
			src:  "[[app]]\n[app.settings]\nverbose = true\n[[app]]\n[app.settings]\nverbose = \"no\"\n",
			want: `t.toml:6: app[1].settings.verbose: expected a boolean (true or false), got string "no"`,
			kind: ErrType,
		},
		{
			name: "unknown key in a table inside an element",
			src:  "[[app]]\n[app.settings]\nverbose = true\nloud = true\n",
			want: `t.toml:4: unknown key "loud" in [app.settings]`,
			kind: ErrUnknownKey,
		},
		{
			name: "inline array of tables",
			src:  "app = [\n  { name = \"a\" },\n  { name = 1 },\n]\n",
			want: `t.toml:3: app[1].name: expected a string, got integer 1`,
			kind: ErrType,
		},
		{
			name: "multi-line strings do not confuse the locator",
			src:  "[server]\nport = 1\n[[app]]\nname = \"\"\"\nbudget = 5\n\"\"\"\nbudget = 7\n",
			want: `t.toml:7: app[0].budget: expected a duration string such as "15s", got integer 7`,
			kind: ErrType,
		},
		{
			name: "quoted keys",
			src:  "[\"server\"]\n'port' = \"x\"\n",
			want: `t.toml:2: server.port: expected an integer, got string "x"`,
			kind: ErrType,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeTestDoc(tt.src)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error\n got: %v\nwant: %s", err, tt.want)
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("errors.Is(err, %v) = false", tt.kind)
			}
		})
	}
}

func TestLocatorLines(t *testing.T) {
	src := `# top comment
title = "x # not a comment"   # comment
multi = """
fake = 1
"""
lit = '''
[fake.table]
'''
arr = [ # comment
  1,
  [2, 3],
  { k = "v" },
]
when = 1979-05-27 07:32:00
"quoted.key" = 1
a.b.c = 2

[t]
x = 1
[t.sub]
y = 2
[[arr2]]
z = 1
[[arr2]]
z = 2
[[arr2.inner]]
w = 3
`
	loc := locate(src)
	tests := []struct {
		path keyPath
		line int
	}{
		{key("title"), 2},
		{key("multi"), 3},
		{key("lit"), 6},
		{key("arr"), 9},
		{key("arr").at(0), 10},
		{key("arr").at(1), 11},
		{key("arr").at(1).at(1), 11},
		{key("arr").at(2).child("k"), 12},
		{key("when"), 14},
		{key("quoted.key"), 15},
		{key("a", "b", "c"), 16},
		{key("a"), 16},
		{key("t", "x"), 19},
		{key("t", "sub", "y"), 21},
		{key("arr2").at(0).child("z"), 23},
		{key("arr2").at(1).child("z"), 25},
		{key("arr2").at(1).child("inner").at(0).child("w"), 27},
		{key("arr2", "z"), 23},     // without indexes: the first occurrence
		{key("fake"), 0},           // inside a string
		{key("nowhere", "at"), 0},  // absent
		{key("t", "sub"), 20},      // table header
		{key("arr2", "inner"), 26}, // array header without index
	}
	for _, tt := range tests {
		if got := loc.line(tt.path); got != tt.line {
			t.Errorf("line(%s) = %d, want %d", tt.path, got, tt.line)
		}
	}
}

func TestLocatorDeepNesting(t *testing.T) {
	deep := "x = " + repeat("[", 10000) + repeat("]", 10000) + "\ny = 1\n"
	if got := locate(deep).line(key("y")); got != 2 {
		t.Errorf("line(y) after deep nesting = %d, want 2", got)
	}
}

func repeat(s string, n int) string {
	b := make([]byte, 0, len(s)*n)
	for range n {
		b = append(b, s...)
	}
	return string(b)
}
