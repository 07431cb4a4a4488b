package amf

import (
	"fmt"
	"math"
)

// readAMF0 reads one AMF0 value at the current position.
func (d *Decoder) readAMF0() (any, error) {
	marker, err := d.readByte("amf0 marker")
	if err != nil {
		return nil, err
	}
	switch marker {
	case amf0Number:
		f, err := d.readF64("amf0 number")
		if err != nil {
			return nil, err
		}
		return number(f), nil
	case amf0Boolean:
		c, err := d.readByte("amf0 boolean")
		if err != nil {
			return nil, err
		}
		return c != 0, nil
	case amf0String:
		n, err := d.readU16("amf0 string length")
		if err != nil {
			return nil, err
		}
		b, err := d.readRaw(uint64(n), "amf0 string")
		if err != nil {
			return nil, err
		}
		return makeStringValue(b), nil
	case amf0LongString:
		n, err := d.readU32("amf0 long string length")
		if err != nil {
			return nil, err
		}
		b, err := d.readRaw(uint64(n), "amf0 long string")
		if err != nil {
			return nil, err
		}
		return makeStringValue(b), nil
	case amf0XMLDocument:
		n, err := d.readU32("amf0 xml document length")
		if err != nil {
			return nil, err
		}
		b, err := d.readRaw(uint64(n), "amf0 xml document")
		if err != nil {
			return nil, err
		}
		return XMLDocument(b), nil
	case amf0Null:
		return nil, nil
	case amf0Undefined, amf0Unsupported:
		return Undefined{}, nil
	case amf0Date:
		ms, err := d.readF64("amf0 date")
		if err != nil {
			return nil, err
		}
		// The time zone field is reserved and ignored, as Flash does.
		if _, err := d.readU16("amf0 date time zone"); err != nil {
			return nil, err
		}
		return dateFromMillis(ms), nil
	case amf0Reference:
		i, err := d.readU16("amf0 reference")
		if err != nil {
			return nil, err
		}
		if int(i) >= len(d.amf0Objects) {
			return nil, fmt.Errorf("amf0 reference %d of %d: %w", i, len(d.amf0Objects), ErrBadReference)
		}
		return d.amf0Objects[i], nil
	case amf0Object:
		return d.readObject0("")
	case amf0TypedObject:
		n, err := d.readU16("amf0 typed object class length")
		if err != nil {
			return nil, err
		}
		b, err := d.readRaw(uint64(n), "amf0 typed object class")
		if err != nil {
			return nil, err
		}
		return d.readObject0(makeString(b))
	case amf0ECMAArray:
		return d.readECMAArray0()
	case amf0StrictArray:
		return d.readStrictArray0()
	case amf0AVMPlus:
		return d.readAMF3()
	case amf0ObjectEnd:
		return nil, fmt.Errorf("amf0 object end marker outside an object: %w", ErrMalformed)
	default:
		return nil, fmt.Errorf("amf0 marker 0x%02x: %w", marker, ErrUnknownMarker)
	}
}

func (d *Decoder) readObject0(class string) (*Object, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	o := &Object{Class: class}
	d.amf0Objects = append(d.amf0Objects, o)
	members, err := d.readMembers0("amf0 object", -1)
	if err != nil {
		return nil, err
	}
	o.Members = members
	d.leave()
	return o, nil
}

func (d *Decoder) readECMAArray0() (*ECMAArray, error) {
	count, err := d.readU32("amf0 ecma array count")
	if err != nil {
		return nil, err
	}
	if err := d.enter(); err != nil {
		return nil, err
	}
	a := &ECMAArray{Count: count}
	d.amf0Objects = append(d.amf0Objects, a)
	// The declared count is not trusted (Flash writes the dense length);
	// the entries run to the end marker. rtmfp-cpp writes the real count and
	// no end marker: such an array ends with the input once count (> 0)
	// entries were read.
	endless := -1
	if count > 0 {
		endless = int(min(count, math.MaxInt32))
	}
	entries, err := d.readMembers0("amf0 ecma array", endless)
	if err != nil {
		return nil, err
	}
	a.Entries = entries
	d.leave()
	return a, nil
}

func (d *Decoder) readStrictArray0() (*Array, error) {
	count, err := d.readU32("amf0 strict array count")
	if err != nil {
		return nil, err
	}
	if !d.fits(uint64(count), 1) {
		return nil, fmt.Errorf("amf0 strict array of %d values in %d bytes: %w", count, d.Remaining(), ErrTruncated)
	}
	if err := d.enter(); err != nil {
		return nil, err
	}
	a := &Array{}
	d.amf0Objects = append(d.amf0Objects, a)
	if count > 0 {
		a.Dense = make([]any, count)
		for i := range a.Dense {
			v, err := d.readAMF0()
			if err != nil {
				return nil, fmt.Errorf("amf0 strict array value %d: %w", i, err)
			}
			a.Dense[i] = v
		}
	}
	d.leave()
	return a, nil
}

// readMembers0 reads "key value" pairs up to the empty key and object end
// marker.
// readMembers0 reads members up to the object end marker. With
// endlessAfter >= 0, the input may also simply end once that many members
// were read (an ECMA array without end marker).
func (d *Decoder) readMembers0(part string, endlessAfter int) ([]Member, error) {
	base := len(d.scratch)
	for {
		if endlessAfter >= 0 && d.Remaining() == 0 && len(d.scratch)-base >= endlessAfter {
			break
		}
		n, err := d.readU16("key length")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", part, err)
		}
		if n == 0 {
			end, err := d.readByte("end marker")
			if err != nil {
				return nil, fmt.Errorf("%s: %w", part, err)
			}
			if end != amf0ObjectEnd {
				return nil, fmt.Errorf("%s: empty key followed by 0x%02x instead of the end marker: %w", part, end, ErrMalformed)
			}
			break
		}
		kb, err := d.readRaw(uint64(n), "key")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", part, err)
		}
		key := makeString(kb)
		v, err := d.readAMF0()
		if err != nil {
			return nil, fmt.Errorf("%s member %q: %w", part, clip(key), err)
		}
		d.scratch = append(d.scratch, Member{Key: key, Value: v})
	}
	return d.popMembers(base), nil
}

// popMembers moves the members pushed on the scratch stack since base into
// a slice of their own. Collecting first costs one allocation per
// container instead of one per growth step.
func (d *Decoder) popMembers(base int) []Member {
	n := len(d.scratch) - base
	if n == 0 {
		return nil
	}
	members := make([]Member, n)
	copy(members, d.scratch[base:])
	clear(d.scratch[base:])
	d.scratch = d.scratch[:base]
	return members
}
