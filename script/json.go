package script

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

// maxNesting bounds the nesting of every serializer, in both directions.
const maxNesting = 256

var (
	errTooDeep = errors.New("nesting too deep")
	errCyclic  = errors.New("cyclic table")
)

// JSON following MonaServer's conventions (reference §4.1, §5): the text is
// always a top-level array of the values; bytes are {"__raw": base64};
// dates are ISO-8601 strings; typed objects carry "__type"; a mixed table is
// written as an array whose first element holds the string keys. Shared
// (DAG) tables are written once per occurrence; only cycles are refused.

type jsonEncoder struct {
	b        []byte
	visiting map[*lua.LTable]bool
	depth    int
}

func encodeJSON(values []lua.LValue) (string, error) {
	e := &jsonEncoder{visiting: map[*lua.LTable]bool{}}
	e.b = append(e.b, '[')
	for i, v := range values {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		if err := e.value(v); err != nil {
			return "", fmt.Errorf("toJSON: %w", err)
		}
	}
	e.b = append(e.b, ']')
	return string(e.b), nil
}

func (e *jsonEncoder) value(v lua.LValue) error {
	switch x := v.(type) {
	case lua.LBool:
		e.b = strconv.AppendBool(e.b, bool(x))
	case lua.LNumber:
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			e.b = append(e.b, "null"...)
		} else {
			e.b = append(e.b, formatNumber(f)...)
		}
	case lua.LString:
		e.b = appendJSONString(e.b, string(x))
	case *lua.LTable:
		return e.table(x)
	default:
		e.b = append(e.b, "null"...)
	}
	return nil
}

func (e *jsonEncoder) table(t *lua.LTable) error {
	if e.visiting[t] {
		return errCyclic
	}
	if e.depth >= maxNesting {
		return errTooDeep
	}
	e.visiting[t] = true
	e.depth++
	defer func() { delete(e.visiting, t); e.depth-- }()

	kind, n := classify(t)
	switch kind {
	case kindBytes:
		e.b = append(e.b, `{"__raw":`...)
		e.b = appendJSONString(e.b, base64.StdEncoding.EncodeToString([]byte(bytesOf(t))))
		e.b = append(e.b, '}')
		return nil
	case kindDate:
		tm := dateOf(t)
		if tm.IsZero() {
			e.b = append(e.b, "null"...)
		} else {
			e.b = appendJSONString(e.b, isoDate(tm))
		}
		return nil
	case kindArray:
		e.b = append(e.b, '[')
		for i := 1; i <= n; i++ {
			if i > 1 {
				e.b = append(e.b, ',')
			}
			if err := e.value(t.RawGetInt(i)); err != nil {
				return err
			}
		}
		e.b = append(e.b, ']')
		return nil
	case kindMixed:
		e.b = append(e.b, '[')
		if err := e.object(t, n, ""); err != nil {
			return err
		}
		for i := 1; i <= n; i++ {
			e.b = append(e.b, ',')
			if err := e.value(t.RawGetInt(i)); err != nil {
				return err
			}
		}
		e.b = append(e.b, ']')
		return nil
	case kindTyped:
		return e.object(t, 0, "__type")
	case kindDictionary:
		return e.object(t, 0, "__size")
	}
	return e.object(t, 0, "")
}

// object writes the keys of t that are not dense (1..n); first names a key
// written before the others.
func (e *jsonEncoder) object(t *lua.LTable, n int, first string) error {
	e.b = append(e.b, '{')
	count := 0
	write := func(k string, v lua.LValue) error {
		if count > 0 {
			e.b = append(e.b, ',')
		}
		count++
		e.b = appendJSONString(e.b, k)
		e.b = append(e.b, ':')
		return e.value(v)
	}
	if first != "" {
		if err := write(first, t.RawGetString(first)); err != nil {
			return err
		}
	}
	var err error
	t.ForEach(func(k, v lua.LValue) {
		if err != nil || isDenseKey(k, n) {
			return
		}
		ks := keyString(k)
		if first != "" && ks == first {
			return
		}
		err = write(ks, v)
	})
	if err != nil {
		return err
	}
	e.b = append(e.b, '}')
	return nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s. Bytes that are not valid UTF-8 are written as
// \u00XX (read as Latin-1) so that the output is always valid JSON; binary
// data should travel as {__raw=...}.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			i++
			continue
		}
		b = append(b, s[i:i+size]...)
		i += size
	}
	return append(b, '"')
}

// JSON decoding.

type jsonDecoder struct {
	L     *lua.LState
	b     []byte
	off   int
	depth int
	loc   *time.Location
	typed func(t *lua.LTable, class string) // optional, for onTypedObject
}

// decodeJSON parses text into Lua values: the elements of a top-level
// array, or the single top-level value.
func decodeJSON(L *lua.LState, text []byte, loc *time.Location, typed func(*lua.LTable, string)) ([]lua.LValue, error) {
	d := &jsonDecoder{L: L, b: text, loc: loc, typed: typed}
	d.space()
	var out []lua.LValue
	if d.off < len(d.b) && d.b[d.off] == '[' {
		d.off++
		d.space()
		if d.peek() == ']' {
			d.off++
		} else {
			for {
				v, err := d.value()
				if err != nil {
					return nil, err
				}
				out = append(out, v)
				d.space()
				c := d.peek()
				d.off++
				if c == ']' {
					break
				}
				if c != ',' {
					return nil, d.errorf("expected ',' or ']'")
				}
			}
		}
	} else {
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	d.space()
	if d.off != len(d.b) {
		return nil, d.errorf("trailing data")
	}
	return out, nil
}

func (d *jsonDecoder) errorf(format string, args ...any) error {
	return fmt.Errorf("fromJSON: offset %d: %s", d.off, fmt.Sprintf(format, args...))
}

func (d *jsonDecoder) peek() byte {
	if d.off < len(d.b) {
		return d.b[d.off]
	}
	return 0
}

func (d *jsonDecoder) space() {
	for d.off < len(d.b) {
		switch d.b[d.off] {
		case ' ', '\t', '\n', '\r':
			d.off++
		default:
			return
		}
	}
}

func (d *jsonDecoder) value() (lua.LValue, error) {
	d.space()
	if d.off >= len(d.b) {
		return nil, d.errorf("unexpected end")
	}
	switch c := d.b[d.off]; {
	case c == '{':
		return d.object()
	case c == '[':
		return d.array()
	case c == '"':
		s, err := d.str()
		if err != nil {
			return nil, err
		}
		if t, ok := parseISODate(s); ok {
			return newDateTable(d.L, t, d.loc), nil
		}
		return lua.LString(s), nil
	case c == 't':
		return d.literal("true", lua.LTrue)
	case c == 'f':
		return d.literal("false", lua.LFalse)
	case c == 'n':
		return d.literal("null", lua.LNil)
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	}
	return nil, d.errorf("unexpected character %q", d.b[d.off])
}

func (d *jsonDecoder) literal(word string, v lua.LValue) (lua.LValue, error) {
	if len(d.b)-d.off < len(word) || string(d.b[d.off:d.off+len(word)]) != word {
		return nil, d.errorf("invalid literal")
	}
	d.off += len(word)
	return v, nil
}

func (d *jsonDecoder) number() (lua.LValue, error) {
	start := d.off
	for d.off < len(d.b) {
		c := d.b[d.off]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			d.off++
			continue
		}
		break
	}
	f, err := strconv.ParseFloat(string(d.b[start:d.off]), 64)
	if err != nil {
		return nil, d.errorf("invalid number")
	}
	return lua.LNumber(f), nil
}

func (d *jsonDecoder) str() (string, error) {
	d.off++ // opening quote
	start := d.off
	// Fast path: no escapes.
	for d.off < len(d.b) {
		c := d.b[d.off]
		if c == '"' {
			s := string(d.b[start:d.off])
			d.off++
			return s, nil
		}
		if c == '\\' {
			break
		}
		d.off++
	}
	buf := append([]byte(nil), d.b[start:d.off]...)
	for d.off < len(d.b) {
		c := d.b[d.off]
		switch {
		case c == '"':
			d.off++
			return string(buf), nil
		case c != '\\':
			buf = append(buf, c)
			d.off++
			continue
		}
		d.off++
		if d.off >= len(d.b) {
			break
		}
		e := d.b[d.off]
		d.off++
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return "", d.errorf("invalid \\u escape")
			}
			if utf16.IsSurrogate(r) {
				if d.off+1 < len(d.b) && d.b[d.off] == '\\' && d.b[d.off+1] == 'u' {
					save := d.off
					d.off += 2
					if r2, ok := d.hex4(); ok && utf16.DecodeRune(r, r2) != utf8.RuneError {
						r = utf16.DecodeRune(r, r2)
					} else {
						d.off = save
						r = utf8.RuneError
					}
				} else {
					r = utf8.RuneError
				}
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", d.errorf("invalid escape")
		}
	}
	return "", d.errorf("unterminated string")
}

func (d *jsonDecoder) hex4() (rune, bool) {
	if len(d.b)-d.off < 4 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(d.b[d.off:d.off+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	d.off += 4
	return rune(v), true
}

func (d *jsonDecoder) enter() error {
	d.depth++
	if d.depth > maxNesting {
		return d.errorf("%v", errTooDeep)
	}
	return nil
}

func (d *jsonDecoder) array() (lua.LValue, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	defer func() { d.depth-- }()
	d.off++
	t := d.L.NewTable()
	d.space()
	if d.peek() == ']' {
		d.off++
		return t, nil
	}
	for i := 1; ; i++ {
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		if v != lua.LNil {
			t.RawSetInt(i, v)
		}
		d.space()
		c := d.peek()
		d.off++
		if c == ']' {
			return t, nil
		}
		if c != ',' {
			return nil, d.errorf("expected ',' or ']'")
		}
	}
}

func (d *jsonDecoder) object() (lua.LValue, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	defer func() { d.depth-- }()
	d.off++
	t := d.L.NewTable()
	d.space()
	if d.peek() == '}' {
		d.off++
		return t, nil
	}
	members := 0
	for {
		d.space()
		if d.peek() != '"' {
			return nil, d.errorf("expected a key")
		}
		k, err := d.str()
		if err != nil {
			return nil, err
		}
		d.space()
		if d.peek() != ':' {
			return nil, d.errorf("expected ':'")
		}
		d.off++
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		t.RawSetString(k, v)
		members++
		d.space()
		c := d.peek()
		d.off++
		if c == '}' {
			break
		}
		if c != ',' {
			return nil, d.errorf("expected ',' or '}'")
		}
	}
	if members == 1 {
		if raw, ok := t.RawGetString("__raw").(lua.LString); ok {
			if b, err := base64.StdEncoding.DecodeString(string(raw)); err == nil {
				t.RawSetString("__raw", lua.LString(b))
			}
		}
	}
	if class, ok := t.RawGetString("__type").(lua.LString); ok && d.typed != nil {
		d.typed(t, string(class))
	}
	return t, nil
}
