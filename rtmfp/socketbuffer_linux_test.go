//go:build linux

package rtmfp

import (
	"net"
	"syscall"
	"testing"
)

// sockBuffers reads SO_RCVBUF and SO_SNDBUF (Linux reports twice what was
// asked, for its bookkeeping).
func sockBuffers(t *testing.T, c *net.UDPConn) (rcv, snd int) {
	t.Helper()
	raw, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var rerr, serr error
	err = raw.Control(func(fd uintptr) {
		rcv, rerr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
		snd, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF)
	})
	if err != nil || rerr != nil || serr != nil {
		t.Fatal(err, rerr, serr)
	}
	return rcv, snd
}

func listenUDP(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSocketBuffer: Config.SocketBuffer sets both kernel buffers; a
// negative value leaves the socket as the OS made it.
func TestSocketBuffer(t *testing.T) {
	plain := listenUDP(t)
	osRcv, osSnd := sockBuffers(t, plain)
	plain.Close()
	for _, tc := range []struct {
		config   int
		rcv, snd int
	}{
		{96 << 10, 2 * 96 << 10, 2 * 96 << 10},
		{160 << 10, 2 * 160 << 10, 2 * 160 << 10},
		{-1, osRcv, osSnd},
	} {
		c := listenUDP(t)
		e, err := NewEndpoint(c, Config{Handler: nopHandler{}, Logger: testLogger(), Loops: 1, SocketBuffer: tc.config})
		if err != nil {
			t.Fatal(err)
		}
		rcv, snd := sockBuffers(t, c)
		e.Close()
		if rcv != tc.rcv || snd != tc.snd {
			t.Errorf("SocketBuffer %d: SO_RCVBUF %d, SO_SNDBUF %d; want %d, %d", tc.config, rcv, snd, tc.rcv, tc.snd)
		}
	}
	if cfg, _ := (Config{Handler: nopHandler{}}).withDefaults(); cfg.SocketBuffer != 4<<20 {
		t.Fatalf("default socket buffer %d", cfg.SocketBuffer)
	}
}
