package crypto

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"

	"nimbus/rtmfp/wire"
)

// SessionKeys is everything derived from a Diffie-Hellman shared secret and
// the two session key components (reference §4.4, rtmfp-cpp
// computeKeysAndNonces). "Near" is this end, "far" the other.
type SessionKeys struct {
	// EncryptKey = first16(H(S, H(SKFC, SKNC))); the responder's is the
	// server→client key.
	EncryptKey [KeySize]byte
	// DecryptKey = first16(H(S, H(SKNC, SKFC))).
	DecryptKey [KeySize]byte
	// SendHMACKey = H(S, H(S, H(SKFC, SKNC))): the key of the HMAC this end
	// appends, derived from the full 32-byte encrypt hash.
	SendHMACKey [sha256.Size]byte
	// RecvHMACKey = H(S, H(S, H(SKNC, SKFC))).
	RecvHMACKey [sha256.Size]byte
	// NearNonce = H(S, SKNC) and FarNonce = H(S, SKFC): what AS3 exposes as
	// NetConnection.nearNonce / farNonce.
	NearNonce [sha256.Size]byte
	FarNonce  [sha256.Size]byte
}

// hmacSHA256 appends H(key, msgs...) to dst.
func hmacSHA256(dst, key []byte, msgs ...[]byte) []byte {
	h := hmac.New(sha256.New, key)
	for _, m := range msgs {
		h.Write(m)
	}
	return h.Sum(dst)
}

// DeriveSessionKeys derives the session keys and nonces. secret is the
// shared secret in its minimal big-endian form; near and far are the
// session key component field values (without their length prefix): for
// the responder near = SKRC, far = SKIC.
func DeriveSessionKeys(secret, near, far []byte) SessionKeys {
	var k SessionKeys
	var md, full [sha256.Size]byte
	// Six of the eight HMACs are keyed with the secret: one HMAC reset
	// between them hashes the (up to 256-byte) key and its pads once.
	s := hmac.New(sha256.New, secret)
	keyed := func(dst []byte, msg []byte) {
		s.Reset()
		s.Write(msg)
		s.Sum(dst)
	}
	keyed(k.NearNonce[:0], near)
	keyed(k.FarNonce[:0], far)

	hmacSHA256(md[:0], far, near)
	keyed(full[:0], md[:])
	copy(k.EncryptKey[:], full[:])
	keyed(k.SendHMACKey[:0], full[:])

	hmacSHA256(md[:0], near, far)
	keyed(full[:0], md[:])
	copy(k.DecryptKey[:], full[:])
	keyed(k.RecvHMACKey[:0], full[:])
	return k
}

// HMAC length limits (RFC 7425 §4.6.4).
const (
	MinHMACLen     = 4
	MaxHMACLen     = sha256.Size
	DefaultHMACLen = 16
)

// Mode is the packet protection negotiated for a session.
type Mode struct {
	// SendHMACLen is the length of the truncated HMAC-SHA256 appended to
	// sent packets, which then carry no checksum; 0 means checksum mode.
	SendHMACLen int
	// RecvHMACLen is the HMAC length the far end appends; 0: checksum.
	RecvHMACLen int
	// SendSSeq prefixes sent plaintexts with VLU(session sequence number).
	SendSSeq bool
	// RecvSSeq expects the prefix and rejects replays.
	RecvSSeq bool
}

func (m Mode) validate() error {
	for _, l := range []int{m.SendHMACLen, m.RecvHMACLen} {
		if l != 0 && (l < MinHMACLen || l > MaxHMACLen) {
			return fmt.Errorf("rtmfp/crypto: HMAC length %d: %w", l, ErrNegotiation)
		}
	}
	return nil
}

// Policy says how this end wants to use one negotiable feature (HMAC or
// session sequence numbers).
type Policy struct {
	SendAlways    bool // flag 0x04: we will always send it
	SendOnRequest bool // flag 0x02: we will send it if asked
	Require       bool // flag 0x01: we require the far end to send it
}

// Flags returns the negotiation flags byte advertising p.
func (p Policy) Flags() uint8 {
	var f uint8
	if p.SendAlways {
		f |= wire.NegotiateSendAlways
	}
	if p.SendOnRequest {
		f |= wire.NegotiateSendOnRequest
	}
	if p.Require {
		f |= wire.NegotiateRequest
	}
	return f
}

// Negotiate combines our policy with the far end's flags, as rtmfp-cpp
// does: we send if we always do or the far end requests it, and we expect
// to receive if we require it or the far end always sends. It fails if we
// require something the far end will not send, or the far end requires
// something we will not send.
func Negotiate(local Policy, farFlags uint8) (send, recv bool, err error) {
	farWillSend := farFlags&(wire.NegotiateSendAlways|wire.NegotiateSendOnRequest) != 0
	if local.Require && !farWillSend {
		return false, false, ErrNegotiation
	}
	farRequests := farFlags&wire.NegotiateRequest != 0
	if farRequests && !local.SendAlways && !local.SendOnRequest {
		return false, false, ErrNegotiation
	}
	send = local.SendAlways || farRequests
	recv = local.Require || farFlags&wire.NegotiateSendAlways != 0
	return send, recv, nil
}

// KeyingPolicy is this end's policy for both negotiable features.
type KeyingPolicy struct {
	HMAC Policy
	// HMACLen is the length we append when we send HMACs (4..32; 0 means
	// DefaultHMACLen).
	HMACLen int
	SSeq    Policy
}

// NegotiateMode derives the session Mode from our policy and the far end's
// key component. The zero KeyingPolicy (what Adobe's server advertises with
// 03 1a 00 00 and 02 1e 00) yields checksum mode with Flash, which only
// offers to send on request.
func NegotiateMode(p KeyingPolicy, far wire.KeyComponent) (Mode, error) {
	var m Mode
	send, recv, err := Negotiate(p.SSeq, far.SSeq.Flags)
	if err != nil {
		return Mode{}, fmt.Errorf("rtmfp/crypto: sequence numbers: %w", err)
	}
	m.SendSSeq, m.RecvSSeq = send, recv
	send, recv, err = Negotiate(p.HMAC, far.HMAC.Flags)
	if err != nil {
		return Mode{}, fmt.Errorf("rtmfp/crypto: hmac: %w", err)
	}
	if send {
		m.SendHMACLen = p.HMACLen
		if m.SendHMACLen == 0 {
			m.SendHMACLen = DefaultHMACLen
		}
	}
	if recv {
		if far.HMAC.HMACLength < MinHMACLen || far.HMAC.HMACLength > MaxHMACLen {
			return Mode{}, fmt.Errorf("rtmfp/crypto: far HMAC length %d: %w", far.HMAC.HMACLength, ErrNegotiation)
		}
		m.RecvHMACLen = int(far.HMAC.HMACLength)
	}
	return m, m.validate()
}

// MaxSSeqGap is how far behind the highest received session sequence
// number a packet may be and still be accepted (rtmfp-cpp MAX_SSEQ_GAP).
const MaxSSeqGap = 32

// SessionCipher protects the packets of one open session: its own key per
// direction, checksum or HMAC, optional session sequence numbers with
// replay rejection. Not safe for concurrent use: it is meant to be owned by
// the session's goroutine.
//
// It keeps only what each direction uses, an encrypting CBC mode for the
// encrypt key and a decrypting one for the decrypt key (about 1 KB of AES
// state in all), because a server holds one per idle session.
type SessionCipher struct {
	enc       zeroIVCBC // EncryptKey, encryption only
	dec       zeroIVCBC // DecryptKey, decryption only
	mode      Mode
	sendMAC   hash.Hash
	recvMAC   hash.Hash
	sum       [sha256.Size]byte
	txSeq     uint64
	rxHighest uint64
	rxSeen    uint64 // bit i: rxHighest − i was received
	rxAny     bool
	nearNonce [sha256.Size]byte
	farNonce  [sha256.Size]byte
}

// NewSessionCipher builds the cipher of a session from its derived keys and
// negotiated mode.
func NewSessionCipher(keys *SessionKeys, mode Mode) (*SessionCipher, error) {
	if err := mode.validate(); err != nil {
		return nil, err
	}
	encBlock, err := newAES(keys.EncryptKey, "session encrypt key")
	if err != nil {
		return nil, err
	}
	decBlock, err := newAES(keys.DecryptKey, "session decrypt key")
	if err != nil {
		return nil, err
	}
	c := &SessionCipher{
		enc:       newZeroIVCBC(encBlock, false),
		dec:       newZeroIVCBC(decBlock, true),
		mode:      mode,
		nearNonce: keys.NearNonce,
		farNonce:  keys.FarNonce,
	}
	if mode.SendHMACLen > 0 {
		c.sendMAC = hmac.New(sha256.New, keys.SendHMACKey[:])
	}
	if mode.RecvHMACLen > 0 {
		c.recvMAC = hmac.New(sha256.New, keys.RecvHMACKey[:])
	}
	return c, nil
}

// Mode returns the negotiated mode.
func (c *SessionCipher) Mode() Mode { return c.mode }

// NearNonce returns this end's nonce.
func (c *SessionCipher) NearNonce() [sha256.Size]byte { return c.nearNonce }

// FarNonce returns the far end's nonce.
func (c *SessionCipher) FarNonce() [sha256.Size]byte { return c.farNonce }

// Overhead is the most Seal adds to a body: SSID, sequence number,
// checksum or HMAC, and up to 15 padding bytes.
func (c *SessionCipher) Overhead() int {
	n := ssidLen + blockSize - 1
	if c.mode.SendSSeq {
		n += wire.VLULen(c.txSeq)
	}
	if c.mode.SendHMACLen > 0 {
		return n + c.mode.SendHMACLen
	}
	return n + checksumLen
}

// Seal implements PacketCipher:
//
//	scrambled SSID ‖ AES( [VLU(sseq)] ‖ [checksum] ‖ body ‖ 0xff pad ) ‖ [HMAC]
//
// The checksum covers everything after itself; the HMAC, when negotiated,
// replaces the checksum and covers the ciphertext (RFC 7425 §4.6,
// rtmfp-cpp FlashCryptoKey::encrypt).
func (c *SessionCipher) Seal(dst []byte, ssid uint32, body []byte) []byte {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	if c.mode.SendSSeq {
		dst = wire.AppendVLU(dst, c.txSeq)
		c.txSeq++
	}
	cs := -1
	if c.mode.SendHMACLen == 0 {
		cs = len(dst)
		dst = append(dst, 0, 0)
	}
	dst = append(dst, body...)
	dst = pad(dst, start+ssidLen)
	if cs >= 0 {
		binary.BigEndian.PutUint16(dst[cs:], Checksum(dst[cs+checksumLen:]))
	}
	ct := dst[start+ssidLen:]
	_ = c.enc.crypt(ct, ct) // cannot fail: padded
	if c.mode.SendHMACLen > 0 {
		c.sendMAC.Reset()
		c.sendMAC.Write(ct)
		sum := c.sendMAC.Sum(c.sum[:0])
		dst = append(dst, sum[:c.mode.SendHMACLen]...)
	}
	putSSID(dst[start:], ssid)
	return dst
}

// Open implements PacketCipher. With HMAC it authenticates before
// decrypting; with sequence numbers it rejects replays and numbers more
// than MaxSSeqGap behind the highest accepted one, recording a number only
// once the packet has been authenticated.
func (c *SessionCipher) Open(packet []byte) ([]byte, error) {
	hl := c.mode.RecvHMACLen
	if len(packet) < MinPacketSize+hl || (len(packet)-ssidLen-hl)%blockSize != 0 {
		return nil, fmt.Errorf("rtmfp/crypto: open: %d bytes: %w", len(packet), ErrPacketSize)
	}
	ct := packet[ssidLen : len(packet)-hl]
	if hl > 0 {
		c.recvMAC.Reset()
		c.recvMAC.Write(ct)
		sum := c.recvMAC.Sum(c.sum[:0])
		if !hmac.Equal(sum[:hl], packet[len(packet)-hl:]) {
			return nil, fmt.Errorf("rtmfp/crypto: open: %w", ErrHMAC)
		}
	}
	_ = c.dec.crypt(ct, ct) // cannot fail: size checked above
	p := ct
	var seq uint64
	if c.mode.RecvSSeq {
		s, n, err := wire.ReadVLU(p)
		if err != nil {
			return nil, fmt.Errorf("rtmfp/crypto: open: %w", ErrSequence)
		}
		if c.replayed(s) {
			return nil, fmt.Errorf("rtmfp/crypto: open: sequence %d: %w", s, ErrReplay)
		}
		seq = s
		p = p[n:]
	}
	if hl == 0 {
		if len(p) < checksumLen || binary.BigEndian.Uint16(p) != Checksum(p[checksumLen:]) {
			return nil, fmt.Errorf("rtmfp/crypto: open: %w", ErrChecksum)
		}
		p = p[checksumLen:]
	}
	if c.mode.RecvSSeq {
		c.record(seq)
	}
	return p, nil
}

// replayed reports whether seq was already accepted or is too old.
func (c *SessionCipher) replayed(seq uint64) bool {
	if !c.rxAny || seq > c.rxHighest {
		return false
	}
	d := c.rxHighest - seq
	return d >= MaxSSeqGap || c.rxSeen&(1<<d) != 0
}

// record marks seq as received.
func (c *SessionCipher) record(seq uint64) {
	switch {
	case !c.rxAny:
		c.rxAny, c.rxHighest, c.rxSeen = true, seq, 1
	case seq > c.rxHighest:
		if shift := seq - c.rxHighest; shift < 64 {
			c.rxSeen = c.rxSeen<<shift | 1
		} else {
			c.rxSeen = 1
		}
		c.rxHighest = seq
	default:
		c.rxSeen |= 1 << (c.rxHighest - seq)
	}
}
