package script

import (
	"fmt"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// strFormat is a Lua 5.1 compatible string.format. gopher-lua hands the
// pattern to fmt.Sprintf, so %s ignores __tostring, %f does not coerce
// numeric strings, %g defaults to the shortest representation and %q uses Go
// quoting. This version follows C/Lua semantics for each conversion.
func strFormat(L *lua.LState) int {
	format := L.CheckString(1)
	arg := 1
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(format) {
			L.RaiseError("invalid option '%%' to 'format'")
		}
		if format[i] == '%' {
			b.WriteByte('%')
			continue
		}
		// %[flags][width][.precision]conv
		start := i
		for i < len(format) && strings.IndexByte("-+ #0", format[i]) >= 0 {
			i++
		}
		if i-start > 5 {
			L.RaiseError("invalid format (repeated flags)")
		}
		digits := 0
		for i < len(format) && format[i] >= '0' && format[i] <= '9' {
			i++
			digits++
		}
		if digits > 2 {
			L.RaiseError("invalid format (width or precision too long)")
		}
		hasPrec := false
		if i < len(format) && format[i] == '.' {
			hasPrec = true
			i++
			digits = 0
			for i < len(format) && format[i] >= '0' && format[i] <= '9' {
				i++
				digits++
			}
			if digits > 2 {
				L.RaiseError("invalid format (width or precision too long)")
			}
		}
		if i >= len(format) {
			L.RaiseError("invalid option '%%%s' to 'format'", format[start:])
		}
		spec := format[start:i]
		conv := format[i]
		arg++
		switch conv {
		case 'd', 'i':
			n := formatNumberArg(L, arg)
			fmt.Fprintf(&b, "%"+spec+"d", int64(n))
		case 'o', 'u', 'x', 'X':
			n := formatNumberArg(L, arg)
			verb := conv
			if verb == 'u' {
				verb = 'd'
			}
			fmt.Fprintf(&b, "%"+spec+string(verb), uint64(int64(n)))
		case 'c':
			b.WriteByte(byte(int64(formatNumberArg(L, arg))))
		case 'e', 'E', 'f', 'F', 'g', 'G':
			n := formatNumberArg(L, arg)
			if !hasPrec && (conv == 'g' || conv == 'G') {
				spec += ".6" // C's default precision; Go's %g is shortest
			}
			s := fmt.Sprintf("%"+spec+string(conv), n)
			b.WriteString(cFloatExponent(s))
		case 'q':
			L.CheckAny(arg)
			quoteLua(&b, L.ToStringMeta(L.Get(arg)).String())
		case 's':
			L.CheckAny(arg)
			s := L.ToStringMeta(L.Get(arg)).String()
			fmt.Fprintf(&b, "%"+spec+"s", s)
		default:
			L.RaiseError("invalid option '%%%c' to 'format'", conv)
		}
	}
	L.Push(lua.LString(b.String()))
	return 1
}

func formatNumberArg(L *lua.LState, n int) float64 {
	v := L.Get(n)
	switch x := v.(type) {
	case lua.LNumber:
		return float64(x)
	case lua.LString:
		if f, err := strconv.ParseFloat(strings.TrimSpace(string(x)), 64); err == nil {
			return f
		}
		if i, err := strconv.ParseInt(strings.TrimSpace(string(x)), 0, 64); err == nil {
			return float64(i)
		}
	}
	L.ArgError(n, "number expected, got "+v.Type().String())
	return 0
}

// cFloatExponent turns Go's "e+06" style (already C style) and Go's
// "%!" markers untouched; Go and C agree on exponent form with at least two
// digits, so only infinities/NaN need renaming.
func cFloatExponent(s string) string {
	switch strings.TrimSpace(s) {
	case "+Inf", "Inf":
		return strings.Replace(strings.Replace(s, "+Inf", "inf", 1), "Inf", "inf", 1)
	case "-Inf":
		return strings.Replace(s, "-Inf", "-inf", 1)
	case "NaN", "+NaN":
		return strings.Replace(strings.Replace(s, "+NaN", "nan", 1), "NaN", "nan", 1)
	}
	return s
}

// quoteLua writes s the way Lua's %q does.
func quoteLua(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString("\\\n")
		case '\r':
			b.WriteString("\\r")
		case 0:
			b.WriteString("\\000")
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}
