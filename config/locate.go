package config

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// The TOML decoder does not expose where keys are, and its key names carry no
// array-of-tables index, so this file finds lines itself: a small scanner that
// records the line of every key, table header and array element, with the
// same indexed paths the decoder walk produces (app[1].name, rtmfp.listen[0]).
//
// It runs on files the TOML parser has already accepted, but must still never
// panic or loop on any input: every loop advances, and nesting deeper than
// maxLocateDepth is skipped without recursion.

const maxLocateDepth = 64

// maxNesting bounds how deep a key may sit (tables, arrays and dotted-key
// segments together). The TOML decoder's cost grows with the square of the
// nesting depth, so deeper documents are refused before it sees them; real
// configs stay under five levels.
const maxNesting = 32

type locator struct {
	exact  map[string]int // indexed path -> first line
	loose  map[string]int // path without indexes -> first line
	prefix map[string]int // every leading part of a path without indexes -> first line
	// tooDeep is the first line nesting deeper than maxNesting, or 0.
	tooDeep int
}

// line returns the line where p is defined: an exact match first, then a
// match ignoring array indexes (keys reported by the TOML decoder have none),
// then the first line that defines something under p (implicit tables).
// It returns 0 when p does not appear in the file.
func (l *locator) line(p keyPath) int {
	if n, ok := l.exact[p.String()]; ok {
		return n
	}
	names := looseKey(pathNames(p))
	if n, ok := l.loose[names]; ok {
		return n
	}
	return l.prefix[names]
}

func (l *locator) record(p keyPath, line int) {
	if len(p) > maxNesting {
		if l.tooDeep == 0 {
			l.tooDeep = line
		}
		return
	}
	setFirst(l.exact, p.String(), line)
	names := pathNames(p)
	setFirst(l.loose, looseKey(names), line)
	for i := 1; i <= len(names); i++ {
		setFirst(l.prefix, looseKey(names[:i]), line)
	}
}

func setFirst(m map[string]int, k string, line int) {
	if _, ok := m[k]; !ok {
		m[k] = line
	}
}

// looseKey joins names with a byte TOML keys cannot hold unescaped, so the
// join is unambiguous enough for finding a line.
func looseKey(names []string) string { return strings.Join(names, "\x00") }

func pathNames(p keyPath) []string {
	names := make([]string, 0, len(p))
	for _, e := range p {
		if !e.isIndex {
			names = append(names, e.name)
		}
	}
	return names
}

type locScanner struct {
	src        string
	pos        int
	line       int
	table      keyPath        // current [table] or [[array]] element
	arrayCount map[string]int // [[x]] headers seen, keyed by indexed parent path + name
	loc        *locator
}

func locate(src string) *locator {
	s := &locScanner{
		src:        src,
		line:       1,
		arrayCount: make(map[string]int),
		loc:        &locator{exact: make(map[string]int), loose: make(map[string]int), prefix: make(map[string]int)},
	}
	s.document()
	return s.loc
}

func (s *locScanner) eof() bool { return s.pos >= len(s.src) }

func (s *locScanner) peek() byte {
	if s.pos >= len(s.src) {
		return 0
	}
	return s.src[s.pos]
}

func (s *locScanner) advance() {
	if s.pos >= len(s.src) {
		return
	}
	if s.src[s.pos] == '\n' {
		s.line++
	}
	s.pos++
}

func (s *locScanner) record(p keyPath, line int) { s.loc.record(p, line) }

func (s *locScanner) tooDeep() {
	if s.loc.tooDeep == 0 {
		s.loc.tooDeep = s.line
	}
}

func (s *locScanner) skipSpace() {
	for c := s.peek(); c == ' ' || c == '\t'; c = s.peek() {
		s.advance()
	}
}

// skipSpaceNL skips blanks, newlines and comments, as allowed inside arrays
// and (TOML 1.1) inline tables.
func (s *locScanner) skipSpaceNL() {
	for !s.eof() {
		switch s.peek() {
		case ' ', '\t', '\r', '\n':
			s.advance()
		case '#':
			s.skipComment()
		default:
			return
		}
	}
}

func (s *locScanner) skipComment() {
	for !s.eof() && s.peek() != '\n' {
		s.advance()
	}
}

func (s *locScanner) skipLine() {
	for !s.eof() {
		c := s.peek()
		s.advance()
		if c == '\n' {
			return
		}
	}
}

func (s *locScanner) document() {
	for !s.eof() {
		s.skipSpace()
		switch s.peek() {
		case '\n', '\r':
			s.advance()
		case '#':
			s.skipComment()
		case '[':
			s.header()
		case 0:
			s.advance() // a NUL byte or the end: either way, move on
		default:
			s.keyval(s.table, 0)
			s.skipLine()
		}
	}
}

func (s *locScanner) header() {
	line := s.line
	s.advance() // [
	isArray := s.peek() == '['
	if isArray {
		s.advance()
	}
	names, ok := s.key()
	if !ok {
		s.skipLine()
		return
	}
	s.skipSpace()
	if s.peek() != ']' {
		s.skipLine()
		return
	}
	s.advance()
	if isArray {
		if s.peek() != ']' {
			s.skipLine()
			return
		}
		s.advance()
	}

	var p keyPath
	for i, name := range names {
		p = p.child(name)
		id := p.String()
		n, seen := s.arrayCount[id]
		switch {
		case isArray && i == len(names)-1:
			s.arrayCount[id] = n + 1
			p = p.at(n)
		case seen:
			// A table header under an array of tables extends its latest element.
			p = p.at(n - 1)
		}
	}
	s.table = p
	s.record(p, line)
	s.skipLine()
}

// key parses a possibly dotted key: a.b, "quoted".c, 'lit'. Segments past
// maxNesting are read but not kept.
func (s *locScanner) key() ([]string, bool) {
	var names []string
	for {
		s.skipSpace()
		name, ok := s.simpleKey()
		if !ok {
			return nil, false
		}
		if len(names) <= maxNesting {
			names = append(names, name)
		} else {
			s.tooDeep()
		}
		s.skipSpace()
		if s.peek() != '.' {
			return names, true
		}
		s.advance()
	}
}

func (s *locScanner) simpleKey() (string, bool) {
	switch c := s.peek(); {
	case c == '"':
		return s.basicString()
	case c == '\'':
		return s.literalString()
	case isBareKeyByte(c):
		start := s.pos
		for isBareKeyByte(s.peek()) {
			s.advance()
		}
		return s.src[start:s.pos], true
	default:
		return "", false
	}
}

// basicString reads a one-line "..." string and decodes its escapes.
func (s *locScanner) basicString() (string, bool) {
	s.advance() // "
	var b strings.Builder
	for !s.eof() {
		c := s.peek()
		switch c {
		case '\n':
			return "", false
		case '"':
			s.advance()
			return b.String(), true
		case '\\':
			s.advance()
			s.escape(&b)
		default:
			b.WriteByte(c)
			s.advance()
		}
	}
	return "", false
}

func (s *locScanner) escape(b *strings.Builder) {
	c := s.peek()
	if c == '\n' || s.eof() {
		return
	}
	s.advance()
	switch c {
	case 'b':
		b.WriteByte('\b')
	case 't':
		b.WriteByte('\t')
	case 'n':
		b.WriteByte('\n')
	case 'f':
		b.WriteByte('\f')
	case 'r':
		b.WriteByte('\r')
	case 'e':
		b.WriteByte(0x1b)
	case 'x', 'u', 'U':
		n := 2
		switch c {
		case 'u':
			n = 4
		case 'U':
			n = 8
		}
		if s.pos+n > len(s.src) {
			return
		}
		v, err := strconv.ParseUint(s.src[s.pos:s.pos+n], 16, 32)
		if err != nil {
			return
		}
		for range n {
			s.advance()
		}
		if v > utf8.MaxRune {
			v = utf8.RuneError
		}
		b.WriteRune(rune(v))
	default: // \" and \\ and anything the parser would have rejected
		b.WriteByte(c)
	}
}

func (s *locScanner) literalString() (string, bool) {
	s.advance() // '
	start := s.pos
	for !s.eof() {
		switch s.peek() {
		case '\n':
			return "", false
		case '\'':
			v := s.src[start:s.pos]
			s.advance()
			return v, true
		}
		s.advance()
	}
	return "", false
}

// keyval reads "key = value" relative to base and records every key in it.
func (s *locScanner) keyval(base keyPath, depth int) {
	line := s.line
	names, ok := s.key()
	if !ok {
		return
	}
	s.skipSpace()
	if s.peek() != '=' {
		return
	}
	s.advance()
	s.skipSpace()
	p := base
	for _, name := range names {
		p = p.child(name)
		s.record(p, line)
	}
	s.value(p, depth)
}

func (s *locScanner) value(p keyPath, depth int) {
	switch s.peek() {
	case '"':
		if strings.HasPrefix(s.src[s.pos:], `"""`) {
			s.skipMultiline('"')
		} else {
			s.basicString()
		}
	case '\'':
		if strings.HasPrefix(s.src[s.pos:], `'''`) {
			s.skipMultiline('\'')
		} else {
			s.literalString()
		}
	case '[', '{':
		if depth >= maxLocateDepth {
			s.tooDeep()
			s.skipNested()
			return
		}
		if s.peek() == '[' {
			s.array(p, depth+1)
		} else {
			s.inlineTable(p, depth+1)
		}
	default:
		// Numbers, booleans and dates (which may contain a space).
		for !s.eof() {
			switch s.peek() {
			case ',', ']', '}', '#', '\n', '\r':
				return
			}
			s.advance()
		}
	}
}

func (s *locScanner) array(p keyPath, depth int) {
	s.advance() // [
	for i := 0; ; {
		s.skipSpaceNL()
		switch s.peek() {
		case 0:
			if s.eof() {
				return
			}
		case ']':
			s.advance()
			return
		case ',':
			s.advance()
			continue
		}
		before := s.pos
		ep := p.at(i)
		s.record(ep, s.line)
		s.value(ep, depth)
		if s.pos == before {
			s.advance()
		}
		i++
	}
}

func (s *locScanner) inlineTable(p keyPath, depth int) {
	s.advance() // {
	for {
		s.skipSpaceNL()
		switch s.peek() {
		case 0:
			if s.eof() {
				return
			}
		case '}':
			s.advance()
			return
		case ',':
			s.advance()
			continue
		}
		before := s.pos
		s.keyval(p, depth)
		if s.pos == before {
			s.advance()
		}
	}
}

// skipMultiline skips a multi-line string (three quotes of kind q on each
// side), including up to two quotes TOML allows right before the closing ones.
func (s *locScanner) skipMultiline(q byte) {
	for range 3 {
		s.advance()
	}
	delim := strings.Repeat(string(q), 3)
	for !s.eof() {
		if q == '"' && s.peek() == '\\' {
			s.advance()
			s.advance()
			continue
		}
		if strings.HasPrefix(s.src[s.pos:], delim) {
			for range 3 {
				s.advance()
			}
			for extra := 0; extra < 2 && s.peek() == q; extra++ {
				s.advance()
			}
			return
		}
		s.advance()
	}
}

// skipNested skips a too-deeply nested array or inline table without
// recursion, counting brackets outside strings and comments.
func (s *locScanner) skipNested() {
	level := 0
	for !s.eof() {
		switch s.peek() {
		case '[', '{':
			level++
			s.advance()
		case ']', '}':
			level--
			s.advance()
			if level <= 0 {
				return
			}
		case '"':
			if strings.HasPrefix(s.src[s.pos:], `"""`) {
				s.skipMultiline('"')
			} else if _, ok := s.basicString(); !ok {
				s.skipLine()
			}
		case '\'':
			if strings.HasPrefix(s.src[s.pos:], `'''`) {
				s.skipMultiline('\'')
			} else if _, ok := s.literalString(); !ok {
				s.skipLine()
			}
		case '#':
			s.skipComment()
		default:
			s.advance()
		}
	}
}
