package amf

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"time"
)

// writeAMF3 appends one value in AMF3 context.
func (e *Encoder) writeAMF3(v any) error {
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, amf3Null)
	case Undefined:
		e.buf = append(e.buf, amf3Undefined)
	case bool:
		if x {
			e.buf = append(e.buf, amf3True)
		} else {
			e.buf = append(e.buf, amf3False)
		}
	case float64:
		e.writeNumber3(x)
	case string:
		e.buf = append(e.buf, amf3String)
		return e.writeString3(x)
	case time.Time:
		e.buf = append(e.buf, amf3Date)
		if e.writeRef3(x) {
			return nil
		}
		e.buf = append(e.buf, 0x01)
		e.appendF64(dateToMillis(x))
	case XMLDocument:
		e.buf = append(e.buf, amf3XMLDocument)
		return e.writeBlob3(x, "amf3 xml document", string(x))
	case XML:
		e.buf = append(e.buf, amf3XML)
		return e.writeBlob3(x, "amf3 xml", string(x))
	case []byte:
		e.buf = append(e.buf, amf3ByteArray)
		if len(x) > u29Length {
			return fmt.Errorf("amf3 byte array of %d bytes: %w", len(x), ErrInvalidValue)
		}
		if e.writeRef3(x) {
			return nil
		}
		e.appendU29(uint32(len(x))<<1 | 1)
		e.buf = append(e.buf, x...)
	case *Object:
		if x == nil {
			e.buf = append(e.buf, amf3Null)
			return nil
		}
		return e.writeObject3(x)
	case *Array:
		if x == nil {
			e.buf = append(e.buf, amf3Null)
			return nil
		}
		return e.writeArray3(x, x.Dense, x.Assoc)
	case *ECMAArray:
		if x == nil {
			e.buf = append(e.buf, amf3Null)
			return nil
		}
		// AMF3 has no ECMA array: its entries become the associative part.
		return e.writeArray3(x, nil, x.Entries)
	case *VectorInt:
		if x == nil {
			e.buf = append(e.buf, amf3Null)
			return nil
		}
		if done, err := e.writeVectorHeader3(x, amf3VectorInt, x.Fixed, len(x.Items), 4); done || err != nil {
			return err
		}
		for _, item := range x.Items {
			e.buf = binary.BigEndian.AppendUint32(e.buf, uint32(item))
		}
	case *VectorUint:
		if x == nil {
			e.buf = append(e.buf, amf3Null)
			return nil
		}
		if done, err := e.writeVectorHeader3(x, amf3VectorUint, x.Fixed, len(x.Items), 4); done || err != nil {
			return err
		}
		for _, item := range x.Items {
			e.buf = binary.BigEndian.AppendUint32(e.buf, item)
		}
	case *VectorDouble:
		if x == nil {
			e.buf = append(e.buf, amf3Null)
			return nil
		}
		if done, err := e.writeVectorHeader3(x, amf3VectorDouble, x.Fixed, len(x.Items), 8); done || err != nil {
			return err
		}
		for _, item := range x.Items {
			e.buf = binary.BigEndian.AppendUint64(e.buf, math.Float64bits(item))
		}
	case *VectorObject:
		if x == nil {
			e.buf = append(e.buf, amf3Null)
			return nil
		}
		return e.writeObjectVector3(x)
	case *Dictionary:
		if x == nil {
			e.buf = append(e.buf, amf3Null)
			return nil
		}
		return e.writeDictionary3(x)
	default:
		f, ok := toFloat(v)
		if !ok {
			return fmt.Errorf("%T: %w", v, ErrUnsupportedType)
		}
		e.writeNumber3(f)
	}
	return nil
}

// writeNumber3 writes integral values of the 29-bit range as integers and
// everything else (including -0, NaN and infinities) as doubles.
func (e *Encoder) writeNumber3(f float64) {
	if f >= int29Min && f <= int29Max && f == math.Trunc(f) && !(f == 0 && math.Signbit(f)) {
		e.buf = append(e.buf, amf3Integer)
		e.appendU29(uint32(int32(f)) & u29Max)
		return
	}
	e.buf = append(e.buf, amf3Double)
	e.appendF64(f)
}

// writeString3 writes an AMF3 UTF-8-vr: a reference to an earlier equal
// string, or the string inline. The empty string is never referenced.
func (e *Encoder) writeString3(s string) error {
	if s == "" {
		e.buf = append(e.buf, 0x01)
		return nil
	}
	if i, ok := e.strings[s]; ok {
		e.appendU29(uint32(i) << 1)
		return nil
	}
	if len(s) > u29Length {
		return fmt.Errorf("amf3 string of %d bytes: %w", len(s), ErrInvalidValue)
	}
	if e.stringCount <= u29Length {
		if e.strings == nil {
			e.strings = make(map[string]int)
		}
		e.strings[s] = e.stringCount
	}
	e.stringCount++
	e.appendU29(uint32(len(s))<<1 | 1)
	e.buf = append(e.buf, s...)
	return nil
}

// writeBlob3 writes an XML or XML document value (object-table entries).
func (e *Encoder) writeBlob3(v any, part, s string) error {
	if len(s) > u29Length {
		return fmt.Errorf("%s of %d bytes: %w", part, len(s), ErrInvalidValue)
	}
	if e.writeRef3(v) {
		return nil
	}
	e.appendU29(uint32(len(s))<<1 | 1)
	e.buf = append(e.buf, s...)
	return nil
}

func (e *Encoder) writeArray3(v any, dense []any, assoc []Member) error {
	e.buf = append(e.buf, amf3Array)
	if len(dense) > u29Length {
		return fmt.Errorf("amf3 array of %d values: %w", len(dense), ErrInvalidValue)
	}
	if e.writeRef3(v) {
		return nil
	}
	e.appendU29(uint32(len(dense))<<1 | 1)
	if err := e.enter(); err != nil {
		return err
	}
	for i := range assoc {
		m := &assoc[i]
		if m.Key == "" {
			return fmt.Errorf("amf3 array: associative member %d has an empty key: %w", i, ErrInvalidValue)
		}
		if err := e.writeString3(m.Key); err != nil {
			return err
		}
		if err := e.writeAMF3(m.Value); err != nil {
			return fmt.Errorf("amf3 array member %q: %w", clip(m.Key), err)
		}
	}
	e.buf = append(e.buf, 0x01)
	for i, item := range dense {
		if err := e.writeAMF3(item); err != nil {
			return fmt.Errorf("amf3 array value %d: %w", i, err)
		}
	}
	e.leave()
	return nil
}

// checkObject rejects objects whose trait fields contradict their members.
func checkObject(o *Object) error {
	switch {
	case o.Externalizable && (len(o.Members) != 0 || o.SealedCount != 0):
		return fmt.Errorf("amf3 object %q: externalizable with members: %w", clip(o.Class), ErrInvalidValue)
	case o.SealedCount < 0 || o.SealedCount > len(o.Members):
		return fmt.Errorf("amf3 object %q: %d sealed members of %d: %w", clip(o.Class), o.SealedCount, len(o.Members), ErrInvalidValue)
	case o.SealedCount > u29Max>>4:
		return fmt.Errorf("amf3 object %q: %d sealed members: %w", clip(o.Class), o.SealedCount, ErrInvalidValue)
	case o.Sealed && len(o.Members) > o.SealedCount:
		return fmt.Errorf("amf3 object %q: sealed class with %d dynamic members: %w", clip(o.Class), len(o.Members)-o.SealedCount, ErrInvalidValue)
	}
	return nil
}

func (e *Encoder) writeObject3(o *Object) error {
	if err := checkObject(o); err != nil {
		return err
	}
	var codec ExternalizableCodec
	if o.Externalizable {
		var ok bool
		if codec, ok = lookupExternalizable(o.Class); !ok {
			return fmt.Errorf("amf3 object: class %q: %w", clip(o.Class), ErrUnknownExternalizable)
		}
	}
	e.buf = append(e.buf, amf3Object)
	if e.writeRef3(o) {
		return nil
	}
	dynamic := !o.Sealed && !o.Externalizable
	if err := e.writeTraits3(o, dynamic); err != nil {
		return err
	}
	if err := e.enter(); err != nil {
		return err
	}
	if o.Externalizable {
		if err := codec.Write(e, o.External); err != nil {
			return fmt.Errorf("amf3 externalizable %q: %w", clip(o.Class), err)
		}
		e.leave()
		return nil
	}
	for i := range o.Members[:o.SealedCount] {
		m := &o.Members[i]
		if err := e.writeAMF3(m.Value); err != nil {
			return fmt.Errorf("amf3 object member %q: %w", clip(m.Key), err)
		}
	}
	if dynamic {
		for i := o.SealedCount; i < len(o.Members); i++ {
			m := &o.Members[i]
			if m.Key == "" {
				return fmt.Errorf("amf3 object: dynamic member %d has an empty key: %w", i, ErrInvalidValue)
			}
			if err := e.writeString3(m.Key); err != nil {
				return err
			}
			if err := e.writeAMF3(m.Value); err != nil {
				return fmt.Errorf("amf3 object member %q: %w", clip(m.Key), err)
			}
		}
		e.buf = append(e.buf, 0x01)
	}
	e.leave()
	return nil
}

// writeTraits3 writes a reference to an identical earlier trait, or the
// trait inline.
func (e *Encoder) writeTraits3(o *Object, dynamic bool) error {
	key := traitKey{class: o.Class, external: o.Externalizable, dynamic: dynamic, count: o.SealedCount}
	if o.SealedCount > 0 {
		b := e.traitKeyBuf[:0]
		for i := range o.Members[:o.SealedCount] {
			b = binary.AppendUvarint(b, uint64(len(o.Members[i].Key)))
			b = append(b, o.Members[i].Key...)
		}
		e.traitKeyBuf = b
		key.names = string(b)
	}
	if i, ok := e.traits[key]; ok {
		e.appendU29(uint32(i)<<2 | 0x01)
		return nil
	}
	if e.traitCount <= u29Max>>2 {
		if e.traits == nil {
			e.traits = make(map[traitKey]int)
		}
		e.traits[key] = e.traitCount
	}
	e.traitCount++
	if o.Externalizable {
		e.appendU29(0x07)
		return e.writeString3(o.Class)
	}
	flags := uint32(o.SealedCount)<<4 | 0x03
	if dynamic {
		flags |= 0x08
	}
	e.appendU29(flags)
	if err := e.writeString3(o.Class); err != nil {
		return err
	}
	for i := range o.Members[:o.SealedCount] {
		if err := e.writeString3(o.Members[i].Key); err != nil {
			return err
		}
	}
	return nil
}

// writeVectorHeader3 writes the start of a vector of numbers; done means it
// wrote a reference and nothing else follows.
func (e *Encoder) writeVectorHeader3(v any, marker byte, fixed bool, n, size int) (done bool, err error) {
	e.buf = append(e.buf, marker)
	if n > u29Length {
		return false, fmt.Errorf("amf3 vector of %d values: %w", n, ErrInvalidValue)
	}
	if e.writeRef3(v) {
		return true, nil
	}
	e.appendU29(uint32(n)<<1 | 1)
	e.buf = append(e.buf, flag(fixed))
	e.buf = slices.Grow(e.buf, n*size)
	return false, nil
}

func (e *Encoder) writeObjectVector3(vec *VectorObject) error {
	e.buf = append(e.buf, amf3VectorObject)
	if len(vec.Items) > u29Length {
		return fmt.Errorf("amf3 vector object of %d values: %w", len(vec.Items), ErrInvalidValue)
	}
	if e.writeRef3(vec) {
		return nil
	}
	e.appendU29(uint32(len(vec.Items))<<1 | 1)
	e.buf = append(e.buf, flag(vec.Fixed))
	if err := e.writeString3(vec.TypeName); err != nil {
		return err
	}
	if err := e.enter(); err != nil {
		return err
	}
	for i, item := range vec.Items {
		if err := e.writeAMF3(item); err != nil {
			return fmt.Errorf("amf3 vector object value %d: %w", i, err)
		}
	}
	e.leave()
	return nil
}

func (e *Encoder) writeDictionary3(dict *Dictionary) error {
	e.buf = append(e.buf, amf3Dictionary)
	if len(dict.Entries) > u29Length {
		return fmt.Errorf("amf3 dictionary of %d entries: %w", len(dict.Entries), ErrInvalidValue)
	}
	if e.writeRef3(dict) {
		return nil
	}
	e.appendU29(uint32(len(dict.Entries))<<1 | 1)
	e.buf = append(e.buf, flag(dict.WeakKeys))
	if err := e.enter(); err != nil {
		return err
	}
	for i := range dict.Entries {
		if err := e.writeAMF3(dict.Entries[i].Key); err != nil {
			return fmt.Errorf("amf3 dictionary key %d: %w", i, err)
		}
		if err := e.writeAMF3(dict.Entries[i].Value); err != nil {
			return fmt.Errorf("amf3 dictionary value %d: %w", i, err)
		}
	}
	e.leave()
	return nil
}

func flag(b bool) byte {
	if b {
		return 1
	}
	return 0
}
