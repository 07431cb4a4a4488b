package main

import (
	"context"
	"log/slog"
	"os"
	"time"
)

// service is one long-running part of the server (the RTMFP endpoint, the
// core loop, the script host). The serve command starts services in list
// order and stops them in reverse order.
type service interface {
	// Name identifies the service in logs.
	Name() string
	// Start brings the service up and returns once it is running; its work
	// continues in goroutines it owns. ctx stays live for the whole run and
	// is cancelled after shutdown.
	Start(ctx context.Context) error
	// Stop shuts the service down gracefully. ctx carries the shutdown
	// deadline; past it, Stop should give up and return.
	Stop(ctx context.Context) error
}

// failer is implemented by services that can fail after Start (a socket
// error, a crashed loop). A value on the channel shuts the server down with
// exit status 1.
type failer interface {
	Failed() <-chan error
}

// runServices starts services in order, waits for a signal (or a service
// failure), then stops the started services in reverse order within
// stopTimeout. A second signal during shutdown gives up at once.
//
// ready, if not nil, is called once every service has started.
//
// It returns the exit status: 0 after a clean shutdown on a signal, 1 when a
// service failed to start or failed while running, a Stop returned an error,
// the deadline passed, or a second signal cut shutdown short.
func runServices(ctx context.Context, services []service, signals <-chan os.Signal, stopTimeout time.Duration, log *slog.Logger, ready func()) int {
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()

	failures := make(chan error, len(services))
	started := 0
	for _, s := range services {
		select {
		case sig := <-signals:
			log.Info("signal during startup; shutting down", "signal", sig.String())
			return stopServices(services[:started], signals, stopTimeout, log)
		default:
		}
		log.Info("starting", "service", s.Name())
		if err := s.Start(runCtx); err != nil {
			log.Error("start failed", "service", s.Name(), "err", err)
			stopServices(services[:started], signals, stopTimeout, log)
			return exitFail
		}
		started++
		if f, ok := s.(failer); ok {
			go forwardFailure(runCtx, s.Name(), f.Failed(), failures)
		}
	}
	log.Info("running", "services", len(services))
	if len(services) == 0 {
		log.Warn("no services to run yet; waiting for a signal")
	}
	if ready != nil {
		ready()
	}

	status := exitOK
	select {
	case sig := <-signals:
		log.Info("shutting down", "signal", sig.String(), "deadline", stopTimeout.String())
	case err := <-failures:
		log.Error("service failed; shutting down", "err", err)
		status = exitFail
	case <-ctx.Done():
		log.Info("shutting down", "reason", context.Cause(ctx))
	}
	return max(status, stopServices(services, signals, stopTimeout, log))
}

// failureError names the service that failed.
type failureError struct {
	service string
	err     error
}

func (e failureError) Error() string { return e.service + ": " + e.err.Error() }
func (e failureError) Unwrap() error { return e.err }

func forwardFailure(ctx context.Context, name string, failed <-chan error, failures chan<- error) {
	select {
	case err, ok := <-failed:
		if ok && err != nil {
			failures <- failureError{service: name, err: err} // buffered: one slot per service
		}
	case <-ctx.Done():
	}
}

// stopServices stops services in reverse order under one deadline.
func stopServices(services []service, signals <-chan os.Signal, timeout time.Duration, log *slog.Logger) int {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	done := make(chan bool, 1) // true when every Stop succeeded
	go func() {
		ok := true
		for i := len(services) - 1; i >= 0; i-- {
			s := services[i]
			log.Info("stopping", "service", s.Name())
			if err := s.Stop(ctx); err != nil {
				log.Error("stop failed", "service", s.Name(), "err", err)
				ok = false
			}
		}
		done <- ok
	}()
	select {
	case ok := <-done:
		if !ok {
			return exitFail
		}
		log.Info("stopped")
		return exitOK
	case <-ctx.Done():
		log.Error("shutdown deadline passed; exiting", "deadline", timeout.String())
		return exitFail
	case sig := <-signals:
		log.Warn("second signal; exiting at once", "signal", sig.String())
		return exitFail
	}
}
