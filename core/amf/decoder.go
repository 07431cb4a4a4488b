package amf

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// Decoder reads the AMF values of one message. It holds the reference
// tables (AMF0 objects; AMF3 strings, objects and traits) that all values of
// the message share, so consecutive Read calls resolve references to earlier
// values, as in an AMF0 command body whose arguments switch to AMF3.
//
// The zero Decoder is ready for Reset. A Decoder is not safe for concurrent
// use. After an error its position and tables are unspecified: drop the
// message, or Reset.
type Decoder struct {
	// MaxDepth bounds container nesting (objects, arrays, vectors of
	// objects, dictionaries, externalizable bodies); zero means
	// DefaultMaxDepth.
	MaxDepth int

	buf   []byte
	off   int
	depth int

	amf0Objects []any         // AMF0 reference table
	strings     []stringEntry // AMF3 string table
	objects     []any         // AMF3 object table
	traits      []traitInfo   // AMF3 trait table
	scratch     []Member      // stack of members of AMF0 objects being read
}

// traitInfo is one entry of the AMF3 trait table.
type traitInfo struct {
	class    string
	sealed   []string
	dynamic  bool
	external bool
}

// NewDecoder returns a Decoder reading b. The decoded values never alias b.
func NewDecoder(b []byte) *Decoder {
	return &Decoder{buf: b}
}

// Reset makes d read b as a new message: the reference tables are emptied
// (their memory is kept) and MaxDepth is unchanged.
func (d *Decoder) Reset(b []byte) {
	d.buf = b
	d.off = 0
	d.depth = 0
	clear(d.amf0Objects)
	d.amf0Objects = d.amf0Objects[:0]
	clear(d.strings)
	d.strings = d.strings[:0]
	clear(d.objects)
	d.objects = d.objects[:0]
	clear(d.traits)
	d.traits = d.traits[:0]
	clear(d.scratch)
	d.scratch = d.scratch[:0]
}

// Offset returns the number of bytes consumed so far.
func (d *Decoder) Offset() int { return d.off }

// Remaining returns the number of bytes not consumed yet.
func (d *Decoder) Remaining() int { return len(d.buf) - d.off }

// ReadAMF0 reads one AMF0 value; an AVM+ marker (0x11) makes it read the
// value that follows as AMF3. At the end of the input it returns io.EOF.
func (d *Decoder) ReadAMF0() (any, error) {
	if d.depth > 0 {
		return d.readAMF0()
	}
	if d.Remaining() == 0 {
		return nil, io.EOF
	}
	start := d.off
	v, err := d.readAMF0()
	if err != nil {
		d.depth = 0
		return nil, fmt.Errorf("amf: value at offset %d: %w", start, err)
	}
	return v, nil
}

// ReadAMF3 reads one AMF3 value. At the end of the input it returns io.EOF,
// except when called by an externalizable codec inside a value, where the
// input ending is ErrTruncated.
func (d *Decoder) ReadAMF3() (any, error) {
	if d.depth > 0 {
		return d.readAMF3()
	}
	if d.Remaining() == 0 {
		return nil, io.EOF
	}
	start := d.off
	v, err := d.readAMF3()
	if err != nil {
		d.depth = 0
		return nil, fmt.Errorf("amf: value at offset %d: %w", start, err)
	}
	return v, nil
}

// ReadByte reads one raw byte; externalizable codecs use it for flag
// bytes.
func (d *Decoder) ReadByte() (byte, error) {
	return d.readByte("raw byte")
}

// DecodeAll0 decodes every AMF0 value of b with one Decoder, as the body of
// an AMF0 command or data message. On error it also returns the values
// decoded before the failing one.
func DecodeAll0(b []byte) ([]any, error) {
	d := NewDecoder(b)
	var values []any
	for d.Remaining() > 0 {
		v, err := d.ReadAMF0()
		if err != nil {
			return values, err
		}
		values = append(values, v)
	}
	return values, nil
}

func (d *Decoder) maxDepth() int {
	if d.MaxDepth > 0 {
		return d.MaxDepth
	}
	return DefaultMaxDepth
}

// enter accounts one more level of container nesting.
func (d *Decoder) enter() error {
	d.depth++
	if d.depth > d.maxDepth() {
		return fmt.Errorf("%w (limit %d)", ErrTooDeep, d.maxDepth())
	}
	return nil
}

func (d *Decoder) leave() { d.depth-- }

// truncated builds the error for a part that does not fit in the input.
func truncated(part string) error {
	return fmt.Errorf("%s: %w", part, ErrTruncated)
}

func (d *Decoder) readByte(part string) (byte, error) {
	if d.off >= len(d.buf) {
		return 0, truncated(part)
	}
	c := d.buf[d.off]
	d.off++
	return c, nil
}

func (d *Decoder) readU16(part string) (uint16, error) {
	if len(d.buf)-d.off < 2 {
		return 0, truncated(part)
	}
	v := binary.BigEndian.Uint16(d.buf[d.off:])
	d.off += 2
	return v, nil
}

func (d *Decoder) readU32(part string) (uint32, error) {
	if len(d.buf)-d.off < 4 {
		return 0, truncated(part)
	}
	v := binary.BigEndian.Uint32(d.buf[d.off:])
	d.off += 4
	return v, nil
}

func (d *Decoder) readF64(part string) (float64, error) {
	if len(d.buf)-d.off < 8 {
		return 0, truncated(part)
	}
	v := math.Float64frombits(binary.BigEndian.Uint64(d.buf[d.off:]))
	d.off += 8
	return v, nil
}

// readRaw returns the next n bytes without copying them; callers copy
// (string conversion or explicit copy) before keeping them.
func (d *Decoder) readRaw(n uint64, part string) ([]byte, error) {
	if n > uint64(len(d.buf)-d.off) {
		return nil, truncated(part)
	}
	b := d.buf[d.off : d.off+int(n)]
	d.off += int(n)
	return b, nil
}

// fits reports whether count items of at least size bytes each can still
// be in the input. Every count is checked with it before allocating.
func (d *Decoder) fits(count uint64, size uint64) bool {
	return count <= uint64(len(d.buf)-d.off)/size
}

// readU29 reads an AMF3 variable-length 29-bit unsigned integer.
func (d *Decoder) readU29(part string) (uint32, error) {
	var v uint32
	for i := 0; i < 3; i++ {
		if d.off >= len(d.buf) {
			return 0, truncated(part)
		}
		c := d.buf[d.off]
		d.off++
		if c&0x80 == 0 {
			return v<<7 | uint32(c), nil
		}
		v = v<<7 | uint32(c&0x7f)
	}
	if d.off >= len(d.buf) {
		return 0, truncated(part)
	}
	c := d.buf[d.off]
	d.off++
	return v<<8 | uint32(c), nil
}

// smallNumbers holds boxed float64 values 0..1023 so that decoding the
// small integers Flash sends everywhere (counts, codes, flags) does not
// allocate.
var smallNumbers = func() (t [1024]any) {
	for i := range t {
		t[i] = float64(i)
	}
	return t
}()

// number boxes f, without allocating for small non-negative integers.
func number(f float64) any {
	if f >= 0 && f < float64(len(smallNumbers)) && f == math.Trunc(f) && !math.Signbit(f) {
		return smallNumbers[int(f)]
	}
	return f
}

func be32(b []byte) uint32 { return binary.BigEndian.Uint32(b) }

func f64(b []byte) float64 { return math.Float64frombits(binary.BigEndian.Uint64(b)) }
