// Package config holds the server's configuration: one Options struct decoded
// strictly from a TOML file (config.toml), with baseline defaults in code and
// range checks in Validate.
//
// Every problem is reported as a one-line *Error that names the file, the line
// and the key, for example:
//
//	config.toml:7: unknown key "kepalive" in [rtmfp]
//	config.toml:3: rtmfp.max_sessions: must be > 0, got -5
//
// Adding a setting means adding a field with a snake_case toml tag to one of the
// section structs, its default to Default, its range check to Validate and its
// documentation to the shipped config.toml; the tests fail until all four agree.
// Repeated sections (a future [[app]] list) are slices of structs; decoding,
// unknown-key detection, line lookup and validation already handle them.
package config

import (
	"runtime"
	"time"
)

// Options is the whole configuration. The zero value is not usable; start from
// Default or Load.
type Options struct {
	RTMFP  RTMFP  `toml:"rtmfp"`
	WWW    WWW    `toml:"www"`
	Log    Log    `toml:"log"`
	Limits Limits `toml:"limits"`

	// Configs are free keys given to scripts through mona.configs (e.g.
	// "live.publish_token"), as custom ini keys are in MonaServer.
	Configs map[string]string `toml:"configs"`
	// Flavours override the API flavour detected for an application path:
	// "auto", "mona" or "cumulus".
	Flavours map[string]string `toml:"flavours"`
}

// RTMFP configures the UDP endpoint and its sessions ([rtmfp]).
type RTMFP struct {
	// Listen is the list of UDP addresses to bind, each "host:port".
	Listen []string `toml:"listen"`
	// KeepaliveServer is the idle interval after which a client pings the
	// server; sent to clients in the Set Keepalive Timers message.
	KeepaliveServer Duration `toml:"keepalive_server"`
	// KeepalivePeer is the idle interval clients use for their P2P sessions.
	KeepalivePeer Duration `toml:"keepalive_peer"`
	// IdleTimeout is how long a session may stay silent before it is dropped.
	IdleTimeout Duration `toml:"idle_timeout"`
	// MaxSessions caps open sessions; handshakes beyond it are refused.
	MaxSessions int `toml:"max_sessions"`
	// Loops is the number of session event loops; 0 means GOMAXPROCS.
	Loops int `toml:"loops"`
	// SocketBuffer is the requested kernel send/receive buffer size in bytes
	// per socket; 0 keeps the OS default.
	SocketBuffer int `toml:"socket_buffer"`
	// MaxFlowsPerSession caps concurrently open receive flows per session.
	MaxFlowsPerSession int `toml:"max_flows_per_session"`
	// MaxPeerAddresses caps the addresses a client may announce with setPeerInfo.
	MaxPeerAddresses int `toml:"max_peer_addresses"`

	Handshake Handshake `toml:"handshake"`

	// Introductions bounds P2P introductions (IHellos naming a peer ID).
	Introductions Introductions `toml:"introductions"`
}

// Handshake configures session establishment ([rtmfp.handshake]).
type Handshake struct {
	// CookieLifetime is how long a cookie handed out in RHello stays valid.
	CookieLifetime Duration `toml:"cookie_lifetime"`
	// MaxConcurrentDH caps Diffie-Hellman computations running at once;
	// 0 means twice GOMAXPROCS.
	MaxConcurrentDH int `toml:"max_concurrent_dh"`
	// IHelloRate is the sustained IHello rate accepted per source address,
	// in tokens per second.
	IHelloRate float64 `toml:"ihello_rate"`
	// IHelloBurst is the token bucket depth for IHello per source address.
	IHelloBurst int `toml:"ihello_burst"`
	// KeypairReuse is how long one server DH keypair may serve new
	// handshakes; 0 generates a fresh keypair for every handshake.
	KeypairReuse Duration `toml:"keypair_reuse"`

	// ScriptRedirect lets applications redirect clients from onHandshake.
	// The script then runs on an IHello, before the client's address is
	// proven by the cookie exchange, so it is off by default.
	ScriptRedirect bool `toml:"script_redirect"`
}

// WWW configures the application tree ([www]).
// Introductions are the token buckets applied to P2P introductions: per
// source address of the initiator, and per target peer.
type Introductions struct {
	SourceRate  float64 `toml:"source_rate"`
	SourceBurst int     `toml:"source_burst"`
	TargetRate  float64 `toml:"target_rate"`
	TargetBurst int     `toml:"target_burst"`
}

type WWW struct {
	// Dir is the root of the application tree (www/main.lua is the root app).
	Dir string `toml:"dir"`
	// DataDir holds the persistent NoDB store.
	DataDir string `toml:"data_dir"`
	// Reload enables hot reload of main.lua files when they change.
	Reload bool `toml:"reload"`
	// ReloadDebounce is the quiet period after a file change before reloading.
	ReloadDebounce Duration `toml:"reload_debounce"`
}

// Log configures logging ([log]).
type Log struct {
	// Level is one of debug, info, warn, error.
	Level string `toml:"level"`
	// Format is text or json.
	Format string `toml:"format"`
}

// Limits holds resource caps that protect the server ([limits]).
type Limits struct {
	// ScriptBudget is the longest one script event (one Lua call) may run.
	ScriptBudget Duration `toml:"script_budget"`
	// MaxMessageSize is the largest reassembled flow message accepted, in bytes.
	MaxMessageSize int `toml:"max_message_size"`
	// EventQueue is the length of the core event queue.
	EventQueue int `toml:"event_queue"`
	// MaxConnectArgs caps the extra arguments of NetConnection.connect.
	MaxConnectArgs int `toml:"max_connect_args"`
}

// Size units for byte counts.
const (
	KiB = 1 << 10
	MiB = 1 << 20
)

// Default returns the baseline configuration. The shipped config.toml documents
// exactly these values (a test keeps the two in step).
func Default() Options {
	return Options{
		RTMFP: RTMFP{
			Listen:             []string{"0.0.0.0:1935", "[::]:1935"},
			KeepaliveServer:    Duration(15 * time.Second),
			KeepalivePeer:      Duration(10 * time.Second),
			IdleTimeout:        Duration(95 * time.Second),
			MaxSessions:        100000,
			Loops:              0,
			SocketBuffer:       4 * MiB,
			MaxFlowsPerSession: 256,
			MaxPeerAddresses:   8,
			Handshake: Handshake{
				CookieLifetime:  Duration(95 * time.Second),
				MaxConcurrentDH: 0,
				IHelloRate:      20,
				IHelloBurst:     40,
				KeypairReuse:    0,
			},
			Introductions: Introductions{SourceRate: 20, SourceBurst: 40, TargetRate: 50, TargetBurst: 100},
		},
		WWW: WWW{
			Dir:            "www",
			DataDir:        "data",
			Reload:         true,
			ReloadDebounce: Duration(150 * time.Millisecond),
		},
		Log: Log{
			Level:  "info",
			Format: "text",
		},
		Limits: Limits{
			ScriptBudget:   Duration(time.Second),
			MaxMessageSize: 1 * MiB,
			EventQueue:     65536,
			MaxConnectArgs: 32,
		},
		Configs:  map[string]string{},
		Flavours: map[string]string{},
	}
}

// EffectiveLoops resolves Loops: 0 means one loop per GOMAXPROCS.
func (r RTMFP) EffectiveLoops() int {
	if r.Loops > 0 {
		return r.Loops
	}
	return runtime.GOMAXPROCS(0)
}

// EffectiveMaxConcurrentDH resolves MaxConcurrentDH: 0 means twice GOMAXPROCS.
func (h Handshake) EffectiveMaxConcurrentDH() int {
	if h.MaxConcurrentDH > 0 {
		return h.MaxConcurrentDH
	}
	return 2 * runtime.GOMAXPROCS(0)
}
