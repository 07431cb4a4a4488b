package rtmfp

import (
	"net/netip"
	"time"
)

// maxTracked bounds the per-address and per-tag tables of the socket
// reader. Each table has two generations: when the current one is full it
// becomes the old one and the previous old one is dropped, so memory stays
// bounded and recently active keys survive.
const maxTracked = 1 << 16

type tokenBucket struct {
	tokens float64
	at     time.Time
}

// helloLimiter is a token bucket per source IP (owned by the reader).
type helloLimiter struct {
	rate, burst float64
	cur, old    map[netip.Addr]tokenBucket
}

func newHelloLimiter(rate, burst float64) *helloLimiter {
	return &helloLimiter{rate: rate, burst: burst, cur: make(map[netip.Addr]tokenBucket)}
}

// allow takes a token for a.
func (h *helloLimiter) allow(a netip.Addr, now time.Time) bool {
	b, ok := h.cur[a]
	if !ok {
		if b, ok = h.old[a]; ok {
			delete(h.old, a)
		} else {
			b = tokenBucket{tokens: h.burst, at: now}
		}
	}
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(h.burst, b.tokens+d.Seconds()*h.rate)
	}
	b.at = now
	ok = b.tokens >= 1
	if ok {
		b.tokens--
	}
	if len(h.cur) >= maxTracked {
		h.old, h.cur = h.cur, make(map[netip.Addr]tokenBucket)
	}
	h.cur[a] = b
	return ok
}

// attemptCounter counts IHello retries per tag for rendezvous (reader
// owned).
type attemptCounter struct {
	cur, old map[string]int
}

func newAttemptCounter() *attemptCounter { return &attemptCounter{cur: make(map[string]int)} }

// next returns the attempt number of this tag, from 1.
func (c *attemptCounter) next(tag []byte) int {
	n, ok := c.cur[string(tag)]
	if !ok {
		n = c.old[string(tag)]
	}
	n++
	if len(c.cur) >= maxTracked {
		c.old, c.cur = c.cur, make(map[string]int)
	}
	c.cur[string(tag)] = n
	return n
}
