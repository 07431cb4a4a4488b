package bench

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"nimbus/rtmfp/flash"
)

// errBadEcho: the echo RPC answered something else than its arguments.
var errBadEcho = errors.New("bench: echo answered different values")

// RPCConfig configures RPC.
type RPCConfig struct {
	Common
	// Clients is the number of connected clients (1..10000); 0 means 8.
	Clients int
	// Pipeline is the number of calls each client keeps outstanding, each
	// in its own closed loop (1..64, the server's per-client bound); 0
	// means 1.
	Pipeline int
	// Method is the RPC name; "" means "echo".
	Method string
	// Payload is the length of the string argument (0..65536).
	Payload int
}

// RPCResult is what RPC measured; Summary.Latency is the round trip of
// one call.
type RPCResult struct {
	Summary
	Clients  int `json:"clients"`
	Pipeline int `json:"pipeline"`
	Payload  int `json:"payload_bytes"`
}

func (r *RPCResult) rows() [][2]string {
	return [][2]string{
		{"clients × pipeline", fmt.Sprintf("%d × %d", r.Clients, r.Pipeline)},
		{"payload", fmt.Sprintf("%d B", r.Payload)},
	}
}

// RPC runs the rpc scenario: Clients clients calling Method(payload) in
// closed loops for Duration, checking that the answer echoes the argument.
func RPC(ctx context.Context, cfg RPCConfig) (*RPCResult, error) {
	if cfg.Clients == 0 {
		cfg.Clients = 8
	}
	if cfg.Pipeline == 0 {
		cfg.Pipeline = 1
	}
	if cfg.Method == "" {
		cfg.Method = "echo"
	}
	if err := cfg.normalize(true); err != nil {
		return nil, err
	}
	if err := errors.Join(checkCount("clients", cfg.Clients, 1, maxConcurrency),
		checkCount("pipeline", cfg.Pipeline, 1, 64), checkCount("payload", cfg.Payload, 0, 65536)); err != nil {
		return nil, err
	}
	r := newRun("rpc", &cfg.Common, "calls")
	clients, err := connectClients(ctx, &cfg.Common, cfg.Clients, r.errs)
	defer closeClients(clients)
	if err != nil {
		return nil, err
	}
	payload := strings.Repeat("x", cfg.Payload)

	var h Histogram
	var ops atomic.Uint64
	r.restart()
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	p := startProgress(cfg.Progress, "rpc", cfg.Duration, func() string {
		return fmt.Sprintf("calls=%d errors=%d", ops.Load(), r.errs.Total())
	})
	var wg sync.WaitGroup
	for _, c := range clients {
		for range cfg.Pipeline {
			wg.Go(func() {
				for ctx.Err() == nil {
					callCtx, cancelCall := context.WithTimeout(ctx, cfg.Timeout)
					t0 := time.Now()
					res, err := c.Call(callCtx, cfg.Method, payload)
					d := time.Since(t0)
					cancelCall()
					if err == nil && (len(res) != 1 || res[0] != payload) {
						err = fmt.Errorf("%w: %d values", errBadEcho, len(res))
					}
					if err != nil {
						if r.over(ctx) {
							return
						}
						r.errs.add(err)
						if errors.Is(err, flash.ErrClosed) {
							return
						}
						continue
					}
					h.Record(d)
					ops.Add(1)
				}
			})
		}
	}
	wg.Wait()
	p.end()
	sum := r.finish(ops.Load(), time.Since(r.start), &h)
	r.goal("calls/s", GoalCallsPerSecond, sum.Rate)
	return &RPCResult{Summary: *sum, Clients: cfg.Clients, Pipeline: cfg.Pipeline, Payload: cfg.Payload}, nil
}

// Setup of the clients a scenario measures with: a server drops the
// keyings beyond its Diffie-Hellman workers (a few per core) and the
// client retries them after 1 s, then 2.5 s, so a setup burst is kept
// small and given time.
const (
	setupParallel = 16
	setupTimeout  = 30 * time.Second
)

// connectClients connects n Flash clients, setupParallel at a time. It
// fails only when none could connect; the others' errors are counted.
func connectClients(ctx context.Context, c *Common, n int, errs *errorCounts) ([]*flash.Client, error) {
	out := make([]*flash.Client, n)
	sem := make(chan struct{}, setupParallel)
	setup := *c
	setup.Timeout = max(c.Timeout, setupTimeout)
	var wg sync.WaitGroup
	var firstErr error
	var mu sync.Mutex
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			cl, err := setup.dial(ctx)
			if err != nil {
				errs.add(err)
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
				return
			}
			out[i] = cl
		})
	}
	wg.Wait()
	live := out[:0]
	for _, cl := range out {
		if cl != nil {
			live = append(live, cl)
		}
	}
	if len(live) == 0 {
		return nil, fmt.Errorf("%w: %w", ErrNoTarget, firstErr)
	}
	return live, nil
}

// closeClients closes clients in parallel (each close waits for the
// server's acknowledgement).
func closeClients(clients []*flash.Client) {
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Go(func() { c.Close() })
	}
	wg.Wait()
}
