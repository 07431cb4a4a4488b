package crypto

import (
	"math/big"
	"math/bits"
	"sync"
)

// Modular exponentiation for the Diffie-Hellman groups, in place of
// math/big: Montgomery multiplication over little-endian uint64 limbs of
// the group's fixed size, no allocation per operation, and a schedule of
// operations and memory accesses that depends only on the exponent's limb
// count, never on its value (the exponent is the private key).
//
// Numbers are []uint64 of exactly modulus.n limbs, reduced (< p) unless
// stated otherwise. Montgomery form of a is a·R mod p with R = 2^(64n).

const (
	maxLimbs   = 2048 / 64 // the largest group
	windowBits = 4         // exponent bits per table lookup
	windowSize = 1 << windowBits
)

// modulus holds the Montgomery constants of one odd modulus p whose top
// limb is not zero.
type modulus struct {
	n    int
	p    []uint64
	pInv uint64   // −p⁻¹ mod 2^64
	rr   []uint64 // R² mod p: converts into Montgomery form
	one  []uint64 // R mod p: 1 in Montgomery form
	// portable forces the Go code over the assembly (tests compare them).
	portable bool
}

func newModulus(p *big.Int) *modulus {
	n := (p.BitLen() + 63) / 64
	if n > maxLimbs || p.Bit(0) == 0 {
		panic("rtmfp/crypto: unsupported modulus") // package constants only
	}
	m := &modulus{n: n, p: limbsOfBig(p, n)}
	// Newton's iteration for p⁻¹ mod 2^64: p·p ≡ 1 mod 8 for odd p, and
	// each step doubles the correct low bits (3, 6, 12, 24, 48, 96).
	inv := m.p[0]
	for range 5 {
		inv *= 2 - m.p[0]*inv
	}
	m.pInv = -inv
	r := new(big.Int).Lsh(big.NewInt(1), uint(64*n))
	m.one = limbsOfBig(new(big.Int).Mod(r, p), n)
	m.rr = limbsOfBig(new(big.Int).Mod(new(big.Int).Mul(r, r), p), n)
	return m
}

// limbsOfBig returns v (< 2^(64n)) as n little-endian limbs, through bytes
// so that it works whatever the width of big.Word.
func limbsOfBig(v *big.Int, n int) []uint64 {
	z := make([]uint64, n)
	limbsFromBytes(z, v.FillBytes(make([]byte, 8*n)))
	return z
}

// limbsFromBytes sets z to the big-endian b; false if b does not fit.
func limbsFromBytes(z []uint64, b []byte) bool {
	clear(z)
	for len(b) > 0 && b[0] == 0 {
		b = b[1:]
	}
	if len(b) > 8*len(z) {
		return false
	}
	for i := range z {
		if len(b) == 0 {
			break
		}
		var w uint64
		k := min(8, len(b))
		for _, c := range b[len(b)-k:] {
			w = w<<8 | uint64(c)
		}
		z[i] = w
		b = b[:len(b)-k]
	}
	return true
}

// fillBytes writes x big-endian into all of b (len(b) ≤ 8·len(x), and the
// limbs beyond len(b) bytes must be zero).
func fillBytes(b []byte, x []uint64) {
	for i := range b {
		b[len(b)-1-i] = byte(x[i/8] >> (8 * (i % 8)))
	}
}

// minimalBytes returns x big-endian without leading zero bytes (the form
// every RTMFP implementation feeds to its key derivation).
func minimalBytes(x []uint64) []byte {
	b := make([]byte, 8*len(x))
	fillBytes(b, x)
	i := 0
	for i < len(b) && b[i] == 0 {
		i++
	}
	return b[i:]
}

// mul sets z = x·y·R⁻¹ mod p. z may alias x or y.
func (m *modulus) mul(z, x, y []uint64) {
	if !m.portable && mulAsm(m, z, x, y) {
		return
	}
	montMulGeneric(z, x, y, m.p, m.pInv)
}

// sqr sets z = x²·R⁻¹ mod p. z may alias x.
func (m *modulus) sqr(z, x []uint64) {
	if !m.portable && sqrAsm(m, z, x) {
		return
	}
	// A product-scanning squaring in Go measured no faster than this.
	montMulGeneric(z, x, x, m.p, m.pInv)
}

// montMulGeneric is Montgomery multiplication by product scanning
// (Koç, Acar, Kaliski 1996, "FIPS"): a three-word accumulator sums each
// column of x·y and of the reduction multiples q·p; q[i] is chosen to zero
// the column's low word. This form compiles to the best code of the pure Go
// variants measured (the accumulator stays in registers). The result is
// below 2p before the final subtraction, which is done without a branch.
func montMulGeneric(z, x, y, p []uint64, pInv uint64) {
	n := len(p)
	x, y, z = x[:n], y[:n], z[:n]
	var mb [maxLimbs]uint64
	var tb [maxLimbs]uint64
	q, t := mb[:n], tb[:n]
	var a0, a1, a2 uint64
	for i := range n {
		for j := range i {
			a0, a1, a2 = mulAcc(a0, a1, a2, x[j], y[i-j])
			a0, a1, a2 = mulAcc(a0, a1, a2, q[j], p[i-j])
		}
		a0, a1, a2 = mulAcc(a0, a1, a2, x[i], y[0])
		q[i] = a0 * pInv
		a0, a1, a2 = mulAcc(a0, a1, a2, q[i], p[0])
		a0, a1, a2 = a1, a2, 0 // a0 is now zero
	}
	for i := n; i < 2*n-1; i++ {
		for j := i - n + 1; j < n; j++ {
			a0, a1, a2 = mulAcc(a0, a1, a2, x[j], y[i-j])
			a0, a1, a2 = mulAcc(a0, a1, a2, q[j], p[i-j])
		}
		t[i-n] = a0
		a0, a1, a2 = a1, a2, 0
	}
	t[n-1] = a0
	// a1 is the carry word; t < 2p.
	var borrow uint64
	for j := range n {
		z[j], borrow = bits.Sub64(t[j], p[j], borrow)
	}
	_, borrow = bits.Sub64(a1, 0, borrow)
	keep := -borrow // all ones when t < p: keep t
	for j := range n {
		z[j] = t[j]&keep | z[j]&^keep
	}
}

// mulAcc returns (a0, a1, a2) + x·y.
func mulAcc(a0, a1, a2, x, y uint64) (uint64, uint64, uint64) {
	hi, lo := bits.Mul64(x, y)
	var c uint64
	a0, c = bits.Add64(a0, lo, 0)
	a1, c = bits.Add64(a1, hi, c)
	a2 += c
	return a0, a1, a2
}

// ctEqMask returns all ones if a == b, zero otherwise, without a branch.
func ctEqMask(a, b uint64) uint64 {
	d := a ^ b
	return ((d | -d) >> 63) - 1
}

// lookup sets z to entry idx of a table of windowSize entries of n limbs,
// reading every entry whatever idx is.
func (m *modulus) lookup(z, table []uint64, idx uint64) {
	n := m.n
	z = z[:n]
	table = table[:windowSize*n]
	if !m.portable && lookupAsm(z, table, n, idx) {
		return
	}
	clear(z)
	for k := range windowSize {
		mask := ctEqMask(uint64(k), idx)
		e := table[k*n : k*n+n]
		for j := range z {
			z[j] |= e[j] & mask
		}
	}
}

// window returns window i (0 = least significant) of e.
func window(e []uint64, i int) uint64 {
	const perLimb = 64 / windowBits
	return e[i/perLimb] >> (windowBits * (i % perLimb)) & (windowSize - 1)
}

// expScratch is the working memory of an exponentiation, pooled so that
// handshakes neither allocate it nor grow a fresh goroutine's stack, and
// cleared before it goes back.
type expScratch struct {
	table [windowSize * maxLimbs]uint64
	acc   [maxLimbs]uint64
	entry [maxLimbs]uint64
}

var expScratchPool = sync.Pool{New: func() any { return new(expScratch) }}

func getExpScratch() *expScratch { return expScratchPool.Get().(*expScratch) }

func putExpScratch(s *expScratch) {
	*s = expScratch{}
	expScratchPool.Put(s)
}

// exp sets z = base^e mod p for a reduced base, with fixed windows of
// windowBits: always windowBits squarings and one multiplication by a table
// entry read in full, so time and memory accesses depend on len(e) only.
// z may alias base.
func (m *modulus) exp(z, base, e []uint64) {
	n := m.n
	s := getExpScratch()
	defer putExpScratch(s)
	table := s.table[:windowSize*n]
	acc, entry := s.acc[:n], s.entry[:n]

	copy(table[:n], m.one)
	m.mul(table[n:2*n], base, m.rr)
	for k := 2; k < windowSize; k++ {
		if k%2 == 0 { // squaring is the cheaper kernel
			m.sqr(table[k*n:(k+1)*n], table[k/2*n:(k/2+1)*n])
		} else {
			m.mul(table[k*n:(k+1)*n], table[(k-1)*n:k*n], table[n:2*n])
		}
	}
	windows := len(e) * 64 / windowBits
	m.lookup(acc, table, window(e, windows-1))
	for i := windows - 2; i >= 0; i-- {
		for range windowBits {
			m.sqr(acc, acc)
		}
		m.lookup(entry, table, window(e, i))
		m.mul(acc, acc, entry)
	}
	m.fromMontgomery(z, acc)
}

// fromMontgomery sets z = x·R⁻¹ mod p (fully reduced).
func (m *modulus) fromMontgomery(z, x []uint64) {
	var oneb [maxLimbs]uint64
	one := oneb[:m.n]
	one[0] = 1
	m.mul(z, x, one)
}

// fixedBase holds, for a base g, every g^(d·16^i) in Montgomery form
// (d < 16, i < windows): g^e is then one multiplication per 4-bit window of
// e and no squaring ("fixed-base windowing", Brickell et al. 1992), about
// five times less work than a generic exponentiation.
type fixedBase struct {
	windows int      // exponents of up to 4·windows bits
	table   []uint64 // windows × windowSize × n
}

func newFixedBase(m *modulus, g uint64, windows int) *fixedBase {
	n := m.n
	f := &fixedBase{windows: windows, table: make([]uint64, windows*windowSize*n)}
	var gb [maxLimbs]uint64
	gm := gb[:n]
	gm[0] = g
	m.mul(gm, gm, m.rr) // g^(16^0) in Montgomery form
	for i := range windows {
		row := f.table[i*windowSize*n : (i+1)*windowSize*n]
		copy(row[:n], m.one)
		copy(row[n:2*n], gm)
		for d := 2; d < windowSize; d++ {
			m.mul(row[d*n:(d+1)*n], row[(d-1)*n:d*n], gm)
		}
		for range windowBits { // g^(16^(i+1))
			m.sqr(gm, gm)
		}
	}
	return f
}

// exp sets z = g^e mod p; len(e)·64 must not exceed 4·f.windows. Every
// window reads its whole row of the table.
func (f *fixedBase) exp(m *modulus, z, e []uint64) {
	n := m.n
	s := getExpScratch()
	defer putExpScratch(s)
	acc, entry := s.acc[:n], s.entry[:n]
	rowLen := windowSize * n
	windows := len(e) * 64 / windowBits
	m.lookup(acc, f.table[:rowLen], window(e, 0))
	for i := 1; i < windows; i++ {
		m.lookup(entry, f.table[i*rowLen:(i+1)*rowLen], window(e, i))
		m.mul(acc, acc, entry)
	}
	m.fromMontgomery(z, acc)
}
