package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"nimbus/rtmfp"
	"nimbus/rtmfp/flash"
)

// Goals of the issue (2-core machine).
const (
	GoalConnectsPerSecond      = 5000
	GoalSessions               = 100000
	GoalServerRSSBytes         = 1 << 30
	GoalCallsPerSecond         = 100000
	GoalDeliveredPerSecond     = 500000
	GoalIntroductionsPerSecond = 20000
)

// benchDialer is the Dialer of every Flash client of the scenarios: one
// event loop per client (a bench runs many), and no IHello rate limit of
// its own (peers introduced to it all come from the bench host).
func (c *Common) benchDialer() flash.Dialer {
	return flash.Dialer{
		Transport: rtmfp.Config{Loops: 1, HelloRate: benchHelloRate, HelloBurst: benchHelloRate},
		Logger:    c.Logger,
	}
}

// dial connects one Flash client within the operation timeout.
func (c *Common) dial(ctx context.Context, args ...any) (*flash.Client, error) {
	d := c.benchDialer()
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	return d.Dial(ctx, c.URL, args...)
}

// ConnectConfig configures Connect.
type ConnectConfig struct {
	Common
	// Concurrency is the number of clients connecting in parallel, each
	// in a loop (1..10000); 0 means 8.
	Concurrency int
}

// ConnectResult is what Connect measured. Summary.Latency is the time of
// one handshake + connect (Dial), CloseLatency that of the close.
type ConnectResult struct {
	Summary
	Concurrency  int     `json:"concurrency"`
	CloseLatency Latency `json:"close_latency"`
}

func (r *ConnectResult) rows() [][2]string {
	return [][2]string{
		{"concurrency", fmt.Sprint(r.Concurrency)},
		{"close latency", fmt.Sprintf("p50 %s  p99 %s", fmtUs(r.CloseLatency.P50Us), fmtUs(r.CloseLatency.P99Us))},
	}
}

// maxPendingCloses bounds the clients of the connect scenario that are
// still closing.
const maxPendingCloses = 4096

// Connect runs the connect scenario: Concurrency clients each doing
// handshake + NetConnection connect + close, in a loop, for Duration.
// Every iteration is a new Flash client (new socket, new key pair), as a
// new Flash Player would be.
func Connect(ctx context.Context, cfg ConnectConfig) (*ConnectResult, error) {
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 8
	}
	if err := cfg.normalize(true); err != nil {
		return nil, err
	}
	if err := checkCount("concurrency", cfg.Concurrency, 1, maxConcurrency); err != nil {
		return nil, err
	}
	r := newRun("connect", &cfg.Common, "connects")
	var dialH, closeH Histogram
	var ops atomic.Uint64
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	p := startProgress(cfg.Progress, "connect", cfg.Duration, func() string {
		return fmt.Sprintf("connects=%d errors=%d", ops.Load(), r.errs.Total())
	})
	// A client's Close flushes first: it waits for the acknowledgement of
	// its last message (setPeerInfo), which a server may delay (RFC 7016
	// delayed ack, 200 ms). Closes therefore run in the background, bounded,
	// and the worker goes on with its next connect.
	closing := make(chan struct{}, maxPendingCloses)
	var wg, closes sync.WaitGroup
	for range cfg.Concurrency {
		wg.Go(func() {
			for ctx.Err() == nil {
				t0 := time.Now()
				c, err := cfg.dial(ctx)
				if err != nil {
					if !r.over(ctx) {
						r.errs.add(err)
					}
					continue
				}
				dialH.Record(time.Since(t0))
				ops.Add(1)
				closing <- struct{}{}
				closes.Go(func() {
					defer func() { <-closing }()
					t1 := time.Now()
					if err := c.Close(); err != nil {
						r.errs.add(err)
						return
					}
					closeH.Record(time.Since(t1))
				})
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(r.start)
	closes.Wait()
	p.end()
	sum := r.finish(ops.Load(), elapsed, &dialH)
	r.goal("connects/s", GoalConnectsPerSecond, sum.Rate)
	return &ConnectResult{Summary: *sum, Concurrency: cfg.Concurrency, CloseLatency: closeH.Summary()}, nil
}
