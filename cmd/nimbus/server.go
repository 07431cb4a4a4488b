package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"nimbus/config"
	"nimbus/core"
	"nimbus/rtmfp"
	"nimbus/rtmfp/flash"
	"nimbus/script"
)

// buildServices creates the server's services in start order: the core
// loop with the Lua host as its application, then the RTMFP endpoints.
// Shutdown runs in reverse: endpoints close their sessions first, then the
// core loop disconnects what is left, calls onStop and flushes NoDB.
func buildServices(opts config.Options, log *slog.Logger) ([]service, error) {
	flavours := make(map[string]script.Flavour, len(opts.Flavours))
	for app, name := range opts.Flavours {
		f, err := script.ParseFlavour(name)
		if err != nil {
			return nil, fmt.Errorf("flavours.%s: %w", app, err)
		}
		flavours[app] = f
	}
	host, err := script.New(script.Options{
		Flavours:    flavours,
		WWWDir:      opts.WWW.Dir,
		DataDir:     opts.WWW.DataDir,
		Budget:      opts.Limits.ScriptBudget.Std(),
		Logger:      log,
		Configs:     flattenConfig(opts),
		Environment: os.Environ(),
		NoWatch:     !opts.WWW.Reload,
		Debounce:    opts.WWW.ReloadDebounce.Std(),
	})
	if err != nil {
		return nil, fmt.Errorf("script host: %w", err)
	}
	srv := core.NewServer(core.Options{
		QueueLength:       opts.Limits.EventQueue,
		MaxPeerAddresses:  opts.RTMFP.MaxPeerAddresses,
		IntroductionRate:  opts.RTMFP.Introductions.TargetRate,
		IntroductionBurst: float64(opts.RTMFP.Introductions.TargetBurst),
		Logger:            log,
	}, host)
	host.Attach(srv)
	fs, err := flash.NewServer(srv, flash.Config{
		Listen: opts.RTMFP.Listen,
		Transport: rtmfp.Config{
			Loops:              opts.RTMFP.Loops,
			MaxSessions:        opts.RTMFP.MaxSessions,
			MaxFlowsPerSession: opts.RTMFP.MaxFlowsPerSession,
			MaxMessageSize:     opts.Limits.MaxMessageSize,
			KeepaliveServer:    opts.RTMFP.KeepaliveServer.Std(),
			KeepalivePeer:      opts.RTMFP.KeepalivePeer.Std(),
			IdleTimeout:        opts.RTMFP.IdleTimeout.Std(),
			CookieLifetime:     opts.RTMFP.Handshake.CookieLifetime.Std(),
			KeypairReuse:       opts.RTMFP.Handshake.KeypairReuse.Std(),
			MaxConcurrentDH:    opts.RTMFP.Handshake.EffectiveMaxConcurrentDH(),
			HelloRate:          opts.RTMFP.Handshake.IHelloRate,
			HelloBurst:         float64(opts.RTMFP.Handshake.IHelloBurst),
			Logger:             log,
			// socket_buffer = 0 keeps the OS default, which the transport
			// spells as a negative size (its 0 means 4 MiB).
			SocketBuffer: func() int {
				if opts.RTMFP.SocketBuffer == 0 {
					return -1
				}
				return opts.RTMFP.SocketBuffer
			}(),
		},
		MaxPeerInfo: opts.RTMFP.MaxPeerAddresses,
		// max_connect_args = 0 accepts none; the Flash layer spells that
		// as a negative count (its 0 means the default).
		MaxConnectArgs: func() int {
			if opts.Limits.MaxConnectArgs == 0 {
				return -1
			}
			return opts.Limits.MaxConnectArgs
		}(),
		IntroductionRate:  opts.RTMFP.Introductions.SourceRate,
		IntroductionBurst: float64(opts.RTMFP.Introductions.SourceBurst),
		ScriptRedirect:    opts.RTMFP.Handshake.ScriptRedirect,
		Logger:            log,
	})
	if err != nil {
		return nil, fmt.Errorf("rtmfp server: %w", err)
	}
	return []service{&coreService{srv: srv}, &rtmfpService{srv: fs}}, nil
}

// coreService runs the core loop (and with it the Lua host).
type coreService struct {
	srv    *core.Server
	cancel context.CancelFunc
}

func (s *coreService) Name() string { return "core" }

func (s *coreService) Start(context.Context) error {
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go s.srv.Run(ctx)
	return nil
}

func (s *coreService) Stop(ctx context.Context) error {
	s.cancel()
	select {
	case <-s.srv.Done():
		return nil
	case <-ctx.Done():
		return fmt.Errorf("core loop: %w", ctx.Err())
	}
}

// rtmfpService owns the RTMFP endpoints.
type rtmfpService struct {
	srv *flash.Server
}

func (s *rtmfpService) Name() string { return "rtmfp" }

func (s *rtmfpService) Start(context.Context) error {
	return s.srv.Start() // logs each address it listens on
}

func (s *rtmfpService) Stop(ctx context.Context) error { return s.srv.Stop(ctx) }

// flattenConfig exposes the configuration to scripts as MonaServer's
// mona.configs does: "section.key" → value text, plus the RTMFP keys
// MonaServer apps read under their MonaServer names.
func flattenConfig(o config.Options) map[string]string {
	m := map[string]string{
		"rtmfp.listen":           strings.Join(o.RTMFP.Listen, ","),
		"rtmfp.keepalive_server": o.RTMFP.KeepaliveServer.Std().String(),
		"rtmfp.keepalive_peer":   o.RTMFP.KeepalivePeer.Std().String(),
		"rtmfp.max_sessions":     fmt.Sprint(o.RTMFP.MaxSessions),
		"www.dir":                o.WWW.Dir,
		"www.data_dir":           o.WWW.DataDir,
		"log.level":              o.Log.Level,
		"RTMFP.keepaliveServer":  fmt.Sprint(int(o.RTMFP.KeepaliveServer.Std() / time.Second)),
		"RTMFP.keepalivePeer":    fmt.Sprint(int(o.RTMFP.KeepalivePeer.Std() / time.Second)),
	}
	if len(o.RTMFP.Listen) > 0 {
		if i := strings.LastIndexByte(o.RTMFP.Listen[0], ':'); i >= 0 {
			m["RTMFP.port"] = o.RTMFP.Listen[0][i+1:]
		}
	}
	for k, v := range o.Configs {
		m[k] = v
	}
	return m
}
