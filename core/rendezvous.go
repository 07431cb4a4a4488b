package core

import (
	"net/netip"
	"time"
)

// IntroductionRequest is a peer at From asking, through the server, for a
// session with the peer Target (an RTMFP IHello whose endpoint discriminator
// is a peer ID).
type IntroductionRequest struct {
	From   netip.AddrPort
	Target PeerID
	// Attempt counts the initiator's retries with the same tag, from 1.
	Attempt int
}

// Introduction is the answer to an IntroductionRequest.
type Introduction struct {
	// Target is the connected client that should receive the forwarded
	// hello, nil when the peer is unknown or the introduction was refused.
	Target *Client
	// TargetConn is Target's connection (valid when Target is not nil).
	TargetConn Conn
	// Redirect lists the addresses the initiator should try: the target's
	// observed address first, then those it reported. For an unknown peer it
	// holds what OnRendezVousUnknown returned, and may be empty (no answer).
	Redirect []Address
	// Forward lists the initiator's addresses to give the target: the
	// observed one first, then those the initiator reported if it is a
	// connected client.
	Forward []Address
	// Refused is set when policy or the rate limit refused the introduction.
	Refused bool
}

// Introduce resolves an introduction. Safe from any goroutine. reply runs on
// the core loop and must not block.
func (s *Server) Introduce(req IntroductionRequest, reply func(Introduction)) error {
	if !s.Post(func() { reply(s.introduce(req)) }) {
		return ErrBusy
	}
	return nil
}

func (s *Server) introduce(req IntroductionRequest) Introduction {
	target := s.clients[req.Target]
	if target == nil {
		var out Introduction
		for _, a := range s.events.OnRendezVousUnknown(req.From, req.Target) {
			if usableAddress(a) {
				out.Redirect = append(out.Redirect, Address{AddrPort: a, Origin: OriginObserved})
			}
		}
		return out
	}
	initiator := s.byAddress[keyOf(req.From)]
	if initiator == target || !target.takeIntroductionToken(s.opts, time.Now()) ||
		!s.events.OnIntroduction(initiator, req.From, target) {
		s.stats.IntroductionsRefused.Add(1)
		return Introduction{Refused: true}
	}
	s.stats.Introductions.Add(1)
	out := Introduction{Target: target, TargetConn: target.conn}
	out.Redirect = append(out.Redirect, Address{AddrPort: target.address, Origin: OriginObserved})
	for _, a := range target.reported {
		if a != target.address {
			out.Redirect = append(out.Redirect, Address{AddrPort: a, Origin: OriginReported})
		}
	}
	out.Forward = append(out.Forward, Address{AddrPort: req.From, Origin: OriginObserved})
	if initiator != nil {
		for _, a := range initiator.reported {
			if a != req.From {
				out.Forward = append(out.Forward, Address{AddrPort: a, Origin: OriginReported})
			}
		}
	}
	return out
}

// takeIntroductionToken applies the per-target token bucket.
func (c *Client) takeIntroductionToken(o Options, now time.Time) bool {
	if !c.introAt.IsZero() {
		c.introTokens = min(o.IntroductionBurst, c.introTokens+now.Sub(c.introAt).Seconds()*o.IntroductionRate)
	}
	c.introAt = now
	if c.introTokens < 1 {
		return false
	}
	c.introTokens--
	return true
}

// Handshake lets the application redirect a connecting client. Safe from
// any goroutine. reply runs on the core loop and must not block.
func (s *Server) Handshake(req *HandshakeRequest, reply func(HandshakeResult)) error {
	if !s.Post(func() { reply(s.events.OnHandshake(req)) }) {
		return ErrBusy
	}
	return nil
}
