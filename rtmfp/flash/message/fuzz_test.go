package message

import (
	"testing"
)

// Each fuzz target checks that a parser never panics and that whatever it
// accepts encodes back to something it accepts again with the same meaning.

func seedMessages(f *testing.F) {
	f.Add(unhex(f, connectMessage))
	f.Add(unhex(f, resultMessage))
	f.Add(unhex(f, setPeerInfoMessage))
	f.Add(unhex(f, setKeepaliveMessage))
	f.Add([]byte{0x12, 0, 0, 0, 0, 0x02, 0, 4, 'c', 'h', 'a', 't', 0x02, 0, 2, 'h', 'i'})
	f.Add([]byte{0x0f, 0, 0, 0, 1, 0x00, 0x02, 0, 1, 'x', 0x11, 0x0c, 0x05, 1, 2})
	f.Add([]byte{0x14, 0, 0, 0, 0, 0x02, 0, 1, 'x', 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x05, 0x0a, 0xff, 0xff, 0xff, 0xff})
}

func FuzzMessage(f *testing.F) {
	seedMessages(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, n, err := ParseMessage(b)
		if err != nil {
			return
		}
		if n != len(b) || m.Len() != len(b) || string(m.Append(nil)) != string(b) {
			t.Fatalf("round trip of %x", b)
		}
	})
}

func FuzzCommand(f *testing.F) {
	seedMessages(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		c, _, err := ParseCommand(b)
		if err != nil {
			return
		}
		out, err := c.Append(nil)
		if err != nil {
			// Decoded values the encoder refuses (e.g. inconsistent AMF3
			// traits) are acceptable; a panic is not.
			return
		}
		back, _, err := ParseCommand(out)
		if err != nil {
			t.Fatalf("re-encoded command does not parse: %v\nin  %x\nout %x", err, b, out)
		}
		if back.Name != c.Name || back.AMF3 != c.AMF3 || back.Time != c.Time || len(back.Args) != len(c.Args) {
			t.Fatalf("round trip changed the command: %+v vs %+v", back, c)
		}
	})
}

func FuzzData(f *testing.F) {
	seedMessages(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		d, _, err := ParseData(b)
		if err != nil {
			return
		}
		out, err := d.Append(nil)
		if err != nil {
			return
		}
		back, _, err := ParseData(out)
		if err != nil {
			t.Fatalf("re-encoded data does not parse: %v", err)
		}
		if back.Handler != d.Handler && d.Handler != "" {
			t.Fatalf("handler %q became %q", d.Handler, back.Handler)
		}
	})
}

func FuzzUserControl(f *testing.F) {
	f.Add(unhex(f, setKeepaliveMessage))
	f.Add(StreamBegin(1).Append(nil))
	f.Add(FlowSync(1, 3).Append(nil))
	f.Add([]byte{4, 0, 0, 0, 0, 0, 99, 1, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		u, n, err := ParseUserControl(b)
		if err != nil {
			return
		}
		out := u.Append(nil)
		if n != len(b) || u.Len() != len(out) || string(out) != string(b) {
			t.Fatalf("round trip of %x gave %x", b, out)
		}
	})
}

func FuzzTCMetadata(f *testing.F) {
	f.Add([]byte("TC\x04\x00"))
	f.Add([]byte("TC\x05\xfa\x89\x01"))
	f.Add([]byte("TC\x04\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, n, err := ParseTCMetadata(b)
		if err != nil {
			return
		}
		back, n2, err := ParseTCMetadata(m.Append(nil))
		if err != nil || back != m || n2 != m.Len() || n > len(b) {
			t.Fatalf("round trip of %x: %+v %+v %v", b, m, back, err)
		}
	})
}

func FuzzGroupJoin(f *testing.F) {
	var id [32]byte
	f.Add(GroupJoin{ID: id}.Append(nil))
	f.Add(GroupJoin{Specifier: []byte("G:0100")}.Append(nil))
	f.Add([]byte{0x01, 0xff, 0xff, 0x7f, 0x10})
	f.Fuzz(func(t *testing.T, b []byte) {
		j, _, err := ParseGroupJoin(b)
		if err != nil {
			return
		}
		out := j.Append(nil)
		back, n, err := ParseGroupJoin(out)
		if err != nil || n != len(out) || back.ID != j.ID || string(back.Specifier) != string(j.Specifier) {
			t.Fatalf("round trip of %x: %v", b, err)
		}
	})
}

func FuzzGroupNeighbour(f *testing.F) {
	var id [32]byte
	f.Add(GroupNeighbour{PeerID: id}.Append(nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		g, n, err := ParseGroupNeighbour(b)
		if err != nil {
			return
		}
		if string(g.Append(nil)) != string(b[:n]) {
			t.Fatalf("round trip of %x", b)
		}
	})
}

func FuzzGroupIDFromSpecifier(f *testing.F) {
	f.Add("G:027f0201010103010c050e74657374011b00")
	f.Add("G:0100")
	f.Add("G:ff")
	f.Fuzz(func(t *testing.T, s string) {
		GroupIDFromSpecifier(s)
	})
}

func FuzzParsePeerAddresses(f *testing.F) {
	f.Add("192.168.1.1:1935", "[::1]:80")
	f.Add("x", "1.1.1.1:0")
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, ap := range ParsePeerAddresses([]any{a, b, 1.0}, 8) {
			if !ap.IsValid() {
				t.Fatalf("invalid address from %q %q", a, b)
			}
		}
	})
}
