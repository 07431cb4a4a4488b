package nodb

import "strings"

// EscapeKey maps a key to a file name; UnescapeKey is its inverse.
func EscapeKey(k string) string {
	if k == "" {
		return "%"
	}
	var b strings.Builder
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c == '%' || c == '/' || c == '\\' || c < 0x20 || c == 0x7f || (i == 0 && c == '.') {
			b.WriteByte('%')
			b.WriteByte("0123456789ABCDEF"[c>>4])
			b.WriteByte("0123456789ABCDEF"[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// UnescapeKey decodes a name produced by EscapeKey. ok is false for names
// that are not ours to read (temporary names, bad escapes).
func UnescapeKey(name string) (string, bool) {
	if name == "%" {
		return "", true
	}
	if name == "" || name[0] == '.' {
		return "", false
	}
	if !strings.Contains(name, "%") {
		return name, true
	}
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(name) || !isHex(name[i+1]) || !isHex(name[i+2]) {
			return "", false
		}
		b.WriteByte(unhex(name[i+1])<<4 | unhex(name[i+2]))
		i += 2
	}
	return b.String(), true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// isMD5Name reports whether name is 32 lower-case hex characters.
func isMD5Name(name string) bool {
	if len(name) != 32 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
