package wire

import (
	"errors"
	"fmt"
	"iter"
)

// Option is one entry of an option list: VLU(L) ‖ VLU(type) ‖ value, where L
// counts the type and value bytes. The zero-length option (the single byte
// 00) is a marker: it has no type and no value, and ends user-data option
// lists and the canonical part of certificates.
type Option struct {
	Marker bool
	Type   uint64
	Value  []byte
}

// ParseOption decodes one option. The value aliases b.
func ParseOption(b []byte) (Option, int, error) {
	l, n, err := ReadVLU(b)
	if err != nil {
		return Option{}, 0, fmt.Errorf("wire: option length: %w", err)
	}
	if l == 0 {
		return Option{Marker: true}, n, nil
	}
	if l > uint64(len(b)-n) {
		return Option{}, 0, fmt.Errorf("wire: option: %w", ErrTruncated)
	}
	end := n + int(l)
	typ, tn, err := ReadVLU(b[n:end])
	if err != nil {
		// The type VLU must end inside the option, so running out of
		// option bytes is malformed rather than truncated input.
		if errors.Is(err, ErrTruncated) {
			err = ErrMalformed
		}
		return Option{}, 0, fmt.Errorf("wire: option type: %w", err)
	}
	return Option{Type: typ, Value: b[n+tn : end : end]}, end, nil
}

// Len is the encoded length of o.
func (o Option) Len() int {
	if o.Marker {
		return 1
	}
	return OptionLen(o.Type, len(o.Value))
}

// Append appends the encoding of o.
func (o Option) Append(b []byte) []byte {
	if o.Marker {
		return AppendMarker(b)
	}
	return AppendOption(b, o.Type, o.Value)
}

// OptionLen is the encoded length of an option of type typ with a value of
// valueLen bytes.
func OptionLen(typ uint64, valueLen int) int {
	inner := VLULen(typ) + valueLen
	return VLULen(uint64(inner)) + inner
}

// AppendOption appends an option of type typ holding value.
func AppendOption(b []byte, typ uint64, value []byte) []byte {
	b = AppendVLU(b, uint64(VLULen(typ)+len(value)))
	b = AppendVLU(b, typ)
	return append(b, value...)
}

// AppendOptionVLU appends an option of type typ whose value is VLU(v).
func AppendOptionVLU(b []byte, typ, v uint64) []byte {
	b = AppendVLU(b, uint64(VLULen(typ)+VLULen(v)))
	b = AppendVLU(b, typ)
	return AppendVLU(b, v)
}

// OptionVLULen is the encoded length of AppendOptionVLU(nil, typ, v).
func OptionVLULen(typ, v uint64) int {
	return OptionLen(typ, VLULen(v))
}

// AppendMarker appends the zero-length marker option.
func AppendMarker(b []byte) []byte {
	return append(b, 0)
}

// OptionList is a run of encoded options that has been validated by
// ParseOptionList or ParseOptions (or built with the Append* helpers). It is
// a view: iterating it never copies.
type OptionList []byte

// ParseOptionList reads options up to and including the first marker, as in
// user data. The returned list excludes the marker; n includes it.
func ParseOptionList(b []byte) (list OptionList, n int, err error) {
	for off := 0; off < len(b); {
		o, on, err := ParseOption(b[off:])
		if err != nil {
			return nil, 0, err
		}
		if o.Marker {
			return OptionList(b[:off:off]), off + on, nil
		}
		off += on
	}
	return nil, 0, fmt.Errorf("wire: option list: %w", ErrNoMarker)
}

// ParseOptions validates that the whole of b is a sequence of options, as in
// endpoint discriminators, certificates and session key components. Markers
// are allowed anywhere.
func ParseOptions(b []byte) (OptionList, error) {
	for off := 0; off < len(b); {
		_, on, err := ParseOption(b[off:])
		if err != nil {
			return nil, err
		}
		off += on
	}
	return OptionList(b), nil
}

// All yields every option of l in order, markers included. Iteration stops
// early, without error, at bytes that do not parse (possible only if l was
// not built by this package).
func (l OptionList) All() iter.Seq[Option] {
	return func(yield func(Option) bool) {
		for off := 0; off < len(l); {
			o, n, err := ParseOption(l[off:])
			if err != nil || !yield(o) {
				return
			}
			off += n
		}
	}
}

// Find returns the value of the first option of type typ that comes before
// the first marker.
func (l OptionList) Find(typ uint64) ([]byte, bool) {
	// A plain loop rather than All: this runs for every user-data chunk
	// and must not allocate a closure.
	for off := 0; off < len(l); {
		o, n, err := ParseOption(l[off:])
		if err != nil || o.Marker {
			break
		}
		if o.Type == typ {
			return o.Value, true
		}
		off += n
	}
	return nil, false
}

// Canonical returns the options before the first marker.
func (l OptionList) Canonical() OptionList {
	for off := 0; off < len(l); {
		o, n, err := ParseOption(l[off:])
		if err != nil || o.Marker {
			return l[:off:off]
		}
		off += n
	}
	return l
}
