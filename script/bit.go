package script

import (
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// The LuaJIT "bit" module: 32-bit operations on numbers, results are signed
// 32-bit integers. Apps written for MonaServer/Cumulus (LuaJIT) use it.

func toBit(n float64) int32 {
	if math.IsNaN(n) || math.IsInf(n, 0) {
		return 0
	}
	n = math.Mod(math.RoundToEven(n), 4294967296)
	if n < 0 {
		n += 4294967296
	}
	return int32(uint32(n))
}

func checkBit(L *lua.LState, n int) int32 { return toBit(float64(L.CheckNumber(n))) }

func pushBit(L *lua.LState, v int32) int {
	L.Push(lua.LNumber(v))
	return 1
}

func bitFold(op func(a, b int32) int32) lua.LGFunction {
	return func(L *lua.LState) int {
		r := checkBit(L, 1)
		for i := 2; i <= L.GetTop(); i++ {
			r = op(r, checkBit(L, i))
		}
		return pushBit(L, r)
	}
}

var bitFuncs = map[string]lua.LGFunction{
	"tobit": func(L *lua.LState) int { return pushBit(L, checkBit(L, 1)) },
	"bnot":  func(L *lua.LState) int { return pushBit(L, ^checkBit(L, 1)) },
	"band":  bitFold(func(a, b int32) int32 { return a & b }),
	"bor":   bitFold(func(a, b int32) int32 { return a | b }),
	"bxor":  bitFold(func(a, b int32) int32 { return a ^ b }),
	"lshift": func(L *lua.LState) int {
		return pushBit(L, int32(uint32(checkBit(L, 1))<<(uint32(checkBit(L, 2))&31)))
	},
	"rshift": func(L *lua.LState) int {
		return pushBit(L, int32(uint32(checkBit(L, 1))>>(uint32(checkBit(L, 2))&31)))
	},
	"arshift": func(L *lua.LState) int {
		return pushBit(L, checkBit(L, 1)>>(uint32(checkBit(L, 2))&31))
	},
	"rol": func(L *lua.LState) int {
		x, n := uint32(checkBit(L, 1)), uint32(checkBit(L, 2))&31
		return pushBit(L, int32(x<<n|x>>((32-n)&31)))
	},
	"ror": func(L *lua.LState) int {
		x, n := uint32(checkBit(L, 1)), uint32(checkBit(L, 2))&31
		return pushBit(L, int32(x>>n|x<<((32-n)&31)))
	},
	"bswap": func(L *lua.LState) int {
		x := uint32(checkBit(L, 1))
		return pushBit(L, int32(x>>24|(x>>8)&0xff00|(x<<8)&0xff0000|x<<24))
	},
	"tohex": func(L *lua.LState) int {
		x := uint32(checkBit(L, 1))
		n := 8
		if L.GetTop() >= 2 {
			n = int(checkBit(L, 2))
		}
		digits := "0123456789abcdef"
		if n < 0 {
			n = -n
			digits = "0123456789ABCDEF"
		}
		n = min(n, 8)
		var b strings.Builder
		for i := n - 1; i >= 0; i-- {
			b.WriteByte(digits[(x>>(uint(i)*4))&15])
		}
		L.Push(lua.LString(b.String()))
		return 1
	},
}

func openBit(L *lua.LState) *lua.LTable {
	return L.SetFuncs(L.NewTable(), bitFuncs)
}
