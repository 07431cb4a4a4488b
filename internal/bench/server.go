package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"nimbus/core"
	"nimbus/rtmfp"
	"nimbus/rtmfp/flash"
)

// EchoApp is the application of the bench server: MonaServer's defaults
// (every connection, publication, subscription and introduction accepted)
// plus the RPC the rpc scenario calls, the Go twin of
//
//	function client:echo(...) return ... end
type EchoApp struct{ core.NopEvents }

// OnCall answers "echo" with its arguments.
func (EchoApp) OnCall(c *core.Client, call *core.Call) ([]any, error) {
	if call.Name == "echo" {
		return call.Args, nil
	}
	return core.NopEvents{}.OnCall(c, call)
}

// ServerConfig configures StartServer.
type ServerConfig struct {
	// Listen is the UDP address; "" means 127.0.0.1:0.
	Listen string
	// Loops is the number of rtmfp event loops; 0 means GOMAXPROCS.
	Loops int
	// MaxSessions bounds the server's sessions; 0 means 200000.
	MaxSessions int
	// KeypairReuse lets the server reuse an ephemeral Diffie-Hellman key
	// pair for this long (rtmfp.Config.KeypairReuse); 0 is a fresh pair
	// per handshake.
	KeypairReuse time.Duration
	// Events is the application; nil means EchoApp.
	Events core.Events
	// Attach, if not nil, is called with the core server before its loop
	// starts (a script host attaches itself there).
	Attach func(*core.Server)
	// Logger receives the server's logs; nil discards them.
	Logger *slog.Logger
}

// Server is a Flash server on the core model, configured for load tests:
// the per-address limits that protect a public server (IHello rate,
// introduction rate) are raised so that one load-generating host is not
// throttled. Tests run it in-process; cmd/benchserver runs it alone.
type Server struct {
	core   *core.Server
	flash  *flash.Server
	cancel context.CancelFunc
	url    string
}

// Limits raised for a load-test server.
const (
	benchHelloRate = 1e7
	benchIntroRate = 1e7
)

// StartServer starts a core loop and a Flash server.
func StartServer(cfg ServerConfig) (*Server, error) {
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = 200000
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	events := cfg.Events
	if events == nil {
		events = EchoApp{}
	}
	cs := core.NewServer(core.Options{
		Logger:            cfg.Logger,
		IntroductionRate:  benchIntroRate,
		IntroductionBurst: benchIntroRate,
	}, events)
	if cfg.Attach != nil {
		cfg.Attach(cs)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go cs.Run(ctx)
	fs, err := flash.NewServer(cs, flash.Config{
		Listen: []string{cfg.Listen},
		Transport: rtmfp.Config{
			Loops:        cfg.Loops,
			MaxSessions:  cfg.MaxSessions,
			HelloRate:    benchHelloRate,
			HelloBurst:   benchHelloRate,
			KeypairReuse: cfg.KeypairReuse,
		},
		IntroductionRate:  benchIntroRate,
		IntroductionBurst: benchIntroRate,
		Logger:            cfg.Logger,
	})
	if err == nil {
		err = fs.Start()
	}
	if err != nil {
		cancel()
		<-cs.Done()
		return nil, fmt.Errorf("bench: server: %w", err)
	}
	return &Server{core: cs, flash: fs, cancel: cancel, url: "rtmfp://" + fs.Addrs()[0].String()}, nil
}

// URL is the server's URL for app ("rtmfp://127.0.0.1:port/app").
func (s *Server) URL(app string) string { return s.url + "/" + app }

// Flash is the Flash server (its Stats and SessionStats).
func (s *Server) Flash() *flash.Server { return s.flash }

// Core is the core model.
func (s *Server) Core() *core.Server { return s.core }

// Close stops the server: every session is closed, then the core loop.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.flash.Stop(ctx)
	s.cancel()
	select {
	case <-s.core.Done():
	case <-ctx.Done():
		err = errors.Join(err, fmt.Errorf("bench: core loop did not stop: %w", ctx.Err()))
	}
	return err
}
