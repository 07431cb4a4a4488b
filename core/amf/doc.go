// Package amf encodes and decodes AMF0 and AMF3, the Action Message Format
// of Flash: NetConnection commands, NetStream data and the values scripts
// exchange with clients.
//
// # Value model
//
// Decoding produces, and encoding accepts, these Go values:
//
//	AMF                               Go
//	null                              nil
//	undefined, AMF0 unsupported       Undefined{}
//	boolean                           bool
//	AMF0 number, AMF3 double/integer  float64
//	string, AMF0 long string          string
//	date                              time.Time (UTC; see Dates)
//	AMF0/AMF3 XML document            XMLDocument
//	AMF3 XML (E4X)                    XML
//	AMF3 ByteArray                    []byte
//	object, AMF0 typed object,        *Object
//	AMF3 class instance
//	AMF0 ECMA array                   *ECMAArray
//	AMF0 strict array, AMF3 array     *Array (Dense, plus Assoc in AMF3)
//	AMF3 Vector.<int|uint|Number>     *VectorInt, *VectorUint, *VectorDouble
//	AMF3 Vector.<Object>              *VectorObject
//	AMF3 Dictionary                   *Dictionary
//
// The encoder also takes the other Go integer and float types as numbers.
// Containers are pointers, so a value can be shared or cyclic: the decoder
// resolves every reference to the same pointer (an object that contains
// itself decodes as a cycle), and the encoder writes a pointer it meets again
// as a reference, which also ends cycles. Strings, dates and XML values are
// values in Go; the AMF3 encoder still writes repeats of an equal one as
// references.
//
// Mapping to Lua (see the MonaServer conventions) follows directly: an
// Object is a table with its Members (Class becomes __type), an Array is a
// table with Dense at 1..n and Assoc as string keys, []byte is {__raw=...},
// a Dictionary is a table with __size, a time.Time is a date table. The AMF3
// fields of Object (SealedCount, Sealed, Externalizable, External) only need
// to be kept by code that forwards values; the zero values describe a plain
// dynamic object, which is what a Lua table becomes.
//
// # Numbers
//
// All numbers decode to float64. The AMF3 encoder writes an integral value
// of the 29-bit signed range as an integer (U29) and anything else,
// including -0, NaN and the infinities, as a double, so numbers round-trip
// bit for bit.
//
// # Dates
//
// An AMF date is a double of milliseconds since 1970. It decodes to a UTC
// time.Time truncated to the millisecond (ECMAScript TimeClip). NaN and
// values beyond the ECMAScript range of ±8.64e15 ms are an Invalid Date,
// decoded as the zero time.Time; the encoder writes the zero time.Time as NaN.
//
// # AMF0 and AMF3 in one message
//
// A Decoder or Encoder is one message: its reference tables (AMF0 objects;
// AMF3 strings, objects and traits) span all values read or written through
// it, including the AMF3 values that AMF0 switches to with the AVM+ marker
// 0x11. ReadAMF0 follows that marker for one value. WriteAMF0 writes AMF3
// (behind 0x11) for what AMF0 cannot represent without loss: []byte, XML,
// vectors, dictionaries, an Array with an associative part, an Object with
// AMF3 traits (sealed members, a non-dynamic or externalizable class), and
// any container shared with such a value. With Encoder.PreferAMF3 every
// object and array is written that way. The AMF3 encoder writes an
// *ECMAArray as an array with only an associative part, so it decodes as an
// *Array.
//
// # Externalizable classes
//
// An externalizable AMF3 object is decoded by the codec registered for its
// class with RegisterExternalizable; its body is in Object.External.
// flex.messaging.io.ArrayCollection and flex.messaging.io.ObjectProxy are
// registered by default (the body is the wrapped AMF3 value). Any other
// externalizable class is an error wrapping ErrUnknownExternalizable.
//
// # Untrusted input
//
// Decoding works on a byte slice with bounds checks. A declared length or
// count is checked against the remaining input before anything is
// allocated, so the decoded value is at most a constant factor larger than
// the input (references share, they never copy). Nesting is limited by
// Decoder.MaxDepth (ErrTooDeep); references are validated, including that a
// reference names a value of the marker's type (ErrBadReference); truncated
// input fails with ErrTruncated, which wraps io.ErrUnexpectedEOF. Decoding
// never panics.
//
// # Round trip
//
// For any value v the decoder produced, decoding the encoding of v yields a
// value equal to v with the same sharing. Known losses outside that
// guarantee: an AMF0 long string that is short re-encodes as a string;
// non-integral or out-of-range dates are clipped as described above;
// an *ECMAArray inside an AMF3 value becomes an *Array; and when a container
// written as AMF0 by one WriteAMF0 call is later written inside an AMF3 value
// by another call, it is written again (AMF3 cannot refer to AMF0 objects),
// so write all values of a message with one WriteAMF0 call.
package amf
