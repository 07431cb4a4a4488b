package crypto

import (
	"crypto/rand"
	"fmt"
	"io"
	"math/big"
	"math/bits"
	"sync"
)

// Group is a MODP Diffie-Hellman group with generator 2.
type Group struct {
	ID uint64
	P  *big.Int
	G  *big.Int
	// Size is the byte length of P: public values are sent this long.
	Size int
	// ExponentBits is the size of the private exponents we draw (at least
	// 256 bits, as rtmfp-cpp's 224/320 bits rounded up).
	ExponentBits int
	lower, upper *big.Int // 2^24 and P − 2^24: bounds for public values

	mod  *modulus
	base *lazyFixedBase // shared by copies of the Group
}

type lazyFixedBase struct {
	once  sync.Once
	table *fixedBase
}

func newGroup(id uint64, hexP string, exponentBits int) *Group {
	p, ok := new(big.Int).SetString(hexP, 16)
	if !ok {
		panic("rtmfp/crypto: bad group constant") // package constants only
	}
	two24 := big.NewInt(1 << 24)
	return &Group{
		ID: id, P: p, G: big.NewInt(2), Size: (p.BitLen() + 7) / 8, ExponentBits: exponentBits,
		lower: two24, upper: new(big.Int).Sub(p, two24), mod: newModulus(p), base: new(lazyFixedBase),
	}
}

// exponentLimbs is the limb count of the exponents GenerateKey draws.
func (g *Group) exponentLimbs() int { return (g.ExponentBits + 63) / 64 }

// fixedBase returns the table of powers of G for exponents of up to
// exponentLimbs limbs: 128 KiB for group 2, 240 KiB for group 5, 320 KiB for
// group 14, built once (about a millisecond) when the group is first used.
func (g *Group) fixedBase() *fixedBase {
	g.base.once.Do(func() {
		g.base.table = newFixedBase(g.mod, g.G.Uint64(), g.exponentLimbs()*64/windowBits)
	})
	return g.base.table
}

// pow sets z = G^e mod p, through the fixed-base table when e fits it.
func (g *Group) pow(z, e []uint64) {
	if len(e) <= g.exponentLimbs() {
		g.fixedBase().exp(g.mod, z, e)
		return
	}
	var base [maxLimbs]uint64
	base[0] = g.G.Uint64()
	g.mod.exp(z, base[:g.mod.n], e)
}

// The supported groups. Group 2 (1024-bit, RFC 7296 §B.2) is mandatory and
// what Flash selects; group 5 (1536-bit, RFC 3526 §2) is implemented so
// that the canonical server certificate advertises nothing we cannot
// compute; group 14 (2048-bit, RFC 3526 §3) is what rtmfp-cpp prefers.
var (
	Group2 = newGroup(2, ""+
		"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"+
		"020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"+
		"4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"+
		"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF", 256)
	Group5 = newGroup(5, ""+
		"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"+
		"020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"+
		"4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"+
		"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"+
		"98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"+
		"9ED529077096966D670C354E4ABC9804F1746C08CA237327FFFFFFFFFFFFFFFF", 320)
	Group14 = newGroup(14, ""+
		"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"+
		"020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"+
		"4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"+
		"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"+
		"98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"+
		"9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"+
		"E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"+
		"3995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF", 320)
)

// GroupByID returns a supported group.
func GroupByID(id uint64) (*Group, bool) {
	switch id {
	case 2:
		return Group2, true
	case 5:
		return Group5, true
	case 14:
		return Group14, true
	}
	return nil, false
}

// ValidatePublic checks a far public value (RFC 7425 §4.6.2, rtmfp-cpp):
// 2^24 ≤ y ≤ p − 2^24, at least 16 one bits, and at least 16 zero bits
// after the most significant one bit. The value is big-endian and may carry
// leading zero bytes.
func (g *Group) ValidatePublic(y []byte) error {
	if len(y) > g.Size+8 { // a few leading zeros at most, never a huge value
		return fmt.Errorf("rtmfp/crypto: group %d public value of %d bytes: %w", g.ID, len(y), ErrPublicValue)
	}
	v := new(big.Int).SetBytes(y)
	if v.Cmp(g.lower) < 0 || v.Cmp(g.upper) > 0 {
		return fmt.Errorf("rtmfp/crypto: group %d public value out of range: %w", g.ID, ErrPublicValue)
	}
	ones := 0
	for _, b := range y {
		ones += bits.OnesCount8(b)
	}
	zeros := v.BitLen() - ones
	if ones < 16 || zeros < 16 {
		return fmt.Errorf("rtmfp/crypto: group %d public value with %d one and %d zero bits: %w", g.ID, ones, zeros, ErrPublicValue)
	}
	return nil
}

// PrivateKey is an ephemeral Diffie-Hellman key pair.
type PrivateKey struct {
	Group *Group
	// x is the exponent, little-endian limbs. Exponentiation time depends
	// on len(x) (fixed per group for generated keys), never on its value.
	x []uint64
	// Public is g^x mod p, minimal big-endian (GenerateKey guarantees it
	// is exactly Group.Size bytes).
	Public []byte
}

// GenerateKey draws a private exponent of Group.ExponentBits bits from
// random (crypto/rand.Reader if nil) and regenerates until the public
// value is full length and valid, so that it is always sent as Size bytes
// (avoiding the 127-byte SKRC layout no capture has ever shown).
func GenerateKey(g *Group, random io.Reader) (*PrivateKey, error) {
	if random == nil {
		random = rand.Reader
	}
	buf := make([]byte, (g.ExponentBits+7)/8)
	for range 64 {
		if _, err := io.ReadFull(random, buf); err != nil {
			return nil, fmt.Errorf("rtmfp/crypto: group %d exponent: %w", g.ID, err)
		}
		buf[0] |= 0x80 >> ((8 - g.ExponentBits%8) % 8) // full-size exponent
		x := make([]uint64, g.exponentLimbs())
		limbsFromBytes(x, buf)
		k := newPrivateKey(g, x)
		if len(k.Public) == g.Size && g.ValidatePublic(k.Public) == nil {
			return k, nil
		}
	}
	return nil, fmt.Errorf("rtmfp/crypto: group %d: no valid public value after 64 tries", g.ID)
}

// NewPrivateKey builds a key pair from a given exponent (tests, fixed
// keys). The public value is not length-checked.
func NewPrivateKey(g *Group, x *big.Int) (*PrivateKey, error) {
	if x.Sign() <= 0 || x.Cmp(g.P) >= 0 {
		return nil, fmt.Errorf("rtmfp/crypto: group %d: exponent out of range", g.ID)
	}
	limbs := max(g.exponentLimbs(), (x.BitLen()+63)/64)
	return newPrivateKey(g, limbsOfBig(x, limbs)), nil
}

func newPrivateKey(g *Group, x []uint64) *PrivateKey {
	var pub [maxLimbs]uint64
	g.pow(pub[:g.mod.n], x)
	return &PrivateKey{Group: g, x: x, Public: minimalBytes(pub[:g.mod.n])}
}

// SharedSecret validates the far public value and returns the shared
// secret y^x mod p in minimal big-endian form, which is what every
// implementation feeds to the key derivation.
func (k *PrivateKey) SharedSecret(farPublic []byte) ([]byte, error) {
	g := k.Group
	if err := g.ValidatePublic(farPublic); err != nil {
		return nil, err
	}
	var y [maxLimbs]uint64
	limbsFromBytes(y[:g.mod.n], farPublic) // fits: ValidatePublic checked y < p
	g.mod.exp(y[:g.mod.n], y[:g.mod.n], k.x)
	return minimalBytes(y[:g.mod.n]), nil
}
