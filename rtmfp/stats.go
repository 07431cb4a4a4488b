package rtmfp

import (
	"sync/atomic"
	"time"
)

// Stats are an endpoint's counters since it started. Every packet that is
// dropped or refused is counted under the reason.
type Stats struct {
	PacketsIn, PacketsOut uint64 // datagrams read from and written to the socket
	BytesIn, BytesOut     uint64 // their UDP payload bytes
	WriteErrors           uint64 // datagrams the socket refused

	DroppedMalformed    uint64 // bad length, checksum, header or chunks
	DroppedUnknownSID   uint64 // session packets for no session of ours
	DroppedQueueFull    uint64 // an event loop queue was full
	DroppedBadMode      uint64 // wrong MOD bits (reflection or garbage)
	DroppedUnexpected   uint64 // handshake chunks we did not expect
	DroppedBlocked      uint64 // datagrams from addresses Config.Blocked refuses
	HellosAnswered      uint64 // RHellos sent for IHellos
	HellosRateLimited   uint64 // IHellos over the per-address token bucket
	HellosNotForUs      uint64 // IHellos whose EPD selects nobody here
	HellosDeferred      uint64 // IHellos whose answer Handler.Hello deferred
	AnswersTooLarge     uint64 // answers refused by the amplification bound
	RedirectsSent       uint64
	CookiesInvalid      uint64 // IIKeyings with a forged or expired cookie
	CookieChanges       uint64 // Cookie Change answers sent
	KeyingsRetransmit   uint64 // IIKeyings answered from the RIKeying cache
	KeyingsInProgress   uint64 // IIKeyings dropped while their DH runs
	KeyingsRejected     uint64 // bad certificate, key component or group
	DHDropped           uint64 // IIKeyings dropped over MaxConcurrentDH
	DHComputed          uint64 // responder DH computations done
	RendezvousForwarded uint64 // peer-ID IHellos passed to Handler.Rendezvous
	RendezvousRefused   uint64 // peer-ID IHellos from unproven addresses
	ForwardedHellos     uint64 // FIHellos received and answered (P2P responder)
	SessionsOpened      uint64
	SessionsClosed      uint64
	SessionsActive      uint64
	SessionsRefused     uint64 // MaxSessions reached
	SessionsReplaced    uint64 // a new keying with the same certificate and address
	StrayCloseAcks      uint64 // 0x4c answers to packets of closed sessions
	Retransmissions     uint64 // user-data fragments sent again
	HandshakeTimeouts   uint64 // initiator handshakes that timed out
	// P2P glare: both peers opened a session to each other at once.
	GlareWon  uint64 // peer openings that kept going (the peer's IIKeying was ignored)
	GlareLost uint64 // peer openings that yielded and ended with the peer's session
	GlareLate uint64 // IIKeyings ignored because we opened a session with that peer moments ago
}

type endpointStats struct {
	packetsIn, packetsOut, bytesIn, bytesOut, writeErrors             atomic.Uint64
	droppedMalformed, droppedUnknownSID, droppedQueueFull             atomic.Uint64
	droppedBadMode, droppedUnexpected, droppedBlocked                 atomic.Uint64
	hellosAnswered, hellosRateLimited, hellosNotForUs, hellosDeferred atomic.Uint64
	answersTooLarge, redirectsSent                                    atomic.Uint64
	cookiesInvalid, cookieChanges, keyingsRetransmit                  atomic.Uint64
	keyingsInProgress, keyingsRejected, dhDropped, dhComputed         atomic.Uint64
	rendezvousForwarded, rendezvousRefused, forwardedHellos           atomic.Uint64
	sessionsOpened, sessionsClosed, sessionsActive, sessionsRefused   atomic.Uint64
	sessionsReplaced, strayCloseAcks, retransmissions                 atomic.Uint64
	handshakeTimeouts, glareWon, glareLost, glareLate                 atomic.Uint64
}

func (s *endpointStats) snapshot() Stats {
	return Stats{
		PacketsIn: s.packetsIn.Load(), PacketsOut: s.packetsOut.Load(),
		BytesIn: s.bytesIn.Load(), BytesOut: s.bytesOut.Load(),
		WriteErrors:         s.writeErrors.Load(),
		DroppedMalformed:    s.droppedMalformed.Load(),
		DroppedUnknownSID:   s.droppedUnknownSID.Load(),
		DroppedQueueFull:    s.droppedQueueFull.Load(),
		DroppedBadMode:      s.droppedBadMode.Load(),
		DroppedUnexpected:   s.droppedUnexpected.Load(),
		DroppedBlocked:      s.droppedBlocked.Load(),
		HellosAnswered:      s.hellosAnswered.Load(),
		HellosRateLimited:   s.hellosRateLimited.Load(),
		HellosNotForUs:      s.hellosNotForUs.Load(),
		HellosDeferred:      s.hellosDeferred.Load(),
		AnswersTooLarge:     s.answersTooLarge.Load(),
		RedirectsSent:       s.redirectsSent.Load(),
		CookiesInvalid:      s.cookiesInvalid.Load(),
		CookieChanges:       s.cookieChanges.Load(),
		KeyingsRetransmit:   s.keyingsRetransmit.Load(),
		KeyingsInProgress:   s.keyingsInProgress.Load(),
		KeyingsRejected:     s.keyingsRejected.Load(),
		DHDropped:           s.dhDropped.Load(),
		DHComputed:          s.dhComputed.Load(),
		RendezvousForwarded: s.rendezvousForwarded.Load(),
		RendezvousRefused:   s.rendezvousRefused.Load(),
		ForwardedHellos:     s.forwardedHellos.Load(),
		SessionsOpened:      s.sessionsOpened.Load(),
		SessionsClosed:      s.sessionsClosed.Load(),
		SessionsActive:      s.sessionsActive.Load(),
		SessionsRefused:     s.sessionsRefused.Load(),
		SessionsReplaced:    s.sessionsReplaced.Load(),
		StrayCloseAcks:      s.strayCloseAcks.Load(),
		Retransmissions:     s.retransmissions.Load(),
		HandshakeTimeouts:   s.handshakeTimeouts.Load(),
		GlareWon:            s.glareWon.Load(),
		GlareLost:           s.glareLost.Load(),
		GlareLate:           s.glareLate.Load(),
	}
}

// SessionStats are one session's counters.
type SessionStats struct {
	PacketsIn, PacketsOut     uint64 // datagrams of this session
	BytesIn, BytesOut         uint64 // their UDP payload bytes
	UserBytesIn, UserBytesOut uint64 // message bytes delivered / accepted for sending
	MessagesIn, MessagesOut   uint64 // whole messages delivered / written
	Retransmissions           uint64 // fragments sent again
	Abandoned                 uint64 // unreliable fragments given up
	FlowsIn, FlowsOut         uint64 // flows opened by the far end / by us
	// WindowLimited is how long, in total, data waited because the
	// congestion window or a receiver's window was full.
	WindowLimited time.Duration
}

type sessionCounters struct {
	packetsIn, packetsOut, bytesIn, bytesOut           atomic.Uint64
	userBytesIn, userBytesOut, messagesIn, messagesOut atomic.Uint64
	retransmissions, abandoned, flowsIn, flowsOut      atomic.Uint64
	windowLimitedNs                                    atomic.Int64
	limitedSinceNs                                     atomic.Int64 // 0 when not limited
}

func (c *sessionCounters) snapshot() SessionStats {
	return SessionStats{
		PacketsIn: c.packetsIn.Load(), PacketsOut: c.packetsOut.Load(),
		BytesIn: c.bytesIn.Load(), BytesOut: c.bytesOut.Load(),
		UserBytesIn: c.userBytesIn.Load(), UserBytesOut: c.userBytesOut.Load(),
		MessagesIn: c.messagesIn.Load(), MessagesOut: c.messagesOut.Load(),
		Retransmissions: c.retransmissions.Load(), Abandoned: c.abandoned.Load(),
		FlowsIn: c.flowsIn.Load(), FlowsOut: c.flowsOut.Load(),
		WindowLimited: c.windowLimited(time.Now()),
	}
}

func (c *sessionCounters) windowLimited(now time.Time) time.Duration {
	d := c.windowLimitedNs.Load()
	if since := c.limitedSinceNs.Load(); since != 0 {
		d += max(now.UnixNano()-since, 0)
	}
	return time.Duration(d)
}

// noteLimited records whether the last send pass left data waiting for a
// window (loop only).
func (c *sessionCounters) noteLimited(now time.Time, limited bool) {
	since := c.limitedSinceNs.Load()
	switch {
	case limited && since == 0:
		c.limitedSinceNs.Store(now.UnixNano())
	case !limited && since != 0:
		c.windowLimitedNs.Add(max(now.UnixNano()-since, 0))
		c.limitedSinceNs.Store(0)
	}
}
