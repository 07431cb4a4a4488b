package wire

// Endpoint discriminator option types.
const (
	// EPDOptionHostname is a required hostname (the responder certificate
	// must carry the same hostname).
	EPDOptionHostname = 0x00
	// EPDOptionAncillaryData carries the URI (e.g. "rtmfp://host/app")
	// exactly as given to NetConnection.connect.
	EPDOptionAncillaryData = 0x0a
	// EPDOptionFingerprint carries the 32-byte fingerprint (peer ID) of the
	// wanted responder.
	EPDOptionFingerprint = 0x0f
)

// FingerprintLen is the length of a certificate fingerprint (peer ID).
const FingerprintLen = 32

// EPD is a decoded endpoint discriminator. A nil slice means the option is
// absent; later duplicates of an option override earlier ones.
type EPD struct {
	Hostname      []byte
	AncillaryData []byte
	Fingerprint   []byte
}

// ParseEPD decodes an endpoint discriminator option list. Markers and
// unknown options are skipped.
func ParseEPD(b []byte) (EPD, error) {
	list, err := ParseOptions(b)
	if err != nil {
		return EPD{}, errPart("epd", err)
	}
	var e EPD
	for o := range list.All() {
		if o.Marker {
			continue
		}
		switch o.Type {
		case EPDOptionHostname:
			e.Hostname = o.Value
		case EPDOptionAncillaryData:
			e.AncillaryData = o.Value
		case EPDOptionFingerprint:
			e.Fingerprint = o.Value
		}
	}
	return e, nil
}

// IsZero reports whether no option is present; such an EPD selects nothing.
func (e EPD) IsZero() bool {
	return e.Hostname == nil && e.AncillaryData == nil && e.Fingerprint == nil
}

// Len is the encoded length of e.
func (e EPD) Len() int {
	n := 0
	if e.Fingerprint != nil {
		n += OptionLen(EPDOptionFingerprint, len(e.Fingerprint))
	}
	if e.AncillaryData != nil {
		n += OptionLen(EPDOptionAncillaryData, len(e.AncillaryData))
	}
	if e.Hostname != nil {
		n += OptionLen(EPDOptionHostname, len(e.Hostname))
	}
	return n
}

// Append appends the present options: fingerprint, ancillary data, hostname.
func (e EPD) Append(b []byte) []byte {
	if e.Fingerprint != nil {
		b = AppendOption(b, EPDOptionFingerprint, e.Fingerprint)
	}
	if e.AncillaryData != nil {
		b = AppendOption(b, EPDOptionAncillaryData, e.AncillaryData)
	}
	if e.Hostname != nil {
		b = AppendOption(b, EPDOptionHostname, e.Hostname)
	}
	return b
}

// AppendCanonicalEPD appends the canonical EPD of an endpoint:
// 21 0f ‖ fingerprint (34 bytes). Open sessions are indexed by it, and P2P
// IHellos carry it.
func AppendCanonicalEPD(b []byte, fingerprint [FingerprintLen]byte) []byte {
	return AppendOption(b, EPDOptionFingerprint, fingerprint[:])
}
