package simnet

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"testing/synctest"
	"time"
)

func TestDeliveryLatencyAndClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := New(Link{Latency: 50 * time.Millisecond}, 1)
		a, err := n.Listen(netip.MustParseAddrPort("10.0.0.1:1"))
		if err != nil {
			t.Fatal(err)
		}
		b, err := n.Listen(netip.MustParseAddrPort("10.0.0.2:0"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.Listen(a.AddrPort()); !errors.Is(err, ErrAddrInUse) {
			t.Fatalf("second listen: %v", err)
		}
		start := time.Now()
		if _, err := a.WriteTo([]byte("hi"), b.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 10)
		k, from, err := b.ReadFromUDPAddrPort(buf)
		if err != nil || string(buf[:k]) != "hi" || from != a.AddrPort() {
			t.Fatalf("read %q from %v: %v", buf[:k], from, err)
		}
		if d := time.Since(start); d != 50*time.Millisecond {
			t.Fatalf("latency %v", d)
		}
		b.SetReadDeadline(time.Now().Add(time.Second))
		if _, _, err := b.ReadFrom(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("deadline: %v", err)
		}
		b.SetReadDeadline(time.Time{})
		done := make(chan error)
		go func() { _, _, err := b.ReadFrom(buf); done <- err }()
		synctest.Wait()
		b.Close()
		if err := <-done; !errors.Is(err, net.ErrClosed) {
			t.Fatalf("read after close: %v", err)
		}
		a.Close()
	})
}

func TestLossReorderDuplicate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := New(Link{Latency: 10 * time.Millisecond, Loss: 0.1, Reorder: 0.05, ReorderDelay: 20 * time.Millisecond, Duplicate: 0.02, QueueLimit: 10000}, 7)
		a, _ := n.Listen(netip.MustParseAddrPort("10.0.0.1:1"))
		b, _ := n.Listen(netip.MustParseAddrPort("10.0.0.2:1"))
		const count = 5000
		for i := range count {
			a.WriteToUDPAddrPort([]byte{byte(i >> 8), byte(i)}, b.AddrPort())
		}
		time.Sleep(time.Second)
		got, outOfOrder, last := 0, 0, -1
		b.SetReadDeadline(time.Now())
		buf := make([]byte, 2)
		for {
			if _, _, err := b.ReadFrom(buf); err != nil {
				break
			}
			v := int(buf[0])<<8 | int(buf[1])
			if v < last {
				outOfOrder++
			}
			last = v
			got++
		}
		st := n.Stats()
		if st.Lost < 400 || st.Lost > 600 || st.Duplicated < 60 || st.Reordered < 180 || outOfOrder == 0 {
			t.Fatalf("stats %+v, %d out of order", st, outOfOrder)
		}
		if got != count-st.Lost+st.Duplicated {
			t.Fatalf("received %d, want %d", got, count-st.Lost+st.Duplicated)
		}
		a.Close()
		b.Close()
	})
}
