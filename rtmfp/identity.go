package rtmfp

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"math/big"
	"slices"
	"time"

	"nimbus/rtmfp/crypto"
	"nimbus/rtmfp/wire"
)

// staticGroup is the group of every endpoint's static key: Flash only
// uses group 2 for its own certificate.
const staticGroup = 2

// identity is what an endpoint presents in handshakes.
type identity struct {
	// static is the endpoint's static key pair: the key of its initiator
	// certificate, and of its responder certificate when it is a peer.
	static *crypto.PrivateKey
	// staticCert is 81 02 1d 02 ‖ public value: what Flash clients send.
	staticCert []byte
	// responderCert is what RHello carries: the 77-byte ephemeral
	// certificate for a server, staticCert otherwise.
	responderCert []byte
	// peerID is the fingerprint of responderCert (a server's farID, a
	// peer's peer ID).
	peerID [32]byte
	// initiatorPeerID is the fingerprint of staticCert.
	initiatorPeerID [32]byte
	// group is the group of the static key (2 unless a test says
	// otherwise).
	group uint64
	// policy is our HMAC and sequence-number policy.
	policy crypto.KeyingPolicy
}

// testHooks replace random choices so that tests can compare bytes with
// captures.
type testHooks struct {
	staticExponent    *big.Int // static key
	ephemeralExponent *big.Int // every server ephemeral key
	staticGroup       uint64   // group of the static key (2)
	policy            *crypto.KeyingPolicy
	certRandomness    *[64]byte
	nextSID           uint32 // first responder session ID (then +loops)
	random            io.Reader
	closeWait         time.Duration // Endpoint.Close's wait for orderly closes
}

func newIdentity(cfg *Config) (*identity, error) {
	id := &identity{group: staticGroup, policy: keyingPolicy}
	h := cfg.testHooks
	if h != nil && h.staticGroup != 0 {
		id.group = h.staticGroup
	}
	if h != nil && h.policy != nil {
		id.policy = *h.policy
	}
	g, ok := crypto.GroupByID(id.group)
	if !ok {
		return nil, fmt.Errorf("rtmfp: static key group %d: %w", id.group, ErrBadConfig)
	}
	var err error
	if h != nil && h.staticExponent != nil {
		id.static, err = crypto.NewPrivateKey(g, h.staticExponent)
	} else {
		id.static, err = crypto.GenerateKey(g, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("rtmfp: static key: %w", err)
	}
	id.staticCert = wire.AppendStaticKeyOption(nil, id.group, id.static.Public)
	id.initiatorPeerID = sha256.Sum256(id.staticCert)
	if cfg.Server {
		var rnd [64]byte
		if h != nil && h.certRandomness != nil {
			rnd = *h.certRandomness
		} else if _, err := rand.Read(rnd[:]); err != nil {
			return nil, fmt.Errorf("rtmfp: certificate randomness: %w", err)
		}
		id.responderCert = serverCertificate(cfg.Groups, &rnd)
	} else {
		id.responderCert = id.staticCert
	}
	id.peerID = sha256.Sum256(id.responderCert)
	return id, nil
}

// serverCertificate builds the 77-byte ephemeral certificate. With the
// default groups (2, 5, 14) it is byte for byte Adobe's layout; with fewer
// groups the extra randomness grows so that the length stays 77, which
// librtmfp requires (it skips exactly 77 bytes).
func serverCertificate(groups []int, rnd *[64]byte) []byte {
	gs := slices.Clone(groups)
	slices.Sort(gs)
	gs = slices.Compact(gs)
	if slices.Equal(gs, supportedGroups) {
		return wire.AppendServerCertificate(nil, rnd)
	}
	tail := 0
	for _, g := range gs {
		tail += wire.OptionVLULen(wire.CertOptionEphemeralGroup, uint64(g))
	}
	head := wire.OptionLen(wire.CertOptionAcceptsAncillaryData, 0)
	// An option of n value bytes takes n+2 bytes while n+1 < 128.
	n := wire.ServerCertificateLen - head - tail - 2
	extra := make([]byte, n)
	copy(extra, rnd[:])
	sum := sha256.Sum256(rnd[:])
	copy(extra[min(n, 64):], sum[:])
	b := wire.AppendAcceptsAncillaryOption(nil)
	b = wire.AppendExtraRandomnessOption(b, extra)
	for _, g := range gs {
		b = wire.AppendEphemeralGroupOption(b, uint64(g))
	}
	return b
}

// initiatorSKIC is the key component a static initiator sends, as Flash
// does: group select, 64 bytes of randomness, HMAC and session sequence
// numbers offered on request (03 1a 02 0a, 02 1e 02).
func (id *identity) initiatorSKIC(random io.Reader) ([]byte, error) {
	var rnd [64]byte
	if _, err := io.ReadFull(random, rnd[:]); err != nil {
		return nil, err
	}
	hmacLen := uint64(id.policy.HMACLen)
	if hmacLen == 0 {
		hmacLen = crypto.DefaultHMACLen
	}
	b := wire.AppendGroupSelectOption(nil, id.group)
	b = wire.AppendExtraRandomnessOption(b, rnd[:])
	b = wire.AppendHMACNegotiationOption(b, id.policy.HMAC.Flags(), hmacLen)
	return wire.AppendSSeqNegotiationOption(b, id.policy.SSeq.Flags()), nil
}

// initiatorHMACLen is the HMAC length Flash offers.
const initiatorHMACLen = 10

// keyingPolicy is ours in both roles: we send HMACs and sequence numbers
// when asked (rtmfp-cpp may ask), never otherwise, and never require them
// (Flash offers them only on request).
var keyingPolicy = crypto.KeyingPolicy{
	HMAC:    crypto.Policy{SendOnRequest: true},
	HMACLen: initiatorHMACLen,
	SSeq:    crypto.Policy{SendOnRequest: true},
}

// answerFlags are the negotiation flags a responder puts in its SKRC: what
// it will actually do. For Flash (which only offers) both are 0, giving
// Adobe's 03 1a 00 00 02 1e 00 prefix that librtmfp requires.
func answerFlags(m crypto.Mode) (hmacFlags uint8, hmacLen uint64, sseqFlags uint8) {
	if m.SendHMACLen > 0 {
		hmacFlags |= wire.NegotiateSendAlways
		hmacLen = uint64(m.SendHMACLen)
	}
	if m.RecvHMACLen > 0 {
		hmacFlags |= wire.NegotiateRequest
	}
	if m.SendSSeq {
		sseqFlags |= wire.NegotiateSendAlways
	}
	if m.RecvSSeq {
		sseqFlags |= wire.NegotiateRequest
	}
	return
}
