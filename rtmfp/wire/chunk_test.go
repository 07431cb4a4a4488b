package wire

import (
	"bytes"
	"errors"
	"testing"
)

func TestChunkReaderStops(t *testing.T) {
	for _, tc := range []struct {
		name  string
		hex   string
		types []ChunkType
		trunc bool
	}{
		{"padding", "4c 0000 | ff ff ff ff ff ff", []ChunkType{ChunkSessionCloseAck}, false},
		{"zero type", "01 0000 | 00 0001 aa | 41 0000", []ChunkType{ChunkPing}, false},
		{"two bytes left", "41 0001 ab | 10 00", []ChunkType{ChunkPingReply}, false},
		{"overrun", "01 0000 | 10 0010 aabb", []ChunkType{ChunkPing}, true},
		{"unknown kept", "99 0002 abcd | ec 0001 03 | 4d 0001 01 | 7f 0000 | 0c 0000", []ChunkType{0x99, ChunkECNReport, ChunkCloseReason, ChunkFragment, ChunkSessionClose}, false},
		{"empty", "", nil, false},
	} {
		r := NewChunkReader(unhex(t, tc.hex))
		var got []ChunkType
		for {
			c, ok := r.Next()
			if !ok {
				break
			}
			got = append(got, c.Type)
		}
		if len(got) != len(tc.types) {
			t.Fatalf("%s: got %v want %v", tc.name, got, tc.types)
		}
		for i := range got {
			if got[i] != tc.types[i] {
				t.Fatalf("%s: got %v want %v", tc.name, got, tc.types)
			}
		}
		if (r.Err() != nil) != tc.trunc || (tc.trunc && !errors.Is(r.Err(), ErrTruncated)) {
			t.Fatalf("%s: Err() = %v", tc.name, r.Err())
		}
		if _, ok := r.Next(); ok {
			t.Fatalf("%s: Next after end", tc.name)
		}
	}
}

func TestChunkAppend(t *testing.T) {
	c := Chunk{Type: ChunkPing, Value: []byte{1, 2, 3}}
	if got := c.Append(nil); !bytes.Equal(got, unhex(t, "01 0003 010203")) || c.Len() != 6 {
		t.Fatalf("%x", got)
	}
	n := 0
	for ch := range Chunks(unhex(t, "01 0003 010203 41 0000 ff")) {
		n++
		if cap(ch.Value) != len(ch.Value) {
			t.Fatalf("chunk value capacity leaks the packet")
		}
	}
	if n != 2 {
		t.Fatalf("Chunks yielded %d", n)
	}
	if ChunkUserData.String() != "UserData" || ChunkType(0x99).String() != "Chunk(0x99)" {
		t.Fatalf("names")
	}
}
