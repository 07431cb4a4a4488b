package script

import (
	"fmt"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Flavour selects which server API an application was written for where
// MonaServer (M1) and CumulusServer (CU) differ. Both APIs are available to
// every app (the union is served wherever it does not conflict); the flavour
// only decides the conflicting behaviours, see doc.go.
type Flavour int

const (
	// FlavourAuto lets the host decide (see detectFlavour).
	FlavourAuto Flavour = iota
	// FlavourMona is MonaServer 1 (final, 2016).
	FlavourMona
	// FlavourCumulus is CumulusServer (final, 2012-11 and later).
	FlavourCumulus
)

func (f Flavour) String() string {
	switch f {
	case FlavourMona:
		return "mona"
	case FlavourCumulus:
		return "cumulus"
	}
	return "auto"
}

// ParseFlavour accepts "auto", "mona" (or "m1", "monaserver") and "cumulus"
// (or "cu", "cumulusserver"), case-insensitively.
func ParseFlavour(s string) (Flavour, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return FlavourAuto, nil
	case "mona", "m1", "monaserver":
		return FlavourMona, nil
	case "cumulus", "cu", "cumulusserver":
		return FlavourCumulus, nil
	}
	return FlavourAuto, fmt.Errorf("script: unknown flavour %q (want auto, mona or cumulus)", s)
}

// Markers looked for among the constants of a compiled main.lua (global
// names, field and method names). The global object name decides first;
// API-specific member names decide when it is absent or both are used.
var (
	monaMarkers = []string{"writeInvocation", "writeMessage", "writeRaw", "newWriter",
		"pushAudio", "pushVideo", "onData", "onPacket", "toJSON", "fromJSON", "listPaths"}
	cumulusMarkers = []string{"writeAMFMessage", "writeAMFResult", "writeStatusResponse",
		"newFlowWriter", "onReception", "pushAudioPacket", "pushVideoPacket", "pushDataPacket",
		"epochTime", "clientHandler"}
)

// detectFlavour decides the flavour of a compiled chunk, or FlavourAuto when
// the source gives no unambiguous hint:
//  1. uses the global `cumulus` and not `mona` → Cumulus; `mona` and not
//     `cumulus` → Mona;
//  2. otherwise, only Cumulus-specific member names (writeAMFMessage,
//     onReception, newFlowWriter, …) → Cumulus; only MonaServer-specific
//     ones (writeInvocation, writeMessage, onData, …) → Mona;
//  3. otherwise Auto (the app inherits its parent's flavour; root: Mona).
func detectFlavour(proto *lua.FunctionProto) Flavour {
	names := map[string]bool{}
	collectStringConstants(proto, names)
	mona, cumulus := names["mona"], names["cumulus"]
	switch {
	case cumulus && !mona:
		return FlavourCumulus
	case mona && !cumulus:
		return FlavourMona
	}
	m, c := false, false
	for _, n := range monaMarkers {
		m = m || names[n]
	}
	for _, n := range cumulusMarkers {
		c = c || names[n]
	}
	switch {
	case c && !m:
		return FlavourCumulus
	case m && !c:
		return FlavourMona
	}
	return FlavourAuto
}

func collectStringConstants(p *lua.FunctionProto, into map[string]bool) {
	for _, k := range p.Constants {
		if s, ok := k.(lua.LString); ok && len(s) < 64 {
			into[string(s)] = true
		}
	}
	for _, sub := range p.FunctionPrototypes {
		collectStringConstants(sub, into)
	}
}
