package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"nimbus/internal/bench"
)

func init() {
	register(&command{
		name:    "bench",
		args:    "<scenario> -url rtmfp://host:port/app [flags]",
		summary: "Load-test an RTMFP server (connect, sessions, rpc, fanout, intro, udp-baseline).",
		run:     runBench,
		help:    benchHelp,
	})
}

// benchScenario is one scenario of "nimbus bench": its flags and its run.
type benchScenario struct {
	summary string
	flags   func(fs *flag.FlagSet) func(ctx context.Context, c bench.Common) (bench.Result, error)
}

var benchScenarios = map[string]benchScenario{
	"connect": {
		summary: "C clients doing handshake + connect + close in a loop: connects/s, latency",
		flags: func(fs *flag.FlagSet) func(context.Context, bench.Common) (bench.Result, error) {
			var cfg bench.ConnectConfig
			fs.IntVar(&cfg.Concurrency, "c", 8, "clients connecting in parallel")
			return func(ctx context.Context, c bench.Common) (bench.Result, error) {
				cfg.Common = c
				return bench.Connect(ctx, cfg)
			}
		},
	},
	"sessions": {
		summary: "open N sessions over a few sockets, hold them idle with keepalives (-d), count survivors, report RSS",
		flags: func(fs *flag.FlagSet) func(context.Context, bench.Common) (bench.Result, error) {
			var cfg bench.SessionsConfig
			fs.IntVar(&cfg.Sessions, "n", 1000, "sessions to open (up to 200000)")
			fs.IntVar(&cfg.Sockets, "sockets", 16, "client UDP sockets the sessions share")
			fs.BoolVar(&cfg.Connect, "connect", true, "NetConnection connect each session (false: handshake only)")
			fs.DurationVar(&cfg.Keepalive, "keepalive", 10*time.Second, "ping period of each session")
			fs.IntVar(&cfg.InFlight, "inflight", 16, "openings at once")
			fs.DurationVar(&cfg.RampLimit, "ramp", 5*time.Minute, "longest the opening phase may take")
			return func(ctx context.Context, c bench.Common) (bench.Result, error) {
				cfg.Common = c
				return bench.Sessions(ctx, cfg)
			}
		},
	},
	"rpc": {
		summary: "C clients calling an echo RPC in closed loops: calls/s, latency",
		flags: func(fs *flag.FlagSet) func(context.Context, bench.Common) (bench.Result, error) {
			var cfg bench.RPCConfig
			fs.IntVar(&cfg.Clients, "c", 8, "connected clients")
			fs.IntVar(&cfg.Pipeline, "pipeline", 1, "calls outstanding per client (each a closed loop)")
			fs.StringVar(&cfg.Method, "method", "echo", "RPC `name`; it must return its argument")
			fs.IntVar(&cfg.Payload, "payload", 16, "length of the string argument")
			return func(ctx context.Context, c bench.Common) (bench.Result, error) {
				cfg.Common = c
				return bench.RPC(ctx, cfg)
			}
		},
	},
	"fanout": {
		summary: "one publisher sending S-byte data messages at R/s to N subscribers: delivered/s, loss, latency",
		flags: func(fs *flag.FlagSet) func(context.Context, bench.Common) (bench.Result, error) {
			var cfg bench.FanoutConfig
			fs.IntVar(&cfg.Subscribers, "subs", 10, "subscribers (N)")
			fs.IntVar(&cfg.Size, "size", 100, "message size in bytes (S)")
			fs.IntVar(&cfg.Rate, "rate", 1000, "messages per second sent (R)")
			fs.StringVar(&cfg.Stream, "stream", "bench", "publication `name`")
			fs.DurationVar(&cfg.Drain, "drain", 3*time.Second, "how long delivery may continue after sending stops")
			return func(ctx context.Context, c bench.Common) (bench.Result, error) {
				cfg.Common = c
				return bench.Fanout(ctx, cfg)
			}
		},
	},
	"intro": {
		summary: "pairs of peers introduced by the server: introductions/s, time to a P2P session",
		flags: func(fs *flag.FlagSet) func(context.Context, bench.Common) (bench.Result, error) {
			var cfg bench.IntroConfig
			fs.IntVar(&cfg.Pairs, "pairs", 8, "initiator/target pairs, each in a closed loop")
			fs.StringVar(&cfg.Mode, "mode", bench.IntroSession, "session: whole P2P sessions; rendezvous: the server's Redirect + Forwarded IHello only")
			fs.IntVar(&cfg.Sockets, "sockets", 4, "sockets per side (rendezvous mode)")
			return func(ctx context.Context, c bench.Common) (bench.Result, error) {
				cfg.Common = c
				return bench.Intro(ctx, cfg)
			}
		},
	},
	"udp-baseline": {
		summary: "raw UDP echo between sockets on 127.0.0.1: the ceiling of this machine (no -url)",
		flags: func(fs *flag.FlagSet) func(context.Context, bench.Common) (bench.Result, error) {
			var cfg bench.UDPBaselineConfig
			fs.IntVar(&cfg.Concurrency, "c", 8, "client sockets, one datagram in flight each")
			fs.IntVar(&cfg.Size, "size", 100, "datagram size in bytes")
			return func(ctx context.Context, c bench.Common) (bench.Result, error) {
				cfg.Common = c
				return bench.UDPBaseline(ctx, cfg)
			}
		},
	},
}

// benchFlags are the flags every scenario has.
type benchFlags struct {
	url      string
	duration time.Duration
	timeout  time.Duration
	pid      int
	json     bool
	quiet    bool
}

func newBenchFlags(name string, output io.Writer, sc benchScenario) (*flag.FlagSet, *benchFlags, func(context.Context, bench.Common) (bench.Result, error)) {
	f := &benchFlags{}
	fs := flag.NewFlagSet("nimbus bench "+name, flag.ContinueOnError)
	fs.SetOutput(output)
	fs.StringVar(&f.url, "url", "", "server `URL`, rtmfp://host:port/app (the only target of the run)")
	fs.DurationVar(&f.duration, "d", 10*time.Second, "measured duration (sessions: hold time), at most 10m")
	fs.DurationVar(&f.timeout, "timeout", 5*time.Second, "timeout of one operation")
	fs.IntVar(&f.pid, "pid", 0, "server process `id`: report its CPU time and resident memory (Linux)")
	fs.BoolVar(&f.json, "json", false, "print one JSON object instead of the table")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress lines on stderr")
	run := sc.flags(fs)
	return fs, f, run
}

func benchHelp(w io.Writer) {
	fmt.Fprintf(w, "Scenarios:\n\n")
	names := make([]string, 0, len(benchScenarios))
	for n := range benchScenarios {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-13s %s\n", n, benchScenarios[n].summary)
	}
	fmt.Fprintf(w, "\nFlags of every scenario:\n\n")
	fs, _, _ := newBenchFlags("", w, benchScenario{flags: func(*flag.FlagSet) func(context.Context, bench.Common) (bench.Result, error) { return nil }})
	fs.PrintDefaults()
	fmt.Fprintf(w, "\nUse \"nimbus bench <scenario> -h\" for the flags of a scenario.\n")
	fmt.Fprintf(w, "A server protects itself with per-address limits (IHello rate, introductions): raise them\n")
	fmt.Fprintf(w, "for a load test from one host ([rtmfp.handshake] ihello_rate), or measure only the first seconds.\n")
}

func runBench(e *env, args []string) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(e.stderr, "nimbus bench: a scenario is required\n\n")
		benchHelp(e.stderr)
		return exitUsage
	}
	name := args[0]
	sc, ok := benchScenarios[name]
	if !ok {
		fmt.Fprintf(e.stderr, "nimbus bench: unknown scenario %q\n\n", name)
		benchHelp(e.stderr)
		return exitUsage
	}
	fs, f, run := newBenchFlags(name, e.stderr, sc)
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "nimbus bench %s: unexpected argument %q\n", name, fs.Arg(0))
		return exitUsage
	}
	if f.url == "" && name != "udp-baseline" {
		fmt.Fprintf(e.stderr, "nimbus bench %s: -url rtmfp://host:port/app is required\n", name)
		return exitUsage
	}
	c := bench.Common{
		URL:       f.url,
		Duration:  f.duration,
		Timeout:   f.timeout,
		ServerPID: f.pid,
		Logger:    slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelError})),
	}
	if !f.quiet {
		c.Progress = e.stderr
	}

	// The first signal ends the run early; the result is still printed.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		select {
		case <-e.signals:
			fmt.Fprintf(e.stderr, "nimbus bench: interrupted, finishing\n")
			cancel()
		case <-stopped:
		}
	}()

	res, err := run(ctx, c)
	if err != nil {
		fmt.Fprintf(e.stderr, "nimbus bench %s: %v\n", name, err)
		if errors.Is(err, bench.ErrBadConfig) {
			return exitUsage
		}
		return exitFail
	}
	if f.json {
		err = bench.WriteJSON(e.stdout, res)
	} else {
		err = bench.WriteTable(e.stdout, res)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "nimbus bench: %v\n", err)
		return exitFail
	}
	return exitOK
}
