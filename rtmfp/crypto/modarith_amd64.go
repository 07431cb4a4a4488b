//go:build amd64 && !purego

package crypto

import "golang.org/x/sys/cpu"

//go:generate go run modarith_amd64_gen.go

// useADX selects the multiplication kernels, which need MULX (BMI2) and the
// ADCX/ADOX carry chains (ADX): Intel since Broadwell, AMD since Zen.
var useADX = cpu.X86.HasBMI2 && cpu.X86.HasADX

// mulAsm sets z = x·y·R⁻¹ mod p with an assembly kernel; false if there is
// none for this size or CPU.
func mulAsm(m *modulus, z, x, y []uint64) bool {
	if !useADX {
		return false
	}
	switch m.n {
	case 16:
		montMulADX16(&z[0], &x[0], &y[0], &m.p[0], m.pInv)
	case 24:
		montMulADX24(&z[0], &x[0], &y[0], &m.p[0], m.pInv)
	case 32:
		montMulADX32(&z[0], &x[0], &y[0], &m.p[0], m.pInv)
	default:
		return false
	}
	return true
}

// sqrAsm sets z = x²·R⁻¹ mod p with an assembly kernel; false if there is
// none for this size or CPU.
func sqrAsm(m *modulus, z, x []uint64) bool {
	if !useADX {
		return false
	}
	switch m.n {
	case 16:
		montSqrADX16(&z[0], &x[0], &m.p[0], m.pInv)
	case 24:
		montSqrADX24(&z[0], &x[0], &m.p[0], m.pInv)
	case 32:
		montSqrADX32(&z[0], &x[0], &m.p[0], m.pInv)
	default:
		return false
	}
	return true
}

// lookupAsm is modulus.lookup in SSE2 (part of amd64) for n a multiple of 8.
func lookupAsm(z, table []uint64, n int, idx uint64) bool {
	if n%8 != 0 {
		return false
	}
	lookupSSE2(&z[0], &table[0], n, idx)
	return true
}

// montMulADX16 sets z = x·y·R⁻¹ mod p for 16-limb numbers (x, y < p, p odd
// with a non-zero top limb). z may alias x or y.
//
//go:noescape
func montMulADX16(z, x, y, p *uint64, pInv uint64)

// montMulADX24 is montMulADX16 for 24 limbs.
//
//go:noescape
func montMulADX24(z, x, y, p *uint64, pInv uint64)

// montMulADX32 is montMulADX16 for 32 limbs.
//
//go:noescape
func montMulADX32(z, x, y, p *uint64, pInv uint64)

// montSqrADX16 sets z = x²·R⁻¹ mod p for 16-limb numbers; z may alias x.
//
//go:noescape
func montSqrADX16(z, x, p *uint64, pInv uint64)

// montSqrADX24 is montSqrADX16 for 24 limbs.
//
//go:noescape
func montSqrADX24(z, x, p *uint64, pInv uint64)

// montSqrADX32 is montSqrADX16 for 32 limbs.
//
//go:noescape
func montSqrADX32(z, x, p *uint64, pInv uint64)

// lookupSSE2 sets the n limbs at z (n a multiple of 8) to entry idx of the
// windowSize entries at table, reading all of them.
//
//go:noescape
func lookupSSE2(z, table *uint64, n int, idx uint64)
