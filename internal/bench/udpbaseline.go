package bench

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// UDPBaselineConfig configures UDPBaseline. Common.URL is not used: both
// sockets are on 127.0.0.1.
type UDPBaselineConfig struct {
	Common
	// Concurrency is the number of client sockets, each with one datagram
	// in flight (1..1024); 0 means 8.
	Concurrency int
	// Size is the datagram payload size (16..1400); 0 means 100.
	Size int
}

// UDPBaselineResult is what UDPBaseline measured: Ops are round trips
// (two datagrams each); Summary.Latency is the round-trip time.
type UDPBaselineResult struct {
	Summary
	Concurrency     int     `json:"concurrency"`
	Size            int     `json:"size_bytes"`
	DatagramsPerSec float64 `json:"datagrams_per_s"`
	MegabitsPerSec  float64 `json:"megabits_per_s"`
}

func (r *UDPBaselineResult) rows() [][2]string {
	return [][2]string{
		{"setup", fmt.Sprintf("%d sockets × 1 datagram in flight, %d B, echoed by one socket on 127.0.0.1", r.Concurrency, r.Size)},
		{"datagrams/s", fmt.Sprintf("%.0f (both directions), %.0f Mbit/s of payload", r.DatagramsPerSec, r.MegabitsPerSec)},
	}
}

// UDPBaseline measures raw UDP echo on loopback with plain socket calls:
// the ceiling this machine allows for a request/answer over UDP, against
// which the other scenarios can be read.
func UDPBaseline(ctx context.Context, cfg UDPBaselineConfig) (*UDPBaselineResult, error) {
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 8
	}
	if cfg.Size == 0 {
		cfg.Size = 100
	}
	if err := cfg.normalize(false); err != nil {
		return nil, err
	}
	if err := errors.Join(checkCount("concurrency", cfg.Concurrency, 1, 1024), checkCount("size", cfg.Size, 16, 1400)); err != nil {
		return nil, err
	}
	cfg.URL = ""
	r := newRun("udp-baseline", &cfg.Common, "round trips")
	echo, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, fmt.Errorf("bench: udp-baseline: %w", err)
	}
	echo.SetReadBuffer(socketBufferBytes)
	echo.SetWriteBuffer(socketBufferBytes)
	echoDone := make(chan struct{})
	go func() {
		defer close(echoDone)
		buf := make([]byte, 2048)
		for {
			n, from, err := echo.ReadFromUDPAddrPort(buf)
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue
			}
			echo.WriteToUDPAddrPort(buf[:n], from)
		}
	}()
	defer func() { echo.Close(); <-echoDone }()
	to := echo.LocalAddr().(*net.UDPAddr).AddrPort()

	var h Histogram
	var ops atomic.Uint64
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	p := startProgress(cfg.Progress, "udp-baseline", cfg.Duration, func() string {
		return fmt.Sprintf("round trips=%d errors=%d", ops.Load(), r.errs.Total())
	})
	var wg sync.WaitGroup
	for range cfg.Concurrency {
		conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			r.errs.add(err)
			continue
		}
		wg.Go(func() {
			defer conn.Close()
			out := make([]byte, cfg.Size)
			in := make([]byte, 2048)
			var seq uint64
			for ctx.Err() == nil {
				seq++
				binary.BigEndian.PutUint64(out, seq)
				t0 := time.Now()
				if _, err := conn.WriteToUDPAddrPort(out, to); err != nil {
					r.errs.add(err)
					continue
				}
				// A lost datagram is retried after the read deadline.
				conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
				for {
					n, _, err := conn.ReadFromUDPAddrPort(in)
					if err != nil {
						if !r.over(ctx) {
							r.errs.addKind(kindLost, "no echo within 200 ms")
						}
						break
					}
					if n == cfg.Size && binary.BigEndian.Uint64(in) == seq {
						h.Record(time.Since(t0))
						ops.Add(1)
						break
					}
				}
			}
		})
	}
	wg.Wait()
	p.end()
	sum := r.finish(ops.Load(), time.Since(r.start), &h)
	res := &UDPBaselineResult{Summary: *sum, Concurrency: cfg.Concurrency, Size: cfg.Size}
	res.DatagramsPerSec = 2 * sum.Rate
	res.MegabitsPerSec = res.DatagramsPerSec * float64(cfg.Size) * 8 / 1e6
	return res, nil
}

// socketBufferBytes is the kernel buffer asked for on baseline sockets,
// the same as the rtmfp endpoint's.
const socketBufferBytes = 4 << 20
