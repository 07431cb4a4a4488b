package message

import (
	"fmt"

	"nimbus/core/amf"
)

// Data is a data message (NetStream.send, @setDataFrame, onMetaData,
// |RtmpSampleAccess): a handler name followed by arguments, without
// transaction ID or command object.
type Data struct {
	// AMF3 selects the "data-ex" message (0x0f, format byte 00) instead of
	// the AMF0 data message (0x12).
	AMF3    bool
	Time    uint32
	Handler string
	Args    []any
}

// ParseData decodes a whole data message (header included). It consumes
// all of b. A body that does not start with a string has the handler "".
func ParseData(b []byte) (Data, int, error) {
	m, n, err := ParseMessage(b)
	if err != nil {
		return Data{}, 0, fmt.Errorf("flash: data: %w", err)
	}
	body, amf3, err := DataBody(m)
	if err != nil {
		return Data{}, 0, err
	}
	values, err := readValues(amf.NewDecoder(body))
	if err != nil {
		return Data{}, 0, fmt.Errorf("flash: data: value %d: %w", len(values), err)
	}
	d := Data{AMF3: amf3, Time: m.Time}
	if len(values) > 0 {
		if h, ok := values[0].(string); ok {
			d.Handler, values = h, values[1:]
		}
	}
	d.Args = values
	return d, n, nil
}

// DataBody returns the AMF0 values of a data message without its format
// byte, and whether the message was the AMF3 form.
func DataBody(m Message) (body []byte, amf3 bool, err error) {
	switch m.Type {
	case TypeDataAMF0:
		return m.Payload, false, nil
	case TypeDataAMF3:
		if len(m.Payload) == 0 {
			return nil, true, fmt.Errorf("flash: data: format byte: %w", ErrTruncated)
		}
		return m.Payload[1:], true, nil
	}
	return nil, false, fmt.Errorf("flash: data: %v: %w", m.Type, ErrType)
}

// Append appends the encoding of d.
func (d Data) Append(b []byte) ([]byte, error) {
	t := TypeDataAMF0
	if d.AMF3 {
		t = TypeDataAMF3
	}
	start := len(b)
	b = appendHeader(b, t, d.Time)
	if d.AMF3 {
		b = append(b, formatAMF0)
	}
	e := amf.NewEncoder(b)
	if err := e.WriteAMF0(d.Handler); err != nil {
		return b[:start], fmt.Errorf("flash: data %q: %w", clip(d.Handler), err)
	}
	if err := e.WriteAMF0(d.Args...); err != nil {
		return b[:start], fmt.Errorf("flash: data %q: arguments: %w", clip(d.Handler), err)
	}
	return e.Bytes(), nil
}
