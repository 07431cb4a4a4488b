package amf

import (
	"fmt"
	"sync"
)

// ExternalizableCodec reads and writes the body of an externalizable AMF3
// class: whatever the class's readExternal/writeExternal put after the
// traits. Read returns the value stored in Object.External; Write gets it
// back. Codecs use Decoder.ReadAMF3 / ReadByte and Encoder.WriteAMF3 /
// WriteByte, which share the message's reference tables and depth limit.
type ExternalizableCodec struct {
	Read  func(d *Decoder) (any, error)
	Write func(e *Encoder, body any) error
}

// Class aliases of the externalizable classes registered by default.
const (
	ClassArrayCollection = "flex.messaging.io.ArrayCollection"
	ClassObjectProxy     = "flex.messaging.io.ObjectProxy"
)

// oneValue is the codec of classes whose body is a single AMF3 value:
// ArrayCollection writes its source array, ObjectProxy the proxied object.
var oneValue = ExternalizableCodec{Read: readOneValue, Write: writeOneValue}

func readOneValue(d *Decoder) (any, error) { return d.ReadAMF3() }

func writeOneValue(e *Encoder, body any) error { return e.WriteAMF3(body) }

var externalizables struct {
	sync.RWMutex
	codecs map[string]ExternalizableCodec
}

// init fills the registry; a composite literal would be an initialisation
// cycle (decoding an object looks the registry up).
func init() {
	externalizables.codecs = map[string]ExternalizableCodec{
		ClassArrayCollection: oneValue,
		ClassObjectProxy:     oneValue,
	}
}

// RegisterExternalizable registers (or replaces) the codec of an
// externalizable class. Both functions must be set.
func RegisterExternalizable(class string, codec ExternalizableCodec) error {
	if codec.Read == nil || codec.Write == nil {
		return fmt.Errorf("amf: externalizable %q: codec without Read or Write: %w", class, ErrInvalidValue)
	}
	externalizables.Lock()
	externalizables.codecs[class] = codec
	externalizables.Unlock()
	return nil
}

func lookupExternalizable(class string) (ExternalizableCodec, bool) {
	externalizables.RLock()
	c, ok := externalizables.codecs[class]
	externalizables.RUnlock()
	return c, ok
}
