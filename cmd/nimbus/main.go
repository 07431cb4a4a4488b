// Command nimbus runs the Nimbus RTMFP rendezvous server.
//
// Usage:
//
//	nimbus [serve] [-config FILE] [-www DIR] [-log-level LEVEL] [-log-format FORMAT]
//	nimbus version
//	nimbus help [command]
package main

import (
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// version is the release name, set at build time with
// -ldflags "-X main.version=v1.2.3".
var version = "dev"

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1 // a runtime failure, or a shutdown that was cut short
	exitUsage = 2 // bad command line or bad configuration
)

// stopTimeout bounds a graceful shutdown.
const stopTimeout = 5 * time.Second

// env is what a command may touch of the process, so tests can run commands
// in-process with their own streams and signals.
type env struct {
	stdout, stderr io.Writer
	// signals delivers SIGINT/SIGTERM: the first stops the server, the
	// second exits at once.
	signals <-chan os.Signal
	// stopTimeout bounds shutdown; zero means the package default.
	stopTimeout time.Duration
	// ready, if not nil, is called when the server is up (tests).
	ready func()
}

func main() {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	os.Exit(run(os.Args[1:], &env{stdout: os.Stdout, stderr: os.Stderr, signals: sigs}))
}
