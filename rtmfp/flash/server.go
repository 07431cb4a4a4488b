package flash

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"nimbus/core"
	"nimbus/rtmfp"
)

// Config configures a Server. Zero fields take the defaults listed with
// each field.
type Config struct {
	// Listen lists the UDP addresses to serve ("host:port"); nil means
	// ":1935".
	Listen []string
	// Transport is the base configuration of every endpoint. Handler and
	// Server are set by the Server. Its KeepaliveServer and KeepalivePeer
	// are the periods sent to clients in Set Keepalive Timers (15 s and
	// 10 s when zero, Cumulus' and MonaServer's defaults).
	Transport rtmfp.Config
	// MaxStreams bounds the NetStreams of one client (createStream beyond
	// it fails with "_error"); 0 means 64.
	MaxStreams int
	// MaxGroups bounds the NetGroups one client may join; 0 means 16.
	MaxGroups int
	// MaxPendingCalls bounds the RPCs of one client waiting for the core
	// loop; calls beyond it are shed (dropped with a log line). 0 means 64.
	MaxPendingCalls int
	// MaxPeerInfo bounds how many setPeerInfo arguments are parsed; core
	// then keeps at most core.Options.MaxPeerAddresses. 0 means 16.
	MaxPeerInfo int
	// MaxConnectArgs bounds the extra arguments of NetConnection.connect;
	// a connect with more is rejected (NetConnection.Connect.Rejected).
	// 0 means 32, a negative value accepts none.
	MaxConnectArgs int
	// AudioDeadline and VideoDeadline bound how long an audio or video
	// message sent to a subscriber may wait for delivery before it is
	// given up; 0 means 1 s and 2 s.
	AudioDeadline, VideoDeadline time.Duration
	// UnreliableDeadline is the deadline of messages written on a writer
	// set to unreliable (MonaServer writer.reliable = false); 0 means 1 s.
	UnreliableDeadline time.Duration
	// VideoQueueLimit is the number of bytes queued on a subscriber's
	// video flow above which non-key frames are dropped; 0 means 1 MiB.
	VideoQueueLimit int
	// IntroductionRate and IntroductionBurst bound the P2P introductions
	// one source address may ask for (token bucket per source, per
	// second; core applies its own per-target bucket). 0 means 20 and 40.
	IntroductionRate, IntroductionBurst float64
	// ScriptRedirect lets the application redirect URL handshakes
	// (core.Events.OnHandshake, MonaServer onHandshake). It runs before
	// the client's address is proven, so it is off by default (see
	// docs/architecture.md, security rules).
	ScriptRedirect bool
	// Logger receives the Flash layer's logs; nil means slog.Default().
	Logger *slog.Logger
}

// Defaults of Config.
const (
	defaultListen             = ":1935"
	defaultKeepaliveServer    = 15 * time.Second
	defaultKeepalivePeer      = 10 * time.Second
	defaultMaxStreams         = 64
	defaultMaxGroups          = 16
	defaultMaxPendingCalls    = 64
	defaultMaxPeerInfo        = 16
	defaultMaxConnectArgs     = 32
	defaultAudioDeadline      = time.Second
	defaultVideoDeadline      = 2 * time.Second
	defaultUnreliableDeadline = time.Second
	defaultVideoQueueLimit    = 1 << 20
	defaultIntroductionRate   = 20
	defaultIntroductionBurst  = 40
	maxIntroductionSources    = 1 << 16
)

func (c Config) withDefaults() Config {
	if len(c.Listen) == 0 {
		c.Listen = []string{defaultListen}
	}
	if c.Transport.KeepaliveServer <= 0 {
		c.Transport.KeepaliveServer = defaultKeepaliveServer
	}
	if c.Transport.KeepalivePeer <= 0 {
		c.Transport.KeepalivePeer = defaultKeepalivePeer
	}
	if c.MaxStreams <= 0 {
		c.MaxStreams = defaultMaxStreams
	}
	if c.MaxGroups <= 0 {
		c.MaxGroups = defaultMaxGroups
	}
	if c.MaxPendingCalls <= 0 {
		c.MaxPendingCalls = defaultMaxPendingCalls
	}
	if c.MaxConnectArgs == 0 {
		c.MaxConnectArgs = defaultMaxConnectArgs
	}
	if c.MaxPeerInfo <= 0 {
		c.MaxPeerInfo = defaultMaxPeerInfo
	}
	if c.AudioDeadline <= 0 {
		c.AudioDeadline = defaultAudioDeadline
	}
	if c.VideoDeadline <= 0 {
		c.VideoDeadline = defaultVideoDeadline
	}
	if c.UnreliableDeadline <= 0 {
		c.UnreliableDeadline = defaultUnreliableDeadline
	}
	if c.VideoQueueLimit <= 0 {
		c.VideoQueueLimit = defaultVideoQueueLimit
	}
	if c.IntroductionRate <= 0 {
		c.IntroductionRate = defaultIntroductionRate
	}
	if c.IntroductionBurst < 1 {
		c.IntroductionBurst = defaultIntroductionBurst
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Stats are the Flash layer's counters, readable from any goroutine.
type Stats struct {
	Sessions             atomic.Int64  // sessions currently open
	Connects             atomic.Uint64 // connect commands passed to core
	CallsShed            atomic.Uint64 // RPCs dropped over MaxPendingCalls
	ClientsShed          atomic.Uint64 // clients closed because core was busy
	StreamsRefused       atomic.Uint64 // createStream over MaxStreams
	GroupsRefused        atomic.Uint64 // joins over MaxGroups
	FlowsRejected        atomic.Uint64 // incoming flows of no known kind
	BadMessages          atomic.Uint64 // messages that failed to decode
	IntroductionsLimited atomic.Uint64 // rendezvous over the per-source bucket
	IntroductionsUnknown atomic.Uint64 // rendezvous for a peer not connected
	Redirects            atomic.Uint64 // Redirects sent for introductions
	ForwardedHellos      atomic.Uint64 // Forwarded IHellos sent to targets
	FramesDropped        atomic.Uint64 // media messages dropped towards subscribers
}

// ErrStarted is returned by Start when the server already runs or ran.
var ErrStarted = errors.New("flash: server already started")

// Server serves Flash clients over RTMFP on a list of addresses and maps
// them onto a core.Server. The caller runs the core loop (core.Server.Run);
// the Server only uses its entry points.
type Server struct {
	cfg  Config
	core *core.Server
	log  *slog.Logger

	stats  Stats
	intros introLimiter
	hellos introLimiter // script redirections per source address
	// Rate-limited log lines for conditions a client can cause at will.
	shedLog, introLog, badLog logLimiter

	mu        sync.Mutex
	started   bool
	endpoints []*rtmfp.Endpoint
	sessions  map[core.PeerID]*serverSession
}

// NewServer returns a Server for the core model c. It does not listen until
// Start.
func NewServer(c *core.Server, cfg Config) (*Server, error) {
	if c == nil {
		return nil, errors.New("flash: server: nil core server")
	}
	cfg = cfg.withDefaults()
	s := &Server{
		cfg:      cfg,
		core:     c,
		log:      cfg.Logger,
		sessions: make(map[core.PeerID]*serverSession),
	}
	s.intros.init(cfg.IntroductionRate, cfg.IntroductionBurst, maxIntroductionSources)
	s.hellos.init(cfg.IntroductionRate, cfg.IntroductionBurst, maxIntroductionSources)
	return s, nil
}

// Start listens on every configured address. On error nothing stays open.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return ErrStarted
	}
	s.started = true
	for _, addr := range s.cfg.Listen {
		h := &endpointHandler{srv: s}
		tc := s.cfg.Transport
		tc.Handler = h
		tc.Server = true
		tc.AcceptPeers = false
		if tc.Blocked == nil {
			// Scripts' mona:addToBlacklist: banned IPs are dropped before
			// any handshake work.
			tc.Blocked = s.core.Blacklist().Contains
		}
		if tc.Logger == nil {
			tc.Logger = s.log
		}
		ep, err := rtmfp.Listen("udp", addr, tc)
		if err != nil {
			for _, e := range s.endpoints {
				e.Close()
			}
			s.endpoints = nil
			return fmt.Errorf("flash: listen %s: %w", addr, err)
		}
		h.ep.Store(ep)
		s.endpoints = append(s.endpoints, ep)
		s.log.Info("flash: listening", "address", ep.LocalAddr().String())
	}
	return nil
}

// Stop closes every endpoint gracefully (each session is closed, and core
// hears of every disconnection) and returns when they are closed or ctx
// ends.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	eps := s.endpoints
	s.endpoints = nil
	s.mu.Unlock()
	done := make(chan error, 1)
	go func() {
		var errs []error
		for _, ep := range eps {
			if err := ep.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		done <- errors.Join(errs...)
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("flash: stop: %w", ctx.Err())
	}
}

// Addrs returns the local address of every endpoint, in Config.Listen order.
func (s *Server) Addrs() []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]net.Addr, len(s.endpoints))
	for i, ep := range s.endpoints {
		out[i] = ep.LocalAddr()
	}
	return out
}

// Stats returns the server's counters.
func (s *Server) Stats() *Stats { return &s.stats }

// Core returns the core model the server feeds.
func (s *Server) Core() *core.Server { return s.core }

// SessionStats returns the transport counters of the session of the client
// with peer ID id, and whether such a session is open.
func (s *Server) SessionStats(id core.PeerID) (rtmfp.SessionStats, bool) {
	s.mu.Lock()
	ss := s.sessions[id]
	s.mu.Unlock()
	if ss == nil {
		return rtmfp.SessionStats{}, false
	}
	return ss.s.Stats(), true
}

func (s *Server) addSession(ss *serverSession) {
	s.mu.Lock()
	s.sessions[ss.peerID] = ss
	s.mu.Unlock()
	s.stats.Sessions.Add(1)
}

func (s *Server) removeSession(ss *serverSession) {
	s.mu.Lock()
	if s.sessions[ss.peerID] == ss {
		delete(s.sessions, ss.peerID)
	}
	s.mu.Unlock()
	s.stats.Sessions.Add(-1)
}

// endpointHandler is the rtmfp.Handler of one listening endpoint.
type endpointHandler struct {
	srv *Server
	ep  atomic.Pointer[rtmfp.Endpoint]
}

// NewSession starts the Flash server side of a session. Runs on the
// session's loop.
func (h *endpointHandler) NewSession(s *rtmfp.Session) rtmfp.SessionHandler {
	ss := newServerSession(h.srv, s)
	h.srv.addSession(ss)
	return ss
}

// Rendezvous resolves a P2P introduction through core (see rendezvous.go).
func (h *endpointHandler) Rendezvous(req rtmfp.RendezvousRequest) {
	h.srv.rendezvous(h, req)
}

// Hello lets the application redirect a URL handshake when
// Config.ScriptRedirect is on (see rendezvous.go).
func (h *endpointHandler) Hello(req rtmfp.HelloRequest) bool {
	return h.srv.hello(h, req)
}
