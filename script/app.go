package script

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

type appState int

const (
	appEmpty   appState = iota // folder without main.lua: valid, inherits everything
	appRunning                 // main.lua ran and onStart was called
	appFailed                  // main.lua failed to compile or run: connections are rejected
)

// app is one folder of the www tree (MonaServer "service"). Its globals live
// in env; env's metatable __index is layer, which holds the names every app
// sees (super, this, name, path, children, clients, data, require, dofile,
// loadfile) and whose own __index is the parent env (root: _G).
type app struct {
	h       *Host
	path    string // "" for root, "/a/b"
	name    string // last path component, "" for root
	dir     string // absolute folder
	parent  *app
	loaded  map[string]*app // loaded children by name
	subdirs map[string]bool // child folder names (cache kept by the watcher)

	env, layer         *lua.LTable
	envMeta, layerMeta *lua.LTable
	children, clients  *collection

	state   appState
	loadErr *Error
	flavour Flavour // resolved (never Auto)
	own     Flavour // detected from the source or configured (may be Auto)

	srcHash   [32]byte
	modTime   time.Time
	lastCheck time.Time // NoWatch mode: last mtime check
	dead      bool
}

// chunkName is the name Lua reports for the app's main.lua ("main.lua",
// "chat/main.lua"): relative to www, so error texts sent to clients do not
// reveal server paths.
func (a *app) chunkName() string { return a.h.chunkName(filepath.Join(a.dir, "main.lua")) }

func (h *Host) chunkName(file string) string {
	if rel, err := filepath.Rel(h.wwwDir, file); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return file
}

// validSegment reports whether name may be an application folder name.
// Hidden names (".git", "..") are never applications.
func validSegment(name string) bool {
	return name != "" && name[0] != '.' && !strings.ContainsAny(name, "/\\\x00")
}

// splitAppPath normalises a URL path into application path segments:
// query split off, trailing '/' stripped, empty segments rejected.
func splitAppPath(urlPath string) ([]string, bool) {
	if i := strings.IndexByte(urlPath, '?'); i >= 0 {
		urlPath = urlPath[:i]
	}
	urlPath = strings.Trim(urlPath, "/")
	if urlPath == "" {
		return nil, true
	}
	segs := strings.Split(urlPath, "/")
	for _, s := range segs {
		if !validSegment(s) {
			return nil, false
		}
	}
	return segs, true
}

// AppPath normalises a URL path ("/a/b/?x=1" → "/a/b", "/" → "").
func AppPath(urlPath string) (string, bool) {
	segs, ok := splitAppPath(urlPath)
	if !ok {
		return "", false
	}
	if len(segs) == 0 {
		return "", true
	}
	return "/" + strings.Join(segs, "/"), true
}

// newApp creates the environment of a folder (not yet run).
func (h *Host) newApp(parent *app, name string) (*app, error) {
	L := h.L
	a := &app{h: h, name: name, parent: parent, loaded: map[string]*app{}}
	if parent == nil {
		a.dir = h.wwwDir
	} else {
		a.path = parent.path + "/" + name
		a.dir = filepath.Join(parent.dir, name)
	}
	a.readSubdirs()
	a.env = L.NewTable()
	a.layer = L.NewTable()
	a.envMeta = L.NewTable()
	a.layerMeta = L.NewTable()
	a.envMeta.RawSetString("__index", a.layer)
	a.envMeta.RawSetString("__metatable", lua.LString("application "+appLabel(a.path)))
	a.env.Metatable = a.envMeta
	a.layer.Metatable = a.layerMeta

	a.children = h.newCollection("children", func(L *lua.LState) int {
		rel := L.CheckString(1)
		child, err := h.resolveFrom(a, rel)
		if err != nil || child == nil {
			L.Push(lua.LNil)
			return 1
		}
		L.Push(child.env)
		return 1
	})
	a.clients = h.newCollection("clients", nil)

	super := lua.LValue(h.global)
	if parent != nil {
		super = parent.env
	}
	a.layer.RawSetString("super", super)
	a.layer.RawSetString("this", a.env)
	a.layer.RawSetString("name", lua.LString(a.name))
	a.layer.RawSetString("path", lua.LString(a.path))
	a.layer.RawSetString("children", a.children.proxy)
	a.layer.RawSetString("clients", a.clients.proxy)
	h.openInclude(a)
	h.openAppData(a)

	a.flavour = h.inheritedFlavour(a)
	a.setLookup()

	h.apps[a.path] = a
	h.envIndex[a.env] = a
	if parent != nil {
		parent.loaded[name] = a
		parent.children.set(lua.LString(name), a.env)
		parent.subdirs[name] = true
	}
	return a, nil
}

// setLookup installs the fallback of the layer: plain parent lookup (M1), or
// Cumulus name-based access to apps (own folder name, child folder names;
// the root is also "www") before the parent.
func (a *app) setLookup() {
	var next lua.LValue = a.h.global
	if a.parent != nil {
		next = a.parent.env
	}
	if a.flavour != FlavourCumulus {
		a.layerMeta.RawSetString("__index", next)
		return
	}
	a.layerMeta.RawSetString("__index", a.h.L.NewFunction(func(L *lua.LState) int {
		key := L.Get(2)
		if s, ok := key.(lua.LString); ok {
			if env := a.byName(string(s)); env != nil {
				L.Push(env)
				return 1
			}
		}
		L.Push(L.GetTable(next, key))
		return 1
	}))
}

// byName is the Cumulus name-based lookup: the app itself by its folder
// name (root: "www"), or a child folder (loaded on demand).
func (a *app) byName(name string) *lua.LTable {
	if (a.parent == nil && name == "www") || (a.parent != nil && name == a.name) {
		return a.env
	}
	if c, ok := a.loaded[name]; ok {
		return c.env
	}
	if a.subdirs[name] && validSegment(name) {
		if c, err := a.h.child(a, name); err == nil && c != nil {
			return c.env
		}
	}
	return nil
}

func (a *app) readSubdirs() {
	a.subdirs = map[string]bool{}
	entries, err := os.ReadDir(a.dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() && validSegment(e.Name()) {
			a.subdirs[e.Name()] = true
		}
	}
	a.lastCheck = time.Now()
}

func (h *Host) inheritedFlavour(a *app) Flavour {
	if f, ok := h.opts.Flavours[a.path]; ok && f != FlavourAuto {
		return f
	}
	if a.own != FlavourAuto {
		return a.own
	}
	if a.parent != nil {
		return a.parent.flavour
	}
	return FlavourMona
}

func (h *Host) appOfEnv(env *lua.LTable) *app { return h.envIndex[env] }

// App resolution.

// resolve returns the application of a URL path, creating and loading it and
// its ancestors on first use. ErrNoApp when a folder is missing. A failed app
// is returned with its load error.
func (h *Host) resolve(urlPath string) (*app, error) {
	if h.closed {
		return nil, ErrClosed
	}
	segs, ok := splitAppPath(urlPath)
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNoApp, urlPath)
	}
	a := h.root
	h.checkModified(a)
	for _, s := range segs {
		c, err := h.child(a, s)
		if err != nil {
			return nil, err
		}
		a = c
	}
	return a, nil
}

// resolveFrom resolves "x/y" relative to a (children("x/y")).
func (h *Host) resolveFrom(a *app, rel string) (*app, error) {
	segs, ok := splitAppPath(rel)
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNoApp, rel)
	}
	for _, s := range segs {
		c, err := h.child(a, s)
		if err != nil {
			return nil, err
		}
		a = c
	}
	return a, nil
}

// child returns the loaded child app name of a, loading it if its folder exists.
func (h *Host) child(a *app, name string) (*app, error) {
	if c, ok := a.loaded[name]; ok {
		h.checkModified(c)
		return c, nil
	}
	dir := filepath.Join(a.dir, name)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() || !validSegment(name) {
		return nil, fmt.Errorf("%w: %s/%s", ErrNoApp, a.path, name)
	}
	c, err := h.newApp(a, name)
	if err != nil {
		return nil, err
	}
	h.loadApp(c)
	return c, nil
}

// Loading, running, stopping.

type compiled struct {
	proto   *lua.FunctionProto
	err     *Error
	hash    [32]byte
	modTime time.Time
	missing bool
	flavour Flavour
}

// compileMain reads and compiles dir/main.lua. It touches no Lua state and
// may run on any goroutine.
func compileMain(dir, chunk string) compiled {
	file := filepath.Join(dir, "main.lua")
	st, err := os.Stat(file)
	if err != nil {
		if errorsIsNotExist(err) {
			return compiled{missing: true}
		}
		return compiled{err: &Error{Kind: ErrSyntax, File: chunk, Text: chunk + ": " + err.Error()}}
	}
	src, err := os.ReadFile(file)
	if err != nil {
		return compiled{err: &Error{Kind: ErrSyntax, File: chunk, Text: chunk + ": " + err.Error()}}
	}
	c := compiled{hash: sha256.Sum256(src), modTime: st.ModTime()}
	proto, err := compileSource(src, chunk)
	if err != nil {
		c.err = syntaxError("", "main.lua", chunk, err)
		return c
	}
	c.proto = proto
	c.flavour = detectFlavour(proto)
	return c
}

func compileSource(src []byte, chunk string) (*lua.FunctionProto, error) {
	stmts, err := parse.Parse(bytes.NewReader(luajitEscapes(src)), chunk)
	if err != nil {
		return nil, err
	}
	avoidInPlaceCalls(stmts)
	return lua.Compile(stmts, chunk)
}

func errorsIsNotExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// loadApp runs a freshly created app's main.lua (if any) and onStart.
func (h *Host) loadApp(a *app) {
	c := compileMain(a.dir, a.chunkName())
	h.apply(a, c)
}

// apply brings app a to the version c (first load or reload).
func (h *Host) apply(a *app, c compiled) {
	if a.dead {
		return
	}
	if !c.missing && c.err == nil && a.state != appEmpty && c.hash == a.srcHash && c.modTime.Equal(a.modTime) {
		return // same file, e.g. a lazy load raced with the watcher
	}
	switch {
	case c.missing:
		if a.state == appRunning {
			h.stop(a)
		}
		h.clearEnv(a)
		a.state, a.loadErr, a.own = appEmpty, nil, FlavourAuto
		a.srcHash, a.modTime = [32]byte{}, time.Time{}
		h.refreshFlavour(a)
	case c.err != nil:
		c.err.App = a.path
		a.srcHash, a.modTime = c.hash, c.modTime
		if a.state == appRunning {
			h.log.Error("script: "+c.err.Text+" (keeping the running version)", "app", appLabel(a.path))
			return
		}
		h.report(c.err)
		h.clearEnv(a)
		a.state, a.loadErr = appFailed, c.err
	default:
		a.srcHash, a.modTime = c.hash, c.modTime
		h.run(a, c)
	}
}

// run executes a new version of main.lua in a's environment:
// onStop (old) → clear env → run → onStart. When the new version fails at
// run time and an old version was running, the old globals are restored and
// its onStart is called again: the running version is kept.
func (h *Host) run(a *app, c compiled) {
	wasRunning := a.state == appRunning
	if wasRunning {
		h.stop(a)
	}
	var saved [][2]lua.LValue
	if wasRunning {
		saved = snapshot(a.env)
	}
	oldOwn := a.own
	h.clearEnv(a)
	a.own = c.flavour
	h.refreshFlavour(a)
	fn := h.L.NewFunctionFromProto(c.proto)
	fn.Env = a.env
	if _, err := h.pcall(a, "main.lua", fn, 0); err != nil {
		e := err.(*Error)
		h.closeAppSockets(a) // opened by the failed run
		if wasRunning {
			h.log.Error("script: "+e.Text+" (keeping the running version)", "app", appLabel(a.path), "stack", e.Stack)
			h.clearEnv(a)
			for _, kv := range saved {
				a.env.RawSet(kv[0], kv[1])
			}
			a.own = oldOwn
			h.refreshFlavour(a)
			a.state = appRunning
			h.start(a)
			return
		}
		h.report(e)
		h.clearEnv(a)
		a.state, a.loadErr = appFailed, e
		return
	}
	a.state, a.loadErr = appRunning, nil
	h.start(a)
}

func (h *Host) start(a *app) {
	h.log.Debug("script: application started", "app", appLabel(a.path), "flavour", a.flavour.String())
	h.event(a, "onStart", lua.LString(a.path))
}

func (h *Host) stop(a *app) {
	h.event(a, "onStop", lua.LString(a.path))
	h.closeAppPublications(a)
	h.closeAppSockets(a)
	h.releaseAppMembers(a)
	h.log.Debug("script: application stopped", "app", appLabel(a.path))
}

// refreshFlavour re-resolves a's flavour and its loaded descendants' that
// inherit it.
func (h *Host) refreshFlavour(a *app) {
	f := h.inheritedFlavour(a)
	if f != a.flavour {
		a.flavour = f
		a.setLookup()
	}
	for _, c := range a.loaded {
		h.refreshFlavour(c)
	}
}

func snapshot(t *lua.LTable) [][2]lua.LValue {
	var kv [][2]lua.LValue
	t.ForEach(func(k, v lua.LValue) { kv = append(kv, [2]lua.LValue{k, v}) })
	return kv
}

// clearEnv deletes every raw key of the app's globals (MonaServer semantics:
// closures already handed out keep the same, now refilled, table).
func (h *Host) clearEnv(a *app) {
	var keys []lua.LValue
	a.env.ForEach(func(k, _ lua.LValue) { keys = append(keys, k) })
	for _, k := range keys {
		a.env.RawSet(k, lua.LNil)
	}
	if len(keys) > 64 {
		// Drop the key history gopher-lua keeps in the hash part.
		fresh := h.L.NewTable()
		fresh.Metatable = a.envMeta
		*a.env = *fresh
	}
}

// stopTree stops a and its loaded descendants, deepest first.
func (h *Host) stopTree(a *app) {
	names := make([]string, 0, len(a.loaded))
	for n := range a.loaded {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		h.stopTree(a.loaded[n])
	}
	if a.state == appRunning {
		h.stop(a)
	}
}

// deleteApp stops a deleted folder's app and its descendants and forgets them.
func (h *Host) deleteApp(a *app) {
	if a.parent == nil {
		// The www root itself vanished: stop the app but keep the node.
		h.stopTree(a)
		h.clearEnv(a)
		a.state = appEmpty
		return
	}
	h.stopTree(a)
	h.forget(a)
	delete(a.parent.loaded, a.name)
	a.parent.children.del(lua.LString(a.name))
	delete(a.parent.subdirs, a.name)
}

func (h *Host) forget(a *app) {
	for _, c := range a.loaded {
		h.forget(c)
	}
	h.clearEnv(a)
	a.dead = true
	a.state = appEmpty
	delete(h.apps, a.path)
	delete(h.envIndex, a.env)
	h.log.Info("script: application deleted", "app", appLabel(a.path))
}

// checkModified implements the NoWatch fallback: main.lua mtime checked at
// most every 2 s when the app is used (MonaServer's own strategy).
func (h *Host) checkModified(a *app) {
	if !h.opts.NoWatch || time.Since(a.lastCheck) < 2*time.Second {
		return
	}
	a.readSubdirs()
	st, err := os.Stat(filepath.Join(a.dir, "main.lua"))
	switch {
	case err != nil && a.state != appEmpty:
		h.apply(a, compiled{missing: true})
	case err == nil && !st.ModTime().Equal(a.modTime):
		h.apply(a, compileMain(a.dir, a.chunkName()))
	}
}

// event calls the global function name of app a (found with inheritance),
// protected; errors are reported. It returns the results and whether a
// function was found.
func (h *Host) event(a *app, name string, args ...lua.LValue) ([]lua.LValue, bool, error) {
	fn := h.lookup(a, name)
	if fn == lua.LNil {
		return nil, false, nil
	}
	rets, err := h.call(a, name, fn, args...)
	if err != nil {
		h.report(err)
	}
	return rets, true, err
}

// lookup finds a global of app a the way Lua would (env, layer, parent…,
// _G), without running arbitrary metamethods unprotected.
func (h *Host) lookup(a *app, name string) lua.LValue {
	for x := a; x != nil; x = x.parent {
		if v := x.env.RawGetString(name); v != lua.LNil {
			return v
		}
		if v := x.layer.RawGetString(name); v != lua.LNil {
			return v
		}
		if x.flavour == FlavourCumulus {
			if env := x.byName(name); env != nil {
				return env
			}
		}
	}
	if v := h.global.RawGetString(name); v != lua.LNil {
		return v
	}
	if h.global.Metatable != lua.LNil {
		// A script put a metatable on _G: honour it, protected.
		if rets, err := h.call(a, "lookup", h.L.NewFunction(func(L *lua.LState) int {
			L.Push(L.GetField(h.global, name))
			return 1
		})); err == nil && len(rets) == 1 {
			return rets[0]
		}
	}
	return lua.LNil
}
