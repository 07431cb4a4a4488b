package message

import (
	"net/netip"
	"strings"

	"nimbus/core/amf"
)

// Status levels.
const (
	LevelStatus  = "status"
	LevelError   = "error"
	LevelWarning = "warning"
)

// Status is a NetConnection/NetStream status (info) object: level, code,
// description, and any other members.
type Status struct {
	Level       string
	Code        string
	Description string
	// Extra holds the other members in wire order.
	Extra []amf.Member
}

// Object returns the status as an AMF object: level, code, description,
// then the extra members, the order MonaServer writes.
func (s Status) Object() *amf.Object {
	members := make([]amf.Member, 0, 3+len(s.Extra))
	members = append(members,
		amf.Member{Key: "level", Value: s.Level},
		amf.Member{Key: "code", Value: s.Code},
		amf.Member{Key: "description", Value: s.Description},
	)
	return amf.NewObject(append(members, s.Extra...)...)
}

// ParseStatus reads a status object. It reports false when v is not an
// object with a string code.
func ParseStatus(v any) (Status, bool) {
	o, ok := v.(*amf.Object)
	if !ok {
		return Status{}, false
	}
	var s Status
	hasCode := false
	for _, m := range o.Members {
		str, isString := m.Value.(string)
		switch {
		case m.Key == "level" && isString:
			s.Level = str
		case m.Key == "code" && isString:
			s.Code, hasCode = str, true
		case m.Key == "description" && isString:
			s.Description = str
		default:
			s.Extra = append(s.Extra, m)
		}
	}
	return s, hasCode
}

// Get returns the value of the named extra member.
func (s Status) Get(key string) (any, bool) {
	for i := len(s.Extra) - 1; i >= 0; i-- {
		if s.Extra[i].Key == key {
			return s.Extra[i].Value, true
		}
	}
	return nil, false
}

// Names of the commands and messages of the Flash profile.
const (
	CommandConnect      = "connect"
	CommandSetPeerInfo  = "setPeerInfo"
	CommandCreateStream = "createStream"
	CommandDeleteStream = "deleteStream"
	CommandCloseStream  = "closeStream"
	CommandPublish      = "publish"
	CommandPlay         = "play"
	CommandReceiveAudio = "receiveAudio"
	CommandReceiveVideo = "receiveVideo"
	CommandResult       = "_result"
	CommandError        = "_error"
	CommandOnStatus     = "onStatus"
	CommandClose        = "close"
)

// ParsePeerAddresses reads the arguments of setPeerInfo: one "ip:port" or
// "[ipv6]:port" string per address the client can be reached at. Anything
// else is ignored; at most max arguments are examined, so a client cannot
// make the server work in proportion to an oversized list. Filtering
// (unicast only, no duplicates, final cap) is left to core.
func ParsePeerAddresses(args []any, max int) []netip.AddrPort {
	if len(args) > max {
		args = args[:max]
	}
	var out []netip.AddrPort
	for _, a := range args {
		s, ok := a.(string)
		if !ok || len(s) > len("[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255%zone-of-some-length]:65535") {
			continue
		}
		ap, err := netip.ParseAddrPort(strings.TrimSpace(s))
		if err != nil || ap.Addr().Zone() != "" {
			continue
		}
		out = append(out, ap)
	}
	return out
}
