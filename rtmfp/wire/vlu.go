package wire

import "fmt"

// MaxVLULen is the longest VLU accepted: 10 bytes carry 70 bits, enough for
// any 64-bit value.
const MaxVLULen = 10

// ReadVLU decodes a variable-length unsigned integer: 7 bits per byte, most
// significant group first, 0x80 set on every byte but the last. It returns
// the value and the number of bytes consumed. Non-minimal encodings (leading
// 0x80 bytes) are accepted as long as they fit in MaxVLULen bytes.
func ReadVLU(b []byte) (uint64, int, error) {
	var v uint64
	for i := 0; i < len(b) && i < MaxVLULen; i++ {
		if v>>57 != 0 {
			return 0, 0, ErrVLUOverflow
		}
		c := b[i]
		v = v<<7 | uint64(c&0x7f)
		if c&0x80 == 0 {
			return v, i + 1, nil
		}
	}
	if len(b) >= MaxVLULen {
		return 0, 0, ErrVLUTooLong
	}
	return 0, 0, ErrTruncated
}

// VLULen is the length of the minimal VLU encoding of v (1 to 10 bytes).
func VLULen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// AppendVLU appends the minimal VLU encoding of v.
func AppendVLU(b []byte, v uint64) []byte {
	for shift := 7 * (VLULen(v) - 1); shift > 0; shift -= 7 {
		b = append(b, byte(v>>shift)|0x80)
	}
	return append(b, byte(v&0x7f))
}

// readVLUPart is ReadVLU with the error wrapped for part.
func readVLUPart(b []byte, part string) (uint64, int, error) {
	v, n, err := ReadVLU(b)
	if err != nil {
		return 0, 0, fmt.Errorf("wire: %s: %w", part, err)
	}
	return v, n, nil
}

// ReadField decodes a field, VLU(length) ‖ length bytes. The returned value
// aliases b; n counts the length prefix too.
func ReadField(b []byte) (value []byte, n int, err error) {
	l, n, err := ReadVLU(b)
	if err != nil {
		return nil, 0, err
	}
	if l > uint64(len(b)-n) {
		return nil, 0, ErrTruncated
	}
	end := n + int(l)
	return b[n:end:end], end, nil
}

// readFieldPart is ReadField with the error wrapped for part.
func readFieldPart(b []byte, part string) ([]byte, int, error) {
	v, n, err := ReadField(b)
	if err != nil {
		return nil, 0, fmt.Errorf("wire: %s: %w", part, err)
	}
	return v, n, nil
}

// AppendField appends VLU(len(v)) ‖ v.
func AppendField(b, v []byte) []byte {
	b = AppendVLU(b, uint64(len(v)))
	return append(b, v...)
}

// FieldLen is the encoded length of a field holding n bytes.
func FieldLen(n int) int {
	return VLULen(uint64(n)) + n
}
