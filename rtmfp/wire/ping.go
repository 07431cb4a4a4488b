package wire

// Ping (0x01) carries arbitrary bytes that the receiver echoes in a Ping
// Reply. Flash's keepalive pings are empty.
type Ping struct {
	Body []byte
}

// ParsePing decodes a Ping chunk value.
func ParsePing(b []byte) (Ping, int, error) { return Ping{Body: rest(b)}, len(b), nil }

// ChunkType implements ChunkValue.
func (Ping) ChunkType() ChunkType { return ChunkPing }

// Len implements ChunkValue.
func (p Ping) Len() int { return ChunkHeaderLen + len(p.Body) }

// Append implements ChunkValue.
func (p Ping) Append(b []byte) []byte {
	return append(AppendChunkHeader(b, ChunkPing, len(p.Body)), p.Body...)
}

// PingReply (0x41) echoes the body of a Ping.
type PingReply struct {
	Body []byte
}

// ParsePingReply decodes a Ping Reply chunk value.
func ParsePingReply(b []byte) (PingReply, int, error) { return PingReply{Body: rest(b)}, len(b), nil }

// ChunkType implements ChunkValue.
func (PingReply) ChunkType() ChunkType { return ChunkPingReply }

// Len implements ChunkValue.
func (p PingReply) Len() int { return ChunkHeaderLen + len(p.Body) }

// Append implements ChunkValue.
func (p PingReply) Append(b []byte) []byte {
	return append(AppendChunkHeader(b, ChunkPingReply, len(p.Body)), p.Body...)
}
