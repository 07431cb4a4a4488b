package script

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// testLoop plays the core loop: one goroutine running posted functions.
type testLoop struct {
	ch   chan func()
	done chan struct{}
}

func newTestLoop(t testing.TB) *testLoop {
	l := &testLoop{ch: make(chan func(), 1024), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		for f := range l.ch {
			f()
		}
	}()
	t.Cleanup(func() {
		close(l.ch)
		<-l.done
	})
	return l
}

func (l *testLoop) post(f func()) { l.ch <- f }

// do runs f on the loop and waits for it.
func (l *testLoop) do(f func()) {
	done := make(chan struct{})
	l.ch <- func() {
		defer close(done)
		f()
	}
	<-done
}

// logRecorder is a slog handler that keeps every record.
type logRecorder struct {
	mu      sync.Mutex
	records []string
	verbose bool
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *logRecorder) WithGroup(string) slog.Handler            { return r }
func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", rec.Level, rec.Message)
	rec.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	r.mu.Lock()
	r.records = append(r.records, b.String())
	r.mu.Unlock()
	if r.verbose || os.Getenv("NIMBUS_TEST_LOG") != "" {
		fmt.Fprintln(os.Stderr, b.String())
	}
	return nil
}

func (r *logRecorder) find(substrs ...string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
next:
	for _, rec := range r.records {
		for _, s := range substrs {
			if !strings.Contains(rec, s) {
				continue next
			}
		}
		return rec
	}
	return ""
}

func (r *logRecorder) all() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.records, "\n")
}

// writeFiles creates files (relative path → content) under dir.
func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// saveLikeEditor writes content to a temp file and renames it over name.
func saveLikeEditor(t testing.TB, name, content string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(name), "."+filepath.Base(name)+".tmp")
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, name); err != nil {
		t.Fatal(err)
	}
}

type testHost struct {
	t    testing.TB
	h    *Host
	loop *testLoop
	logs *logRecorder
	www  string
	data string
}

type hostOption func(*Options)

func startHost(t testing.TB, files map[string]string, opts ...hostOption) *testHost {
	t.Helper()
	www := filepath.Join(t.TempDir(), "www")
	writeFiles(t, www, files)
	return startHostIn(t, www, opts...)
}

func startHostIn(t testing.TB, www string, opts ...hostOption) *testHost {
	t.Helper()
	th := &testHost{t: t, loop: newTestLoop(t), logs: &logRecorder{}, www: www}
	o := Options{
		WWWDir:   www,
		Logger:   slog.New(th.logs),
		Post:     th.loop.post,
		Debounce: 30 * time.Millisecond,
		Budget:   500 * time.Millisecond,
	}
	for _, f := range opts {
		f(&o)
	}
	th.data = o.DataDir
	var err error
	th.loop.do(func() {
		th.h, err = New(o)
		if err == nil {
			err = th.h.Start()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { th.loop.do(func() { th.h.Close() }) })
	return th
}

// run executes Lua source in the environment of app path and returns the
// error, if any (on the loop).
func (th *testHost) run(path, src string) error {
	var err error
	th.loop.do(func() { err = runSource(th.h, path, src) })
	return err
}

// runSource runs Lua source in the environment of app path; call it on the
// host's owner goroutine.
func runSource(h *Host, path, src string) error {
	a, err := h.resolve(path)
	if err != nil {
		return err
	}
	proto, err := compileSource([]byte(src), "test.lua")
	if err != nil {
		return err
	}
	fn := h.L.NewFunctionFromProto(proto)
	fn.Env = a.env
	_, err = h.pcall(a, "test", fn, 0)
	return err
}

// mustRun runs Lua source and fails the test on error.
func (th *testHost) mustRun(path, src string) {
	th.t.Helper()
	if err := th.run(path, src); err != nil {
		th.t.Fatalf("lua in %q: %v\n%s", path, err, stackOf(err))
	}
}

func stackOf(err error) string {
	if e, ok := err.(*Error); ok {
		return e.Stack
	}
	return ""
}

// global reads a global of app path as a string ("" when nil).
func (th *testHost) global(path, name string) string {
	var s string
	th.loop.do(func() { s = th.globalOnLoop(path, name) })
	return s
}

// globalOnLoop is global for code already running on the loop.
func (th *testHost) globalOnLoop(path, name string) string {
	a, err := th.h.resolve(path)
	if err != nil {
		return ""
	}
	if v := th.h.lookup(a, name); v != lua.LNil {
		return v.String()
	}
	return ""
}

// waitFor polls cond (on the loop) until it holds or the deadline passes.
func (th *testHost) waitFor(what string, cond func() bool) {
	th.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var ok bool
		th.loop.do(func() { ok = cond() })
		if ok {
			return
		}
		if time.Now().After(deadline) {
			th.t.Fatalf("timeout waiting for %s\nlogs:\n%s", what, th.logs.all())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
