package script

import (
	"runtime"
	"weak"

	lua "github.com/yuin/gopher-lua"

	"nimbus/core"
)

const memberTypeName = "Member"

// luaMember is a virtual NetGroup member made by mona:joinGroup(peerId,
// groupId) (Cumulus: cumulus.groups:join): a peer of another server placed
// on this server's group ring, for NetGroups spread over several servers
// (reference §4.7). It leaves the group on member:release(), when its
// application stops or reloads, or when the script drops the last
// reference and Go's collector reclaims it (MonaServer releases it on Lua
// GC).
type luaMember struct {
	object
	m *core.Membership
}

func (h *Host) registerMember() {
	k := h.newKind(memberTypeName, map[string]lua.LGFunction{
		"release": func(L *lua.LState) int {
			h.releaseMember(h.memberKind.check(L, 1).(*luaMember))
			return 0
		},
	})
	k.get = func(L *lua.LState, o luaObject, key string) (lua.LValue, bool) {
		m := o.(*luaMember).m
		switch key {
		case "id":
			return lua.LString(m.PeerID().String()), true
		case "rawId":
			id := m.PeerID()
			return lua.LString(id[:]), true
		case "group":
			if g := m.Group(); g != nil && m.Active() {
				return h.group(L, g).ud, true
			}
			return lua.LNil, true
		}
		return nil, false
	}
	h.memberKind = k
}

// monaJoinGroup is mona:joinGroup(peerId, groupId); ids raw (32 bytes) or
// hex (64 characters).
func (h *Host) monaJoinGroup(L *lua.LState) int {
	first := h.args(L)
	return h.joinVirtual(L, first)
}

// joinVirtual reads (peerId, groupId) at index first and pushes the member.
func (h *Host) joinVirtual(L *lua.LState, first int) int {
	peer, err := core.ParsePeerID(L.CheckString(first))
	if err != nil {
		L.ArgError(first, "peer id: "+err.Error())
	}
	group, err := core.ParsePeerID(L.CheckString(first + 1))
	if err != nil {
		L.ArgError(first+1, "group id: "+err.Error())
	}
	if h.srv == nil {
		L.RaiseError("joinGroup: no server attached")
	}
	m := h.srv.JoinGroupVirtual(peer, group)
	lm := &luaMember{m: m}
	h.memberKind.wrap(L, lm)
	_, owner := h.callerPosition(L, 1)
	h.virtualMembers[owner] = append(h.virtualMembers[owner], weak.Make(lm))
	srv := h.srv
	// The cleanup runs on a runtime goroutine: LeaveGroup posts to the
	// loop, where a membership already ended is a no-op.
	runtime.AddCleanup(lm, func(m *core.Membership) { srv.LeaveGroup(m) }, m)
	L.Push(lm.ud)
	return 1
}

func (h *Host) releaseMember(lm *luaMember) {
	if h.srv != nil {
		h.srv.LeaveGroupNow(lm.m)
	}
}

// releaseAppMembers ends the virtual members an application made (stop or
// reload), the ones the collector has not reclaimed yet.
func (h *Host) releaseAppMembers(a *app) {
	for _, wp := range h.virtualMembers[a] {
		if lm := wp.Value(); lm != nil {
			h.releaseMember(lm)
		}
	}
	delete(h.virtualMembers, a)
}

// compactMembers drops the reclaimed entries of the per-app lists, so a
// script that makes and drops members forever does not grow them.
func (h *Host) compactMembers() {
	for a, list := range h.virtualMembers {
		kept := list[:0]
		for _, wp := range list {
			if wp.Value() != nil {
				kept = append(kept, wp)
			}
		}
		clear(list[len(kept):])
		if len(kept) == 0 {
			delete(h.virtualMembers, a)
		} else {
			h.virtualMembers[a] = kept
		}
	}
}
