// Command benchserver runs the load-test server of internal/bench: the
// Flash layer on the core model with a Go application (every connection,
// publication and introduction accepted, and an "echo" RPC), and the
// per-address limits of a public server raised so that one load-generating
// host is not throttled. It exists so that "nimbus bench" can be run
// against a real server process before "nimbus serve" wires the RTMFP
// server and the Lua applications; it is never a production server.
//
// With -www it runs the Lua applications of that directory instead (the
// script host of "nimbus serve"), which makes the Lua cost measurable with
// the profiler of -pprof.
//
// Usage:
//
//	benchserver [-listen 127.0.0.1:1935] [-loops N] [-keypair-reuse D] [-www DIR] [-pprof 127.0.0.1:6060]
package main

import (
	"flag"
	"log/slog"
	"net/http"
	_ "net/http/pprof" // profiles on -pprof
	"os"
	"os/signal"
	"syscall"

	"nimbus/internal/bench"
	"nimbus/script"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:1935", "UDP `address` to serve")
	loops := flag.Int("loops", 0, "rtmfp event loops; 0 means GOMAXPROCS")
	maxSessions := flag.Int("max-sessions", 200000, "sessions allowed at once")
	reuse := flag.Duration("keypair-reuse", 0, "reuse a server Diffie-Hellman key pair for this long (0: fresh per handshake)")
	www := flag.String("www", "", "run the Lua applications of this `dir` instead of the Go echo application")
	pprofAddr := flag.String("pprof", "", "serve net/http/pprof on this `address` (e.g. 127.0.0.1:6060)")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	// The server and the scripts log per connection at info level: only
	// warnings and errors during a load test.
	serverLog := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if *pprofAddr != "" {
		go func() {
			log.Info("benchserver: pprof", "address", *pprofAddr)
			if err := http.ListenAndServe(*pprofAddr, nil); err != nil {
				log.Error("benchserver: pprof", "err", err)
			}
		}()
	}
	cfg := bench.ServerConfig{Listen: *listen, Loops: *loops, MaxSessions: *maxSessions, KeypairReuse: *reuse, Logger: serverLog}
	if *www != "" {
		host, err := script.New(script.Options{WWWDir: *www, Logger: serverLog, NoWatch: true})
		if err != nil {
			log.Error("benchserver: script host", "err", err)
			os.Exit(1)
		}
		cfg.Events, cfg.Attach = host, host.Attach
	}
	srv, err := bench.StartServer(cfg)
	if err != nil {
		log.Error("benchserver: start", "err", err)
		os.Exit(1)
	}
	log.Info("benchserver: ready", "url", srv.URL("bench"), "pid", os.Getpid())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	<-sigs
	log.Info("benchserver: stopping")
	if err := srv.Close(); err != nil {
		log.Error("benchserver: stop", "err", err)
		os.Exit(1)
	}
}
