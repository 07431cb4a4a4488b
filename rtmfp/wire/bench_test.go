package wire

import "testing"

// BenchmarkParseSessionPacket parses a typical session packet (capture #6:
// header, an ack and a user-data chunk carrying the connect _result) the
// way the session layer will: header, chunk reader, typed parse.
func BenchmarkParseSessionPacket(b *testing.B) {
	body := mustUnhex(cap6Body)
	ranges := make([]SeqRange, 0, 16)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		_, n, err := ParseHeader(body)
		if err != nil {
			b.Fatal(err)
		}
		r := NewChunkReader(body[n:])
		for {
			c, ok := r.Next()
			if !ok {
				break
			}
			switch c.Type {
			case ChunkUserData:
				u, _, err := ParseUserData(c.Value)
				if err != nil {
					b.Fatal(err)
				}
				if _, ok := u.Metadata(); !ok {
					b.Fatal("metadata")
				}
				u.ReturnAssociation()
			case ChunkAckRanges:
				a, _, err := ParseAckRanges(c.Value, ranges)
				if err != nil {
					b.Fatal(err)
				}
				ranges = a.Received[:0]
			}
		}
	}
}

// BenchmarkAppendUserData builds a data packet: header, ack, user data.
func BenchmarkAppendUserData(b *testing.B) {
	data := make([]byte, 1100)
	opts := AppendReturnAssociationOption(AppendMetadataOption(nil, []byte("TC\x04\x01")), 2)
	ack := Ack{FlowID: 2, BufferBlocks: 16383, CumAck: 1000, Received: []SeqRange{{1002, 1005}, {1010, 1010}}}
	buf := make([]byte, 0, MaxPacketSize)
	b.ReportAllocs()
	for b.Loop() {
		p := NewHeader(ModeResponder, 100, 200, true).Append(buf[:0])
		p = ack.Append(p)
		p = UserData{Flags: UserDataHasOptions, FlowID: 3, Seq: 77, FSNOffset: 5, Options: opts, Data: data}.Append(p)
		if len(p) > MaxPacketSize {
			b.Fatal("too big")
		}
	}
}
