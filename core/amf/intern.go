package amf

// internTable holds strings that Flash commands carry in almost every
// message. Decoding looks short strings up here first so that keys such as
// "objectEncoding" do not cost an allocation each time. The map is only read
// after package initialisation, so concurrent decoders may share it.
var internTable = func() map[string]interned {
	words := []string{
		// NetConnection.connect command object
		"connect", "app", "flashVer", "swfUrl", "tcUrl", "fpad", "capabilities",
		"audioCodecs", "videoCodecs", "videoFunction", "pageUrl", "objectEncoding",
		// status objects and replies
		"_result", "_error", "onStatus", "level", "code", "description", "details",
		"clientid", "data", "status", "error", "warning",
		"NetConnection.Connect.Success", "NetConnection.Connect.Rejected",
		"NetConnection.Connect.Closed", "NetConnection.Call.Failed",
		// stream commands
		"createStream", "deleteStream", "closeStream", "publish", "play",
		"pause", "seek", "receiveAudio", "receiveVideo", "setPeerInfo",
		"live", "record", "append", "@setDataFrame", "onMetaData",
		"|RtmpSampleAccess",
		// common AMF3 class aliases
		"flex.messaging.io.ArrayCollection", "flex.messaging.io.ObjectProxy",
	}
	m := make(map[string]interned, len(words))
	for _, w := range words {
		m[w] = interned{s: w, v: w}
	}
	return m
}()

// interned is a common string, also boxed once so that returning it as an
// any value does not allocate either.
type interned struct {
	s string
	v any
}

// maxInternLen bounds the lookups to strings that can be in internTable.
const maxInternLen = 40

// makeString returns b as a string, sharing a common one when possible.
func makeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) <= maxInternLen {
		if in, ok := internTable[string(b)]; ok { // no allocation for the lookup
			return in.s
		}
	}
	return string(b)
}

// emptyString is "" boxed once.
var emptyString any = ""

// makeStringValue is makeString for a string that becomes an any value.
func makeStringValue(b []byte) any {
	if len(b) == 0 {
		return emptyString
	}
	if len(b) <= maxInternLen {
		if in, ok := internTable[string(b)]; ok {
			return in.v
		}
	}
	return string(b)
}
