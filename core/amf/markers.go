package amf

// AMF0 type markers.
const (
	amf0Number      = 0x00
	amf0Boolean     = 0x01
	amf0String      = 0x02
	amf0Object      = 0x03
	amf0MovieClip   = 0x04 // reserved, not supported
	amf0Null        = 0x05
	amf0Undefined   = 0x06
	amf0Reference   = 0x07
	amf0ECMAArray   = 0x08
	amf0ObjectEnd   = 0x09
	amf0StrictArray = 0x0a
	amf0Date        = 0x0b
	amf0LongString  = 0x0c
	amf0Unsupported = 0x0d
	amf0RecordSet   = 0x0e // reserved, not supported
	amf0XMLDocument = 0x0f
	amf0TypedObject = 0x10
	amf0AVMPlus     = 0x11 // the next value is AMF3
)

// AMF3 type markers.
const (
	amf3Undefined    = 0x00
	amf3Null         = 0x01
	amf3False        = 0x02
	amf3True         = 0x03
	amf3Integer      = 0x04
	amf3Double       = 0x05
	amf3String       = 0x06
	amf3XMLDocument  = 0x07
	amf3Date         = 0x08
	amf3Array        = 0x09
	amf3Object       = 0x0a
	amf3XML          = 0x0b
	amf3ByteArray    = 0x0c
	amf3VectorInt    = 0x0d
	amf3VectorUint   = 0x0e
	amf3VectorDouble = 0x0f
	amf3VectorObject = 0x10
	amf3Dictionary   = 0x11
)

// Limits of the AMF3 variable-length integer (U29).
const (
	u29Max    = 1<<29 - 1
	int29Max  = 1<<28 - 1
	int29Min  = -1 << 28
	u29Length = 1<<28 - 1 // largest length or index after the flag bit
)

// DefaultMaxDepth is the container nesting limit used when a Decoder's or
// Encoder's MaxDepth is zero.
const DefaultMaxDepth = 64
