package crypto

import (
	"bytes"
	"math/big"
	"math/rand/v2"
	"testing"
)

var allGroups = []*Group{Group2, Group5, Group14}

// kernels returns the group's modulus as used (the assembly kernels where
// this build and CPU have them) and forced to the portable Go code.
func kernels(g *Group) map[string]*modulus {
	portable := *g.mod
	portable.portable = true
	return map[string]*modulus{"native": g.mod, "portable": &portable}
}

func bigOfLimbs(x []uint64) *big.Int {
	b := make([]byte, 8*len(x))
	fillBytes(b, x)
	return new(big.Int).SetBytes(b)
}

func limbsOf(t testing.TB, v *big.Int, n int) []uint64 {
	t.Helper()
	z := make([]uint64, n)
	if !limbsFromBytes(z, v.Bytes()) {
		t.Fatalf("%d-bit value does not fit %d limbs", v.BitLen(), n)
	}
	return z
}

// edgeValues are the residues where carries and the final subtraction
// are most likely to go wrong.
func edgeValues(p *big.Int) []*big.Int {
	sub := func(k int64) *big.Int { return new(big.Int).Sub(p, big.NewInt(k)) }
	half := new(big.Int).Rsh(p, 1)
	allOnes := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(p.BitLen()-1)), big.NewInt(1))
	return []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(2), big.NewInt(3), sub(1), sub(2), half, allOnes, big.NewInt(1 << 62)}
}

func randomBelow(r *rand.Rand, p *big.Int) *big.Int {
	b := make([]byte, (p.BitLen()+7)/8)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return new(big.Int).Mod(new(big.Int).SetBytes(b), p)
}

func TestMontgomeryConstants(t *testing.T) {
	for _, g := range allGroups {
		m := g.mod
		r := new(big.Int).Lsh(big.NewInt(1), uint(64*m.n))
		if m.n*64 != g.P.BitLen() || bigOfLimbs(m.p).Cmp(g.P) != 0 {
			t.Fatalf("group %d: modulus limbs", g.ID)
		}
		if m.pInv*m.p[0] != ^uint64(0) { // p·(−p⁻¹) ≡ −1 mod 2^64
			t.Fatalf("group %d: pInv", g.ID)
		}
		if bigOfLimbs(m.one).Cmp(new(big.Int).Mod(r, g.P)) != 0 ||
			bigOfLimbs(m.rr).Cmp(new(big.Int).Mod(new(big.Int).Mul(r, r), g.P)) != 0 {
			t.Fatalf("group %d: R or R² mod p", g.ID)
		}
	}
}

// TestMontMulMatchesBig compares x·y·R⁻¹ and x²·R⁻¹ mod p with math/big
// for edge and random operands, with every kernel and with the result
// aliasing an operand.
func TestMontMulMatchesBig(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, g := range allGroups {
		rInv := new(big.Int).ModInverse(new(big.Int).Lsh(big.NewInt(1), uint(64*g.mod.n)), g.P)
		vals := edgeValues(g.P)
		for range 200 {
			vals = append(vals, randomBelow(r, g.P))
		}
		for name, m := range kernels(g) {
			for i, a := range vals {
				for _, b := range []*big.Int{vals[(i*7+3)%len(vals)], a, vals[len(vals)-1-i]} {
					want := new(big.Int).Mul(a, b)
					want.Mul(want, rInv).Mod(want, g.P)
					x, y := limbsOf(t, a, m.n), limbsOf(t, b, m.n)
					z := make([]uint64, m.n)
					m.mul(z, x, y)
					if bigOfLimbs(z).Cmp(want) != 0 {
						t.Fatalf("group %d %s: %x · %x", g.ID, name, a, b)
					}
					m.mul(x, x, y) // z aliases x
					if !equalLimbs(x, z) {
						t.Fatalf("group %d %s: aliased result differs", g.ID, name)
					}
				}
				want := new(big.Int).Mul(a, a)
				want.Mul(want, rInv).Mod(want, g.P)
				x := limbsOf(t, a, m.n)
				m.sqr(x, x)
				if bigOfLimbs(x).Cmp(want) != 0 {
					t.Fatalf("group %d %s: %x²", g.ID, name, a)
				}
			}
		}
	}
}

func equalLimbs(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// checkExp compares base^e mod p from every kernel, the variable-base and
// (for base 2) the fixed-base path with math/big.
func checkExp(t *testing.T, g *Group, base, e *big.Int, limbs int) {
	t.Helper()
	want := new(big.Int).Exp(base, e, g.P)
	for name, m := range kernels(g) {
		el := limbsOf(t, e, limbs)
		z := limbsOf(t, base, m.n)
		m.exp(z, z, el)
		if bigOfLimbs(z).Cmp(want) != 0 {
			t.Fatalf("group %d %s: %x^%x", g.ID, name, base, e)
		}
		if base.Cmp(g.G) == 0 && limbs*64 <= windowBits*g.fixedBase().windows {
			clear(z)
			g.fixedBase().exp(m, z, el)
			if bigOfLimbs(z).Cmp(want) != 0 {
				t.Fatalf("group %d %s: fixed-base 2^%x", g.ID, name, e)
			}
		}
	}
}

// TestExpMatchesBig is the differential test of the exponentiations
// against math/big: random bases and exponents of every length up to the
// modulus, and the edge bases 0, 1, 2, p−2, p−1.
func TestExpMatchesBig(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, g := range allGroups {
		n := g.mod.n
		expLimbs := g.exponentLimbs()
		pow2 := func(limbs int) *big.Int { return new(big.Int).Lsh(big.NewInt(1), uint(64*limbs)) }
		for _, base := range append(edgeValues(g.P), randomBelow(r, g.P), randomBelow(r, g.P)) {
			for _, limbs := range []int{1, expLimbs} {
				for _, e := range []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(2), big.NewInt(15), big.NewInt(16),
					new(big.Int).Sub(pow2(limbs), big.NewInt(1)), randomBelow(r, pow2(limbs))} {
					checkExp(t, g, base, e, limbs)
				}
			}
		}
		// Exponents as long as the modulus (fixed keys may be).
		for _, base := range []*big.Int{g.G, new(big.Int).Sub(g.P, big.NewInt(2)), randomBelow(r, g.P)} {
			checkExp(t, g, base, new(big.Int).Sub(pow2(n), big.NewInt(1)), n)
			checkExp(t, g, base, randomBelow(r, pow2(n)), n)
		}
		checkExp(t, g, new(big.Int).Sub(g.P, big.NewInt(1)), new(big.Int).Sub(g.P, big.NewInt(1)), n) // (−1)^even
		for range 10 {
			limbs := 1 + r.IntN(n)
			checkExp(t, g, randomBelow(r, g.P), randomBelow(r, pow2(limbs)), limbs)
			checkExp(t, g, g.G, randomBelow(r, pow2(expLimbs)), expLimbs)
		}
	}
}

// TestExpDoesNotAllocate: a handshake's exponentiations reuse pooled
// scratch.
func TestExpDoesNotAllocate(t *testing.T) {
	g := Group2
	k, err := GenerateKey(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	y := make([]uint64, g.mod.n)
	limbsFromBytes(y, k.Public)
	z := make([]uint64, g.mod.n)
	allocs := testing.AllocsPerRun(20, func() {
		g.mod.exp(z, y, k.x)
		g.fixedBase().exp(g.mod, z, k.x)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per exponentiation", allocs)
	}
}

func TestLimbBytes(t *testing.T) {
	z := make([]uint64, 2)
	if !limbsFromBytes(z, []byte{0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) || z[0] != 0x0203040506070809 || z[1] != 1 {
		t.Fatalf("limbs %x", z)
	}
	if limbsFromBytes(z, make([]byte, 17)) != true { // leading zeros fit
		t.Fatal("17 zero bytes rejected")
	}
	if limbsFromBytes(z, append([]byte{1}, make([]byte, 16)...)) {
		t.Fatal("a 129-bit value fits two limbs")
	}
	if got := minimalBytes([]uint64{0x0102, 0}); !bytes.Equal(got, []byte{1, 2}) {
		t.Fatalf("minimal bytes %x", got)
	}
	if got := minimalBytes([]uint64{0, 0}); len(got) != 0 {
		t.Fatalf("minimal bytes of zero %x", got)
	}
}

// FuzzModExp compares base^e mod p with math/big for arbitrary bases
// (reduced mod p) and exponents, in every group, with every kernel.
// Exponents are cut to 512 bits, above every group's key size, to keep the
// fuzzer fast; TestExpMatchesBig covers exponents as long as the modulus.
func FuzzModExp(f *testing.F) {
	f.Add(uint8(0), []byte{2}, []byte{1})
	f.Add(uint8(1), []byte{0xff, 0xff}, []byte{0x80, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Add(uint8(2), Group14.P.Bytes(), Group14.P.Bytes())
	f.Add(uint8(0), new(big.Int).Sub(Group2.P, big.NewInt(2)).Bytes(), bytes.Repeat([]byte{0xa5}, 32))
	f.Fuzz(func(t *testing.T, gi uint8, base, e []byte) {
		g := allGroups[int(gi)%len(allGroups)]
		if len(base) > 2*g.Size {
			return
		}
		e = e[:min(len(e), 64)]
		b := new(big.Int).Mod(new(big.Int).SetBytes(base), g.P)
		ev := new(big.Int).SetBytes(e)
		limbs := max(1, (ev.BitLen()+63)/64)
		checkExp(t, g, b, ev, limbs)
		checkExp(t, g, g.G, ev, limbs)
	})
}

// BenchmarkMontMul is one Montgomery multiplication per kernel and size.
func BenchmarkMontMul(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, g := range allGroups {
		for name, m := range kernels(g) {
			b.Run(groupName(g)+"/"+name, func(b *testing.B) {
				x := limbsOf(b, randomBelow(r, g.P), m.n)
				y := limbsOf(b, randomBelow(r, g.P), m.n)
				reportCPU(b)
				for b.Loop() {
					m.mul(x, x, y)
				}
			})
		}
	}
}

// BenchmarkMontSqr is one Montgomery squaring per kernel and size.
func BenchmarkMontSqr(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, g := range allGroups {
		for name, m := range kernels(g) {
			b.Run(groupName(g)+"/"+name, func(b *testing.B) {
				x := limbsOf(b, randomBelow(r, g.P), m.n)
				reportCPU(b)
				for b.Loop() {
					m.sqr(x, x)
				}
			})
		}
	}
}

// BenchmarkLookup is one constant-time table read.
func BenchmarkLookup(b *testing.B) {
	m := Group2.mod
	table := make([]uint64, windowSize*m.n)
	z := make([]uint64, m.n)
	reportCPU(b)
	for i := 0; b.Loop(); i++ {
		m.lookup(z, table, uint64(i)&(windowSize-1))
	}
}
