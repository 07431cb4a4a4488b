package config

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel errors; every *Error returned by this package wraps exactly one.
var (
	// ErrSyntax: the file is not valid TOML (or is too large to be a config file).
	ErrSyntax = errors.New("invalid TOML")
	// ErrUnknownKey: a key or table that Options does not have.
	ErrUnknownKey = errors.New("unknown key")
	// ErrType: a value of the wrong TOML type, such as a string for a number.
	ErrType = errors.New("wrong type")
	// ErrValue: a value of the right type but outside its allowed range or set.
	ErrValue = errors.New("invalid value")
)

// Error is one configuration problem. Its message is a single line:
// "file:line: key: what is wrong" (unknown keys: "file:line: unknown key ...").
// File and Line are empty/zero when not known, for example when Validate is
// called on Options built in code.
type Error struct {
	File string // path of the config file, as given to Load or Parse
	Line int    // 1-based line of the offending key; 0 if unknown
	Key  string // dotted key such as "rtmfp.max_sessions" or "app[1].name"; empty for syntax errors
	Msg  string // what is wrong

	kind  error
	cause error
	path  keyPath
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	} else if e.Line > 0 {
		b.WriteString("line ")
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(": ")
	}
	if e.Key != "" && e.kind != ErrUnknownKey {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap exposes the sentinel kind (ErrSyntax, ErrUnknownKey, ErrType,
// ErrValue) and, when there is one, the underlying cause.
func (e *Error) Unwrap() []error {
	if e.cause != nil {
		return []error{e.kind, e.cause}
	}
	return []error{e.kind}
}

// oneLine keeps a message on one line whatever the input held. Values quoted
// in messages are truncated where they are quoted.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}

const maxQuoted = 64

// truncate shortens s to maxQuoted bytes (on a rune boundary) with an ellipsis.
func truncate(s string) string {
	if len(s) <= maxQuoted {
		return s
	}
	cut := maxQuoted
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// pathElem is one step of a key path: a table key, or an index into an array
// (of tables or of values).
type pathElem struct {
	name    string
	index   int
	isIndex bool
}

// keyPath locates a value in the document: rtmfp.listen[1], app[0].name.
type keyPath []pathElem

func (p keyPath) child(name string) keyPath {
	q := make(keyPath, len(p), len(p)+1)
	copy(q, p)
	return append(q, pathElem{name: name})
}

func (p keyPath) at(i int) keyPath {
	q := make(keyPath, len(p), len(p)+1)
	copy(q, p)
	return append(q, pathElem{index: i, isIndex: true})
}

func (p keyPath) String() string {
	var b strings.Builder
	for i, e := range p {
		if e.isIndex {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(e.index))
			b.WriteByte(']')
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(keyName(e.name))
	}
	return b.String()
}

// names renders p without indexes, as in a TOML table header.
func (p keyPath) names() string {
	var b strings.Builder
	n := 0
	for _, e := range p {
		if e.isIndex {
			continue
		}
		if n > 0 {
			b.WriteByte('.')
		}
		b.WriteString(keyName(e.name))
		n++
	}
	return b.String()
}

// tableName describes the table that holds the keys under p, for messages.
func (p keyPath) tableName() string {
	switch {
	case len(p) == 0:
		return "at top level"
	case p[len(p)-1].isIndex:
		return "in [[" + p.names() + "]]"
	default:
		return "in [" + p.names() + "]"
	}
}

// keyName renders one key segment as TOML would: bare when possible.
func keyName(s string) string {
	if s == "" {
		return `""`
	}
	for i := 0; i < len(s); i++ {
		if !isBareKeyByte(s[i]) {
			return strconv.Quote(truncate(s))
		}
	}
	return truncate(s)
}

func isBareKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}
