//go:build !amd64 || purego

package crypto

// Without the amd64 kernels every operation runs the portable Go code.

func mulAsm(m *modulus, z, x, y []uint64) bool            { return false }
func sqrAsm(m *modulus, z, x []uint64) bool               { return false }
func lookupAsm(z, table []uint64, n int, idx uint64) bool { return false }
