package bench

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// SessionsConfig configures Sessions. Common.Duration is how long the
// sessions are held once open; Common.Timeout bounds one session's opening.
type SessionsConfig struct {
	Common
	// Sessions is the number of sessions to open (1..200000); 0 means 1000.
	Sessions int
	// Sockets is the number of client UDP sockets the sessions share
	// (1..1024); 0 means 16.
	Sockets int
	// Connect makes each session a connected Flash client
	// (NetConnection connect and setPeerInfo), as an idle Flash Player
	// would be; otherwise sessions stop after the handshake.
	Connect bool
	// Keepalive is the ping period of every session (1 s..5 min); 0
	// means 10 s.
	Keepalive time.Duration
	// InFlight is the number of openings running at once (1..1024); 0
	// means 16.
	InFlight int
	// RampLimit bounds the opening phase; 0 means 5 min.
	RampLimit time.Duration
}

// SessionsResult is what Sessions measured. Summary.Ops is the number of
// sessions that stayed up through the hold; Summary.Rate is the opening
// rate; Summary.Latency the time to open one session.
type SessionsResult struct {
	Summary
	Target         int     `json:"target"`
	Sockets        int     `json:"sockets"`
	Connect        bool    `json:"connect"`
	Opened         int     `json:"opened"`
	OpenSeconds    float64 `json:"open_s"`
	HeldSeconds    float64 `json:"held_s"`
	StayedUp       int     `json:"stayed_up"`
	ClosedByServer uint64  `json:"closed_by_server"`
	// Resident memory of the server (when ServerPID is set) before the
	// sessions and while they are held, and the difference per session.
	ServerRSSBefore     int64   `json:"server_rss_before_bytes,omitempty"`
	ServerRSSHeld       int64   `json:"server_rss_held_bytes,omitempty"`
	ServerRSSPerSession float64 `json:"server_rss_per_session_bytes,omitempty"`
	ServerRSSGoalMet    *bool   `json:"server_rss_goal_met,omitempty"`
	// The client's own memory while holding the sessions.
	ClientRSSHeld       int64   `json:"client_rss_held_bytes"`
	ClientHeapHeld      uint64  `json:"client_heap_held_bytes"`
	ClientRSSPerSession float64 `json:"client_rss_per_session_bytes"`
}

func (r *SessionsResult) rows() [][2]string {
	kind := "RTMFP sessions (handshake only)"
	if r.Connect {
		kind = "connected Flash clients (handshake + connect + setPeerInfo)"
	}
	rows := [][2]string{
		{"sessions", fmt.Sprintf("%d %s over %d sockets", r.Target, kind, r.Sockets)},
		{"opened", fmt.Sprintf("%d in %.1f s", r.Opened, r.OpenSeconds)},
		{"stayed up", fmt.Sprintf("%d after %.1f s held (%d closed by the server)", r.StayedUp, r.HeldSeconds, r.ClosedByServer)},
		{"client memory", fmt.Sprintf("rss %s, heap %s, %.0f B/session", formatBytes(r.ClientRSSHeld), formatBytes(int64(r.ClientHeapHeld)), r.ClientRSSPerSession)},
	}
	if r.ServerRSSHeld > 0 {
		verdict := "MISSED"
		if r.ServerRSSGoalMet != nil && *r.ServerRSSGoalMet {
			verdict = "met"
		}
		rows = append(rows,
			[2]string{"server memory", fmt.Sprintf("rss %s before, %s held, %.0f B/session", formatBytes(r.ServerRSSBefore), formatBytes(r.ServerRSSHeld), r.ServerRSSPerSession)},
			[2]string{"goal", fmt.Sprintf("server rss <= 1 GiB with the sessions held: %s", verdict)},
		)
	}
	return rows
}

// Sessions runs the sessions scenario: open Sessions sessions over a few
// sockets, hold them idle with keepalives for Duration, then check which
// still answer.
func Sessions(ctx context.Context, cfg SessionsConfig) (*SessionsResult, error) {
	if cfg.Sessions == 0 {
		cfg.Sessions = 1000
	}
	if cfg.Sockets == 0 {
		cfg.Sockets = 16
	}
	if cfg.Keepalive == 0 {
		cfg.Keepalive = 10 * time.Second
	}
	if cfg.InFlight == 0 {
		cfg.InFlight = 16
	}
	if cfg.RampLimit <= 0 {
		cfg.RampLimit = 5 * time.Minute
	}
	if err := cfg.normalize(true); err != nil {
		return nil, err
	}
	if err := errors.Join(checkCount("sessions", cfg.Sessions, 1, 200000), checkCount("sockets", cfg.Sockets, 1, 1024),
		checkCount("in-flight", cfg.InFlight, 1, 1024)); err != nil {
		return nil, err
	}
	if cfg.Keepalive < time.Second || cfg.Keepalive > 5*time.Minute {
		return nil, fmt.Errorf("%w: keepalive %v not in [1s, 5m]", ErrBadConfig, cfg.Keepalive)
	}
	r := newRun("sessions", &cfg.Common, "sessions up")
	pid := strconv.Itoa(cfg.ServerPID)
	res := &SessionsResult{Target: cfg.Sessions, Sockets: cfg.Sockets, Connect: cfg.Connect}
	if cfg.ServerPID > 0 {
		res.ServerRSSBefore = rssOf(pid)
	}
	sw, err := newSwarm(cfg.URL, cfg.Sockets, cfg.Keepalive, cfg.Logger)
	if err != nil {
		return nil, err
	}
	defer sw.close()

	// Ramp: InFlight openings at a time.
	var h Histogram
	var next, opened atomic.Int64
	rampCtx, cancelRamp := context.WithTimeout(ctx, cfg.RampLimit)
	defer cancelRamp()
	p := startProgress(cfg.Progress, "sessions: opening", cfg.RampLimit, func() string {
		return fmt.Sprintf("opened=%d/%d errors=%d", opened.Load(), cfg.Sessions, r.errs.Total())
	})
	rampStart := time.Now()
	var wg sync.WaitGroup
	for range cfg.InFlight {
		wg.Go(func() {
			for rampCtx.Err() == nil {
				i := next.Add(1)
				if i > int64(cfg.Sessions) {
					return
				}
				t0 := time.Now()
				_, err := sw.open(rampCtx, sw.socks[int(i)%len(sw.socks)], cfg.Connect, cfg.Timeout)
				if err != nil {
					if !r.over(rampCtx) {
						r.errs.add(err)
					}
					continue
				}
				h.Record(time.Since(t0))
				opened.Add(1)
			}
		})
	}
	wg.Wait()
	p.end()
	res.OpenSeconds = time.Since(rampStart).Seconds()
	res.Opened = int(opened.Load())
	if res.Opened == 0 {
		return nil, fmt.Errorf("%w: no session opened (%v)", ErrNoTarget, firstSample(r.errs))
	}

	// Hold.
	holdStart := time.Now()
	p = startProgress(cfg.Progress, "sessions: holding", cfg.Duration, func() string {
		line := fmt.Sprintf("up=%d", sw.sessionCount())
		if cfg.ServerPID > 0 {
			line += " server rss=" + formatBytes(rssOf(pid))
		}
		return line
	})
	select {
	case <-ctx.Done():
	case <-time.After(cfg.Duration):
	}
	p.end()
	res.HeldSeconds = time.Since(holdStart).Seconds()
	res.StayedUp = sw.probe(5 * time.Second)
	res.ClosedByServer = sw.peerClosed.Load()

	if cfg.ServerPID > 0 {
		res.ServerRSSHeld = rssOf(pid)
		if res.Opened > 0 {
			res.ServerRSSPerSession = float64(res.ServerRSSHeld-res.ServerRSSBefore) / float64(res.Opened)
		}
		met := res.ServerRSSHeld <= GoalServerRSSBytes && res.StayedUp >= GoalSessions
		res.ServerRSSGoalMet = &met
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.ClientHeapHeld = ms.HeapInuse
	res.ClientRSSHeld = rssOf("self")
	res.ClientRSSPerSession = float64(res.ClientRSSHeld) / float64(res.Opened)
	if lost := res.Opened - res.StayedUp; lost > 0 {
		r.errs.addN(kindLost, "open after the ramp but not answering at the end of the hold", uint64(lost))
	}

	sum := r.finish(uint64(res.StayedUp), time.Since(r.start), &h)
	sum.Rate = float64(res.Opened) / res.OpenSeconds
	sum.RateOf = "opened"
	r.goal("sessions held", GoalSessions, float64(res.StayedUp))
	res.Summary = *sum
	return res, nil
}

// firstSample returns one error message counted so far.
func firstSample(e *errorCounts) string {
	_, samples := e.snapshot()
	for _, m := range samples {
		return m
	}
	return "no error recorded"
}
