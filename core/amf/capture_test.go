package amf

import (
	"bytes"
	"testing"
)

// Flash Player 11.7 connect command (rtmfp-protocol.md Appendix A.1, packet
// #5): the AMF0 body after message type 0x14 and the 4-byte timestamp.
const connectWire = `020007 "connect" 00 3ff0000000000000 03
	0003 "app" 020000
	0008 "flashVer" 020010 "WIN 11,7,700,202"
	0006 "swfUrl" 06
	0005 "tcUrl" 020018 "rtmfp://192.168.137.183/"
	0004 "fpad" 0100
	000c "capabilities" 00 406d600000000000
	000b "audioCodecs" 00 40abee0000000000
	000b "videoCodecs" 00 406f800000000000
	000d "videoFunction" 00 3ff0000000000000
	0007 "pageUrl" 06
	000e "objectEncoding" 00 4008000000000000
	000009`

// The same bytes as the capture prints them, in hex only, to check the
// transcription above.
const connectHex = `020007636f6e6e656374003ff000000000000003
	0003617070020000 0008666c617368566572020010 57494e2031312c372c3730302c323032 000673776655726c06
	0005746355726c020018 72746d66703a2f2f3139322e3136382e3133372e3138332f 000466706164 0100
	000c6361706162696c6974696573 00406d600000000000 000b617564696f436f64656373 0040abee0000000000
	000b766964656f436f64656373 00406f800000000000 000d766964656f46756e6374696f6e 003ff0000000000000
	00077061676555726c06 000e6f626a656374456e636f64696e67 004008000000000000 000009`

func connectObject() *Object {
	return NewObject(
		Member{"app", ""},
		Member{"flashVer", "WIN 11,7,700,202"},
		Member{"swfUrl", Undefined{}},
		Member{"tcUrl", "rtmfp://192.168.137.183/"},
		Member{"fpad", false},
		Member{"capabilities", 235.0},
		Member{"audioCodecs", 3575.0},
		Member{"videoCodecs", 252.0},
		Member{"videoFunction", 1.0},
		Member{"pageUrl", Undefined{}},
		Member{"objectEncoding", 3.0},
	)
}

// Server reply to connect (packet #6): "_result", 1, null, status object.
// The capture only summarises it; these 146 bytes are the summary encoded
// in that member order, and match the user-data chunk length (0xa5 minus
// 14 bytes of flow header and 5 of message header).
const resultWire = `020007 "_result" 00 3ff0000000000000 05 03
	000e "objectEncoding" 00 4008000000000000
	0004 "code" 02001d "NetConnection.Connect.Success"
	0004 "data" 05
	000b "description" 020014 "Connection succeeded"
	0005 "level" 020006 "status"
	000009`

// setPeerInfo (packet #8, message type 0x11): the body after the 0x00 format
// byte.
const setPeerInfoWire = `02000b 73657450656572496e666f 00 0000000000000000 05
	020013 3139322e3136382e3133372e313a3535363535
	020014 3139322e3136382e3230322e39393a3535363535`

func TestCaptureConnect(t *testing.T) {
	wire := hx(t, connectWire)
	if !bytes.Equal(wire, hx(t, connectHex)) {
		t.Fatal("connect transcription differs from the capture hex")
	}
	if len(wire) != 237 {
		t.Fatalf("connect body is %d bytes; the capture's chunk holds 237", len(wire))
	}
	values, err := DecodeAll0(wire)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{"connect", 1.0, connectObject()}
	if d := explainDiff(&Array{Dense: values}, &Array{Dense: want}); d != "" {
		t.Fatal(d)
	}
	cmd := values[2].(*Object)
	if v, _ := cmd.Get("objectEncoding"); v != 3.0 {
		t.Fatalf("objectEncoding = %v", v)
	}
	// Re-encoding the decoded values and the hand-built ones reproduces
	// the captured bytes.
	for _, vs := range [][]any{values, want} {
		b, err := AppendAMF0(nil, vs...)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, wire) {
			t.Fatalf("re-encoded connect differs:\n got %x\nwant %x", b, wire)
		}
	}
	checkTruncations(t, wire, false, 3)
}

func TestCaptureResult(t *testing.T) {
	wire := hx(t, resultWire)
	if len(wire) != 0xa5-14-5 {
		t.Fatalf("_result body is %d bytes", len(wire))
	}
	values, err := DecodeAll0(wire)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{"_result", 1.0, nil, NewObject(
		Member{"objectEncoding", 3.0},
		Member{"code", "NetConnection.Connect.Success"},
		Member{"data", nil},
		Member{"description", "Connection succeeded"},
		Member{"level", "status"},
	)}
	if d := explainDiff(&Array{Dense: values}, &Array{Dense: want}); d != "" {
		t.Fatal(d)
	}
	b, err := AppendAMF0(nil, want...)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, wire) {
		t.Fatalf("encoded _result differs:\n got %x\nwant %x", b, wire)
	}
	checkTruncations(t, wire, false, 4)
}

func TestCaptureSetPeerInfo(t *testing.T) {
	// The message as captured: type 0x11, timestamp 0x82, format byte 0.
	msg := append(hx(t, "11 00000082 00"), hx(t, setPeerInfoWire)...)
	if len(msg) != 0x4f-4 {
		t.Fatalf("setPeerInfo message is %d bytes", len(msg))
	}
	values, err := DecodeAll0(msg[6:])
	if err != nil {
		t.Fatal(err)
	}
	want := []any{"setPeerInfo", 0.0, nil, "192.168.137.1:55655", "192.168.202.99:55655"}
	if d := explainDiff(&Array{Dense: values}, &Array{Dense: want}); d != "" {
		t.Fatal(d)
	}
	b, err := AppendAMF0(nil, values...)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, msg[6:]) {
		t.Fatalf("re-encoded setPeerInfo differs:\n got %x\nwant %x", b, msg[6:])
	}
	checkTruncations(t, msg[6:], false, len(want))
}
