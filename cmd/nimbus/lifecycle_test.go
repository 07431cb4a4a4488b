package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"
)

// recorder collects service events in the order they happen.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) add(ev string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
}

func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

func (r *recorder) has(ev string) bool { return slices.Contains(r.list(), ev) }

type fakeService struct {
	name     string
	rec      *recorder
	startErr error
	stopErr  error
	// stop, when set, makes Stop wait for it to close (or, if honourCtx,
	// for the shutdown deadline).
	stop      chan struct{}
	honourCtx bool
	failed    chan error
	// deadline is the shutdown deadline Stop was given.
	deadline time.Time
}

func (s *fakeService) Name() string { return s.name }

func (s *fakeService) Start(ctx context.Context) error {
	s.rec.add("start " + s.name)
	return s.startErr
}

func (s *fakeService) Stop(ctx context.Context) error {
	s.rec.add("stop " + s.name)
	s.deadline, _ = ctx.Deadline()
	if s.stop != nil {
		if s.honourCtx {
			select {
			case <-s.stop:
			case <-ctx.Done():
				return ctx.Err()
			}
		} else {
			<-s.stop
		}
	}
	return s.stopErr
}

type failingService struct{ *fakeService }

func (s failingService) Failed() <-chan error { return s.failed }

// waitFor polls cond until it holds, failing the test after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// startRunner runs runServices in a goroutine and returns its exit status channel.
func startRunner(services []service, sigs chan os.Signal, timeout time.Duration) <-chan int {
	status := make(chan int, 1)
	go func() {
		status <- runServices(context.Background(), services, sigs, timeout, discardLogger(), nil)
	}()
	return status
}

func awaitStatus(t *testing.T, status <-chan int) int {
	t.Helper()
	select {
	case s := <-status:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("runner did not return")
		return -1
	}
}

func TestRunnerStartOrderAndReverseStop(t *testing.T) {
	rec := &recorder{}
	a := &fakeService{name: "a", rec: rec}
	b := &fakeService{name: "b", rec: rec}
	c := &fakeService{name: "c", rec: rec}
	sigs := make(chan os.Signal, 2)
	status := startRunner([]service{a, b, c}, sigs, 5*time.Second)

	waitFor(t, "c to start", func() bool { return rec.has("start c") })
	sigs <- os.Interrupt
	if s := awaitStatus(t, status); s != exitOK {
		t.Errorf("status = %d, want %d", s, exitOK)
	}
	want := []string{"start a", "start b", "start c", "stop c", "stop b", "stop a"}
	if got := rec.list(); !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
	if a.deadline.IsZero() || time.Until(a.deadline) > 5*time.Second {
		t.Errorf("Stop got deadline %v, want one within 5s", a.deadline)
	}
}

func TestRunnerNoServices(t *testing.T) {
	sigs := make(chan os.Signal, 2)
	status := startRunner(nil, sigs, time.Second)
	sigs <- syscall.SIGTERM
	if s := awaitStatus(t, status); s != exitOK {
		t.Errorf("status = %d, want %d", s, exitOK)
	}
}

func TestRunnerStartFailureStopsWhatStarted(t *testing.T) {
	rec := &recorder{}
	services := []service{
		&fakeService{name: "a", rec: rec},
		&fakeService{name: "b", rec: rec, startErr: errors.New("bind: address in use")},
		&fakeService{name: "c", rec: rec},
	}
	status := startRunner(services, make(chan os.Signal, 2), 5*time.Second)
	if s := awaitStatus(t, status); s != exitFail {
		t.Errorf("status = %d, want %d", s, exitFail)
	}
	want := []string{"start a", "start b", "stop a"}
	if got := rec.list(); !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
}

func TestRunnerStopDeadline(t *testing.T) {
	for _, honour := range []bool{true, false} {
		name := "Stop ignores ctx"
		if honour {
			name = "Stop honours ctx"
		}
		t.Run(name, func(t *testing.T) {
			rec := &recorder{}
			block := make(chan struct{})
			t.Cleanup(func() { close(block) })
			a := &fakeService{name: "a", rec: rec}
			stuck := &fakeService{name: "stuck", rec: rec, stop: block, honourCtx: honour}
			sigs := make(chan os.Signal, 2)
			const timeout = 300 * time.Millisecond
			status := startRunner([]service{a, stuck}, sigs, timeout)

			waitFor(t, "services to start", func() bool { return rec.has("start stuck") })
			begin := time.Now()
			sigs <- os.Interrupt
			s := awaitStatus(t, status)
			elapsed := time.Since(begin)
			if s != exitFail {
				t.Errorf("status = %d, want %d", s, exitFail)
			}
			if elapsed < timeout || elapsed > timeout+3*time.Second {
				t.Errorf("returned after %v, want about %v", elapsed, timeout)
			}
			if honour && !rec.has("stop a") {
				// The stuck service returned at the deadline, so the
				// next one was still asked to stop (with an expired ctx).
				waitFor(t, "a to be stopped", func() bool { return rec.has("stop a") })
			}
		})
	}
}

func TestRunnerSecondSignalExitsAtOnce(t *testing.T) {
	rec := &recorder{}
	block := make(chan struct{})
	t.Cleanup(func() { close(block) })
	stuck := &fakeService{name: "stuck", rec: rec, stop: block}
	sigs := make(chan os.Signal, 2)
	status := startRunner([]service{stuck}, sigs, time.Hour)

	waitFor(t, "start", func() bool { return rec.has("start stuck") })
	sigs <- os.Interrupt
	waitFor(t, "stop to begin", func() bool { return rec.has("stop stuck") })
	sigs <- syscall.SIGTERM
	if s := awaitStatus(t, status); s != exitFail {
		t.Errorf("status = %d, want %d", s, exitFail)
	}
}

func TestRunnerStopError(t *testing.T) {
	rec := &recorder{}
	sigs := make(chan os.Signal, 2)
	status := startRunner([]service{
		&fakeService{name: "a", rec: rec},
		&fakeService{name: "b", rec: rec, stopErr: errors.New("flush failed")},
	}, sigs, time.Second)
	waitFor(t, "start", func() bool { return rec.has("start b") })
	sigs <- os.Interrupt
	if s := awaitStatus(t, status); s != exitFail {
		t.Errorf("status = %d, want %d", s, exitFail)
	}
	if got, want := rec.list(), []string{"start a", "start b", "stop b", "stop a"}; !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v (a failing Stop must not skip the others)", got, want)
	}
}

func TestRunnerServiceFailureShutsDown(t *testing.T) {
	rec := &recorder{}
	failed := make(chan error, 1)
	svc := failingService{&fakeService{name: "endpoint", rec: rec, failed: failed}}
	other := &fakeService{name: "core", rec: rec}
	status := startRunner([]service{other, svc}, make(chan os.Signal, 2), time.Second)
	waitFor(t, "start", func() bool { return rec.has("start endpoint") })
	failed <- errors.New("socket closed")
	if s := awaitStatus(t, status); s != exitFail {
		t.Errorf("status = %d, want %d", s, exitFail)
	}
	if got, want := rec.list(), []string{"start core", "start endpoint", "stop endpoint", "stop core"}; !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
}

func TestRunnerSignalDuringStartup(t *testing.T) {
	rec := &recorder{}
	sigs := make(chan os.Signal, 2)
	sigs <- os.Interrupt // already pending when the runner begins
	status := startRunner([]service{&fakeService{name: "a", rec: rec}}, sigs, time.Second)
	if s := awaitStatus(t, status); s != exitOK {
		t.Errorf("status = %d, want %d", s, exitOK)
	}
	if got := rec.list(); len(got) != 0 {
		t.Errorf("events = %v, want none", got)
	}
}
