package amf

import (
	"errors"
	"fmt"
	"io"
)

// Errors callers can test with errors.Is. Decoding errors are wrapped with
// the part that failed and the offset where the top-level value started.
var (
	// ErrTruncated means the input ended inside a value. It wraps
	// io.ErrUnexpectedEOF.
	ErrTruncated = fmt.Errorf("amf: truncated input: %w", io.ErrUnexpectedEOF)
	// ErrTooDeep means containers nest deeper than MaxDepth.
	ErrTooDeep = errors.New("amf: nesting too deep")
	// ErrBadReference means a string, object, trait or AMF0 reference
	// index that is out of range or names a value of another type.
	ErrBadReference = errors.New("amf: bad reference")
	// ErrUnknownMarker means a type marker this codec does not know or
	// does not support (AMF0 movieclip and recordset).
	ErrUnknownMarker = errors.New("amf: unknown type marker")
	// ErrMalformed means the input breaks a structural rule, such as an
	// AMF0 object without its end marker.
	ErrMalformed = errors.New("amf: malformed input")
	// ErrUnknownExternalizable means an externalizable AMF3 class without
	// a registered codec. The error text names the class.
	ErrUnknownExternalizable = errors.New("amf: unknown externalizable class")
	// ErrUnsupportedType means the encoder was given a Go type outside the
	// value model.
	ErrUnsupportedType = errors.New("amf: unsupported Go type")
	// ErrInvalidValue means a value of the model that cannot be encoded as
	// it stands (inconsistent traits, empty keys, oversized strings).
	ErrInvalidValue = errors.New("amf: invalid value")
)

// clip shortens attacker-controlled text quoted in error messages.
func clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
