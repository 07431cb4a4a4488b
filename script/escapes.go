package script

import (
	"bytes"
	"strconv"
)

// luajitEscapes rewrites the string escapes that LuaJIT (MonaServer's and
// Cumulus' VM) accepts and gopher-lua's Lua 5.1 lexer does not, so that
// scripts written for LuaJIT keep their bytes:
//
//   - \xHH (two hex digits) becomes the decimal escape \DDD; gopher-lua
//     would read it as the letter x followed by the digits;
//   - \z skips the whitespace that follows it, newlines included; the
//     skipped newlines are put back right after the closing quote, so the
//     line numbers of everything after the string do not move.
//
// Comments and long strings ([[...]], [==[...]==]) are copied unchanged, as
// is everything when the source holds no backslash followed by x or z.
func luajitEscapes(src []byte) []byte {
	if !bytes.Contains(src, []byte(`\x`)) && !bytes.Contains(src, []byte(`\z`)) {
		return src
	}
	out := make([]byte, 0, len(src))
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == '-' && i+1 < len(src) && src[i+1] == '-':
			end := skipComment(src, i)
			out = append(out, src[i:end]...)
			i = end
		case c == '[':
			end := skipLongBracket(src, i)
			out = append(out, src[i:end]...)
			i = end
		case c == '"' || c == '\'':
			var end int
			out, end = rewriteQuoted(out, src, i)
			i = end
		default:
			out = append(out, c)
			i++
		}
	}
	return out
}

// longBracketLevel reports whether src[i:] opens a long bracket ([[ or
// [=*[) and its level (the number of '=').
func longBracketLevel(src []byte, i int) (int, bool) {
	j := i + 1
	for j < len(src) && src[j] == '=' {
		j++
	}
	if j < len(src) && src[j] == '[' {
		return j - i - 1, true
	}
	return 0, false
}

// skipLongBracket returns the end of the long string opened at src[i], or
// i+1 when '[' opens none.
func skipLongBracket(src []byte, i int) int {
	level, ok := longBracketLevel(src, i)
	if !ok {
		return i + 1
	}
	closing := append(append([]byte{']'}, bytes.Repeat([]byte{'='}, level)...), ']')
	start := i + level + 2
	k := bytes.Index(src[start:], closing)
	if k < 0 {
		return len(src) // unterminated: the parser reports it
	}
	return start + k + len(closing)
}

// skipComment returns the end of the comment starting at src[i] ("--").
func skipComment(src []byte, i int) int {
	j := i + 2
	if j < len(src) && src[j] == '[' {
		if _, ok := longBracketLevel(src, j); ok {
			return skipLongBracket(src, j)
		}
	}
	for j < len(src) && src[j] != '\n' && src[j] != '\r' {
		j++
	}
	return j
}

// rewriteQuoted appends the quoted string starting at src[i] to out with
// its LuaJIT escapes rewritten, and returns the index after it.
func rewriteQuoted(out, src []byte, i int) ([]byte, int) {
	quote := src[i]
	out = append(out, quote)
	newlines := 0 // skipped by \z, restored after the string
	j := i + 1
	for j < len(src) {
		c := src[j]
		if c == quote {
			out = append(out, quote)
			j++
			break
		}
		if c == '\n' || c == '\r' {
			break // unterminated: the parser reports it
		}
		if c != '\\' || j+1 >= len(src) {
			out = append(out, c)
			j++
			continue
		}
		switch e := src[j+1]; {
		case e == 'x' && j+3 < len(src) && isHexDigit(src[j+2]) && isHexDigit(src[j+3]):
			v, _ := strconv.ParseUint(string(src[j+2:j+4]), 16, 8)
			out = append(out, '\\', '0'+byte(v/100), '0'+byte(v/10%10), '0'+byte(v%10))
			j += 4
		case e == 'z':
			j += 2
			for j < len(src) && isSpace(src[j]) {
				if src[j] == '\n' || src[j] == '\r' && (j+1 == len(src) || src[j+1] != '\n') {
					newlines++
				}
				j++
			}
		default:
			// Any other escape, including an escaped quote or newline,
			// stays as it is.
			out = append(out, c, e)
			j += 2
			if e == '\r' && j < len(src) && src[j] == '\n' {
				out = append(out, '\n')
				j++
			}
		}
	}
	for ; newlines > 0; newlines-- {
		out = append(out, '\n')
	}
	return out, j
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}
