package amf

// Undefined is the ActionScript undefined value (AMF0 0x06, AMF3 0x00).
// AMF0's "unsupported" marker (0x0D) also decodes to Undefined.
type Undefined struct{}

// XMLDocument is a legacy flash.xml.XMLDocument (AMF0 0x0F, AMF3 0x07).
type XMLDocument string

// XML is an E4X XML value (AMF3 0x0B). AMF0 cannot carry it, so the AMF0
// encoder switches to AMF3 for it.
type XML string

// Member is one key/value pair of an object, ECMA array or the associative
// part of an array.
type Member struct {
	Key   string
	Value any
}

// Object is an anonymous or typed object.
//
// The zero value is an anonymous dynamic object, which is what an AMF0
// object and a plain ActionScript Object are. The AMF3 trait fields only
// matter for values that came from (or go to) AMF3 class instances.
type Object struct {
	// Class is the registered alias of the class; empty means anonymous.
	Class string
	// Members holds the properties in wire order: the SealedCount sealed
	// members first, then the dynamic ones. Keys may repeat if the peer sent
	// them twice; Get returns the last one.
	Members []Member

	// SealedCount is the number of leading Members that are sealed traits
	// of an AMF3 class.
	SealedCount int
	// Sealed reports an AMF3 class that is not dynamic: it has no members
	// beyond the sealed ones.
	Sealed bool
	// Externalizable reports an AMF3 externalizable class; its body is
	// External, as read by the codec registered for Class. Members and
	// SealedCount are unused then and must be empty.
	Externalizable bool
	External       any
}

// NewObject returns an anonymous dynamic object holding members.
func NewObject(members ...Member) *Object {
	return &Object{Members: members}
}

// Get returns the value of the last member named key.
func (o *Object) Get(key string) (any, bool) {
	for i := len(o.Members) - 1; i >= 0; i-- {
		if o.Members[i].Key == key {
			return o.Members[i].Value, true
		}
	}
	return nil, false
}

// Set replaces the value of the last member named key, or appends a new
// member.
func (o *Object) Set(key string, value any) {
	for i := len(o.Members) - 1; i >= 0; i-- {
		if o.Members[i].Key == key {
			o.Members[i].Value = value
			return
		}
	}
	o.Members = append(o.Members, Member{Key: key, Value: value})
}

// ECMAArray is an AMF0 ECMA ("mixed") array. Entries keep wire order and
// Count keeps the declared count, which Flash does not always make equal
// to len(Entries). AMF3 has no such type: the AMF3 encoder writes it as an
// Array with only an associative part.
type ECMAArray struct {
	Count   uint32
	Entries []Member
}

// NewECMAArray returns an ECMA array whose declared count is len(entries).
func NewECMAArray(entries ...Member) *ECMAArray {
	return &ECMAArray{Count: uint32(len(entries)), Entries: entries}
}

// Array is an AMF0 strict array (Dense only) or an AMF3 array (dense part
// plus an ordered associative part).
type Array struct {
	Dense []any
	Assoc []Member
}

// VectorInt is an AMF3 Vector.<int>.
type VectorInt struct {
	Fixed bool
	Items []int32
}

// VectorUint is an AMF3 Vector.<uint>.
type VectorUint struct {
	Fixed bool
	Items []uint32
}

// VectorDouble is an AMF3 Vector.<Number>.
type VectorDouble struct {
	Fixed bool
	Items []float64
}

// VectorObject is an AMF3 Vector.<T> of objects; TypeName is the class
// alias of T ("" or "*" for untyped vectors).
type VectorObject struct {
	TypeName string
	Fixed    bool
	Items    []any
}

// DictEntry is one key/value pair of a Dictionary; keys are any value.
type DictEntry struct {
	Key   any
	Value any
}

// Dictionary is an AMF3 flash.utils.Dictionary.
type Dictionary struct {
	WeakKeys bool
	Entries  []DictEntry
}
