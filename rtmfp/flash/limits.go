package flash

import (
	"context"
	"log/slog"
	"net/netip"
	"sync"
	"time"
)

// logLimiter lets through one log line per interval for a condition that a
// client can trigger at will (an RPC flood, bogus introductions), and
// reports how many were suppressed in between, so that abuse is logged
// without the log becoming the amplifier.
type logLimiter struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

const logInterval = 5 * time.Second

// log writes msg at level unless a line was written less than logInterval
// ago.
func (l *logLimiter) log(logger *slog.Logger, level slog.Level, msg string, args ...any) {
	now := time.Now()
	l.mu.Lock()
	if !l.last.IsZero() && now.Sub(l.last) < logInterval {
		l.suppressed++
		l.mu.Unlock()
		return
	}
	suppressed := l.suppressed
	l.last, l.suppressed = now, 0
	l.mu.Unlock()
	if suppressed > 0 {
		args = append(args, "suppressed", suppressed)
	}
	logger.Log(context.Background(), level, msg, args...)
}

// introLimiter is a token bucket per source address for P2P introduction
// requests. The map is bounded: when it is full, the buckets that refilled
// completely (idle sources) are forgotten, and if none did, all are.
type introLimiter struct {
	mu      sync.Mutex
	rate    float64
	burst   float64
	max     int
	buckets map[netip.AddrPort]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func (l *introLimiter) init(rate, burst float64, max int) {
	l.rate, l.burst, l.max = rate, burst, max
	l.buckets = make(map[netip.AddrPort]*bucket)
}

// allow takes a token for src.
func (l *introLimiter) allow(src netip.AddrPort, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[src]
	if b == nil {
		if len(l.buckets) >= l.max {
			l.prune(now)
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[src] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (l *introLimiter) prune(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.at).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= l.max {
		clear(l.buckets)
	}
}
