package script

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"
	"weak"

	lua "github.com/yuin/gopher-lua"

	"nimbus/core"
	"nimbus/script/nodb"
)

// DefaultBudget is the per-event time budget when Options.Budget is zero.
const DefaultBudget = time.Second

// Options configures a Host.
type Options struct {
	// WWWDir is the root of the application tree (www/). Created if missing.
	WWWDir string
	// DataDir holds the NoDB persistent tables; "" disables persistence
	// (data still works, in memory only).
	DataDir string
	// Budget is the longest one event may run before it is interrupted
	// ([limits] script_budget). Zero means DefaultBudget; negative disables.
	Budget time.Duration
	// Logger receives every log line of the host and of the scripts.
	Logger *slog.Logger
	// Post schedules f on the goroutine that owns the host (the core loop).
	// It must not block for long and must not run f synchronously. It is
	// used by the file watcher. Nil means core.Server.Post (see Attach).
	Post func(f func())
	// Flavours overrides the automatic flavour choice per application path
	// ("" = root, "/a/b").
	Flavours map[string]Flavour
	// Configs is the flattened configuration visible as mona.configs
	// ("section.key" → value). Values are auto-typed.
	Configs map[string]string
	// Arguments are command-line --key=value options (mona.arguments).
	Arguments map[string]string
	// Environment overrides os.Environ() for mona.environment (tests).
	Environment []string
	// NoWatch disables the fsnotify watcher; main.lua files are then checked
	// for changes (mtime) at most every 2 s when an application is used.
	NoWatch bool
	// Debounce is the quiet time after a file change before it is reloaded.
	// Zero means 100 ms.
	Debounce time.Duration
}

// Host runs the Lua applications of a www tree in one gopher-lua state.
//
// Concurrency: every method must be called on the owner goroutine (the one
// Options.Post delivers to), except where documented. The Lua state is never
// touched from anywhere else.
type Host struct {
	opts   Options
	log    *slog.Logger
	wwwDir string

	L      *lua.LState
	budget *budget
	global *lua.LTable // _G

	root     *app
	apps     map[string]*app      // loaded applications by path
	envIndex map[*lua.LTable]*app // env table → application

	// shared Lua objects
	readonlyFn     *lua.LFunction
	mona           *lua.LTable
	configs        *collection
	arguments      *collection
	environment    *collection
	subCollections map[*lua.LTable]*collection
	fileMT         *lua.LTable

	srv             *core.Server
	clients         *collection // mona.clients
	currentCall     *rpcContext
	scriptPubs      map[*app][]*luaPublication
	addressMT       *lua.LTable
	clientKind      *objectKind
	writerKind      *objectKind
	publicationKind *objectKind
	listenerKind    *objectKind
	groupKind       *objectKind
	memberKind      *objectKind
	virtualMembers  map[*app][]weak.Pointer[luaMember] // mona:joinGroup, per owning app
	tcpClientKind   *objectKind
	tcpServerKind   *objectKind
	udpSocketKind   *objectKind
	sockets         *socketRegistry // script sockets; nil until the first one

	store      *nodb.Store
	dataRoot   *dataTable
	dataTables map[*lua.LTable]*dataTable

	watcher *watcher
	closed  bool
}

// New creates the Lua state and the global environment. It loads no
// application: call Start on the owner goroutine.
func New(opts Options) (*Host, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Budget == 0 {
		opts.Budget = DefaultBudget
	}
	if opts.Debounce <= 0 {
		opts.Debounce = 100 * time.Millisecond
	}
	if opts.WWWDir == "" {
		opts.WWWDir = "www"
	}
	abs, err := filepath.Abs(opts.WWWDir)
	if err != nil {
		return nil, fmt.Errorf("script: www dir: %w", err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("script: www dir: %w", err)
	}
	h := &Host{
		opts:     opts,
		log:      opts.Logger,
		wwwDir:   abs,
		apps:     make(map[string]*app),
		envIndex: make(map[*lua.LTable]*app),

		subCollections: make(map[*lua.LTable]*collection),
		scriptPubs:     make(map[*app][]*luaPublication),
		virtualMembers: make(map[*app][]weak.Pointer[luaMember]),
	}
	h.L = lua.NewState(lua.Options{
		CallStackSize:    1024,
		RegistrySize:     1024 * 20,
		RegistryMaxSize:  1024 * 1024,
		RegistryGrowStep: 4096,
		SkipOpenLibs:     true,
	})
	if err := h.openData(); err != nil {
		h.L.Close()
		return nil, err
	}
	h.budget = newBudget(opts.Budget)
	h.L.SetContext(h.budget)
	h.global = h.L.G.Global
	if err := h.openLibs(); err != nil {
		h.L.Close()
		h.budget.close()
		return nil, err
	}
	return h, nil
}

// Start loads the root application and starts watching the www tree.
func (h *Host) Start() error {
	if h.closed {
		return ErrClosed
	}
	if h.opts.Post == nil {
		return fmt.Errorf("script: no Options.Post and no server attached")
	}
	root, err := h.newApp(nil, "")
	if err != nil {
		return err
	}
	h.root = root
	h.loadApp(root)
	if !h.opts.NoWatch {
		w, err := newWatcher(h)
		if err != nil {
			h.log.Warn("script: file watcher unavailable, falling back to mtime checks", "err", err)
			h.opts.NoWatch = true
		} else {
			h.watcher = w
		}
	}
	return nil
}

// Close stops every application (onStop, children first), stops the watcher
// and releases the Lua state.
func (h *Host) Close() error {
	if h.closed {
		return nil
	}
	h.closed = true
	if h.watcher != nil {
		h.watcher.close()
	}
	if h.root != nil {
		h.stopTree(h.root)
	}
	h.closeSockets()
	h.budget.close()
	var err error
	if h.store != nil {
		err = h.store.Close()
	}
	h.L.Close()
	return err
}

// WWWDir returns the absolute path of the application tree.
func (h *Host) WWWDir() string { return h.wwwDir }

// post runs f on the owner goroutine unless the host was closed meanwhile.
func (h *Host) post(f func()) {
	h.opts.Post(func() {
		if !h.closed {
			f()
		}
	})
}

var _ context.Context = (*budget)(nil)
