package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"nimbus/rtmfp/wire"
)

// KeySize is the AES-128 key length.
const KeySize = 16

// DefaultKey is "Adobe Systems 02", the key of every startup (MOD 3) packet
// in both directions, including RIKeying and Cookie Change that carry a
// non-zero SSID.
var DefaultKey = [KeySize]byte{'A', 'd', 'o', 'b', 'e', ' ', 'S', 'y', 's', 't', 'e', 'm', 's', ' ', '0', '2'}

const (
	ssidLen     = 4
	checksumLen = 2
	blockSize   = aes.BlockSize
	// MinPacketSize is the shortest valid packet: SSID plus one block.
	MinPacketSize = ssidLen + blockSize
	// MaxOverhead is the most any PacketCipher adds to a body: SSID, a
	// 10-byte sequence number, 15 padding bytes and a 32-byte HMAC.
	MaxOverhead = ssidLen + wire.MaxVLULen + blockSize - 1 + sha256.Size
)

// ivSetter is implemented by the standard library's CBC modes; resetting
// the IV lets one BlockMode serve every packet without allocating.
type ivSetter interface{ SetIV(iv []byte) }

var zeroIV [blockSize]byte

// zeroIVCBC is one direction (encryption or decryption) of one AES key,
// CBC with the IV reset to zero for every packet. It keeps only the CBC
// mode, which carries its own copy of the key schedule (about 500 bytes
// with the standard library); the cipher.Block it was made from is kept
// only if the mode cannot reset its IV, in which case every call makes a
// new mode.
type zeroIVCBC struct {
	mode    cipher.BlockMode
	block   cipher.Block
	decrypt bool
}

func newZeroIVCBC(block cipher.Block, decrypt bool) zeroIVCBC {
	c := zeroIVCBC{decrypt: decrypt}
	if m := c.newMode(block); isIVSetter(m) {
		c.mode = m
	} else {
		c.block = block
	}
	return c
}

func isIVSetter(m cipher.BlockMode) bool {
	_, ok := m.(ivSetter)
	return ok
}

func (c *zeroIVCBC) newMode(block cipher.Block) cipher.BlockMode {
	if c.decrypt {
		return cipher.NewCBCDecrypter(block, zeroIV[:])
	}
	return cipher.NewCBCEncrypter(block, zeroIV[:])
}

// crypt encrypts or decrypts src into dst (which may be src itself).
func (c *zeroIVCBC) crypt(dst, src []byte) error {
	if len(src)%blockSize != 0 || len(dst) < len(src) {
		return ErrBlockSize
	}
	mode := c.mode
	if mode == nil {
		mode = c.newMode(c.block)
	} else {
		mode.(ivSetter).SetIV(zeroIV[:])
	}
	mode.CryptBlocks(dst[:len(src)], src)
	return nil
}

// newAES expands an AES-128 key. The standard library cannot fail for a
// 16-byte key; the error only surfaces a crypto/aes refusal (e.g. a
// restricted FIPS mode).
func newAES(key [KeySize]byte, what string) (cipher.Block, error) {
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, fmt.Errorf("rtmfp/crypto: %s: %w", what, err)
	}
	return block, nil
}

// PacketKey is one AES-128 key used the Flash way: CBC with the IV reset to
// zero for every packet, in both directions. It is also a PacketCipher in
// checksum mode, which is how the default key protects startup packets.
// Not safe for concurrent use.
type PacketKey struct {
	enc, dec zeroIVCBC
}

// NewPacketKey prepares key for per-packet encryption and decryption.
func NewPacketKey(key [KeySize]byte) (*PacketKey, error) {
	block, err := newAES(key, "packet key")
	if err != nil {
		return nil, err
	}
	return &PacketKey{enc: newZeroIVCBC(block, false), dec: newZeroIVCBC(block, true)}, nil
}

// NewDefaultPacketKey returns a PacketKey for DefaultKey.
func NewDefaultPacketKey() (*PacketKey, error) { return NewPacketKey(DefaultKey) }

// Encrypt encrypts src into dst (which may be src itself: the operation
// works in place) with a zero IV. len(src) must be a multiple of 16 and dst
// at least as long.
func (k *PacketKey) Encrypt(dst, src []byte) error { return k.enc.crypt(dst, src) }

// Decrypt decrypts src into dst (which may be src itself) with a zero IV.
func (k *PacketKey) Decrypt(dst, src []byte) error { return k.dec.crypt(dst, src) }

// Checksum is the 16-bit Internet checksum (RFC 1071) of b: the one's
// complement of the one's-complement sum of big-endian 16-bit words. An odd
// trailing byte is added as the low byte, as rtmfp-cpp and Cumulus do (it
// never happens in RTMFP, where the checksummed length is 16n − 2).
func Checksum(b []byte) uint16 {
	var sum uint32
	for len(b) >= 2 {
		sum += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0])
	}
	for sum>>16 != 0 {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// PaddedLen rounds n up to a multiple of 16.
func PaddedLen(n int) int { return (n + blockSize - 1) &^ (blockSize - 1) }

// SSID returns the session ID of a received packet: the first word XOR the
// second and third (the first 8 ciphertext bytes). 0 means a startup
// packet. Read it before decrypting in place.
func SSID(packet []byte) (uint32, error) {
	if len(packet) < ssidLen+8 {
		return 0, fmt.Errorf("rtmfp/crypto: ssid: %w", ErrPacketSize)
	}
	return binary.BigEndian.Uint32(packet) ^ binary.BigEndian.Uint32(packet[4:]) ^ binary.BigEndian.Uint32(packet[8:]), nil
}

// putSSID scrambles ssid with the ciphertext that follows it in packet.
func putSSID(packet []byte, ssid uint32) {
	binary.BigEndian.PutUint32(packet, ssid^binary.BigEndian.Uint32(packet[4:])^binary.BigEndian.Uint32(packet[8:]))
}

// pad appends 0xff bytes until b[from:] is a non-zero multiple of 16 long
// (an empty plaintext still needs one block to carry the SSID scramble).
func pad(b []byte, from int) []byte {
	n := PaddedLen(len(b)-from) - (len(b) - from)
	if len(b) == from {
		n = blockSize
	}
	for ; n > 0; n-- {
		b = append(b, 0xff)
	}
	return b
}

// PacketCipher seals and opens whole packets. PacketKey (checksum mode with
// one key, the startup profile) and SessionCipher (per-direction keys,
// optional HMAC and sequence numbers) implement it.
type PacketCipher interface {
	// Seal appends to dst the packet carrying body (header ‖ chunks) for
	// the far end's session ID ssid: scrambled SSID, then the encrypted
	// checksum (or sequence number / HMAC), body and padding. It does not
	// allocate when dst has room for len(body) + MaxOverhead bytes.
	Seal(dst []byte, ssid uint32, body []byte) []byte
	// Open authenticates and decrypts packet in place and returns the
	// body (header ‖ chunks ‖ padding), which aliases packet.
	Open(packet []byte) ([]byte, error)
}

// Seal implements PacketCipher in checksum mode.
func (k *PacketKey) Seal(dst []byte, ssid uint32, body []byte) []byte {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0, 0, 0)
	dst = append(dst, body...)
	dst = pad(dst, start+ssidLen)
	binary.BigEndian.PutUint16(dst[start+ssidLen:], Checksum(dst[start+ssidLen+checksumLen:]))
	ct := dst[start+ssidLen:]
	_ = k.Encrypt(ct, ct) // cannot fail: padded to the block size
	putSSID(dst[start:], ssid)
	return dst
}

// Open implements PacketCipher in checksum mode: size sanity (≥ 20 bytes,
// 4 + 16n), decryption in place, checksum.
func (k *PacketKey) Open(packet []byte) ([]byte, error) {
	if len(packet) < MinPacketSize || (len(packet)-ssidLen)%blockSize != 0 {
		return nil, fmt.Errorf("rtmfp/crypto: open: %d bytes: %w", len(packet), ErrPacketSize)
	}
	ct := packet[ssidLen:]
	_ = k.Decrypt(ct, ct)
	if binary.BigEndian.Uint16(ct) != Checksum(ct[checksumLen:]) {
		return nil, fmt.Errorf("rtmfp/crypto: open: %w", ErrChecksum)
	}
	return ct[checksumLen:], nil
}

// Open reads a packet's session ID, asks cipherFor for the cipher of that
// session (nil: unknown session), and opens the packet with it in place.
// Callers that need to try another key after a failure must copy the
// packet first: a failed Open leaves it decrypted with the wrong key.
func Open(packet []byte, cipherFor func(ssid uint32) PacketCipher) (ssid uint32, body []byte, err error) {
	ssid, err = SSID(packet)
	if err != nil {
		return 0, nil, err
	}
	c := cipherFor(ssid)
	if c == nil {
		return ssid, nil, fmt.Errorf("rtmfp/crypto: session %#08x: %w", ssid, ErrUnknownSession)
	}
	body, err = c.Open(packet)
	return ssid, body, err
}
