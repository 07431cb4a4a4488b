package config

import (
	"cmp"
	"encoding"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// MaxFileSize bounds a config file; anything larger is refused unread, so a
// wrong path (or a hostile file) cannot make the server allocate without limit.
const MaxFileSize = 256 << 10

// Load reads, decodes and validates the config file at path.
//
// A missing file is not an error, and yields the validated defaults, unless
// mustExist is set (the file was named explicitly, e.g. with -config). Every
// other problem is an *Error whose one-line message names file, line and key.
func Load(path string, mustExist bool) (Options, error) {
	if path == "" {
		if mustExist {
			return Options{}, errors.New("config: no config file named")
		}
		return validDefault()
	}
	data, err := readFile(path)
	if errors.Is(err, fs.ErrNotExist) && !mustExist {
		return validDefault()
	}
	if err != nil {
		return Options{}, fmt.Errorf("config: %w", err)
	}
	return Parse(filepath.Clean(path), data)
}

func validDefault() (Options, error) {
	opts := Default()
	if err := opts.Validate(); err != nil {
		return Options{}, fmt.Errorf("config: defaults: %w", err)
	}
	return opts, nil
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// One byte past the limit is enough to tell that the file is too large.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return data, nil
}

// Parse decodes and validates data as the contents of the config file name
// (used only in messages), on top of Default. Keys absent from data keep
// their defaults.
func Parse(name string, data []byte) (Options, error) {
	opts := Default()
	doc := &document{name: name, src: string(data)}
	problems, decoded, err := doc.decode(&opts)
	if err != nil {
		return Options{}, err
	}
	if decoded {
		// Values are in place even if some keys were unknown, so range
		// errors can compete for "first in the file" with those.
		problems = append(problems, opts.validate()...)
	}
	if len(problems) > 0 {
		return Options{}, doc.first(problems)
	}
	return opts, nil
}

// document is one config file being decoded.
type document struct {
	name string
	src  string
	loc  *locator
}

// first places problems in the file and returns the earliest one.
func (d *document) first(problems []*Error) *Error {
	if d.loc == nil { // a file too large to decode
		d.loc = locate("")
	}
	for _, e := range problems {
		e.File = d.name
		if e.Line == 0 && e.path != nil {
			e.Line = d.loc.line(e.path)
		}
	}
	slices.SortStableFunc(problems, func(a, b *Error) int {
		return cmp.Compare(sortLine(a.Line), sortLine(b.Line))
	})
	return problems[0]
}

// sortLine puts problems the file does not show (line 0) last.
func sortLine(line int) int {
	if line == 0 {
		return math.MaxInt
	}
	return line
}

// decode fills dst (a pointer to a struct holding defaults) from the document,
// strictly. A syntax error is returned as err. Unknown keys and values of the
// wrong type are returned as problems, not yet placed in the file; decoded
// reports whether dst was filled (it is not when any value had a wrong type).
func (d *document) decode(dst any) (problems []*Error, decoded bool, err error) {
	if len(d.src) > MaxFileSize {
		return nil, false, &Error{File: d.name, Msg: fmt.Sprintf("file too large: more than %d bytes", MaxFileSize), kind: ErrSyntax}
	}
	d.loc = locate(d.src)
	if d.loc.tooDeep > 0 {
		return nil, false, &Error{File: d.name, Line: d.loc.tooDeep, Msg: fmt.Sprintf("nested deeper than %d levels", maxNesting), kind: ErrSyntax}
	}
	// First pass into plain maps: syntax errors, and the raw values whose
	// types are checked against dst with exact key paths (including array
	// indexes, which the TOML decoder's own errors do not have).
	var raw map[string]any
	if _, err := toml.Decode(d.src, &raw); err != nil {
		return nil, false, d.syntaxError(err)
	}
	w := walker{}
	w.table(reflect.TypeOf(dst).Elem(), raw, nil)
	for _, e := range w.problems {
		if e.kind != ErrUnknownKey {
			return w.problems, false, nil
		}
	}

	md, err := toml.Decode(d.src, dst)
	if err != nil {
		// The walk above accepted the document, so this is a case it does
		// not know about; report it as well as the decoder lets us.
		return nil, false, d.syntaxError(err)
	}
	// The walk already reported unknown keys; this is the decoder's own
	// account of what it left unused, kept as the final word.
	reported := make(map[string]bool, len(w.problems))
	for _, e := range w.problems {
		reported[looseKey(pathNames(e.path))] = true
	}
	for _, k := range md.Undecoded() {
		// Skip what the walk found, and keys inside an unknown table.
		known := false
		for i := 1; i <= len(k) && !known; i++ {
			known = reported[looseKey(k[:i])]
		}
		if known {
			continue
		}
		reported[looseKey(k)] = true
		p := keyPath{}
		for _, name := range k {
			p = p.child(name)
		}
		w.problems = append(w.problems, unknownKeyError(p[:len(p)-1], k[len(k)-1], md.Type(k...), nil))
	}
	return w.problems, true, nil
}

func (d *document) syntaxError(err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return &Error{File: d.name, Line: pe.Position.Line, Msg: oneLine(pe.Message), kind: ErrSyntax, cause: err}
	}
	return &Error{File: d.name, Msg: oneLine(strings.TrimPrefix(err.Error(), "toml: ")), kind: ErrSyntax, cause: err}
}

// unknownKeyError describes key name under parent. tomlType is the decoder's
// type name when known ("Hash", "ArrayHash"), else empty and value decides.
func unknownKeyError(parent keyPath, name, tomlType string, known []string) *Error {
	p := parent.child(name)
	var msg string
	switch tomlType {
	case "Hash":
		msg = "unknown table [" + p.names() + "]"
	case "ArrayHash":
		msg = "unknown table [[" + p.names() + "]]"
	default:
		msg = "unknown key " + strconv.Quote(truncate(name)) + " " + parent.tableName()
	}
	if s := suggest(name, known); s != "" {
		msg += " (did you mean " + strconv.Quote(s) + "?)"
	}
	return &Error{Key: p.String(), Msg: msg, kind: ErrUnknownKey, path: p}
}

// suggest returns the known key closest to name when it is plausibly a typo:
// a case difference or at most two edits.
func suggest(name string, known []string) string {
	if len(name) > maxQuoted {
		return ""
	}
	best, bestDist := "", 3
	for _, k := range known {
		if strings.EqualFold(k, name) {
			return k
		}
		if d := editDistance(name, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// walker checks raw decoded TOML values against the Go types they will be
// decoded into, collecting unknown keys and type errors with exact paths.
type walker struct {
	problems []*Error
}

var (
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	durationType        = reflect.TypeFor[Duration]()
)

type fieldInfo struct {
	name string
	typ  reflect.Type
}

// tomlFields lists the keys a struct type accepts, by their toml tag.
func tomlFields(t reflect.Type) []fieldInfo {
	fields := make([]fieldInfo, 0, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields = append(fields, fieldInfo{name: name, typ: f.Type})
	}
	return fields
}

func (w *walker) add(p keyPath, kind error, msg string, cause error) {
	w.problems = append(w.problems, &Error{Key: p.String(), Msg: msg, kind: kind, cause: cause, path: p})
}

func (w *walker) table(t reflect.Type, m map[string]any, p keyPath) {
	fields := tomlFields(t)
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	// Sorted, so that problems on one line are reported in a stable order.
	for _, k := range slices.Sorted(maps.Keys(m)) {
		i := slices.Index(names, k)
		if i < 0 {
			var tomlType string
			switch m[k].(type) {
			case map[string]any:
				tomlType = "Hash"
			case []map[string]any:
				tomlType = "ArrayHash"
			}
			w.problems = append(w.problems, unknownKeyError(p, k, tomlType, names))
			continue
		}
		w.value(fields[i].typ, m[k], p.child(k))
	}
}

func (w *walker) value(t reflect.Type, v any, p keyPath) {
	if reflect.PointerTo(t).Implements(textUnmarshalerType) {
		s, ok := v.(string)
		if !ok {
			w.typeError(p, t, v)
			return
		}
		u := reflect.New(t).Interface().(encoding.TextUnmarshaler)
		if err := u.UnmarshalText([]byte(s)); err != nil {
			w.add(p, ErrValue, oneLine(err.Error()), err)
		}
		return
	}
	switch t.Kind() {
	case reflect.String:
		if _, ok := v.(string); !ok {
			w.typeError(p, t, v)
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			w.typeError(p, t, v)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := v.(int64)
		switch {
		case !ok:
			w.typeError(p, t, v)
		case reflect.New(t).Elem().OverflowInt(n):
			w.add(p, ErrValue, fmt.Sprintf("out of range, got %d", n), nil)
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n, ok := v.(int64)
		switch {
		case !ok:
			w.typeError(p, t, v)
		case n < 0:
			w.add(p, ErrValue, fmt.Sprintf("must be >= 0, got %d", n), nil)
		case reflect.New(t).Elem().OverflowUint(uint64(n)):
			w.add(p, ErrValue, fmt.Sprintf("out of range, got %d", n), nil)
		}
	case reflect.Float32, reflect.Float64:
		switch v.(type) {
		case int64, float64:
		default:
			w.typeError(p, t, v)
		}
	case reflect.Slice, reflect.Array:
		switch vv := v.(type) {
		case []any:
			for i, x := range vv {
				w.value(t.Elem(), x, p.at(i))
			}
		case []map[string]any:
			for i, x := range vv {
				w.value(t.Elem(), x, p.at(i))
			}
		default:
			w.typeError(p, t, v)
		}
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			w.typeError(p, t, v)
			return
		}
		w.table(t, m, p)
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok || t.Key().Kind() != reflect.String {
			w.typeError(p, t, v)
			return
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			w.value(t.Elem(), m[k], p.child(k))
		}
	case reflect.Pointer:
		w.value(t.Elem(), v, p)
	case reflect.Interface:
		// Anything goes.
	default:
		w.add(p, ErrType, "field type "+t.String()+" cannot be configured", nil)
	}
}

func (w *walker) typeError(p keyPath, want reflect.Type, got any) {
	w.add(p, ErrType, "expected "+describeType(want)+", got "+describeValue(got), nil)
}

func describeType(t reflect.Type) string {
	switch {
	case t == durationType:
		return `a duration string such as "15s"`
	case reflect.PointerTo(t).Implements(textUnmarshalerType):
		return "a string"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean (true or false)"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		if e := t.Elem(); e.Kind() == reflect.Struct && !reflect.PointerTo(e).Implements(textUnmarshalerType) {
			return "an array of tables"
		}
		return "an array"
	case reflect.Struct, reflect.Map:
		return "a table"
	case reflect.Pointer:
		return describeType(t.Elem())
	}
	return t.String()
}

func describeValue(v any) string {
	switch x := v.(type) {
	case string:
		return "string " + strconv.Quote(truncate(x))
	case int64:
		return "integer " + strconv.FormatInt(x, 10)
	case float64:
		return "float " + strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return "boolean " + strconv.FormatBool(x)
	case []any:
		return "an array"
	case []map[string]any:
		return "an array of tables"
	case map[string]any:
		return "a table"
	case time.Time:
		return "a date-time"
	}
	return fmt.Sprintf("a %T", v)
}
