package bench

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"nimbus/rtmfp"
	"nimbus/rtmfp/flash/message"
)

// Introduction modes.
const (
	// IntroSession measures whole introductions: peer-ID IHello to the
	// server, Redirect + Forwarded IHello, then the direct handshake
	// between the peers (static-static Diffie-Hellman on both sides) until
	// the P2P session is open.
	IntroSession = "session"
	// IntroRendezvous measures the server's half only: an IHello naming a
	// connected peer until both the Redirect (to the initiator) and the
	// Forwarded IHello (in the target's session) arrived. No peer
	// handshake, so no Diffie-Hellman on the bench host.
	IntroRendezvous = "rendezvous"
)

// IntroConfig configures Intro.
type IntroConfig struct {
	Common
	// Pairs is the number of initiator/target pairs, each introducing in
	// a closed loop (1..10000); 0 means 8.
	Pairs int
	// Mode is IntroSession (default) or IntroRendezvous.
	Mode string
	// Sockets is the number of sockets per side in rendezvous mode
	// (1..256); 0 means 4.
	Sockets int
}

// IntroResult is what Intro measured. Summary.Latency is the time from the
// first IHello to an open P2P session (session mode) or to both halves of
// the introduction (rendezvous mode).
type IntroResult struct {
	Summary
	Mode  string `json:"mode"`
	Pairs int    `json:"pairs"`
}

func (r *IntroResult) rows() [][2]string {
	what := "full P2P sessions (introduction + peer handshake)"
	if r.Mode == IntroRendezvous {
		what = "server rendezvous only (Redirect + Forwarded IHello)"
	}
	return [][2]string{
		{"mode", what},
		{"pairs", fmt.Sprint(r.Pairs)},
	}
}

// Intro runs the intro scenario for Duration.
func Intro(ctx context.Context, cfg IntroConfig) (*IntroResult, error) {
	if cfg.Pairs == 0 {
		cfg.Pairs = 8
	}
	if cfg.Mode == "" {
		cfg.Mode = IntroSession
	}
	if cfg.Sockets == 0 {
		cfg.Sockets = 4
	}
	if err := cfg.normalize(true); err != nil {
		return nil, err
	}
	if err := errors.Join(checkCount("pairs", cfg.Pairs, 1, maxConcurrency), checkCount("sockets", cfg.Sockets, 1, 256)); err != nil {
		return nil, err
	}
	switch cfg.Mode {
	case IntroSession:
		return introSessions(ctx, cfg)
	case IntroRendezvous:
		return introRendezvous(ctx, cfg)
	}
	return nil, fmt.Errorf("%w: intro mode %q (want %s or %s)", ErrBadConfig, cfg.Mode, IntroSession, IntroRendezvous)
}

// introLoop runs work in Pairs closed loops for Duration and fills the
// result.
func introLoop(ctx context.Context, cfg IntroConfig, r *run, work func(ctx context.Context, pair int) error) *IntroResult {
	var h Histogram
	var ops atomic.Uint64
	r.restart()
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	p := startProgress(cfg.Progress, "intro", cfg.Duration, func() string {
		return fmt.Sprintf("introductions=%d errors=%d", ops.Load(), r.errs.Total())
	})
	var wg sync.WaitGroup
	for i := range cfg.Pairs {
		wg.Go(func() {
			for ctx.Err() == nil {
				opCtx, cancelOp := context.WithTimeout(ctx, cfg.Timeout)
				t0 := time.Now()
				err := work(opCtx, i)
				d := time.Since(t0)
				cancelOp()
				if err != nil {
					if !r.over(ctx) {
						r.errs.add(err)
					}
					continue
				}
				h.Record(d)
				ops.Add(1)
			}
		})
	}
	wg.Wait()
	p.end()
	sum := r.finish(ops.Load(), time.Since(r.start), &h)
	r.goal("introductions/s", GoalIntroductionsPerSecond, sum.Rate)
	return &IntroResult{Summary: *sum, Mode: cfg.Mode, Pairs: cfg.Pairs}
}

// introSessions: targets are Flash clients (they accept introduced peers
// as Flash Player does); initiators are connected clients built on the
// rtmfp transport, which lets them open and close a P2P session per
// iteration (internal/bench/NEEDS.md: the Flash client keeps a peer
// session for its lifetime).
func introSessions(ctx context.Context, cfg IntroConfig) (*IntroResult, error) {
	r := newRun("intro", &cfg.Common, "introductions")
	targets, err := connectClients(ctx, &cfg.Common, cfg.Pairs, r.errs)
	defer closeClients(targets)
	if err != nil {
		return nil, err
	}
	inits := make([]*peerInitiator, cfg.Pairs)
	defer func() {
		var wg sync.WaitGroup
		for _, in := range inits {
			if in != nil {
				wg.Go(func() { in.ep.Close() })
			}
		}
		wg.Wait()
	}()
	var setupErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, setupParallel)
	setup := cfg.Common
	setup.Timeout = max(cfg.Timeout, setupTimeout)
	for i := range inits {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			in, err := newPeerInitiator(ctx, &setup)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				setupErr = err
				return
			}
			inits[i] = in
		})
	}
	wg.Wait()
	if setupErr != nil {
		return nil, fmt.Errorf("%w: initiator: %w", ErrNoTarget, setupErr)
	}
	res := introLoop(ctx, cfg, r, func(ctx context.Context, i int) error {
		in, target := inits[i], targets[i%len(targets)]
		s, err := in.ep.DialPeer(ctx, in.server, [32]byte(target.PeerID()))
		if err != nil {
			return err
		}
		return s.Close()
	})
	return res, nil
}

// peerInitiator is an rtmfp endpoint with a connected NetConnection to the
// server, from which it asks for introductions.
type peerInitiator struct {
	ep        *rtmfp.Endpoint
	server    *rtmfp.Session
	connected chan struct{}
	once      sync.Once
}

func newPeerInitiator(ctx context.Context, c *Common) (*peerInitiator, error) {
	in := &peerInitiator{connected: make(chan struct{})}
	ep, err := rtmfp.Listen("udp4", ":0", rtmfp.Config{Loops: 1, Handler: (*initiatorHandler)(in), Logger: c.Logger})
	if err != nil {
		return nil, err
	}
	in.ep = ep
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	s, err := ep.Dial(ctx, c.URL)
	if err == nil {
		in.server = s
		err = in.connect(ctx, c.URL)
	}
	if err != nil {
		ep.Close()
		return nil, err
	}
	return in, nil
}

// connect sends NetConnection connect and setPeerInfo and waits for the
// server's first answer on the NetConnection return flow.
func (in *peerInitiator) connect(ctx context.Context, rawURL string) error {
	u, err := parseURLPath(rawURL)
	if err != nil {
		return err
	}
	connect, peerInfo, err := flashConnectMessages(rawURL, u)
	if err != nil {
		return err
	}
	f, err := in.server.OpenFlow(message.TCMetadata{}.Append(nil), 0)
	if err != nil {
		return err
	}
	if err := f.Write(connect); err != nil {
		return err
	}
	if err := f.Write(peerInfo); err != nil {
		return err
	}
	select {
	case <-in.connected:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("bench: initiator connect: %w", ctx.Err())
	}
}

// initiatorHandler is the rtmfp handler of a peerInitiator: it accepts the
// server's NetConnection return flow (its first message is the connect
// answer) and ignores everything else.
type initiatorHandler peerInitiator

func (h *initiatorHandler) NewSession(*rtmfp.Session) rtmfp.SessionHandler {
	return (*initiatorSession)(h)
}
func (h *initiatorHandler) Rendezvous(rtmfp.RendezvousRequest) {}
func (h *initiatorHandler) Hello(rtmfp.HelloRequest) bool      { return false }

type initiatorSession peerInitiator

func (s *initiatorSession) OnFlow(f *rtmfp.RecvFlow) bool { return f.ReturnFor() != 0 }
func (s *initiatorSession) OnMessage(f *rtmfp.RecvFlow, msg []byte) {
	cmd, _, err := message.ParseCommand(msg)
	if err == nil && cmd.Name == message.CommandResult && cmd.TID == 1 {
		s.once.Do(func() { close(s.connected) })
	}
}
func (s *initiatorSession) OnFlowEnd(*rtmfp.RecvFlow)            {}
func (s *initiatorSession) OnAddressChanged(_, _ netip.AddrPort) {}
func (s *initiatorSession) OnClosed(error)                       {}

// parseURLPath returns the path of an rtmfp:// URL.
func parseURLPath(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", fmt.Errorf("%w: bad URL %q", ErrBadConfig, rawURL)
	}
	return u.Path, nil
}

// introRendezvous: targets and initiators are swarm sessions on separate
// sockets; each pair asks for introductions in a closed loop.
func introRendezvous(ctx context.Context, cfg IntroConfig) (*IntroResult, error) {
	r := newRun("intro", &cfg.Common, "introductions")
	sw, err := newSwarm(cfg.URL, 2*cfg.Sockets, 10*time.Second, cfg.Logger)
	if err != nil {
		return nil, err
	}
	defer sw.close()
	targetSocks, initSocks := sw.socks[:cfg.Sockets], sw.socks[cfg.Sockets:]
	targets := make([]*swSession, cfg.Pairs)
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	open := func(sock *swSocket, slot **swSession) {
		sem <- struct{}{}
		defer func() { <-sem }()
		s, err := sw.open(ctx, sock, true, cfg.Timeout)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			r.errs.add(err)
			if firstErr == nil {
				firstErr = err
			}
			return
		}
		if slot != nil {
			*slot = s
		}
	}
	for i := range targets {
		wg.Go(func() { open(targetSocks[i%len(targetSocks)], &targets[i]) })
	}
	// Initiator sockets need an established session of their own: the
	// server only serves introductions to proven addresses.
	for _, sock := range initSocks {
		wg.Go(func() { open(sock, nil) })
	}
	wg.Wait()
	if firstErr != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoTarget, firstErr)
	}
	res := introLoop(ctx, cfg, r, func(ctx context.Context, i int) error {
		return sw.introduce(ctx, initSocks[i%len(initSocks)], targets[i].peerID, time.Second)
	})
	return res, nil
}
