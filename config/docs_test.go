package config

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// The shipped config.toml and the README are documentation that must not rot:
// these tests tie them to Options and Default.

const shippedConfig = "../config.toml"

func TestShippedConfigIsDefault(t *testing.T) {
	opts, err := Load(shippedConfig, true)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(opts, Default()) {
		t.Errorf("config.toml as shipped decodes to\n%+v\nwant Default()\n%+v", opts, Default())
	}
}

// commentedKey matches a commented-out setting, "# key = value", as opposed to
// prose comments.
var commentedKey = regexp.MustCompile(`^#\s?([A-Za-z0-9_-]+\s*=.*)$`)

// uncomment turns every commented-out setting of the shipped file into a live one.
func uncomment(src string) string {
	lines := strings.Split(src, "\n")
	for i, l := range lines {
		if m := commentedKey.FindStringSubmatch(l); m != nil {
			lines[i] = m[1]
		}
	}
	return strings.Join(lines, "\n")
}

// TestShippedConfigDocumentsEveryKey walks Options by reflection and checks
// that config.toml has each key, and that the values it documents are the
// real defaults.
func TestShippedConfigDocumentsEveryKey(t *testing.T) {
	src, err := os.ReadFile(shippedConfig)
	if err != nil {
		t.Fatal(err)
	}
	live := uncomment(string(src))

	opts, err := Parse("config.toml (uncommented)", []byte(live))
	if err != nil {
		t.Fatalf("config.toml with every setting uncommented: %v", err)
	}
	if !reflect.DeepEqual(opts, Default()) {
		t.Errorf("values documented in config.toml differ from Default():\n got %+v\nwant %+v", opts, Default())
	}

	md, err := toml.Decode(live, new(map[string]any))
	if err != nil {
		t.Fatal(err)
	}
	keys := optionKeys(reflect.TypeFor[Options](), nil)
	if len(keys) < 20 {
		t.Fatalf("found only %d keys in Options; is the walk broken?", len(keys))
	}
	for _, k := range keys {
		if !md.IsDefined(k...) {
			t.Errorf("config.toml does not document %s", strings.Join(k, "."))
		}
	}
}

// optionKeys lists the leaf keys of a config struct type. Arrays of tables
// (a future [[app]]) are documented by example, so their keys are listed
// under the table name.
func optionKeys(t reflect.Type, prefix []string) [][]string {
	var keys [][]string
	for _, f := range tomlFields(t) {
		k := append(append([]string(nil), prefix...), f.name)
		ft := f.typ
		isTable := func(t reflect.Type) bool {
			return t.Kind() == reflect.Struct && !reflect.PointerTo(t).Implements(textUnmarshalerType)
		}
		switch {
		case isTable(ft):
			keys = append(keys, optionKeys(ft, k)...)
		case ft.Kind() == reflect.Slice && isTable(ft.Elem()):
			keys = append(keys, optionKeys(ft.Elem(), k)...)
		default:
			keys = append(keys, k)
		}
	}
	return keys
}

func TestEveryFieldHasATomlTag(t *testing.T) {
	var check func(reflect.Type)
	check = func(st reflect.Type) {
		for i := range st.NumField() {
			f := st.Field(i)
			tag := f.Tag.Get("toml")
			if tag == "" || strings.ToLower(tag) != tag {
				t.Errorf("%s.%s: want a lower-case snake_case toml tag, got %q", st.Name(), f.Name, tag)
			}
			ft := f.Type
			if ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && !reflect.PointerTo(ft).Implements(textUnmarshalerType) {
				check(ft)
			}
		}
	}
	check(reflect.TypeFor[Options]())
}

// TestReadmeTomlBlocks executes the documentation: every ```toml block in
// README.md must load.
func TestReadmeTomlBlocks(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := fencedBlocks(string(readme), "toml")
	if len(blocks) == 0 {
		t.Fatal("README.md has no ```toml block")
	}
	for i, b := range blocks {
		path := writeFile(t, "readme.toml", b.text)
		if _, err := Load(path, true); err != nil {
			t.Errorf("README.md:%d: toml block %d: %v", b.line, i+1, err)
		}
	}
}

type fencedBlock struct {
	line int // line of the opening fence
	text string
}

func fencedBlocks(md, lang string) []fencedBlock {
	var blocks []fencedBlock
	var cur *fencedBlock
	var body []string
	for i, l := range strings.Split(md, "\n") {
		trimmed := strings.TrimSpace(l)
		switch {
		case cur == nil && trimmed == "```"+lang:
			cur = &fencedBlock{line: i + 1}
			body = nil
		case cur != nil && trimmed == "```":
			cur.text = strings.Join(body, "\n") + "\n"
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			body = append(body, l)
		}
	}
	return blocks
}
