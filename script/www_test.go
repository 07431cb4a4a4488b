package script

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nimbus/core"
)

// copyWWW copies the repository's default www into a temporary folder.
func copyWWW(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "www")
	err := filepath.WalkDir("../www", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("../www", p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestDefaultWWWLoads loads every www/**/main.lua of the repository.
func TestDefaultWWWLoads(t *testing.T) {
	www := copyWWW(t)
	th := startHostIn(t, www, func(o *Options) { o.NoWatch = true })
	var paths []string
	filepath.WalkDir(www, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "main.lua" {
			rel, _ := filepath.Rel(www, filepath.Dir(p))
			path := ""
			if rel != "." {
				path = "/" + filepath.ToSlash(rel)
			}
			paths = append(paths, path)
		}
		return nil
	})
	if len(paths) < 4 {
		t.Fatalf("found only %v", paths)
	}
	for _, path := range paths {
		th.loop.do(func() {
			a, err := th.h.resolve(path)
			if err != nil {
				t.Fatalf("%q: %v", path, err)
			}
			if a.state != appRunning {
				t.Errorf("%q: state %v, error %v", path, a.state, a.loadErr)
			}
		})
	}
	if rec := th.logs.find("ERROR"); rec != "" {
		t.Fatalf("errors while loading: %s", rec)
	}
}

func TestDefaultRootEcho(t *testing.T) {
	e := startCoreIn(t, copyWWW(t))
	c := e.connect("rtmfp://host/")
	c.call("echo", "hi", 2.0)
	c.waitFor("main result 2 [hi 2]")
	if e.logs.find("INFO connection of") == "" {
		t.Errorf("connection not logged:\n%s", e.logs.all())
	}
}

func TestDefaultChat(t *testing.T) {
	e := startCoreIn(t, copyWWW(t))
	alice := e.connect("rtmfp://host/chat", "alice")
	alice.waitFor("accept")
	bob := e.connect("rtmfp://host/chat", "bob")
	bob.waitFor("accept")
	if r := e.connect("rtmfp://host/chat", "alice").conn.log.find("reject"); !strings.Contains(r, "taken") {
		t.Fatalf("duplicate name: %q", r)
	}
	if r := e.connect("rtmfp://host/chat").conn.log.find("reject"); !strings.Contains(r, "user name") {
		t.Fatalf("missing name: %q", r)
	}
	alice.call("lookup", "bob")
	alice.waitFor("main result 2 [" + bob.c.HexID() + "]")
	alice.call("users")
	alice.waitFor("main result 2 [[alice,bob]]")
	root := e.connect("rtmfp://host/")
	var registered, stranger, fromRoot bool
	e.onLoop(func() {
		registered = e.h.OnIntroduction(alice.c, alice.conn.addr, bob.c)
		stranger = e.h.OnIntroduction(nil, alice.conn.addr, bob.c)
		fromRoot = e.h.OnIntroduction(root.c, root.conn.addr, bob.c)
	})
	if !registered || stranger || fromRoot {
		t.Fatalf("introductions: registered %v, unknown %v, other app %v", registered, stranger, fromRoot)
	}
	e.srv.Disconnect(bob.c)
	e.onLoop(func() {})
	alice.call("lookup", "bob")
	alice.waitFor("main result 2 [null]")
}

func TestDefaultLive(t *testing.T) {
	www := copyWWW(t)
	e := startCoreIn(t, www, func(o *Options) { o.Configs = map[string]string{"live.publish_token": "s3cret"} })
	bad := e.connect("rtmfp://host/live?token=nope")
	e.srv.Publish(bad.c, "cam", &fakeSink{log: bad.conn.log})
	bad.waitFor("publish failed NetStream.Publish.BadName")
	if !strings.Contains(bad.conn.log.find("publish failed"), "invalid publish token") {
		t.Fatal(bad.conn.log.all())
	}
	good := e.connect("rtmfp://host/live?token=s3cret")
	h, _ := e.srv.Publish(good.c, "cam", &fakeSink{log: good.conn.log})
	good.waitFor("publish started cam")
	viewer := e.connect("rtmfp://host/live")
	e.srv.Subscribe(viewer.c, "cam", &fakeSubscriber{log: viewer.conn.log})
	viewer.waitFor("play started cam")
	e.srv.PushMedia(h, &core.MediaPacket{Kind: core.MediaAudio, Time: 5, Payload: []byte{0xaf, 1, 2}})
	viewer.waitFor("media audio 5")
	viewer.call("streams")
	viewer.waitFor("main result 2 [[cam]]")

	// Without a configured token nobody publishes.
	e2 := startCoreIn(t, www, func(o *Options) { o.Environment = []string{} })
	c := e2.connect("rtmfp://host/live?token=")
	e2.srv.Publish(c.c, "cam", &fakeSink{log: c.conn.log})
	c.waitFor("publishing is disabled")
}

func TestDefaultRelay(t *testing.T) {
	e := startCoreIn(t, copyWWW(t))
	a := e.connect("rtmfp://host/relay")
	b := e.connect("rtmfp://host/relay")
	a.call("relay", b.c.HexID(), "hello", 1.0)
	b.waitFor("main invoke onRelay [" + a.c.HexID() + " hello 1]")
	a.call("relay", strings.Repeat("ab", 32))
	a.waitFor("not connected")
}
