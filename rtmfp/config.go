package rtmfp

import (
	"fmt"
	"log/slog"
	"net/netip"
	"runtime"
	"time"
)

// Config for an endpoint; zero values take the documented defaults.
type Config struct {
	// Loops is the number of event loops; 0 means GOMAXPROCS.
	Loops int
	// MaxSessions bounds established sessions (both roles); 0 means 100000.
	MaxSessions int
	// MaxFlowsPerSession bounds the flows of each direction in one
	// session; 0 means 256.
	MaxFlowsPerSession int
	// MaxMessageSize is the largest reassembled message accepted; a flow
	// whose message grows beyond it is rejected. 0 means 4 MiB.
	MaxMessageSize int
	// MaxFlowQueue bounds the bytes a send flow holds (queued plus
	// unacknowledged); beyond it Write returns ErrFlowFull. 0 means 8 MiB.
	MaxFlowQueue int
	// KeepaliveServer and KeepalivePeer are not used by the transport; the
	// Flash layer sends them to clients in Set Keepalive Timers.
	KeepaliveServer, KeepalivePeer time.Duration
	// Keepalive is the silence after which this endpoint pings the far end;
	// 0 means 15 s.
	Keepalive time.Duration
	// IdleTimeout drops a session that was silent this long; 0 means
	// 2 min. It also bounds how long unacknowledged data is retransmitted.
	IdleTimeout time.Duration
	// CookieLifetime is how long a handshake cookie stays valid; 0 means
	// 95 s (the RFC 7016 opening timeout). Cookie ages are counted in
	// whole seconds.
	CookieLifetime time.Duration
	// KeypairReuse is how long a server may reuse one ephemeral
	// Diffie-Hellman key pair (per group) for new handshakes; 0 makes a
	// fresh pair per handshake. Reuse saves one of the two modular
	// exponentiations of a handshake at the price of forward secrecy
	// within the window. Only a Server endpoint uses ephemeral keys.
	KeypairReuse time.Duration
	// SocketBuffer is the kernel receive and send buffer size asked for on
	// the UDP socket, in bytes (the OS may grant less: Linux caps it at
	// net.core.rmem_max and wmem_max); 0 means 4 MiB, a negative value
	// leaves the OS default alone.
	SocketBuffer int
	// MaxConcurrentDH bounds the Diffie-Hellman computations running at
	// once for responder handshakes; keyings beyond it are dropped and
	// counted. 0 means 2 × GOMAXPROCS.
	MaxConcurrentDH int
	// HelloRate and HelloBurst shape IHellos per source address (token
	// bucket: HelloRate per second, HelloBurst deep). 0 means 20/s, 40.
	HelloRate, HelloBurst float64
	// Groups are the Diffie-Hellman groups accepted from initiators
	// (2, 5, 14); nil means all three. The 77-byte server certificate
	// advertises exactly these.
	Groups []int
	// Blocked, when set, is asked for the source IP of every datagram
	// before anything else is done with it; true drops the datagram
	// (counted in Stats.DroppedBlocked). It runs on the socket reader for
	// every packet and must be fast and safe for concurrent use (the Flash
	// server passes core's blacklist).
	Blocked func(netip.Addr) bool
	// Logger receives the endpoint's logs; nil means slog.Default().
	Logger *slog.Logger
	// Handler receives sessions and rendezvous requests (required).
	Handler Handler
	// Server selects the responder identity: a server answers URL IHellos
	// with the 77-byte ephemeral certificate. A non-server endpoint has a
	// static Diffie-Hellman key and a peer ID, and answers only IHellos
	// that name its peer ID (if AcceptPeers).
	Server bool
	// AcceptPeers lets a client endpoint act as a P2P responder: a
	// Forwarded IHello (0x0f) arriving in a server session with our own
	// peer ID as EPD is answered by an RHello sent directly to each reply
	// address, and the initiator's IIKeying is then accepted like any
	// responder handshake (Flash publishers do this for DIRECT_CONNECTIONS
	// players). The Flash layer decides later whether to serve the peer.
	AcceptPeers bool

	// testHooks makes the endpoint deterministic in tests; nil in
	// production.
	testHooks *testHooks
}

// Defaults applied by withDefaults.
const (
	defaultMaxSessions     = 100000
	defaultMaxFlows        = 256
	defaultMaxMessageSize  = 4 << 20
	defaultMaxFlowQueue    = 8 << 20
	defaultKeepalive       = 15 * time.Second
	defaultIdleTimeout     = 2 * time.Minute
	defaultCookieLifetime  = 95 * time.Second
	defaultSocketBuffer    = 4 << 20
	defaultHelloRate       = 20
	defaultHelloBurst      = 40
	minKeepalive           = 100 * time.Millisecond
	maxLoops               = 256
	maxConfiguredDHWorkers = 1024
)

var supportedGroups = []int{2, 5, 14}

// withDefaults validates c and fills in defaults.
func (c Config) withDefaults() (Config, error) {
	if c.Handler == nil {
		return c, fmt.Errorf("rtmfp: config: %w", ErrNoHandler)
	}
	if c.Loops <= 0 {
		c.Loops = runtime.GOMAXPROCS(0)
	}
	if c.Loops > maxLoops {
		c.Loops = maxLoops
	}
	if c.MaxSessions <= 0 {
		c.MaxSessions = defaultMaxSessions
	}
	if c.MaxFlowsPerSession <= 0 {
		c.MaxFlowsPerSession = defaultMaxFlows
	}
	if c.MaxMessageSize <= 0 {
		c.MaxMessageSize = defaultMaxMessageSize
	}
	if c.MaxFlowQueue <= 0 {
		c.MaxFlowQueue = defaultMaxFlowQueue
	}
	if c.Keepalive <= 0 {
		c.Keepalive = defaultKeepalive
	}
	if c.Keepalive < minKeepalive {
		c.Keepalive = minKeepalive
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = defaultIdleTimeout
	}
	if c.IdleTimeout < c.Keepalive {
		return c, fmt.Errorf("rtmfp: config: idle timeout %v shorter than keepalive %v: %w", c.IdleTimeout, c.Keepalive, ErrBadConfig)
	}
	if c.CookieLifetime <= 0 {
		c.CookieLifetime = defaultCookieLifetime
	}
	if c.KeypairReuse < 0 {
		c.KeypairReuse = 0
	}
	if c.SocketBuffer == 0 {
		c.SocketBuffer = defaultSocketBuffer
	}
	if c.MaxConcurrentDH <= 0 {
		c.MaxConcurrentDH = 2 * runtime.GOMAXPROCS(0)
	}
	if c.MaxConcurrentDH > maxConfiguredDHWorkers {
		c.MaxConcurrentDH = maxConfiguredDHWorkers
	}
	if c.HelloRate <= 0 {
		c.HelloRate = defaultHelloRate
	}
	if c.HelloBurst < 1 {
		c.HelloBurst = defaultHelloBurst
	}
	if len(c.Groups) == 0 {
		c.Groups = supportedGroups
	}
	for _, g := range c.Groups {
		ok := false
		for _, s := range supportedGroups {
			ok = ok || g == s
		}
		if !ok {
			return c, fmt.Errorf("rtmfp: config: DH group %d: %w", g, ErrBadConfig)
		}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c, nil
}

func (c *Config) acceptsGroup(g uint64) bool {
	for _, x := range c.Groups {
		if uint64(x) == g {
			return true
		}
	}
	return false
}
