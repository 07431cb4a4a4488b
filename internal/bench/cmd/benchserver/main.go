// Command benchserver runs the load-test server of internal/bench: the
// Flash layer on the core model with a Go application (every connection,
// publication and introduction accepted, and an "echo" RPC), and the
// per-address limits of a public server raised so that one load-generating
// host is not throttled. It exists so that "nimbus bench" can be run
// against a real server process before "nimbus serve" wires the RTMFP
// server and the Lua applications; it is never a production server.
//
// Usage:
//
//	benchserver [-listen 127.0.0.1:1935] [-loops N] [-keypair-reuse D] [-pprof 127.0.0.1:6060]
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
)

func main() {
	listen := flag.String("listen", "127.0.0.1:1935", "UDP `address` to serve")
	loops := flag.Int("loops", 0, "rtmfp event loops; 0 means GOMAXPROCS")
	maxSessions := flag.Int("max-sessions", 200000, "sessions allowed at once")
	reuse := flag.Duration("keypair-reuse", 0, "reuse a server Diffie-Hellman key pair for this long (0: fresh per handshake)")
	pprofAddr := flag.String("pprof", "", "serve net/http/pprof on this `address` (e.g. 127.0.0.1:6060)")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if *pprofAddr != "" {
		go func() {
			log.Info("benchserver: pprof", "address", *pprofAddr)
			if err := http.ListenAndServe(*pprofAddr, nil); err != nil {
				log.Error("benchserver: pprof", "err", err)
			}
		}()
	}
	srv, err := bench.StartServer(bench.ServerConfig{Listen: *listen, Loops: *loops, MaxSessions: *maxSessions, KeypairReuse: *reuse, Logger: log})
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
