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
	"nimbus/rtmfp/flash/message"
)

// fanoutHandler is the NetStream.send handler name of the messages.
const fanoutHandler = "bench"

// FanoutConfig configures Fanout.
type FanoutConfig struct {
	Common
	// Subscribers is the number of playing clients (1..10000); 0 means 10.
	Subscribers int
	// Size is the data message size in bytes, AMF encoding included
	// (64..60000); 0 means 100.
	Size int
	// Rate is the messages per second the publisher sends (1..1000000);
	// 0 means 1000.
	Rate int
	// Stream is the publication name; "" means "bench".
	Stream string
	// Drain is how long delivery may continue after the last message was
	// sent; 0 means 3 s.
	Drain time.Duration
}

// FanoutResult is what Fanout measured. Ops are delivered messages (one
// message reaching one subscriber) and Rate is per second of sending;
// Summary.Latency is the time from Send to Receive.
type FanoutResult struct {
	Summary
	Subscribers int     `json:"subscribers"`
	Size        int     `json:"size_bytes"`
	TargetRate  int     `json:"target_rate"`
	Sent        uint64  `json:"sent"`
	Expected    uint64  `json:"expected"`
	Delivered   uint64  `json:"delivered"`
	Lost        uint64  `json:"lost"`
	LossRatio   float64 `json:"loss_ratio"`
	OutOfOrder  uint64  `json:"out_of_order"`
	ClientDrops uint64  `json:"client_drops"`
}

func (r *FanoutResult) rows() [][2]string {
	return [][2]string{
		{"publisher", fmt.Sprintf("%d B at %d/s to %d subscribers", r.Size, r.TargetRate, r.Subscribers)},
		{"sent", fmt.Sprintf("%d (%.0f/s)", r.Sent, float64(r.Sent)/r.Elapsed)},
		{"delivered", fmt.Sprintf("%d of %d", r.Delivered, r.Expected)},
		{"lost", fmt.Sprintf("%d (%.4f %%)", r.Lost, 100*r.LossRatio)},
		{"client queue drops", fmt.Sprint(r.ClientDrops)},
	}
}

// fanoutSub is one subscriber's state.
type fanoutSub struct {
	client     *flash.Client
	stream     *flash.Stream
	delivered  atomic.Uint64
	outOfOrder atomic.Uint64
}

// Fanout runs the fanout scenario: one publisher sends data messages of
// Size bytes at Rate per second through the server to Subscribers players,
// for Duration.
func Fanout(ctx context.Context, cfg FanoutConfig) (*FanoutResult, error) {
	if cfg.Subscribers == 0 {
		cfg.Subscribers = 10
	}
	if cfg.Size == 0 {
		cfg.Size = 100
	}
	if cfg.Rate == 0 {
		cfg.Rate = 1000
	}
	if cfg.Stream == "" {
		cfg.Stream = "bench"
	}
	if cfg.Drain <= 0 {
		cfg.Drain = 3 * time.Second
	}
	if err := cfg.normalize(true); err != nil {
		return nil, err
	}
	if err := errors.Join(checkCount("subscribers", cfg.Subscribers, 1, maxConcurrency),
		checkCount("size", cfg.Size, 64, 60000), checkCount("rate", cfg.Rate, 1, 1000000)); err != nil {
		return nil, err
	}
	pad, err := fanoutPadding(cfg.Size)
	if err != nil {
		return nil, err
	}
	r := newRun("fanout", &cfg.Common, "delivered")

	// Setup: the publisher first, then the players.
	pubs, err := connectClients(ctx, &cfg.Common, 1, r.errs)
	if err != nil {
		return nil, err
	}
	publisher := pubs[0]
	defer publisher.Close()
	setup, cancelSetup := context.WithTimeout(ctx, cfg.Timeout)
	defer cancelSetup()
	pub, err := publisher.NewStream(setup)
	if err == nil {
		err = pub.Publish(setup, cfg.Stream)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: publish: %w", ErrNoTarget, err)
	}
	clients, err := connectClients(ctx, &cfg.Common, cfg.Subscribers, r.errs)
	defer closeClients(clients)
	if err != nil {
		return nil, err
	}
	subs := make([]*fanoutSub, 0, len(clients))
	for _, c := range clients {
		playCtx, cancelPlay := context.WithTimeout(ctx, cfg.Timeout)
		st, err := c.NewStream(playCtx)
		if err == nil {
			err = st.Play(playCtx, cfg.Stream)
		}
		cancelPlay()
		if err != nil {
			r.errs.add(err)
			continue
		}
		subs = append(subs, &fanoutSub{client: c, stream: st})
	}
	if len(subs) == 0 {
		return nil, fmt.Errorf("%w: no subscriber could play", ErrNoTarget)
	}

	var h Histogram
	var sent atomic.Uint64
	start := time.Now()
	recvCtx, stopRecv := context.WithCancel(context.Background())
	defer stopRecv()
	var recvWG sync.WaitGroup
	for _, s := range subs {
		recvWG.Go(func() { s.receive(recvCtx, start, &h) })
	}
	delivered := func() uint64 {
		var n uint64
		for _, s := range subs {
			n += s.delivered.Load()
		}
		return n
	}

	r.restart()
	p := startProgress(cfg.Progress, "fanout", cfg.Duration, func() string {
		return fmt.Sprintf("sent=%d delivered=%d errors=%d", sent.Load(), delivered(), r.errs.Total())
	})
	sendCtx, stopSend := context.WithTimeout(ctx, cfg.Duration)
	defer stopSend()
	sendStart := time.Now()
	publishPaced(sendCtx, pub, cfg.Rate, pad, start, &sent, r.errs)
	sendTime := time.Since(sendStart)

	// Let delivery finish, then stop the receivers.
	expected := sent.Load() * uint64(len(subs))
	deadline := time.Now().Add(cfg.Drain)
	for delivered() < expected && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	stopRecv()
	recvWG.Wait()
	p.end()

	res := &FanoutResult{
		Subscribers: len(subs), Size: cfg.Size, TargetRate: cfg.Rate,
		Sent: sent.Load(), Expected: expected, Delivered: delivered(),
	}
	for _, s := range subs {
		res.OutOfOrder += s.outOfOrder.Load()
		res.ClientDrops += s.stream.Dropped()
	}
	if res.Delivered < res.Expected {
		res.Lost = res.Expected - res.Delivered
	}
	if res.Expected > 0 {
		res.LossRatio = float64(res.Lost) / float64(res.Expected)
	}
	r.errs.addN(kindLost, "sent but not delivered before the drain deadline", res.Lost)
	r.errs.addN(kindOutOfOrder, "a sequence number at or below the last one received", res.OutOfOrder)
	r.errs.addN(kindClientDrops, "the subscriber's receive queue was full (client too slow)", res.ClientDrops)
	sum := r.finish(res.Delivered, sendTime, &h)
	r.goal("delivered/s", GoalDeliveredPerSecond, sum.Rate)
	res.Summary = *sum
	return res, nil
}

// fanoutPadding returns the padding that makes a message size bytes long.
func fanoutPadding(size int) (string, error) {
	b, err := message.Data{Handler: fanoutHandler, Args: []any{0.0, 0.0, ""}}.Append(nil)
	if err != nil {
		return "", err
	}
	if size < len(b) {
		return "", fmt.Errorf("%w: size %d below the %d bytes of an empty message", ErrBadConfig, size, len(b))
	}
	return strings.Repeat("p", size-len(b)), nil
}

// publishPaced sends data messages at rate per second until ctx ends: at
// every tick it catches up with rate × elapsed. Each message carries its
// sequence number and its send time (since start) for the receivers.
func publishPaced(ctx context.Context, st *flash.Stream, rate int, pad string, start time.Time, sent *atomic.Uint64, errs *errorCounts) {
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	begin := time.Now()
	var attempts uint64
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			target := uint64(float64(rate) * now.Sub(begin).Seconds())
			for attempts < target && ctx.Err() == nil {
				attempts++
				seq := sent.Load() + 1
				err := st.Send(fanoutHandler, float64(seq), float64(time.Since(start)), pad)
				if err != nil {
					errs.add(err)
					continue
				}
				sent.Add(1)
			}
		}
	}
}

// receive counts what the subscriber gets until ctx ends.
func (s *fanoutSub) receive(ctx context.Context, start time.Time, h *Histogram) {
	var last float64
	for {
		p, err := s.stream.Receive(ctx)
		if err != nil {
			return
		}
		if p.Handler != fanoutHandler || len(p.Args) < 2 {
			continue
		}
		seq, ok1 := p.Args[0].(float64)
		at, ok2 := p.Args[1].(float64)
		if !ok1 || !ok2 {
			continue
		}
		h.Record(time.Since(start) - time.Duration(at))
		if seq <= last {
			s.outOfOrder.Add(1)
			continue
		}
		last = seq
		s.delivered.Add(1)
	}
}
