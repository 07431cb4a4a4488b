package rtmfp

import (
	"fmt"
	"net"
	"testing"
)

// TestListenBothWildcards binds 0.0.0.0:P and [::]:P together, as the
// shipped configuration does (listen = ["0.0.0.0:1935", "[::]:1935"]): the
// IPv6 wildcard must be IPv6-only or it takes the IPv4 port too.
func TestListenBothWildcards(t *testing.T) {
	v4, err := Listen("udp", "0.0.0.0:0", Config{Server: true, Loops: 1, Handler: newTestHandler(), Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer v4.Close()
	port := v4.LocalAddr().(*net.UDPAddr).Port
	v6, err := Listen("udp", fmt.Sprintf("[::]:%d", port), Config{Server: true, Loops: 1, Handler: newTestHandler(), Logger: testLogger()})
	if err != nil {
		if _, probe := net.ListenPacket("udp6", "[::1]:0"); probe != nil {
			t.Skip("no IPv6 on this machine:", probe)
		}
		t.Fatalf("[::]:%d next to 0.0.0.0:%d: %v", port, port, err)
	}
	v6.Close()
}

func TestListenNetwork(t *testing.T) {
	for _, tc := range []struct{ network, address, want string }{
		{"udp", "0.0.0.0:1935", "udp4"},
		{"udp", "[::]:1935", "udp6"},
		{"udp", "127.0.0.1:0", "udp4"},
		{"udp", ":1935", "udp"},
		{"udp", "localhost:1935", "udp"},
		{"udp4", "[::]:1", "udp4"},
	} {
		if got := listenNetwork(tc.network, tc.address); got != tc.want {
			t.Errorf("listenNetwork(%q, %q) = %q, want %q", tc.network, tc.address, got, tc.want)
		}
	}
}
