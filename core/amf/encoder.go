package amf

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"
	"unsafe"
)

// Encoder appends the AMF values of one message to a buffer. Like the
// Decoder it keeps the reference tables of the message, so a container
// (pointer) written twice is written once and then referenced, and cycles
// end in references. AMF3 strings, dates, XML values and traits that repeat
// are referenced too.
//
// The zero Encoder is ready to use (it appends to a nil buffer). An Encoder
// is not safe for concurrent use. After an error the buffer holds a partial
// value: Reset before reuse.
type Encoder struct {
	// MaxDepth bounds container nesting; zero means DefaultMaxDepth. The
	// limit is the Decoder's, so the encoder never writes what a default
	// Decoder refuses.
	MaxDepth int
	// PreferAMF3 makes WriteAMF0 write objects and arrays as AMF3 values
	// behind the AVM+ marker, as MonaServer does for clients that connected
	// with objectEncoding 3. ECMA arrays stay AMF0 (AMF3 has no such type).
	PreferAMF3 bool

	buf   []byte
	depth int

	amf0Objects map[any]int // container -> AMF0 reference index
	amf0Count   int
	strings     map[string]int
	stringCount int
	objects     map[any]int // container or value key -> AMF3 object index
	objectCount int
	traits      map[traitKey]int
	traitCount  int
	traitKeyBuf []byte

	// Pre-pass of WriteAMF0: containers met in AMF0 context, and
	// containers that will be written inside an AMF3 value.
	seen0  map[any]struct{}
	inAMF3 map[any]struct{}
}

// Object-table keys of AMF3 values that are not pointers: equal values are
// written once and referenced afterwards.
type (
	dateKey   uint64 // bits of the millisecond double
	xmlKey    string
	xmlDocKey string
	bytesKey  struct {
		data *byte
		n    int
	}
)

// traitKey identifies an AMF3 trait: class, flags and sealed names (encoded
// length-prefixed in names).
type traitKey struct {
	class    string
	external bool
	dynamic  bool
	count    int
	names    string
}

// NewEncoder returns an Encoder appending to buf.
func NewEncoder(buf []byte) *Encoder {
	return &Encoder{buf: buf}
}

// Reset makes e append to buf for a new message: the reference tables are
// emptied (their memory is kept); MaxDepth and PreferAMF3 are unchanged.
func (e *Encoder) Reset(buf []byte) {
	e.buf = buf
	e.depth = 0
	clear(e.amf0Objects)
	e.amf0Count = 0
	clear(e.strings)
	e.stringCount = 0
	clear(e.objects)
	e.objectCount = 0
	clear(e.traits)
	e.traitCount = 0
	clear(e.seen0)
	clear(e.inAMF3)
}

// Bytes returns the buffer with everything appended so far.
func (e *Encoder) Bytes() []byte { return e.buf }

// WriteAMF0 appends values as consecutive AMF0 values of the message.
// Values AMF0 cannot represent (byte arrays, vectors, dictionaries, XML,
// arrays with an associative part, objects with AMF3 traits) are written as
// AMF3 behind the AVM+ marker 0x11, as are containers shared with such a
// value, so that the sharing survives. Passing all values of a message in
// one call lets that analysis see all of them.
func (e *Encoder) WriteAMF0(values ...any) error {
	if e.depth > 0 { // called by a codec inside a value
		for _, v := range values {
			if err := e.writeAMF0(v); err != nil {
				return err
			}
		}
		return nil
	}
	for _, v := range values {
		e.scan0(v, 0)
	}
	for i, v := range values {
		if err := e.writeAMF0(v); err != nil {
			e.depth = 0
			return fmt.Errorf("amf: value %d: %w", i, err)
		}
	}
	return nil
}

// WriteAMF3 appends v as an AMF3 value.
func (e *Encoder) WriteAMF3(v any) error {
	if e.depth > 0 {
		return e.writeAMF3(v)
	}
	if err := e.writeAMF3(v); err != nil {
		e.depth = 0
		return fmt.Errorf("amf: %w", err)
	}
	return nil
}

// WriteByte appends one raw byte; externalizable codecs use it for flag
// bytes.
func (e *Encoder) WriteByte(c byte) error {
	e.buf = append(e.buf, c)
	return nil
}

// AppendAMF0 appends values as the AMF0 body of one message to b.
func AppendAMF0(b []byte, values ...any) ([]byte, error) {
	e := Encoder{buf: b}
	if err := e.WriteAMF0(values...); err != nil {
		return b, err
	}
	return e.buf, nil
}

func (e *Encoder) maxDepth() int {
	if e.MaxDepth > 0 {
		return e.MaxDepth
	}
	return DefaultMaxDepth
}

func (e *Encoder) enter() error {
	e.depth++
	if e.depth > e.maxDepth() {
		return fmt.Errorf("%w (limit %d)", ErrTooDeep, e.maxDepth())
	}
	return nil
}

func (e *Encoder) leave() { e.depth-- }

func (e *Encoder) appendU16(v uint16) { e.buf = binary.BigEndian.AppendUint16(e.buf, v) }
func (e *Encoder) appendU32(v uint32) { e.buf = binary.BigEndian.AppendUint32(e.buf, v) }
func (e *Encoder) appendF64(f float64) {
	e.buf = binary.BigEndian.AppendUint64(e.buf, math.Float64bits(f))
}

// appendU29 appends v (at most 2^29-1) as an AMF3 variable-length integer.
func (e *Encoder) appendU29(v uint32) {
	switch {
	case v < 1<<7:
		e.buf = append(e.buf, byte(v))
	case v < 1<<14:
		e.buf = append(e.buf, byte(v>>7)|0x80, byte(v&0x7f))
	case v < 1<<21:
		e.buf = append(e.buf, byte(v>>14)|0x80, byte(v>>7)|0x80, byte(v&0x7f))
	default:
		e.buf = append(e.buf, byte(v>>22)|0x80, byte(v>>15)|0x80, byte(v>>8)|0x80, byte(v))
	}
}

// toFloat converts the Go numeric types the encoder accepts for
// convenience; the value model itself uses float64.
func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int8:
		return float64(x), true
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint8:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	}
	return 0, false
}

// amf0Key reports whether s fits an AMF0 UTF-8 (16-bit length) field.
func amf0Key(s string) bool { return len(s) <= math.MaxUint16 }

// needsAMF3 reports whether the AMF0 encoder must write v as AMF3: AMF0
// cannot represent it without losing information.
func (e *Encoder) needsAMF3(v any) bool {
	switch x := v.(type) {
	case *Object:
		if x == nil {
			return false
		}
		if e.PreferAMF3 || x.Sealed || x.SealedCount != 0 || x.Externalizable || !amf0Key(x.Class) {
			return true
		}
		for i := range x.Members {
			if !amf0Key(x.Members[i].Key) {
				return true
			}
		}
		return false
	case *Array:
		return x != nil && (e.PreferAMF3 || len(x.Assoc) > 0)
	case *VectorInt:
		return x != nil
	case *VectorUint:
		return x != nil
	case *VectorDouble:
		return x != nil
	case *VectorObject:
		return x != nil
	case *Dictionary:
		return x != nil
	case []byte, XML:
		return true
	}
	return false
}

// scan0 is the pre-pass of WriteAMF0 over a value in AMF0 context. It finds
// the values that must be AMF3 and marks every container they reach, so the
// main pass writes those containers as AMF3 wherever they appear first.
// Otherwise a container written as AMF0 could not be referenced from inside
// an AMF3 value and would be duplicated.
func (e *Encoder) scan0(v any, depth int) {
	if depth > e.maxDepth() {
		return // the main pass reports it
	}
	if e.needsAMF3(v) {
		e.scan3(v, depth)
		return
	}
	var key any
	switch x := v.(type) {
	case *Object:
		if x == nil {
			return
		}
		key = x
	case *Array:
		if x == nil {
			return
		}
		key = x
	case *ECMAArray:
		if x == nil {
			return
		}
		key = x
	default:
		return
	}
	if _, ok := e.seen0[key]; ok {
		return
	}
	if e.seen0 == nil {
		e.seen0 = make(map[any]struct{})
	}
	e.seen0[key] = struct{}{}
	switch x := v.(type) {
	case *Object:
		for i := range x.Members {
			e.scan0(x.Members[i].Value, depth+1)
		}
	case *Array:
		for _, item := range x.Dense {
			e.scan0(item, depth+1)
		}
	case *ECMAArray:
		for i := range x.Entries {
			e.scan0(x.Entries[i].Value, depth+1)
		}
	}
}

// scan3 marks the containers of a value that will be written as AMF3.
func (e *Encoder) scan3(v any, depth int) {
	if depth > e.maxDepth() {
		return
	}
	key, ok := containerKey(v)
	if !ok {
		return
	}
	if _, ok := e.inAMF3[key]; ok {
		return
	}
	if e.inAMF3 == nil {
		e.inAMF3 = make(map[any]struct{})
	}
	e.inAMF3[key] = struct{}{}
	switch x := v.(type) {
	case *Object:
		for i := range x.Members {
			e.scan3(x.Members[i].Value, depth+1)
		}
		if x.Externalizable {
			e.scan3(x.External, depth+1)
		}
	case *Array:
		for i := range x.Assoc {
			e.scan3(x.Assoc[i].Value, depth+1)
		}
		for _, item := range x.Dense {
			e.scan3(item, depth+1)
		}
	case *ECMAArray:
		for i := range x.Entries {
			e.scan3(x.Entries[i].Value, depth+1)
		}
	case *VectorObject:
		for _, item := range x.Items {
			e.scan3(item, depth+1)
		}
	case *Dictionary:
		for i := range x.Entries {
			e.scan3(x.Entries[i].Key, depth+1)
			e.scan3(x.Entries[i].Value, depth+1)
		}
	}
}

// containerKey returns the identity of a non-nil container value.
func containerKey(v any) (any, bool) {
	switch x := v.(type) {
	case *Object:
		return x, x != nil
	case *Array:
		return x, x != nil
	case *ECMAArray:
		return x, x != nil
	case *VectorObject:
		return x, x != nil
	case *Dictionary:
		return x, x != nil
	}
	return nil, false
}

// objectKey returns the AMF3 object-table key of v, if v has an identity
// that repeated occurrences can be recognised by.
func objectKey(v any) (any, bool) {
	switch x := v.(type) {
	case *Object, *Array, *ECMAArray, *VectorInt, *VectorUint, *VectorDouble, *VectorObject, *Dictionary:
		return x, true
	case time.Time:
		return dateKey(math.Float64bits(dateToMillis(x))), true
	case XML:
		return xmlKey(x), true
	case XMLDocument:
		return xmlDocKey(x), true
	case []byte:
		if len(x) == 0 {
			return nil, false
		}
		return bytesKey{data: unsafe.SliceData(x), n: len(x)}, true
	}
	return nil, false
}

// writeRef3 writes the reference to v if it is already in the AMF3 object
// table; otherwise it adds v and the caller writes it inline.
func (e *Encoder) writeRef3(v any) bool {
	key, ok := objectKey(v)
	if ok {
		if i, found := e.objects[key]; found {
			e.appendU29(uint32(i) << 1)
			return true
		}
		if e.objects == nil {
			e.objects = make(map[any]int)
		}
		if e.objectCount <= u29Length {
			e.objects[key] = e.objectCount
		}
	}
	e.objectCount++
	return false
}
