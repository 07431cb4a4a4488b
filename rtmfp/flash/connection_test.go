package flash

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"testing"
	"time"

	"nimbus/core"
	"nimbus/core/amf"
	"nimbus/rtmfp/flash/message"
)

func TestConnectAccept(t *testing.T) {
	type seen struct {
		path  string
		props map[string]any
		args  []any
		proto string
	}
	got := make(chan seen, 1)
	a := &app{connection: func(c *core.Client, args []any) ([]amf.Member, error) {
		props := map[string]any{}
		for _, m := range c.Properties {
			props[m.Key] = m.Value
		}
		got <- seen{c.Path, props, args, c.Protocol}
		return []amf.Member{{Key: "greeting", Value: "hello"}}, nil
	}}
	ts := startServer(t, a, nil)
	c := ts.mustDial("live/room?token=abc", "user", 42.0)

	s := <-got
	if s.path != "/live/room" || s.proto != "RTMFP" {
		t.Fatalf("path %q protocol %q", s.path, s.proto)
	}
	if s.props["app"] != "live/room" || s.props["tcUrl"] != ts.url+"/live/room?token=abc" ||
		s.props["objectEncoding"] != 3.0 || s.props["flashVer"] != defaultFlashVer || s.props["token"] != "abc" {
		t.Fatalf("properties %v", s.props)
	}
	if !reflect.DeepEqual(s.args, []any{"user", 42.0}) {
		t.Fatalf("args %v", s.args)
	}
	info := c.ConnectInfo()
	if info.Level != "status" || info.Code != "NetConnection.Connect.Success" || info.Description != "Connection succeeded" {
		t.Fatalf("connect answer %+v", info)
	}
	if v, _ := info.Get("objectEncoding"); v != 3.0 {
		t.Fatalf("objectEncoding %v", v)
	}
	if v, _ := info.Get("greeting"); v != "hello" {
		t.Fatalf("info from the application: %v", v)
	}
	// The client is listed, with the address it reported in setPeerInfo.
	var reported []netip.AddrPort
	waitFor(t, 5*time.Second, "setPeerInfo", func() bool {
		ts.onLoop(func() {
			if cl := ts.core.Client(c.PeerID()); cl != nil {
				reported = cl.ReportedAddresses()
			}
		})
		return len(reported) == 1
	})
	if reported[0] != c.LocalAddr() {
		t.Fatalf("reported %v, want %v", reported, c.LocalAddr())
	}
	// Closing the client disconnects it from core.
	c.Close()
	waitFor(t, 30*time.Second, "disconnection", func() bool { return a.count("disconnect") == 1 })
	waitFor(t, 5*time.Second, "session removed", func() bool { return ts.srv.Stats().Sessions.Load() == 0 })
}

func TestConnectReject(t *testing.T) {
	a := &app{connection: func(c *core.Client, args []any) ([]amf.Member, error) {
		switch c.Path {
		case "/closed":
			return nil, errors.New("main.lua:3: room closed")
		case "/empty":
			return nil, errors.New("")
		case "/missing":
			return nil, core.ErrInvalidApp
		}
		return nil, nil
	}}
	ts := startServer(t, a, nil)
	for _, tc := range []struct{ app, code, desc string }{
		{"closed", "NetConnection.Connect.Rejected", "main.lua:3: room closed"},
		{"empty", "NetConnection.Connect.Rejected", "client rejected"},
		{"missing", "NetConnection.Connect.InvalidApp", "Application /missing doesn't exist"},
	} {
		c, err := ts.dial(tc.app)
		if err == nil {
			c.Close()
			t.Fatalf("%s: accepted", tc.app)
		}
		var fe *Error
		var ce *CallError
		if !errors.As(err, &fe) || fe.Op != "connect" || !errors.As(err, &ce) {
			t.Fatalf("%s: error %v", tc.app, err)
		}
		if ce.Code != tc.code || ce.Description != tc.desc {
			t.Errorf("%s: %s %q, want %s %q", tc.app, ce.Code, ce.Description, tc.code, tc.desc)
		}
	}
	// Rejected sessions are closed by the server.
	waitFor(t, 10*time.Second, "rejected sessions closed", func() bool { return ts.srv.Stats().Sessions.Load() == 0 })
	if n := a.count("disconnect"); n != 0 {
		t.Fatalf("%d disconnection events for rejected clients", n)
	}
}

func TestCalls(t *testing.T) {
	a := &app{call: func(c *core.Client, call *core.Call) ([]any, error) {
		switch call.Name {
		case "add":
			x, _ := call.Args[0].(float64)
			y, _ := call.Args[1].(float64)
			return []any{x + y}, nil
		case "fail":
			return nil, errors.New("main.lua:9: bad input")
		case "poke":
			// Server-to-client invocation on the main writer and on a
			// new writer.
			c.Writer().WriteInvocation("onPoke", "main", call.Args[0])
			w, err := c.Writer().NewWriter()
			if err != nil {
				return nil, err
			}
			w.WriteInvocation("onPoke", "extra", call.Args[0])
			return []any{true}, nil
		case "silent":
			return nil, nil
		}
		return nil, fmt.Errorf("%w: %s", core.ErrMethodNotFound, call.Name)
	}}
	ts := startServer(t, a, nil)
	c := ts.mustDial("app")
	ctx := ctxTimeout(t, 10*time.Second)

	res, err := c.Call(ctx, "add", 2.0, 3.5)
	if err != nil || !reflect.DeepEqual(res, []any{5.5}) {
		t.Fatalf("add: %v %v", res, err)
	}
	for _, tc := range []struct{ name, desc string }{
		{"fail", "main.lua:9: bad input"},
		{"nope", "Method client 'nope' not found in application /app"},
	} {
		_, err := c.Call(ctx, tc.name)
		var ce *CallError
		var fe *Error
		if !errors.As(err, &ce) || !errors.As(err, &fe) || fe.Op != "call" {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if ce.Code != "NetConnection.Call.Failed" || ce.Description != tc.desc {
			t.Errorf("%s: %s %q", tc.name, ce.Code, ce.Description)
		}
	}
	pokes := make(chan string, 2)
	c.Handle("onPoke", func(args []any) {
		s, _ := args[0].(string)
		pokes <- fmt.Sprint(s, args[1])
	})
	if _, err := c.Call(ctx, "poke", 7.0); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for range 2 {
		select {
		case p := <-pokes:
			got[p] = true
		case <-ctx.Done():
			t.Fatal("invocations not received")
		}
	}
	if !got["main7"] || !got["extra7"] {
		t.Fatalf("invocations %v", got)
	}
	// A call without transaction that fails comes back as onStatus.
	statuses := make(chan message.Status, 1)
	c.OnStatus(func(s message.Status) { statuses <- s })
	if err := c.Invoke("nope2"); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-statuses:
		if s.Code != "NetConnection.Call.Failed" || s.Level != "error" {
			t.Fatalf("status %+v", s)
		}
	case <-ctx.Done():
		t.Fatal("no onStatus for a failed call without transaction")
	}
}

func TestConnectAMF0(t *testing.T) {
	encodings := make(chan float64, 1)
	a := &app{connection: func(c *core.Client, args []any) ([]amf.Member, error) {
		encodings <- c.ObjectEncoding
		return nil, nil
	}}
	ts := startServer(t, a, nil)
	d := Dialer{LocalAddr: "127.0.0.1:0", AMF0: true, Logger: testLogger()}
	c, err := d.Dial(ctxTimeout(t, 10*time.Second), ts.url+"/app")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if e := <-encodings; e != 0 {
		t.Fatalf("core sees objectEncoding %v", e)
	}
	if v, _ := c.ConnectInfo().Get("objectEncoding"); v != 0.0 {
		t.Fatalf("answer objectEncoding %v, want 0", v)
	}
}
