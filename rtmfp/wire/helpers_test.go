package wire

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// unhex decodes hex that may contain spaces, '|' separators and newlines.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	s = strings.NewReplacer(" ", "", "|", "", "\n", "", "\t", "").Replace(s)
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// checkTruncations parses every strict prefix of a valid encoding and
// requires an error (wrapping ErrTruncated or, for prefixes that happen to
// end inside a nested length, ErrMalformed) and no panic.
func checkTruncations(t *testing.T, full []byte, parse func([]byte) error) {
	t.Helper()
	if err := parse(full); err != nil {
		t.Fatalf("full encoding does not parse: %v", err)
	}
	for i := range len(full) {
		err := parse(full[:i])
		if err == nil {
			t.Fatalf("prefix of %d/%d bytes parsed without error", i, len(full))
		}
		if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrNoMarker) {
			t.Fatalf("prefix of %d bytes: unexpected error class: %v", i, err)
		}
	}
}
