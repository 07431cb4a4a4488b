package crypto

import (
	"bytes"
	"errors"
	"io"
	"math/big"
	"testing"
)

// piScaled returns ⌊π · 2^bits⌋ by Machin's formula in fixed point with 64
// guard bits.
func piScaled(bits uint) *big.Int {
	prec := bits + 64
	one := new(big.Int).Lsh(big.NewInt(1), prec)
	atanInv := func(x int64) *big.Int {
		sum := new(big.Int)
		term := new(big.Int).Div(one, big.NewInt(x))
		x2 := big.NewInt(x * x)
		t := new(big.Int)
		for k := int64(0); term.Sign() != 0; k++ {
			t.Div(term, big.NewInt(2*k+1))
			if k%2 == 0 {
				sum.Add(sum, t)
			} else {
				sum.Sub(sum, t)
			}
			term.Div(term, x2)
		}
		return sum
	}
	pi := new(big.Int).Mul(atanInv(5), big.NewInt(16))
	pi.Sub(pi, new(big.Int).Mul(atanInv(239), big.NewInt(4)))
	return pi.Rsh(pi, 64)
}

// TestGroupConstants rebuilds each modulus from its definition,
// p = 2^n − 2^(n−64) − 1 + 2^64·(⌊2^(n−130)·π⌋ + k) (RFC 2409 §6.2, RFC 3526),
// and checks that it is a safe prime, so a mistyped digit cannot hide.
func TestGroupConstants(t *testing.T) {
	for _, tc := range []struct {
		g    *Group
		bits uint
		k    int64
	}{
		{Group2, 1024, 129093},
		{Group5, 1536, 741804},
		{Group14, 2048, 124476},
	} {
		n := tc.bits
		p := new(big.Int).Lsh(big.NewInt(1), n)
		p.Sub(p, new(big.Int).Lsh(big.NewInt(1), n-64))
		p.Sub(p, big.NewInt(1))
		inner := piScaled(n - 130)
		inner.Add(inner, big.NewInt(tc.k))
		p.Add(p, inner.Lsh(inner, 64))
		if p.Cmp(tc.g.P) != 0 {
			t.Fatalf("group %d modulus differs from its definition", tc.g.ID)
		}
		if tc.g.Size != int(n/8) || tc.g.G.Int64() != 2 || tc.g.ExponentBits < 256 {
			t.Fatalf("group %d parameters %+v", tc.g.ID, tc.g)
		}
		q := new(big.Int).Rsh(p, 1)
		if !p.ProbablyPrime(4) || !q.ProbablyPrime(4) {
			t.Fatalf("group %d modulus is not a safe prime", tc.g.ID)
		}
		if g, ok := GroupByID(tc.g.ID); !ok || g != tc.g {
			t.Fatalf("GroupByID(%d)", tc.g.ID)
		}
	}
	if _, ok := GroupByID(16); ok {
		t.Fatal("group 16 is not implemented")
	}
}

func TestDHAgreement(t *testing.T) {
	for _, g := range []*Group{Group2, Group5, Group14} {
		a, err := GenerateKey(g, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := GenerateKey(g, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Public) != g.Size || len(b.Public) != g.Size {
			t.Fatalf("group %d: public values of %d and %d bytes", g.ID, len(a.Public), len(b.Public))
		}
		s1, err := a.SharedSecret(b.Public)
		if err != nil {
			t.Fatal(err)
		}
		s2, err := b.SharedSecret(a.Public)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(s1, s2) || len(s1) > g.Size || s1[0] == 0 {
			t.Fatalf("group %d: secrets differ or are not minimal", g.ID)
		}
		if x := bigOfLimbs(a.x); x.BitLen() != g.ExponentBits || len(a.x) != g.exponentLimbs() {
			t.Fatalf("group %d: exponent of %d bits in %d limbs", g.ID, x.BitLen(), len(a.x))
		}
	}
}

func TestValidatePublic(t *testing.T) {
	g := Group2
	pow := func(e uint) *big.Int { return new(big.Int).Lsh(big.NewInt(1), e) }
	bytesOf := func(v *big.Int) []byte { return v.Bytes() }
	ones := new(big.Int).Sub(pow(1000), big.NewInt(1)) // 1000 ones, no zeros
	sparse := new(big.Int).Add(pow(1000), pow(30))     // 2 ones
	good := unhex(t, "eb93677023c1fc1223e636134aa839b9c33891380868c4753d1a45deefc92b925346ef482735349e6d9a5bca2ca29407710fac393c8a3c05ad951a1fa1f3a2a4dfd641a06f739ba82c26ac45c08919d8dae41ac21ed6de83298ac9535c913ed6696f5061c27b6d5e424dfe63a09f788e9351ee29537bd6b4b9c0dfe1c913d762")
	for name, tc := range map[string]struct {
		y  []byte
		ok bool
	}{
		"captured":       {good, true},
		"leading zeros":  {append([]byte{0, 0}, good...), true},
		"zero":           {nil, false},
		"one":            {[]byte{1}, false},
		"2^24-1":         {bytesOf(new(big.Int).Sub(pow(24), big.NewInt(1))), false},
		"p-1":            {bytesOf(new(big.Int).Sub(g.P, big.NewInt(1))), false},
		"p":              {g.P.Bytes(), false},
		"p-2^24":         {bytesOf(new(big.Int).Sub(g.P, pow(24))), true},
		"p-2^24+1":       {bytesOf(new(big.Int).Sub(g.P, new(big.Int).Sub(pow(24), big.NewInt(1)))), false},
		"no zero bits":   {ones.Bytes(), false},
		"two one bits":   {sparse.Bytes(), false},
		"absurdly large": {make([]byte, 4096), false},
	} {
		err := g.ValidatePublic(tc.y)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrPublicValue)) {
			t.Errorf("%s: %v", name, err)
		}
	}
	k, _ := GenerateKey(g, nil)
	if _, err := k.SharedSecret([]byte{1}); !errors.Is(err, ErrPublicValue) {
		t.Fatalf("shared secret with 1: %v", err)
	}
}

func TestDHErrors(t *testing.T) {
	if _, err := GenerateKey(Group2, io.LimitReader(nil, 0)); err == nil {
		t.Fatal("empty random source accepted")
	}
	if _, err := NewPrivateKey(Group2, big.NewInt(0)); err == nil {
		t.Fatal("zero exponent accepted")
	}
	if _, err := NewPrivateKey(Group2, Group2.P); err == nil {
		t.Fatal("exponent p accepted")
	}
}
