package script

import (
	"net/netip"

	lua "github.com/yuin/gopher-lua"
)

// newAddress returns a client address as scripts see it: a Cumulus app gets
// the "ip:port" string; a MonaServer app gets a SocketAddress object (host,
// port, value, isIPv6) whose tostring is "ip:port". Unlike MonaServer's,
// it can also be concatenated ("x" .. client.address).
func (h *Host) newAddress(L *lua.LState, a netip.AddrPort, f Flavour) lua.LValue {
	s := a.String()
	if !a.IsValid() {
		s = ""
	}
	if f == FlavourCumulus {
		return lua.LString(s)
	}
	t := L.CreateTable(0, 4)
	t.RawSetString("host", lua.LString(a.Addr().Unmap().String()))
	t.RawSetString("port", lua.LNumber(a.Port()))
	t.RawSetString("value", lua.LString(s))
	t.RawSetString("isIPv6", lua.LBool(a.Addr().Is6() && !a.Addr().Is4In6()))
	t.Metatable = h.addressMeta()
	return t
}

func (h *Host) addressMeta() *lua.LTable {
	if h.addressMT != nil {
		return h.addressMT
	}
	L := h.L
	mt := L.NewTable()
	value := func(v lua.LValue) string {
		if t, ok := v.(*lua.LTable); ok && t.Metatable == mt {
			return t.RawGetString("value").String()
		}
		return L.ToStringMeta(v).String()
	}
	mt.RawSetString("__tostring", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(value(L.Get(1))))
		return 1
	}))
	mt.RawSetString("__concat", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(value(L.Get(1)) + value(L.Get(2))))
		return 1
	}))
	mt.RawSetString("__eq", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LBool(value(L.Get(1)) == value(L.Get(2))))
		return 1
	}))
	mt.RawSetString("__metatable", lua.LString("SocketAddress"))
	h.addressMT = mt
	return mt
}

// parseAddress reads a redirection target: "ip:port" (a host name cannot be
// resolved without blocking the loop and is refused).
func parseAddress(s string) (netip.AddrPort, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap, true
	}
	if ip, err := netip.ParseAddr(s); err == nil {
		return netip.AddrPortFrom(ip, 1935), true
	}
	return netip.AddrPort{}, false
}
