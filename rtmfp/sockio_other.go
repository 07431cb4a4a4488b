//go:build !linux

package rtmfp

import "net"

// newDatagramConn returns the portable implementation: x/net reads one
// message per call outside Linux, so batching would gain nothing.
func newDatagramConn(pc net.PacketConn) datagramConn { return newPlainConn(pc) }
