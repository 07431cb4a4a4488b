package wire

// UserDataFlags is the first byte of a User Data or Next User Data chunk.
type UserDataFlags uint8

// User data flag bits.
const (
	// UserDataHasOptions (OPT): an option list ending with a marker precedes
	// the data.
	UserDataHasOptions UserDataFlags = 0x80
	// UserDataFragmentMask selects the FRA bits.
	UserDataFragmentMask UserDataFlags = 0x30
	// UserDataAbandon (ABN): this sequence number carries no data.
	UserDataAbandon UserDataFlags = 0x02
	// UserDataFinal (FIN): the last sequence number of the flow.
	UserDataFinal UserDataFlags = 0x01
)

// Fragment values of the FRA bits.
const (
	FragmentWhole  UserDataFlags = 0x00 // a whole message
	FragmentFirst  UserDataFlags = 0x10 // first fragment, more follow
	FragmentLast   UserDataFlags = 0x20 // last fragment
	FragmentMiddle UserDataFlags = 0x30 // neither first nor last
)

// Fragment returns the FRA bits (one of the Fragment* values).
func (f UserDataFlags) Fragment() UserDataFlags { return f & UserDataFragmentMask }

// User data option types.
const (
	// UserDataOptionMetadata carries the flow metadata ("signature").
	UserDataOptionMetadata = 0x00
	// UserDataOptionReturnAssociation carries VLU(flow ID of a flow in the
	// opposite direction).
	UserDataOptionReturnAssociation = 0x0a
	// UserDataOptionIgnorable is the first option type a receiver may
	// ignore; lower unknown types are must-understand.
	UserDataOptionIgnorable = 0x2000
)

// UserData (0x10) carries one fragment of a flow message:
// flags ‖ VLU(flow ID) ‖ VLU(sequence number) ‖ VLU(forward sequence number
// offset) ‖ [options ‖ marker] ‖ data.
type UserData struct {
	Flags     UserDataFlags
	FlowID    uint64
	Seq       uint64
	FSNOffset uint64
	// Options is written iff Flags has UserDataHasOptions; Append adds the
	// end marker. Unknown options are preserved.
	Options OptionList
	Data    []byte
}

// ParseUserData decodes a User Data chunk value.
func ParseUserData(b []byte) (UserData, int, error) {
	if len(b) < 1 {
		return UserData{}, 0, errPart("user data: flags", ErrTruncated)
	}
	u := UserData{Flags: UserDataFlags(b[0])}
	n := 1
	var m int
	var err error
	if u.FlowID, m, err = readVLUPart(b[n:], "user data: flow id"); err != nil {
		return UserData{}, 0, err
	}
	n += m
	if u.Seq, m, err = readVLUPart(b[n:], "user data: sequence number"); err != nil {
		return UserData{}, 0, err
	}
	n += m
	if u.FSNOffset, m, err = readVLUPart(b[n:], "user data: fsn offset"); err != nil {
		return UserData{}, 0, err
	}
	n += m
	if u.Flags&UserDataHasOptions != 0 {
		if u.Options, m, err = ParseOptionList(b[n:]); err != nil {
			return UserData{}, 0, errPart("user data", err)
		}
		n += m
	}
	u.Data = rest(b[n:])
	return u, len(b), nil
}

// FSN is the forward sequence number Seq − FSNOffset: every sequence number
// up to it will never be (re)sent. It is 0 if FSNOffset exceeds Seq.
func (u UserData) FSN() uint64 {
	if u.FSNOffset > u.Seq {
		return 0
	}
	return u.Seq - u.FSNOffset
}

// Metadata returns the flow metadata option, if present.
func (u UserData) Metadata() ([]byte, bool) {
	return u.Options.Find(UserDataOptionMetadata)
}

// ReturnAssociation returns the flow ID of the return-association option.
// ok is false if the option is absent or its value is not a VLU.
func (u UserData) ReturnAssociation() (flowID uint64, ok bool) {
	return returnAssociation(u.Options)
}

func returnAssociation(l OptionList) (uint64, bool) {
	v, found := l.Find(UserDataOptionReturnAssociation)
	if !found {
		return 0, false
	}
	id, _, err := ReadVLU(v)
	return id, err == nil
}

// ChunkType implements ChunkValue.
func (UserData) ChunkType() ChunkType { return ChunkUserData }

func (u UserData) valueLen() int {
	n := 1 + VLULen(u.FlowID) + VLULen(u.Seq) + VLULen(u.FSNOffset) + len(u.Data)
	if u.Flags&UserDataHasOptions != 0 {
		n += len(u.Options) + 1
	}
	return n
}

// Len implements ChunkValue.
func (u UserData) Len() int { return ChunkHeaderLen + u.valueLen() }

// Append implements ChunkValue.
func (u UserData) Append(b []byte) []byte {
	b = AppendChunkHeader(b, ChunkUserData, u.valueLen())
	b = append(b, byte(u.Flags))
	b = AppendVLU(b, u.FlowID)
	b = AppendVLU(b, u.Seq)
	b = AppendVLU(b, u.FSNOffset)
	if u.Flags&UserDataHasOptions != 0 {
		b = append(b, u.Options...)
		b = AppendMarker(b)
	}
	return append(b, u.Data...)
}

// AppendMetadataOption appends a flow metadata option.
func AppendMetadataOption(b, metadata []byte) []byte {
	return AppendOption(b, UserDataOptionMetadata, metadata)
}

// AppendReturnAssociationOption appends a return-association option.
func AppendReturnAssociationOption(b []byte, flowID uint64) []byte {
	return AppendOptionVLU(b, UserDataOptionReturnAssociation, flowID)
}

// NextUserData (0x11) continues the previous User Data or Next User Data
// chunk of the same packet: same flow, sequence number + 1, same forward
// sequence number. Layout: flags ‖ [options ‖ marker] ‖ data.
type NextUserData struct {
	Flags   UserDataFlags
	Options OptionList
	Data    []byte
}

// ParseNextUserData decodes a Next User Data chunk value.
func ParseNextUserData(b []byte) (NextUserData, int, error) {
	if len(b) < 1 {
		return NextUserData{}, 0, errPart("next user data: flags", ErrTruncated)
	}
	u := NextUserData{Flags: UserDataFlags(b[0])}
	n := 1
	if u.Flags&UserDataHasOptions != 0 {
		list, m, err := ParseOptionList(b[n:])
		if err != nil {
			return NextUserData{}, 0, errPart("next user data", err)
		}
		u.Options = list
		n += m
	}
	u.Data = rest(b[n:])
	return u, len(b), nil
}

// Follow expands u using the chunk it follows: flow ID unchanged, sequence
// number + 1, FSN unchanged (so the offset grows by one).
func (u NextUserData) Follow(prev UserData) UserData {
	return UserData{
		Flags:     u.Flags,
		FlowID:    prev.FlowID,
		Seq:       prev.Seq + 1,
		FSNOffset: prev.FSNOffset + 1,
		Options:   u.Options,
		Data:      u.Data,
	}
}

// ChunkType implements ChunkValue.
func (NextUserData) ChunkType() ChunkType { return ChunkNextUserData }

func (u NextUserData) valueLen() int {
	n := 1 + len(u.Data)
	if u.Flags&UserDataHasOptions != 0 {
		n += len(u.Options) + 1
	}
	return n
}

// Len implements ChunkValue.
func (u NextUserData) Len() int { return ChunkHeaderLen + u.valueLen() }

// Append implements ChunkValue.
func (u NextUserData) Append(b []byte) []byte {
	b = AppendChunkHeader(b, ChunkNextUserData, u.valueLen())
	b = append(b, byte(u.Flags))
	if u.Flags&UserDataHasOptions != 0 {
		b = append(b, u.Options...)
		b = AppendMarker(b)
	}
	return append(b, u.Data...)
}
