package amf

import (
	"fmt"
	"time"
)

// readAMF3 reads one AMF3 value at the current position.
func (d *Decoder) readAMF3() (any, error) {
	marker, err := d.readByte("amf3 marker")
	if err != nil {
		return nil, err
	}
	switch marker {
	case amf3Undefined:
		return Undefined{}, nil
	case amf3Null:
		return nil, nil
	case amf3False:
		return false, nil
	case amf3True:
		return true, nil
	case amf3Integer:
		u, err := d.readU29("amf3 integer")
		if err != nil {
			return nil, err
		}
		return number(float64(int29(u))), nil
	case amf3Double:
		f, err := d.readF64("amf3 double")
		if err != nil {
			return nil, err
		}
		return number(f), nil
	case amf3String:
		return d.readStringValue3()
	case amf3XMLDocument:
		return d.readXML3(true)
	case amf3XML:
		return d.readXML3(false)
	case amf3Date:
		return d.readDate3()
	case amf3ByteArray:
		return d.readByteArray3()
	case amf3Array:
		return d.readArray3()
	case amf3Object:
		return d.readObject3()
	case amf3VectorInt, amf3VectorUint, amf3VectorDouble:
		return d.readNumberVector3(marker)
	case amf3VectorObject:
		return d.readObjectVector3()
	case amf3Dictionary:
		return d.readDictionary3()
	default:
		return nil, fmt.Errorf("amf3 marker 0x%02x: %w", marker, ErrUnknownMarker)
	}
}

// int29 sign-extends a U29 holding a 29-bit two's complement integer.
func int29(u uint32) int32 {
	if u&(1<<28) != 0 {
		return int32(u) - 1<<29
	}
	return int32(u)
}

// readString3 reads an AMF3 UTF-8-vr: an inline string or a string table
// reference. The empty string is never added to the table.
func (d *Decoder) readString3(part string) (string, error) {
	s, _, err := d.string3(part, false)
	return s, err
}

// readStringValue3 is readString3 for a string value: the table keeps the
// string boxed, so each reference to it does not allocate again.
func (d *Decoder) readStringValue3() (any, error) {
	_, v, err := d.string3("amf3 string", true)
	return v, err
}

func (d *Decoder) string3(part string, boxed bool) (string, any, error) {
	u, err := d.readU29(part)
	if err != nil {
		return "", nil, err
	}
	if u&1 == 0 {
		i := u >> 1
		if uint64(i) >= uint64(len(d.strings)) {
			return "", nil, fmt.Errorf("%s: string reference %d of %d: %w", part, i, len(d.strings), ErrBadReference)
		}
		e := &d.strings[i]
		if boxed && e.v == nil {
			e.v = e.s
		}
		return e.s, e.v, nil
	}
	b, err := d.readRaw(uint64(u>>1), part)
	if err != nil {
		return "", nil, err
	}
	if len(b) == 0 {
		return "", emptyString, nil
	}
	var e stringEntry
	if boxed {
		e.v = makeStringValue(b)
		e.s = e.v.(string)
	} else {
		e.s = makeString(b)
	}
	d.strings = append(d.strings, e)
	return e.s, e.v, nil
}

// stringEntry is one entry of the AMF3 string table; v is the string boxed
// as an any once it has been used as a value.
type stringEntry struct {
	s string
	v any
}

// readHeader3 reads the U29 that starts every object-table value. When it
// is a reference, it returns the referenced entry and ok == false; else it
// returns the inline payload (the U29 without its flag bit).
func (d *Decoder) readHeader3(part string) (ref any, payload uint32, inline bool, err error) {
	u, err := d.readU29(part)
	if err != nil {
		return nil, 0, false, err
	}
	if u&1 == 1 {
		return nil, u >> 1, true, nil
	}
	i := u >> 1
	if uint64(i) >= uint64(len(d.objects)) {
		return nil, 0, false, fmt.Errorf("%s: object reference %d of %d: %w", part, i, len(d.objects), ErrBadReference)
	}
	return d.objects[i], 0, false, nil
}

// badKind is the error for a reference to an object-table entry whose type
// does not match the marker that referenced it.
func badKind(part string, v any) error {
	return fmt.Errorf("%s: reference to a %T: %w", part, v, ErrBadReference)
}

func (d *Decoder) readXML3(document bool) (any, error) {
	part := "amf3 xml"
	if document {
		part = "amf3 xml document"
	}
	ref, n, inline, err := d.readHeader3(part)
	if err != nil {
		return nil, err
	}
	if !inline {
		switch ref.(type) {
		case XMLDocument:
			if document {
				return ref, nil
			}
		case XML:
			if !document {
				return ref, nil
			}
		}
		return nil, badKind(part, ref)
	}
	b, err := d.readRaw(uint64(n), part)
	if err != nil {
		return nil, err
	}
	var v any
	if document {
		v = XMLDocument(b)
	} else {
		v = XML(b)
	}
	d.objects = append(d.objects, v)
	return v, nil
}

func (d *Decoder) readDate3() (any, error) {
	ref, _, inline, err := d.readHeader3("amf3 date")
	if err != nil {
		return nil, err
	}
	if !inline {
		if _, ok := ref.(time.Time); !ok {
			return nil, badKind("amf3 date", ref)
		}
		return ref, nil
	}
	ms, err := d.readF64("amf3 date")
	if err != nil {
		return nil, err
	}
	var v any = dateFromMillis(ms)
	d.objects = append(d.objects, v)
	return v, nil
}

func (d *Decoder) readByteArray3() (any, error) {
	ref, n, inline, err := d.readHeader3("amf3 byte array")
	if err != nil {
		return nil, err
	}
	if !inline {
		if _, ok := ref.([]byte); !ok {
			return nil, badKind("amf3 byte array", ref)
		}
		return ref, nil
	}
	raw, err := d.readRaw(uint64(n), "amf3 byte array")
	if err != nil {
		return nil, err
	}
	b := make([]byte, len(raw))
	copy(b, raw)
	var v any = b
	d.objects = append(d.objects, v)
	return v, nil
}

func (d *Decoder) readArray3() (any, error) {
	ref, n, inline, err := d.readHeader3("amf3 array")
	if err != nil {
		return nil, err
	}
	if !inline {
		if _, ok := ref.(*Array); !ok {
			return nil, badKind("amf3 array", ref)
		}
		return ref, nil
	}
	if !d.fits(uint64(n), 1) {
		return nil, fmt.Errorf("amf3 array of %d values in %d bytes: %w", n, d.Remaining(), ErrTruncated)
	}
	if err := d.enter(); err != nil {
		return nil, err
	}
	a := &Array{}
	d.objects = append(d.objects, a)
	base := len(d.scratch)
	for {
		key, err := d.readString3("amf3 array key")
		if err != nil {
			return nil, err
		}
		if key == "" {
			break
		}
		v, err := d.readAMF3()
		if err != nil {
			return nil, fmt.Errorf("amf3 array member %q: %w", clip(key), err)
		}
		d.scratch = append(d.scratch, Member{Key: key, Value: v})
	}
	a.Assoc = d.popMembers(base)
	if n > 0 {
		// Checked again: the associative part consumed input.
		if !d.fits(uint64(n), 1) {
			return nil, fmt.Errorf("amf3 array of %d values in %d bytes: %w", n, d.Remaining(), ErrTruncated)
		}
		a.Dense = make([]any, n)
		for i := range a.Dense {
			v, err := d.readAMF3()
			if err != nil {
				return nil, fmt.Errorf("amf3 array value %d: %w", i, err)
			}
			a.Dense[i] = v
		}
	}
	d.leave()
	return a, nil
}

// readTraits3 reads the traits of an inline object: a trait table
// reference or an inline trait definition, which it adds to the table.
func (d *Decoder) readTraits3(u uint32) (traitInfo, error) {
	if u&1 == 0 {
		i := u >> 1
		if uint64(i) >= uint64(len(d.traits)) {
			return traitInfo{}, fmt.Errorf("amf3 object: trait reference %d of %d: %w", i, len(d.traits), ErrBadReference)
		}
		return d.traits[i], nil
	}
	var t traitInfo
	if u&2 != 0 {
		// Externalizable: the remaining bits are not significant.
		class, err := d.readString3("amf3 object class")
		if err != nil {
			return traitInfo{}, err
		}
		t = traitInfo{class: class, external: true}
	} else {
		t.dynamic = u&4 != 0
		count := u >> 3
		class, err := d.readString3("amf3 object class")
		if err != nil {
			return traitInfo{}, err
		}
		t.class = class
		if !d.fits(uint64(count), 1) {
			return traitInfo{}, fmt.Errorf("amf3 object: %d sealed member names in %d bytes: %w", count, d.Remaining(), ErrTruncated)
		}
		if count > 0 {
			t.sealed = make([]string, count)
			for i := range t.sealed {
				if t.sealed[i], err = d.readString3("amf3 object sealed member name"); err != nil {
					return traitInfo{}, err
				}
				// An AS3 property always has a name, and the empty
				// string ends member lists everywhere else in AMF: such
				// an object could not be written again.
				if t.sealed[i] == "" {
					return traitInfo{}, fmt.Errorf("amf3 object: sealed member %d has an empty name: %w", i, ErrMalformed)
				}
			}
		}
	}
	d.traits = append(d.traits, t)
	return t, nil
}

func (d *Decoder) readObject3() (any, error) {
	ref, u, inline, err := d.readHeader3("amf3 object")
	if err != nil {
		return nil, err
	}
	if !inline {
		if _, ok := ref.(*Object); !ok {
			return nil, badKind("amf3 object", ref)
		}
		return ref, nil
	}
	t, err := d.readTraits3(u)
	if err != nil {
		return nil, err
	}
	if err := d.enter(); err != nil {
		return nil, err
	}
	o := &Object{Class: t.class}
	d.objects = append(d.objects, o)
	if t.external {
		codec, ok := lookupExternalizable(t.class)
		if !ok {
			return nil, fmt.Errorf("amf3 object: class %q: %w", clip(t.class), ErrUnknownExternalizable)
		}
		o.Externalizable = true
		body, err := codec.Read(d)
		if err != nil {
			return nil, fmt.Errorf("amf3 externalizable %q: %w", clip(t.class), err)
		}
		o.External = body
		d.leave()
		return o, nil
	}
	// Each sealed value takes at least one byte; checked at every use
	// because a trait reference costs a single byte.
	if !d.fits(uint64(len(t.sealed)), 1) {
		return nil, fmt.Errorf("amf3 object: %d sealed values in %d bytes: %w", len(t.sealed), d.Remaining(), ErrTruncated)
	}
	o.SealedCount = len(t.sealed)
	o.Sealed = !t.dynamic
	base := len(d.scratch)
	for _, name := range t.sealed {
		v, err := d.readAMF3()
		if err != nil {
			return nil, fmt.Errorf("amf3 object member %q: %w", clip(name), err)
		}
		d.scratch = append(d.scratch, Member{Key: name, Value: v})
	}
	if t.dynamic {
		for {
			key, err := d.readString3("amf3 object dynamic key")
			if err != nil {
				return nil, err
			}
			if key == "" {
				break
			}
			v, err := d.readAMF3()
			if err != nil {
				return nil, fmt.Errorf("amf3 object member %q: %w", clip(key), err)
			}
			d.scratch = append(d.scratch, Member{Key: key, Value: v})
		}
	}
	o.Members = d.popMembers(base)
	d.leave()
	return o, nil
}

func (d *Decoder) readNumberVector3(marker byte) (any, error) {
	part, size := "amf3 vector int", uint64(4)
	switch marker {
	case amf3VectorUint:
		part = "amf3 vector uint"
	case amf3VectorDouble:
		part, size = "amf3 vector double", 8
	}
	ref, n, inline, err := d.readHeader3(part)
	if err != nil {
		return nil, err
	}
	if !inline {
		ok := false
		switch ref.(type) {
		case *VectorInt:
			ok = marker == amf3VectorInt
		case *VectorUint:
			ok = marker == amf3VectorUint
		case *VectorDouble:
			ok = marker == amf3VectorDouble
		}
		if !ok {
			return nil, badKind(part, ref)
		}
		return ref, nil
	}
	fixed, err := d.readByte("amf3 vector fixed flag")
	if err != nil {
		return nil, err
	}
	raw, err := d.readRaw(uint64(n)*size, part)
	if err != nil {
		return nil, err
	}
	var v any
	switch marker {
	case amf3VectorInt:
		vec := &VectorInt{Fixed: fixed != 0, Items: make([]int32, n)}
		for i := range vec.Items {
			vec.Items[i] = int32(be32(raw[4*i:]))
		}
		v = vec
	case amf3VectorUint:
		vec := &VectorUint{Fixed: fixed != 0, Items: make([]uint32, n)}
		for i := range vec.Items {
			vec.Items[i] = be32(raw[4*i:])
		}
		v = vec
	default:
		vec := &VectorDouble{Fixed: fixed != 0, Items: make([]float64, n)}
		for i := range vec.Items {
			vec.Items[i] = f64(raw[8*i:])
		}
		v = vec
	}
	d.objects = append(d.objects, v)
	return v, nil
}

func (d *Decoder) readObjectVector3() (any, error) {
	ref, n, inline, err := d.readHeader3("amf3 vector object")
	if err != nil {
		return nil, err
	}
	if !inline {
		if _, ok := ref.(*VectorObject); !ok {
			return nil, badKind("amf3 vector object", ref)
		}
		return ref, nil
	}
	fixed, err := d.readByte("amf3 vector object fixed flag")
	if err != nil {
		return nil, err
	}
	typeName, err := d.readString3("amf3 vector object type name")
	if err != nil {
		return nil, err
	}
	if !d.fits(uint64(n), 1) {
		return nil, fmt.Errorf("amf3 vector object of %d values in %d bytes: %w", n, d.Remaining(), ErrTruncated)
	}
	if err := d.enter(); err != nil {
		return nil, err
	}
	vec := &VectorObject{TypeName: typeName, Fixed: fixed != 0}
	d.objects = append(d.objects, vec)
	if n > 0 {
		vec.Items = make([]any, n)
		for i := range vec.Items {
			v, err := d.readAMF3()
			if err != nil {
				return nil, fmt.Errorf("amf3 vector object value %d: %w", i, err)
			}
			vec.Items[i] = v
		}
	}
	d.leave()
	return vec, nil
}

func (d *Decoder) readDictionary3() (any, error) {
	ref, n, inline, err := d.readHeader3("amf3 dictionary")
	if err != nil {
		return nil, err
	}
	if !inline {
		if _, ok := ref.(*Dictionary); !ok {
			return nil, badKind("amf3 dictionary", ref)
		}
		return ref, nil
	}
	weak, err := d.readByte("amf3 dictionary weak keys flag")
	if err != nil {
		return nil, err
	}
	if !d.fits(uint64(n), 2) {
		return nil, fmt.Errorf("amf3 dictionary of %d entries in %d bytes: %w", n, d.Remaining(), ErrTruncated)
	}
	if err := d.enter(); err != nil {
		return nil, err
	}
	dict := &Dictionary{WeakKeys: weak != 0}
	d.objects = append(d.objects, dict)
	if n > 0 {
		dict.Entries = make([]DictEntry, n)
		for i := range dict.Entries {
			k, err := d.readAMF3()
			if err != nil {
				return nil, fmt.Errorf("amf3 dictionary key %d: %w", i, err)
			}
			v, err := d.readAMF3()
			if err != nil {
				return nil, fmt.Errorf("amf3 dictionary value %d: %w", i, err)
			}
			dict.Entries[i] = DictEntry{Key: k, Value: v}
		}
	}
	d.leave()
	return dict, nil
}
