package core

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"nimbus/internal/queue"
)

// ErrBusy is returned by the entry points when the core loop's queue is full
// or the server stopped; the protocol should shed the client that asked.
var ErrBusy = errors.New("core: server busy")

// Options configures a Server. Zero fields take the defaults of
// DefaultOptions.
type Options struct {
	// QueueLength bounds the core loop's request queue.
	QueueLength int
	// ManageInterval is the period of Events.OnManage.
	ManageInterval time.Duration
	// MaxPeerAddresses caps the addresses a client may report (setPeerInfo).
	MaxPeerAddresses int
	// GroupNeighbours is how many peer IDs a NetGroup newcomer receives.
	GroupNeighbours int
	// IntroductionRate and IntroductionBurst bound how often one client may
	// be introduced to others (token bucket per target, per second).
	IntroductionRate  float64
	IntroductionBurst float64
	// Logger receives the loop's logs; nil means slog.Default().
	Logger *slog.Logger
}

// DefaultOptions returns the defaults used for zero fields.
func DefaultOptions() Options {
	return Options{
		QueueLength:       65536,
		ManageInterval:    2 * time.Second,
		MaxPeerAddresses:  8,
		GroupNeighbours:   6,
		IntroductionRate:  50,
		IntroductionBurst: 100,
	}
}

func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.QueueLength <= 0 {
		o.QueueLength = d.QueueLength
	}
	if o.ManageInterval <= 0 {
		o.ManageInterval = d.ManageInterval
	}
	if o.MaxPeerAddresses <= 0 {
		o.MaxPeerAddresses = d.MaxPeerAddresses
	}
	if o.GroupNeighbours <= 0 {
		o.GroupNeighbours = d.GroupNeighbours
	}
	if o.IntroductionRate <= 0 {
		o.IntroductionRate = d.IntroductionRate
	}
	if o.IntroductionBurst <= 0 {
		o.IntroductionBurst = d.IntroductionBurst
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Stats are counters readable from any goroutine.
type Stats struct {
	// Refused counts requests refused because the queue was full.
	Refused atomic.Uint64
	// MediaDropped counts media packets dropped because the queue was full.
	MediaDropped atomic.Uint64
	// Introductions counts peer introductions made; IntroductionsRefused
	// those refused by policy or rate limit.
	Introductions        atomic.Uint64
	IntroductionsRefused atomic.Uint64
	// Calls counts RPCs run.
	Calls atomic.Uint64
}

// Server is the core model and its loop. Create it with NewServer, run it
// with Run, talk to it through its entry points.
type Server struct {
	opts   Options
	events Events
	log    *slog.Logger
	q      *queue.Queue[func()]
	stats  Stats
	done   chan struct{}

	// Owned by the loop.
	clients      map[PeerID]*Client
	byAddress    map[addrKey]*Client
	publications map[string]*Publication
	groups       map[PeerID]*Group
	nextListener uint64
	stopping     bool

	blacklist Blacklist
}

// NewServer creates a server whose application is events.
func NewServer(opts Options, events Events) *Server {
	opts = opts.withDefaults()
	if events == nil {
		events = NopEvents{}
	}
	return &Server{
		opts:         opts,
		events:       events,
		log:          opts.Logger,
		q:            queue.New[func()](opts.QueueLength),
		done:         make(chan struct{}),
		clients:      make(map[PeerID]*Client),
		byAddress:    make(map[addrKey]*Client),
		publications: make(map[string]*Publication),
		groups:       make(map[PeerID]*Group),
	}
}

// Stats returns the server's counters.
func (s *Server) Stats() *Stats { return &s.stats }

// Options returns the effective options.
func (s *Server) Options() Options { return s.opts }

// Done is closed when Run has returned.
func (s *Server) Done() <-chan struct{} { return s.done }

// Post runs fn on the core loop. Safe from any goroutine. It returns false
// (and fn never runs) when the queue is full or the server stopped.
func (s *Server) Post(fn func()) bool {
	if s.q.Push(fn) {
		return true
	}
	s.stats.Refused.Add(1)
	return false
}

// ForcePost runs fn on the core loop even when the queue is full; it fails
// only once the server stopped. It is for work that may not be lost and
// whose rate is bounded by other means (a script reload per debounce
// period). Safe from any goroutine.
func (s *Server) ForcePost(fn func()) bool { return s.q.ForcePush(fn) }

// mustPost queues teardown work that may not be lost (a disconnection,
// leaving a group): it ignores the queue limit, which stays bounded because
// each client posts each teardown at most once.
func (s *Server) mustPost(fn func()) {
	s.q.ForcePush(fn)
}

// Run is the core loop. It calls Events.OnStart, serves requests until ctx
// is cancelled, then closes every client (Events.OnDisconnection for each),
// calls Events.OnStop and returns.
func (s *Server) Run(ctx context.Context) error {
	defer close(s.done)
	s.events.OnStart()
	ticker := time.NewTicker(s.opts.ManageInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			s.shutdown()
			return nil
		case <-s.q.Ready():
			s.drain()
		case <-ticker.C:
			s.events.OnManage()
		}
	}
}

func (s *Server) drain() {
	for _, fn := range s.q.Pop() {
		fn()
	}
}

func (s *Server) shutdown() {
	s.stopping = true
	s.drain()
	for _, c := range s.clients {
		c.conn.Close()
		s.disconnect(c)
	}
	s.q.Close()
	s.drain()
	s.events.OnStop()
}
