package message

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"nimbus/rtmfp/wire"
)

// NetGroup messages on GC flows carry no timestamp: a one-byte type, then
// the body.
const (
	groupJoinType      = 0x01 // client → server: join
	groupNeighbourType = 0x0b // server → client: a peer to connect to
)

// Forms of the group identity in a join message.
const (
	groupJoinID        = 0x15 // the 32-byte group ID (current Flash, librtmfp)
	groupJoinSpecifier = 0x10 // the group specifier; the ID is its SHA-256 (old Flash)
)

// GroupIDLen is the length of a NetGroup ID and of a peer ID.
const GroupIDLen = 32

// GroupJoin is the message a client sends on its GC flow to join a group:
// 01 ‖ VLU(n+1) ‖ form ‖ n bytes, where form 0x15 carries the 32-byte group
// ID and form 0x10 the specifier whose SHA-256 is the ID.
type GroupJoin struct {
	ID [GroupIDLen]byte
	// Specifier is set for the 0x10 form (it aliases the parsed input) and
	// selects that form in Append; nil means the 0x15 form.
	Specifier []byte
}

// ParseGroupJoin decodes a join message. Bytes after the declared body are
// ignored (consumed).
func ParseGroupJoin(b []byte) (GroupJoin, int, error) {
	if len(b) < 1 {
		return GroupJoin{}, 0, fmt.Errorf("flash: group join: %w", ErrTruncated)
	}
	if b[0] != groupJoinType {
		return GroupJoin{}, 0, fmt.Errorf("flash: group join: type 0x%02x: %w", b[0], ErrType)
	}
	l, n, err := wire.ReadVLU(b[1:])
	if err != nil {
		return GroupJoin{}, 0, fmt.Errorf("flash: group join: length: %w", vluError(err))
	}
	body := b[1+n:]
	if l > uint64(len(body)) {
		return GroupJoin{}, 0, fmt.Errorf("flash: group join: body of %d bytes: %w", l, ErrTruncated)
	}
	if l == 0 {
		return GroupJoin{}, 0, fmt.Errorf("flash: group join: empty body: %w", ErrMalformed)
	}
	body = body[:l:l]
	var j GroupJoin
	switch body[0] {
	case groupJoinID:
		if len(body) != 1+GroupIDLen {
			return GroupJoin{}, 0, fmt.Errorf("flash: group join: group id of %d bytes: %w", len(body)-1, ErrMalformed)
		}
		copy(j.ID[:], body[1:])
	case groupJoinSpecifier:
		j.Specifier = body[1:]
		j.ID = sha256.Sum256(j.Specifier)
	default:
		return GroupJoin{}, 0, fmt.Errorf("flash: group join: form 0x%02x: %w", body[0], ErrMalformed)
	}
	return j, len(b), nil
}

func (j GroupJoin) bodyLen() int {
	if j.Specifier != nil {
		return 1 + len(j.Specifier)
	}
	return 1 + GroupIDLen
}

// Len is the encoded length of j.
func (j GroupJoin) Len() int {
	l := j.bodyLen()
	return 1 + wire.VLULen(uint64(l)) + l
}

// Append appends the encoding of j.
func (j GroupJoin) Append(b []byte) []byte {
	b = append(b, groupJoinType)
	b = wire.AppendVLU(b, uint64(j.bodyLen()))
	if j.Specifier != nil {
		b = append(b, groupJoinSpecifier)
		return append(b, j.Specifier...)
	}
	b = append(b, groupJoinID)
	return append(b, j.ID[:]...)
}

// GroupNeighbour is what the server writes on a member's GC return flow to
// make it connect to a peer: 0b ‖ 32-byte peer ID.
type GroupNeighbour struct {
	PeerID [GroupIDLen]byte
}

// ParseGroupNeighbour decodes a neighbour message; it consumes 33 bytes.
func ParseGroupNeighbour(b []byte) (GroupNeighbour, int, error) {
	if len(b) < 1 {
		return GroupNeighbour{}, 0, fmt.Errorf("flash: group neighbour: %w", ErrTruncated)
	}
	if b[0] != groupNeighbourType {
		return GroupNeighbour{}, 0, fmt.Errorf("flash: group neighbour: type 0x%02x: %w", b[0], ErrType)
	}
	if len(b) < 1+GroupIDLen {
		return GroupNeighbour{}, 0, fmt.Errorf("flash: group neighbour: peer id: %w", ErrTruncated)
	}
	var g GroupNeighbour
	copy(g.PeerID[:], b[1:])
	return g, 1 + GroupIDLen, nil
}

// Len is the encoded length of g.
func (g GroupNeighbour) Len() int { return 1 + GroupIDLen }

// Append appends the encoding of g.
func (g GroupNeighbour) Append(b []byte) []byte {
	b = append(b, groupNeighbourType)
	return append(b, g.PeerID[:]...)
}

// GroupIDFromSpecifier computes the group ID a client sends for an AS3
// GroupSpecifier text ("G:" followed by hex option bytes), as librtmfp does:
// SHA-256 of the text up to the end of the first option list (the "00"
// terminator excluded), hashed a second time when the specifier declares
// version 2 (option 7f = 02). Flash's own rule was not verified against a
// capture.
func GroupIDFromSpecifier(spec string) ([GroupIDLen]byte, error) {
	var id [GroupIDLen]byte
	rest, ok := strings.CutPrefix(spec, "G:")
	if !ok {
		return id, fmt.Errorf("flash: group specifier: no \"G:\" prefix: %w", ErrMalformed)
	}
	raw, err := hex.DecodeString(rest[:len(rest)&^1])
	if err != nil {
		return id, fmt.Errorf("flash: group specifier: %w", err)
	}
	end, version2 := -1, false
	for i := 0; i < len(raw); {
		l := int(raw[i])
		if l == 0 {
			end = i
			break
		}
		if i+1+l > len(raw) {
			return id, fmt.Errorf("flash: group specifier: option at byte %d: %w", i, ErrTruncated)
		}
		if l == 2 && raw[i+1] == 0x7f && raw[i+2] == 0x02 {
			version2 = true
		}
		i += 1 + l
	}
	if end < 0 {
		return id, fmt.Errorf("flash: group specifier: option list without terminator: %w", ErrMalformed)
	}
	id = sha256.Sum256([]byte(spec[:2+2*end]))
	if version2 {
		id = sha256.Sum256(id[:])
	}
	return id, nil
}
