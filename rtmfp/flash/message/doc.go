// Package message holds the Flash layer's byte layouts on top of RTMFP flows
// (RFC 7425 §5): the framing of one flow message, AMF commands and data
// messages, user control events, the flow metadata that says what a flow
// carries ("TC" NetConnection/NetStream flows, "GC" NetGroup flows), the
// NetGroup join and neighbour messages, and NetConnection status objects.
//
// The package does no I/O and knows nothing of sessions; the server side and
// the Go client of package flash share it.
//
// Conventions, as in package wire:
//
//   - ParseX(b) (X, int, error) decodes X from the start of b and reports how
//     many bytes it consumed. A flow message is exactly one Flash message, so
//     the parsers of whole messages consume all of b. Decoded byte slices
//     alias b; AMF values never do.
//   - (X) Append(b) appends the encoding of X to b. Messages holding AMF
//     values return an error too, since a value may not be encodable.
//   - (X) Len() is the length Append adds, for types without AMF values.
//
// Every length is attacker controlled: nothing is allocated in proportion to
// a decoded length, only to the input actually present.
package message

import "errors"

// Sentinel errors. Parse errors wrap one of these (or an amf error) with the
// part that failed, e.g. "flash: command: transaction id: malformed".
var (
	// ErrTruncated reports input that ends before the structure does.
	ErrTruncated = errors.New("truncated input")
	// ErrMalformed reports complete input that breaks a structural rule.
	ErrMalformed = errors.New("malformed")
	// ErrType reports a message of another type than the parser handles.
	ErrType = errors.New("unexpected message type")
)
