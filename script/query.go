package script

import (
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// URL query strings (mona:toQuery / mona:fromQuery): consecutive key=value
// pairs are one table; any other value is a bare token. Values are
// URL-encoded; reading auto-types values (booleans, numbers, dates).

func encodeQuery(values []lua.LValue) string {
	var parts []string
	for _, v := range values {
		if t, ok := v.(*lua.LTable); ok {
			if kind, _ := classify(t); kind != kindDate && kind != kindBytes {
				t.ForEach(func(k, v lua.LValue) {
					if _, nested := v.(*lua.LTable); nested && !isScalarTable(v) {
						return
					}
					parts = append(parts, queryEscape(keyString(k))+"="+queryEscape(queryScalar(v)))
				})
				continue
			}
		}
		parts = append(parts, queryEscape(queryScalar(v)))
	}
	return strings.Join(parts, "&")
}

func isScalarTable(v lua.LValue) bool {
	t, ok := v.(*lua.LTable)
	if !ok {
		return false
	}
	kind, _ := classify(t)
	return kind == kindDate || kind == kindBytes
}

func queryScalar(v lua.LValue) string {
	switch x := v.(type) {
	case lua.LNumber:
		return formatNumber(float64(x))
	case lua.LString:
		return string(x)
	case lua.LBool:
		if x {
			return "true"
		}
		return "false"
	case *lua.LTable:
		switch kind, _ := classify(x); kind {
		case kindDate:
			return isoDate(dateOf(x))
		case kindBytes:
			return bytesOf(x)
		}
	}
	if v == lua.LNil {
		return "null"
	}
	return ""
}

func queryEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte("0123456789ABCDEF"[c>>4])
		b.WriteByte("0123456789ABCDEF"[c&15])
	}
	return b.String()
}

// queryUnescape decodes %XX and '+'; invalid escapes are kept literally.
func queryUnescape(s string) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b.WriteByte(' ')
		case c == '%' && i+2 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2]):
			b.WriteByte(hexValue(s[i+1])<<4 | hexValue(s[i+2]))
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexValue(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// queryValue auto-types a decoded query value.
func queryValue(L *lua.LState, s string, loc *time.Location) lua.LValue {
	if t, ok := parseISODate(s); ok {
		return newDateTable(L, t, loc)
	}
	return autoType(s)
}

// decodeQuery reads "a=1&b=x&token&c=2" into {a=1,b="x"}, "token", {c=2}.
// A leading '?' is ignored; '&' and ';' separate items.
func decodeQuery(L *lua.LState, text string, loc *time.Location) []lua.LValue {
	text = strings.TrimPrefix(text, "?")
	var out []lua.LValue
	var cur *lua.LTable
	for _, item := range strings.FieldsFunc(text, func(r rune) bool { return r == '&' || r == ';' }) {
		k, v, isPair := strings.Cut(item, "=")
		if !isPair {
			cur = nil
			out = append(out, lua.LString(queryUnescape(item)))
			continue
		}
		if cur == nil {
			cur = L.NewTable()
			out = append(out, cur)
		}
		cur.RawSetString(queryUnescape(k), queryValue(L, queryUnescape(v), loc))
	}
	return out
}
