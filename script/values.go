package script

import (
	"math"
	"strconv"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// Lua representations shared by every serializer (reference §5).
//
//	bytes        {__raw = "<bytes>"}
//	date         {__time = <ms since epoch>, year, month, day, yday, wday, hour, min, sec, msec, isdst}
//	dictionary   {k = v, ..., __size = n}   (weak keys when metatable __mode == "k")
//	typed object {__type = "<class>", ...}

// newDateTable builds a date table; calendar fields are in loc.
func newDateTable(L *lua.LState, t time.Time, loc *time.Location) *lua.LTable {
	d := L.CreateTable(0, 11)
	if t.IsZero() {
		d.RawSetString("__time", lua.LNumber(math.NaN()))
		return d
	}
	t = t.In(loc)
	d.RawSetString("__time", lua.LNumber(float64(t.UnixMilli())))
	d.RawSetString("year", lua.LNumber(t.Year()))
	d.RawSetString("month", lua.LNumber(int(t.Month())))
	d.RawSetString("day", lua.LNumber(t.Day()))
	d.RawSetString("yday", lua.LNumber(t.YearDay()))
	d.RawSetString("wday", lua.LNumber(int(t.Weekday())+1))
	d.RawSetString("hour", lua.LNumber(t.Hour()))
	d.RawSetString("min", lua.LNumber(t.Minute()))
	d.RawSetString("sec", lua.LNumber(t.Second()))
	d.RawSetString("msec", lua.LNumber(t.Nanosecond()/1e6))
	d.RawSetString("isdst", lua.LBool(t.IsDST()))
	return d
}

func millisToTime(ms float64) time.Time {
	if math.IsNaN(ms) || math.IsInf(ms, 0) || math.Abs(ms) > 8.64e15 {
		return time.Time{}
	}
	return time.UnixMilli(int64(ms)).UTC()
}

// isoDate formats a date the way our serializers write it.
func isoDate(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// parseISODate recognises ISO-8601 date-times ("2014-09-30T13:15:17Z",
// with optional fraction and zone, 'T' or ' ' separator). Only full
// date-times are recognised: plain numbers or dates in free text stay
// strings. A missing zone means UTC.
func parseISODate(s string) (time.Time, bool) {
	if len(s) < 19 || len(s) > 35 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' {
		return time.Time{}, false
	}
	s = s[:10] + "T" + s[11:]
	for _, layout := range []string{
		"2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05.999999999Z07:00",
		"2006-01-02T15:04:05", "2006-01-02T15:04:05.999999999",
		"2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05.999999999Z0700",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// autoType converts text from parameter maps, queries and NoDB files the
// MonaServer way: "true"/"false" → boolean, "null" → nil, decimal numbers →
// number, anything else stays a string.
func autoType(s string) lua.LValue {
	switch s {
	case "true":
		return lua.LTrue
	case "false":
		return lua.LFalse
	case "null":
		return lua.LNil
	}
	if f, ok := parseDecimal(s); ok {
		return lua.LNumber(f)
	}
	return lua.LString(s)
}

// parseDecimal accepts plain decimal numbers (optional sign, fraction,
// exponent) and nothing else: no hex, inf, nan or spaces.
func parseDecimal(s string) (float64, bool) {
	if s == "" || len(s) > 64 {
		return 0, false
	}
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '-' || c == '+':
			if i != 0 && s[i-1] != 'e' && s[i-1] != 'E' {
				return 0, false
			}
		case c == '.' || c == 'e' || c == 'E':
		default:
			return 0, false
		}
	}
	if digits == 0 {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	return f, true
}

// formatNumber writes a number as Lua's tostring would (%.14g).
func formatNumber(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	if math.IsInf(f, 1) {
		return "inf"
	}
	if math.IsInf(f, -1) {
		return "-inf"
	}
	if math.IsNaN(f) {
		return "nan"
	}
	s := strconv.FormatFloat(f, 'g', 14, 64)
	if strings.Contains(s, "e") {
		// Go writes e+06 like C; trim mantissa zeros like %g does.
		mant, exp, _ := strings.Cut(s, "e")
		if strings.Contains(mant, ".") {
			mant = strings.TrimRight(strings.TrimRight(mant, "0"), ".")
		}
		return mant + "e" + exp
	}
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// tableKind is the decision of reference §5.2 for a Lua table.
type tableKind int

const (
	kindObject tableKind = iota
	kindBytes
	kindDate
	kindDictionary
	kindTyped
	kindArray // dense only (also the empty table)
	kindMixed // dense part plus other keys
)

// classify applies §5.2 to t. n is the dense length (#t).
func classify(t *lua.LTable) (kind tableKind, n int) {
	if s, ok := t.RawGetString("__raw").(lua.LString); ok {
		_ = s
		return kindBytes, 0
	}
	if _, ok := t.RawGetString("__time").(lua.LNumber); ok {
		return kindDate, 0
	}
	if _, ok := t.RawGetString("__size").(lua.LNumber); ok {
		return kindDictionary, 0
	}
	if _, ok := t.RawGetString("__type").(lua.LString); ok {
		return kindTyped, 0
	}
	n = denseLen(t)
	others := false
	empty := true
	t.ForEach(func(k, _ lua.LValue) {
		empty = false
		if others {
			return
		}
		if f, ok := k.(lua.LNumber); ok {
			i := float64(f)
			if i == math.Trunc(i) && i >= 1 && i <= float64(n) {
				return
			}
		}
		others = true
	})
	switch {
	case empty:
		return kindArray, 0
	case n > 0 && !others:
		return kindArray, n
	case n > 0:
		return kindMixed, n
	}
	return kindObject, 0
}

// denseLen is the first border of t: the count of non-nil t[1], t[2], ...
// gopher-lua's # may count holes of the array part, which would turn
// {[5]=x} into an array of five elements.
func denseLen(t *lua.LTable) int {
	n := 0
	for t.RawGetInt(n+1) != lua.LNil {
		n++
	}
	return n
}

// isDenseKey reports whether k is an integer key in 1..n.
func isDenseKey(k lua.LValue, n int) bool {
	f, ok := k.(lua.LNumber)
	if !ok {
		return false
	}
	i := float64(f)
	return i == math.Trunc(i) && i >= 1 && i <= float64(n)
}

// keyString converts a table key to a property name.
func keyString(k lua.LValue) string {
	switch v := k.(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return formatNumber(float64(v))
	case lua.LBool:
		if v {
			return "true"
		}
		return "false"
	}
	return k.String()
}

// dateOf returns the time of a date table.
func dateOf(t *lua.LTable) time.Time {
	ms, _ := t.RawGetString("__time").(lua.LNumber)
	return millisToTime(float64(ms))
}

// bytesOf returns the bytes of a {__raw=...} table.
func bytesOf(t *lua.LTable) string {
	s, _ := t.RawGetString("__raw").(lua.LString)
	return string(s)
}

// newBytesTable builds {__raw = b}.
func newBytesTable(L *lua.LState, b string) *lua.LTable {
	t := L.CreateTable(0, 1)
	t.RawSetString("__raw", lua.LString(b))
	return t
}
