package message

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"runtime"
	"testing"

	"nimbus/core/amf"
)

// fixedEncodings are valid encodings of structures with a fixed end: every
// strict prefix must fail to parse.
func fixedEncodings(t testing.TB) map[string]struct {
	b     []byte
	parse func([]byte) (int, error)
} {
	var id [32]byte
	id[0], id[31] = 0xaa, 0x55
	type entry = struct {
		b     []byte
		parse func([]byte) (int, error)
	}
	uc := func(b []byte) (int, error) { _, n, err := ParseUserControl(b); return n, err }
	tc := func(b []byte) (int, error) { _, n, err := ParseTCMetadata(b); return n, err }
	gj := func(b []byte) (int, error) { _, n, err := ParseGroupJoin(b); return n, err }
	gn := func(b []byte) (int, error) { _, n, err := ParseGroupNeighbour(b); return n, err }
	msg := func(b []byte) (int, error) { _, n, err := ParseMessage(b); return n, err }
	return map[string]entry{
		"set keepalive":     {unhex(t, setKeepaliveMessage), uc},
		"stream begin":      {StreamBegin(7).Append(nil), uc},
		"flow sync":         {FlowSync(1, 3).Append(nil), uc},
		"tc metadata":       {TCMetadata{StreamID: DirectStreamBase + 1}.Append(nil), tc},
		"group join id":     {GroupJoin{ID: id}.Append(nil), gj},
		"group join spec":   {GroupJoin{Specifier: []byte("G:0100")}.Append(nil), gj},
		"group neighbour":   {GroupNeighbour{PeerID: id}.Append(nil), gn},
		"message header":    {Message{Type: TypeAudio, Time: 5}.Append(nil), msg},
		"connect command":   {unhex(t, connectMessage), func(b []byte) (int, error) { _, n, err := ParseCommand(b); return n, err }},
		"empty-args result": {mustCommand(t, Command{Name: "_result", TID: 2}), func(b []byte) (int, error) { _, n, err := ParseCommand(b); return n, err }},
	}
}

func mustCommand(t testing.TB, c Command) []byte {
	b, err := c.Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func isCommand(name string) bool { return name == "connect command" || name == "empty-args result" }

// endsAfterTID reports whether an AMF0 command message stops right after
// its transaction ID: a valid command without object (rtmfp-cpp sends
// createStream so).
func endsAfterTID(b []byte) bool {
	if len(b) < 8 {
		return false
	}
	d := amf.NewDecoder(b[5:])
	if _, err := d.ReadAMF0(); err != nil {
		return false
	}
	_, err := d.ReadAMF0()
	return err == nil && d.Remaining() == 0
}

// TestCommandWithoutObject parses createStream as rtmfp-cpp's tcconn sends
// it: name and transaction ID, no command object.
func TestCommandWithoutObject(t *testing.T) {
	b := unhex(t, "1400000000"+"02000c"+"63726561746553747265616d"+"004000000000000000")
	c, n, err := ParseCommand(b)
	if err != nil || n != len(b) || c.Name != "createStream" || c.TID != 2 || c.Object != nil || len(c.Args) != 0 {
		t.Fatalf("ParseCommand = %+v, %d, %v", c, n, err)
	}
}

func TestTruncationFixed(t *testing.T) {
	for name, e := range fixedEncodings(t) {
		if n, err := e.parse(e.b); err != nil || n != len(e.b) {
			t.Fatalf("%s: full encoding: %d, %v", name, n, err)
		}
		for i := 0; i < len(e.b); i++ {
			if _, err := e.parse(e.b[:i:i]); err == nil && !(isCommand(name) && endsAfterTID(e.b[:i])) {
				t.Errorf("%s: prefix of %d/%d bytes parsed", name, i, len(e.b))
			}
		}
	}
}

// A command's arguments run to the end of the flow message, so a prefix cut
// at an argument boundary is a valid command with fewer arguments. Every
// other prefix must fail, and none may panic.
func TestTruncationCommandArguments(t *testing.T) {
	full := unhex(t, setPeerInfoMessage)
	whole, _, err := ParseCommand(full)
	if err != nil {
		t.Fatal(err)
	}
	valid := 0
	for i := 0; i < len(full); i++ {
		c, _, err := ParseCommand(full[:i:i])
		if err != nil {
			continue
		}
		valid++
		if c.Name != whole.Name || len(c.Args) >= len(whole.Args) || (len(c.Args) > 0 && !reflect.DeepEqual(c.Args, whole.Args[:len(c.Args)])) {
			t.Fatalf("prefix %d decoded to %+v", i, c)
		}
	}
	if valid != len(whole.Args)+1 { // after the TID, after the object, after the first address
		t.Fatalf("%d prefixes parsed, want %d", valid, len(whole.Args)+1)
	}
}

func TestRoundTrip(t *testing.T) {
	commands := []Command{
		{Name: "connect", TID: 1, Object: amf.NewObject(amf.Member{Key: "app", Value: "live"}), Args: []any{"a", 2.0, true}},
		{AMF3: true, Time: 9, Name: "publish", Args: []any{"cam", "live"}},
		{Name: "onStatus", Object: nil, Args: []any{Status{Level: "status", Code: "X", Description: "y"}.Object()}},
		{Name: "bytes", TID: 4, Args: []any{[]byte{1, 2, 3}}}, // needs the AVM+ switch
	}
	for _, c := range commands {
		b := mustCommand(t, c)
		back, n, err := ParseCommand(b)
		if err != nil || n != len(b) {
			t.Fatalf("%s: %d, %v", c.Name, n, err)
		}
		if !reflect.DeepEqual(back, c) {
			t.Errorf("%s:\n got %#v\nwant %#v", c.Name, back, c)
		}
	}
	for _, d := range []Data{
		{Handler: "onMetaData", Args: []any{amf.NewECMAArray(amf.Member{Key: "width", Value: 640.0})}},
		{AMF3: true, Time: 3, Handler: "chat", Args: []any{"hello", 1.0}},
		{Handler: "|RtmpSampleAccess", Args: []any{true, true}},
	} {
		b, err := d.Append(nil)
		if err != nil {
			t.Fatal(err)
		}
		back, n, err := ParseData(b)
		if err != nil || n != len(b) || !reflect.DeepEqual(back, d) {
			t.Errorf("%s: %#v, %d, %v", d.Handler, back, n, err)
		}
	}
	for _, u := range []UserControl{
		StreamBegin(1), StreamEOF(2), FlowSync(5, 3), SetKeepalive(1, 2),
		{Event: EventSetBufferLength, A: 1, B: 100},
		{Event: 99, Extra: []byte{1, 2, 3}},
		{Event: EventStreamDry, A: 4, Extra: []byte{9}},
	} {
		b := u.Append(nil)
		back, n, err := ParseUserControl(b)
		if err != nil || n != len(b) || u.Len() != len(b) || !reflect.DeepEqual(back, u) {
			t.Errorf("%v: %#v, %d, %v", u.Event, back, n, err)
		}
	}
}

func TestWrongTypes(t *testing.T) {
	audio := Message{Type: TypeAudio, Payload: []byte{0xaf, 1}}.Append(nil)
	if _, _, err := ParseCommand(audio); !errors.Is(err, ErrType) {
		t.Errorf("command: %v", err)
	}
	if _, _, err := ParseData(audio); !errors.Is(err, ErrType) {
		t.Errorf("data: %v", err)
	}
	if _, _, err := ParseUserControl(audio); !errors.Is(err, ErrType) {
		t.Errorf("user control: %v", err)
	}
	if _, _, err := ParseGroupJoin([]byte{0x0b}); !errors.Is(err, ErrType) {
		t.Errorf("group join: %v", err)
	}
	if _, _, err := ParseGroupNeighbour([]byte{0x01}); !errors.Is(err, ErrType) {
		t.Errorf("group neighbour: %v", err)
	}
	// A command whose name is not a string, or whose tid is not a number.
	if _, _, err := ParseCommand([]byte{0x14, 0, 0, 0, 0, 0x05, 0x05, 0x05}); !errors.Is(err, ErrMalformed) {
		t.Errorf("null name: %v", err)
	}
	bad := append(Message{Type: TypeCommandAMF0}.Append(nil), 0x02, 0, 1, 'x', 0x05, 0x05)
	if _, _, err := ParseCommand(bad); !errors.Is(err, ErrMalformed) {
		t.Errorf("null tid: %v", err)
	}
}

// Declared lengths are attacker controlled: parsing must cost memory in
// proportion to the input, not to what the input claims.
func TestHostileLengthsAllocateLittle(t *testing.T) {
	hostile := [][]byte{
		// group join announcing a 2^63-byte body
		append([]byte{0x01}, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x10),
		// command whose argument is an AMF0 strict array of 2^32-1 values
		{0x14, 0, 0, 0, 0, 0x02, 0, 1, 'x', 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x05, 0x0a, 0xff, 0xff, 0xff, 0xff},
		// command whose argument is an AMF0 long string of 4 GB
		{0x14, 0, 0, 0, 0, 0x02, 0, 1, 'x', 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x05, 0x0c, 0xff, 0xff, 0xff, 0xff},
		// data-ex whose argument is an AMF3 array of 2^28 values
		{0x0f, 0, 0, 0, 0, 0x00, 0x02, 0, 1, 'x', 0x11, 0x09, 0xff, 0xff, 0xff, 0xff, 0x01},
	}
	for i, b := range hostile {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for range 100 {
			ParseGroupJoin(b)
			ParseCommand(b)
			ParseData(b)
		}
		runtime.ReadMemStats(&after)
		if per := (after.TotalAlloc - before.TotalAlloc) / 100; per > 4096 {
			t.Errorf("input %d (%d bytes): %d bytes allocated per parse", i, len(b), per)
		}
	}
}

func TestMediaHelpers(t *testing.T) {
	if !IsKeyframe([]byte{0x17, 1}) || IsKeyframe([]byte{0x27, 1}) || IsKeyframe(nil) {
		t.Error("IsKeyframe")
	}
	if !IsVideoConfig([]byte{0x17, 0}) || IsVideoConfig([]byte{0x17, 1}) || !IsVideoConfig([]byte{0x1c, 0}) {
		t.Error("IsVideoConfig")
	}
	if !IsAudioConfig([]byte{0xaf, 0}) || IsAudioConfig([]byte{0xaf, 1}) {
		t.Error("IsAudioConfig")
	}
	m := Message{Type: TypeVideo, Time: math.MaxUint32, Payload: []byte{0x17, 1, 2}}
	b := m.Append(nil)
	back, n, err := ParseMessage(b)
	if err != nil || n != len(b) || m.Len() != len(b) || back.Type != m.Type || back.Time != m.Time || !bytes.Equal(back.Payload, m.Payload) {
		t.Fatalf("message round trip %+v %d %v", back, n, err)
	}
}
