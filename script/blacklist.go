package script

import (
	"net/netip"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// mona:addToBlacklist(ip...) and mona:removeFromBlacklist(ip...): banned
// IPs are dropped by the protocols before any handshake work, and the
// clients connected from them are disconnected (core.Server.Ban). An
// argument is an IP ("192.0.2.1", "2001:db8::1") or an address with a port,
// whose port is ignored ("192.0.2.1:1935", "[2001:db8::1]:1935"); anything
// else raises an error naming it.

func (h *Host) monaAddToBlacklist(L *lua.LState) int {
	addrs := h.blacklistArgs(L, "addToBlacklist")
	if h.srv != nil {
		for _, a := range h.srv.Ban(addrs...) {
			h.log.Info("script: address banned", "address", a.String())
		}
	}
	return 0
}

func (h *Host) monaRemoveFromBlacklist(L *lua.LState) int {
	addrs := h.blacklistArgs(L, "removeFromBlacklist")
	if h.srv != nil {
		for _, a := range h.srv.Unban(addrs...) {
			h.log.Info("script: address unbanned", "address", a.String())
		}
	}
	return 0
}

func (h *Host) blacklistArgs(L *lua.LState, fn string) []netip.Addr {
	first := h.args(L)
	var out []netip.Addr
	for i := first; i <= L.GetTop(); i++ {
		v := L.Get(i)
		s, ok := v.(lua.LString)
		if !ok {
			L.ArgError(i, "mona:"+fn+": IP address string expected, got "+v.Type().String())
		}
		a, ok := parseIP(string(s))
		if !ok {
			L.ArgError(i, "mona:"+fn+": "+strconv.Quote(string(s))+" is not an IP address")
		}
		out = append(out, a)
	}
	return out
}

func parseIP(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}
