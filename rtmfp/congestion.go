package rtmfp

import "time"

// Sender parameters (RFC 7016 Appendix A and rtmfp-cpp params.hpp).
const (
	// ccMSS is the packet size congestion control counts in.
	ccMSS = 1192
	// initialCwnd and timeoutCwnd are in bytes.
	initialCwnd = 3 * ccMSS
	timeoutCwnd = 2 * ccMSS
	// maxCwnd caps the window; receive windows are smaller anyway.
	maxCwnd = 64 << 20
	// burstLimit is the most data packets one send pass emits.
	burstLimit = 6
	// Retransmission timeout bounds (ERTO).
	initialERTO = 3 * time.Second
	minERTO     = 250 * time.Millisecond
	maxERTO     = 10 * time.Second
	// rtoSlack is added to SRTT + 4·RTTVAR for the receiver's delayed ack.
	rtoSlack = 200 * time.Millisecond
)

// congestion is a session's sender state: one window for all its flows.
type congestion struct {
	cwnd     int
	ssthresh int
	inflight int // wire bytes of data fragments in flight

	srtt, rttvar time.Duration
	hasRTT       bool
	erto         time.Duration // current timeout, backed off on expiry
	baseERTO     time.Duration // timeout from the RTT estimate

	nextTSN     uint64    // transmission number of the next data packet
	recoveryTSN uint64    // losses at or below it belong to the last reduction
	rtoStart    time.Time // when the retransmission timer started
	lastTSE     uint16    // last timestamp echo used for an RTT sample
	hasTSE      bool
}

func (c *congestion) init() {
	c.cwnd = initialCwnd
	c.ssthresh = maxCwnd
	c.erto = initialERTO
	c.baseERTO = initialERTO
	c.nextTSN = 1
}

// removeInFlight stops counting a fragment as in flight.
func (c *congestion) removeInFlight(fr *sendFragment) {
	c.inflight -= fr.wireLen
	if c.inflight < 0 {
		c.inflight = 0
	}
}

// canSend reports whether n more bytes fit in the window; an empty window
// always admits one packet so that the session never stalls.
func (c *congestion) canSend(n int) bool {
	return c.inflight == 0 || c.inflight+n <= c.cwnd
}

// onAcked grows the window for newly acknowledged bytes: slow start below
// ssthresh, additive increase above it. The window grows only while it is
// being used.
func (c *congestion) onAcked(now time.Time, acked int) {
	if acked <= 0 {
		return
	}
	c.erto = c.baseERTO
	c.rtoStart = now
	if c.inflight+acked < c.cwnd/2 {
		return
	}
	if c.cwnd < c.ssthresh {
		c.cwnd += min(acked, ccMSS)
	} else {
		inc := ccMSS * acked / c.cwnd
		if inc < 1 {
			inc = 1
		}
		c.cwnd += inc
	}
	if c.cwnd > maxCwnd {
		c.cwnd = maxCwnd
	}
}

// onLoss halves the window once per flight: losses of packets sent before
// the last reduction belong to the same congestion event.
func (c *congestion) onLoss(tsn uint64) {
	if tsn <= c.recoveryTSN {
		return
	}
	c.ssthresh = max(c.cwnd/2, timeoutCwnd)
	c.cwnd = c.ssthresh
	c.recoveryTSN = c.nextTSN - 1
}

// onTimeout handles an expired retransmission timer: everything in flight
// is lost (the caller requeues it) and the window restarts small.
func (c *congestion) onTimeout(now time.Time) {
	c.ssthresh = max(c.ssthresh, c.cwnd*3/4)
	if c.ssthresh == maxCwnd {
		c.ssthresh = max(c.cwnd*3/4, timeoutCwnd)
	}
	c.cwnd = timeoutCwnd
	c.recoveryTSN = c.nextTSN - 1
	c.erto = min(time.Duration(float64(c.erto)*1.4142), maxERTO)
	c.rtoStart = now
	c.inflight = 0
}

// rtoDeadline is when the retransmission timer expires, if it runs.
func (c *congestion) rtoDeadline() (time.Time, bool) {
	if c.inflight == 0 {
		return time.Time{}, false
	}
	return c.rtoStart.Add(c.erto), true
}

// onSend notes a data packet leaving; it starts the timer if nothing was in
// flight.
func (c *congestion) onSend(now time.Time, n int) uint64 {
	if c.inflight == 0 {
		c.rtoStart = now
	}
	c.inflight += n
	tsn := c.nextTSN
	c.nextTSN++
	return tsn
}

// rttSample feeds one round-trip measurement (RFC 6298 smoothing, ERTO as
// in rtmfp-cpp).
func (c *congestion) rttSample(rtt time.Duration) {
	if rtt < 0 {
		return
	}
	if !c.hasRTT {
		c.srtt = rtt
		c.rttvar = rtt / 2
		c.hasRTT = true
	} else {
		d := c.srtt - rtt
		if d < 0 {
			d = -d
		}
		c.rttvar = (3*c.rttvar + d) / 4
		c.srtt = (7*c.srtt + rtt) / 8
	}
	c.baseERTO = max(c.srtt+4*c.rttvar+rtoSlack, minERTO)
	c.baseERTO = min(c.baseERTO, maxERTO)
	c.erto = c.baseERTO
}
