package amf

import (
	"fmt"
	"math"
	"time"
)

// writeAMF0 appends one value in AMF0 context.
func (e *Encoder) writeAMF0(v any) error {
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, amf0Null)
	case Undefined:
		e.buf = append(e.buf, amf0Undefined)
	case bool:
		b := byte(0)
		if x {
			b = 1
		}
		e.buf = append(e.buf, amf0Boolean, b)
	case float64:
		e.buf = append(e.buf, amf0Number)
		e.appendF64(x)
	case string:
		return e.writeString0(x)
	case XMLDocument:
		if uint64(len(x)) > math.MaxUint32 {
			return fmt.Errorf("amf0 xml document of %d bytes: %w", len(x), ErrInvalidValue)
		}
		e.buf = append(e.buf, amf0XMLDocument)
		e.appendU32(uint32(len(x)))
		e.buf = append(e.buf, x...)
	case time.Time:
		e.buf = append(e.buf, amf0Date)
		e.appendF64(dateToMillis(x))
		e.appendU16(0) // time zone: reserved, always 0
	case *Object:
		if x == nil {
			e.buf = append(e.buf, amf0Null)
			return nil
		}
		return e.writeContainer0(x)
	case *Array:
		if x == nil {
			e.buf = append(e.buf, amf0Null)
			return nil
		}
		return e.writeContainer0(x)
	case *ECMAArray:
		if x == nil {
			e.buf = append(e.buf, amf0Null)
			return nil
		}
		return e.writeContainer0(x)
	case []byte, XML:
		e.buf = append(e.buf, amf0AVMPlus)
		return e.writeAMF3(v)
	case *VectorInt, *VectorUint, *VectorDouble, *VectorObject, *Dictionary:
		if isNilPointer(v) {
			e.buf = append(e.buf, amf0Null)
			return nil
		}
		e.buf = append(e.buf, amf0AVMPlus)
		return e.writeAMF3(v)
	default:
		f, ok := toFloat(v)
		if !ok {
			return fmt.Errorf("%T: %w", v, ErrUnsupportedType)
		}
		e.buf = append(e.buf, amf0Number)
		e.appendF64(f)
	}
	return nil
}

// isNilPointer reports a typed nil among the AMF3-only container types.
func isNilPointer(v any) bool {
	switch x := v.(type) {
	case *VectorInt:
		return x == nil
	case *VectorUint:
		return x == nil
	case *VectorDouble:
		return x == nil
	case *VectorObject:
		return x == nil
	case *Dictionary:
		return x == nil
	}
	return false
}

func (e *Encoder) writeString0(s string) error {
	switch {
	case len(s) <= math.MaxUint16:
		e.buf = append(e.buf, amf0String)
		e.appendU16(uint16(len(s)))
	case uint64(len(s)) <= math.MaxUint32:
		e.buf = append(e.buf, amf0LongString)
		e.appendU32(uint32(len(s)))
	default:
		return fmt.Errorf("amf0 string of %d bytes: %w", len(s), ErrInvalidValue)
	}
	e.buf = append(e.buf, s...)
	return nil
}

// writeContainer0 writes an object, strict array or ECMA array in AMF0
// context: a reference if it was written before, AMF3 if it has to be,
// else inline AMF0.
func (e *Encoder) writeContainer0(v any) error {
	if i, ok := e.amf0Objects[v]; ok {
		e.buf = append(e.buf, amf0Reference)
		e.appendU16(uint16(i))
		return nil
	}
	_, bound := e.inAMF3[v]
	_, written3 := e.objects[v]
	if bound || written3 || e.needsAMF3(v) {
		e.buf = append(e.buf, amf0AVMPlus)
		return e.writeAMF3(v)
	}
	// References are 16 bits: later containers are still counted (the
	// decoder numbers them) but cannot be referenced.
	if e.amf0Count <= math.MaxUint16 {
		if e.amf0Objects == nil {
			e.amf0Objects = make(map[any]int)
		}
		e.amf0Objects[v] = e.amf0Count
	}
	e.amf0Count++
	if err := e.enter(); err != nil {
		return err
	}
	var err error
	switch x := v.(type) {
	case *Object:
		err = e.writeObject0(x)
	case *Array:
		err = e.writeStrictArray0(x)
	case *ECMAArray:
		err = e.writeECMAArray0(x)
	}
	if err != nil {
		return err
	}
	e.leave()
	return nil
}

func (e *Encoder) writeObject0(o *Object) error {
	if o.Class != "" {
		e.buf = append(e.buf, amf0TypedObject)
		e.appendU16(uint16(len(o.Class)))
		e.buf = append(e.buf, o.Class...)
	} else {
		e.buf = append(e.buf, amf0Object)
	}
	return e.writeMembers0("amf0 object", o.Members)
}

func (e *Encoder) writeECMAArray0(a *ECMAArray) error {
	e.buf = append(e.buf, amf0ECMAArray)
	e.appendU32(a.Count)
	return e.writeMembers0("amf0 ecma array", a.Entries)
}

func (e *Encoder) writeMembers0(part string, members []Member) error {
	for i := range members {
		m := &members[i]
		if m.Key == "" || !amf0Key(m.Key) {
			return fmt.Errorf("%s: member %d has a key of %d bytes: %w", part, i, len(m.Key), ErrInvalidValue)
		}
		e.appendU16(uint16(len(m.Key)))
		e.buf = append(e.buf, m.Key...)
		if err := e.writeAMF0(m.Value); err != nil {
			return fmt.Errorf("%s member %q: %w", part, clip(m.Key), err)
		}
	}
	e.buf = append(e.buf, 0, 0, amf0ObjectEnd)
	return nil
}

func (e *Encoder) writeStrictArray0(a *Array) error {
	if uint64(len(a.Dense)) > math.MaxUint32 {
		return fmt.Errorf("amf0 strict array of %d values: %w", len(a.Dense), ErrInvalidValue)
	}
	e.buf = append(e.buf, amf0StrictArray)
	e.appendU32(uint32(len(a.Dense)))
	for i, item := range a.Dense {
		if err := e.writeAMF0(item); err != nil {
			return fmt.Errorf("amf0 strict array value %d: %w", i, err)
		}
	}
	return nil
}
