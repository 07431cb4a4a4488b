package amf

// internTable holds strings that Flash commands carry in almost every
// message. Decoding looks short strings up here first so that keys such as
// "objectEncoding" do not cost an allocation each time. The map is only read
// after package initialisation, so concurrent decoders may share it.
var internTable = func() map[string]string {
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
	m := make(map[string]string, len(words))
	for _, w := range words {
		m[w] = w
	}
	return m
}()

// maxInternLen bounds the lookups to strings that can be in internTable.
const maxInternLen = 40

// makeString returns b as a string, sharing a common one when possible.
func makeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) <= maxInternLen {
		if s, ok := internTable[string(b)]; ok { // no allocation for the lookup
			return s
		}
	}
	return string(b)
}
