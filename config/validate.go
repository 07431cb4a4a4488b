package config

import (
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"time"
)

// Validate checks every value against its allowed range. It returns the first
// problem as an *Error naming the key (without a file or line: Load and Parse
// add those).
func (o Options) Validate() error {
	if problems := o.validate(); len(problems) > 0 {
		return problems[0]
	}
	return nil
}

// Bounds that are not plain "positive" checks. They keep obviously broken
// values out, not tune anything.
const (
	maxKeepalive      = time.Hour // the wire field holds u32 milliseconds; beyond an hour is pointless
	maxIdleTimeout    = 24 * time.Hour
	maxSessions       = 1 << 24
	maxLoops          = 1024
	maxSocketBuffer   = 1 << 30
	maxFlows          = 1 << 16
	maxPeerAddresses  = 64
	maxCookieLifetime = 10 * time.Minute
	maxDHWorkers      = 4096
	maxIHelloRate     = 1e6
	maxIHelloBurst    = 1e6
	maxKeypairReuse   = time.Hour
	maxDebounce       = 10 * time.Second
	maxScriptBudget   = time.Hour
	maxMessageSize    = 256 * MiB
	maxEventQueue     = 1 << 24
	maxConnectArgs    = 1024
)

// LogLevels and LogFormats are the accepted [log] values.
var (
	LogLevels  = []string{"debug", "info", "warn", "error"}
	LogFormats = []string{"text", "json"}
)

type checker struct {
	problems []*Error
}

func key(names ...string) keyPath {
	var p keyPath
	for _, n := range names {
		p = p.child(n)
	}
	return p
}

func (c *checker) fail(p keyPath, format string, args ...any) {
	c.problems = append(c.problems, &Error{Key: p.String(), Msg: fmt.Sprintf(format, args...), kind: ErrValue, path: p})
}

func (c *checker) intRange(p keyPath, v, lo, hi int) {
	switch {
	case v < lo && lo == 1:
		c.fail(p, "must be > 0, got %d", v)
	case v < lo:
		c.fail(p, "must be >= %d, got %d", lo, v)
	case v > hi:
		c.fail(p, "must be <= %d, got %d", hi, v)
	}
}

func (c *checker) durationRange(p keyPath, v Duration, lo, hi time.Duration) {
	switch d := v.Std(); {
	case d < lo && lo == 0:
		c.fail(p, "must not be negative, got %s", d)
	case d < lo:
		c.fail(p, "must be at least %s, got %s", lo, d)
	case d > hi:
		c.fail(p, "must be at most %s, got %s", hi, d)
	}
}

func (c *checker) oneOf(p keyPath, v string, allowed []string) {
	if !slices.Contains(allowed, v) {
		c.fail(p, "must be one of %q, got %q", allowed, truncate(v))
	}
}

func (o Options) validate() []*Error {
	var c checker
	o.RTMFP.validate(&c, key("rtmfp"))
	o.WWW.validate(&c, key("www"))
	o.Log.validate(&c, key("log"))
	o.Limits.validate(&c, key("limits"))
	for app, f := range o.Flavours {
		if f != "auto" && f != "mona" && f != "cumulus" {
			c.fail(key("flavours").child(app), "must be one of [\"auto\" \"mona\" \"cumulus\"], got %q", truncate(f))
		}
	}
	return c.problems
}

func (r RTMFP) validate(c *checker, p keyPath) {
	if len(r.Listen) == 0 {
		c.fail(p.child("listen"), "must list at least one address")
	}
	for i, addr := range r.Listen {
		ap := p.child("listen").at(i)
		if err := checkListenAddr(addr); err != nil {
			c.fail(ap, "%v", err)
		} else if slices.Index(r.Listen, addr) < i {
			c.fail(ap, "duplicate address %q", addr)
		}
	}
	c.durationRange(p.child("keepalive_server"), r.KeepaliveServer, time.Second, maxKeepalive)
	c.durationRange(p.child("keepalive_peer"), r.KeepalivePeer, time.Second, maxKeepalive)
	c.durationRange(p.child("idle_timeout"), r.IdleTimeout, 0, maxIdleTimeout)
	// One lost keepalive must not cost a client its session.
	if idle, ka := r.IdleTimeout.Std(), r.KeepaliveServer.Std(); idle >= 0 && idle <= 2*ka {
		c.fail(p.child("idle_timeout"), "must be more than twice rtmfp.keepalive_server (%s), got %s", ka, idle)
	}
	c.intRange(p.child("max_sessions"), r.MaxSessions, 1, maxSessions)
	c.intRange(p.child("loops"), r.Loops, 0, maxLoops)
	c.intRange(p.child("socket_buffer"), r.SocketBuffer, 0, maxSocketBuffer)
	c.intRange(p.child("max_flows_per_session"), r.MaxFlowsPerSession, 1, maxFlows)
	c.intRange(p.child("max_peer_addresses"), r.MaxPeerAddresses, 1, maxPeerAddresses)
	r.Handshake.validate(c, p.child("handshake"))
	i := r.Introductions
	ip := p.child("introductions")
	c.positiveRate(ip.child("source_rate"), i.SourceRate)
	c.intRange(ip.child("source_burst"), i.SourceBurst, 1, maxIHelloBurst)
	c.positiveRate(ip.child("target_rate"), i.TargetRate)
	c.intRange(ip.child("target_burst"), i.TargetBurst, 1, maxIHelloBurst)
}

func (c *checker) positiveRate(p keyPath, rate float64) {
	switch {
	case math.IsNaN(rate) || rate <= 0:
		c.fail(p, "must be > 0, got %v", rate)
	case rate > maxIHelloRate:
		c.fail(p, "must be <= %v, got %v", maxIHelloRate, rate)
	}
}

func (h Handshake) validate(c *checker, p keyPath) {
	c.durationRange(p.child("cookie_lifetime"), h.CookieLifetime, time.Second, maxCookieLifetime)
	c.intRange(p.child("max_concurrent_dh"), h.MaxConcurrentDH, 0, maxDHWorkers)
	switch rate := h.IHelloRate; {
	case math.IsNaN(rate) || rate <= 0:
		c.fail(p.child("ihello_rate"), "must be > 0, got %v", rate)
	case rate > maxIHelloRate:
		c.fail(p.child("ihello_rate"), "must be <= %v, got %v", maxIHelloRate, rate)
	}
	c.intRange(p.child("ihello_burst"), h.IHelloBurst, 1, maxIHelloBurst)
	c.durationRange(p.child("keypair_reuse"), h.KeypairReuse, 0, maxKeypairReuse)
}

func (w WWW) validate(c *checker, p keyPath) {
	if w.Dir == "" {
		c.fail(p.child("dir"), "must not be empty")
	}
	if w.DataDir == "" {
		c.fail(p.child("data_dir"), "must not be empty")
	}
	c.durationRange(p.child("reload_debounce"), w.ReloadDebounce, 0, maxDebounce)
}

func (l Log) validate(c *checker, p keyPath) {
	c.oneOf(p.child("level"), l.Level, LogLevels)
	c.oneOf(p.child("format"), l.Format, LogFormats)
}

func (l Limits) validate(c *checker, p keyPath) {
	c.durationRange(p.child("script_budget"), l.ScriptBudget, time.Millisecond, maxScriptBudget)
	c.intRange(p.child("max_message_size"), l.MaxMessageSize, KiB, maxMessageSize)
	c.intRange(p.child("event_queue"), l.EventQueue, 16, maxEventQueue)
	c.intRange(p.child("max_connect_args"), l.MaxConnectArgs, 0, maxConnectArgs)
}

// checkListenAddr accepts "host:port" where host is empty, an IP literal or a
// host name, and port is 0-65535 (0 picks a free port, for tests).
func checkListenAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("invalid address %q: want \"host:port\", e.g. \"0.0.0.0:1935\" or \"[::]:1935\"", truncate(addr))
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("invalid port %q in %q: want 0-65535", truncate(port), truncate(addr))
	}
	if host == "" {
		return nil
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	if !isHostName(host) {
		return fmt.Errorf("invalid host %q in %q: want an IP address or a host name", truncate(host), truncate(addr))
	}
	return nil
}

func isHostName(s string) bool {
	if len(s) > 253 {
		return false
	}
	label := 0
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case ch == '.':
			if label == 0 {
				return false
			}
			label = 0
		case ch >= 'a' && ch <= 'z', ch >= 'A' && ch <= 'Z', ch >= '0' && ch <= '9', ch == '-':
			label++
			if label > 63 {
				return false
			}
		default:
			return false
		}
	}
	return label > 0
}

// SlogLevel maps Level to a slog.Level; unknown names (rejected by Validate)
// map to info.
func (l Log) SlogLevel() slog.Level {
	switch l.Level {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}
