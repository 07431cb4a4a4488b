package message

import (
	"errors"
	"fmt"
	"io"

	"nimbus/core/amf"
)

// formatAMF0 is the format byte that starts the body of the AMF3 command
// (0x11) and AMF3 data (0x0f) messages: the values that follow are AMF0,
// switching to AMF3 per value with the AVM+ marker.
const formatAMF0 = 0x00

// Command is an AMF command: NetConnection.connect and call, NetStream
// commands, and the server's "_result", "_error", "onStatus" and
// invocations. Layout: name, transaction ID, command object, arguments.
type Command struct {
	// AMF3 selects the "command-ex" message (0x11, format byte 00) instead
	// of the AMF0 command (0x14). The values are AMF0 either way.
	AMF3 bool
	Time uint32
	Name string
	// TID is the transaction ID; 0 means no answer is expected.
	TID float64
	// Object is the command object: the connection properties of
	// "connect", null (nil) for everything else.
	Object any
	Args   []any
}

// ParseCommand decodes a whole command message (header included). It
// consumes all of b.
func ParseCommand(b []byte) (Command, int, error) {
	m, n, err := ParseMessage(b)
	if err != nil {
		return Command{}, 0, fmt.Errorf("flash: command: %w", err)
	}
	c := Command{Time: m.Time}
	body := m.Payload
	switch m.Type {
	case TypeCommandAMF0:
	case TypeCommandAMF3:
		c.AMF3 = true
		if len(body) == 0 {
			return Command{}, 0, fmt.Errorf("flash: command: format byte: %w", ErrTruncated)
		}
		body = body[1:]
	default:
		return Command{}, 0, fmt.Errorf("flash: command: %v: %w", m.Type, ErrType)
	}
	d := amf.NewDecoder(body)
	name, err := d.ReadAMF0()
	if err != nil {
		return Command{}, 0, fmt.Errorf("flash: command: name: %w", eofIsTruncated(err))
	}
	var ok bool
	if c.Name, ok = name.(string); !ok {
		return Command{}, 0, fmt.Errorf("flash: command: name is a %T: %w", name, ErrMalformed)
	}
	tid, err := d.ReadAMF0()
	if err != nil {
		return Command{}, 0, fmt.Errorf("flash: command %q: transaction id: %w", clip(c.Name), eofIsTruncated(err))
	}
	if c.TID, ok = tid.(float64); !ok {
		return Command{}, 0, fmt.Errorf("flash: command %q: transaction id is a %T: %w", clip(c.Name), tid, ErrMalformed)
	}
	// rtmfp-cpp omits the command object (usually null) of a command without
	// arguments: "createStream" ends right after its transaction ID.
	if d.Remaining() == 0 {
		return c, n, nil
	}
	if c.Object, err = d.ReadAMF0(); err != nil {
		return Command{}, 0, fmt.Errorf("flash: command %q: object: %w", clip(c.Name), eofIsTruncated(err))
	}
	if c.Args, err = readValues(d); err != nil {
		return Command{}, 0, fmt.Errorf("flash: command %q: argument %d: %w", clip(c.Name), len(c.Args), err)
	}
	return c, n, nil
}

// Append appends the encoding of c.
func (c Command) Append(b []byte) ([]byte, error) {
	t := TypeCommandAMF0
	if c.AMF3 {
		t = TypeCommandAMF3
	}
	start := len(b)
	b = appendHeader(b, t, c.Time)
	if c.AMF3 {
		b = append(b, formatAMF0)
	}
	e := amf.NewEncoder(b)
	if err := e.WriteAMF0(c.Name, c.TID, c.Object); err != nil {
		return b[:start], fmt.Errorf("flash: command %q: %w", clip(c.Name), err)
	}
	if err := e.WriteAMF0(c.Args...); err != nil {
		return b[:start], fmt.Errorf("flash: command %q: arguments: %w", clip(c.Name), err)
	}
	return e.Bytes(), nil
}

// readValues reads AMF0 values to the end of the input. The slice grows
// with the values actually decoded, each at least one input byte.
func readValues(d *amf.Decoder) ([]any, error) {
	var values []any
	for d.Remaining() > 0 {
		v, err := d.ReadAMF0()
		if err != nil {
			return values, err
		}
		values = append(values, v)
	}
	return values, nil
}

// eofIsTruncated turns the decoder's end-of-input report for a value that
// must be present into ErrTruncated.
func eofIsTruncated(err error) error {
	if errors.Is(err, io.EOF) {
		return ErrTruncated
	}
	return err
}

// clip shortens attacker-controlled text quoted in errors and logs.
func clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
