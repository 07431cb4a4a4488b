package flash

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"nimbus/core"
	"nimbus/core/amf"
	"nimbus/rtmfp"
	"nimbus/rtmfp/flash/message"
)

// ErrWriterClosed is returned by writes on a closed writer.
var ErrWriterClosed = errors.New("flash: writer closed")

// ncMetadata is the metadata of NetConnection flows (stream 0), ours and
// the client's.
var ncMetadata = message.TCMetadata{StreamID: 0}.Append(nil)

// flowStats measures what a writer (or a subscriber's media flow) sends,
// for core.QoS. Updated from the goroutines that write, hence the mutex.
type flowStats struct {
	mu       sync.Mutex
	messages uint64 // messages offered
	lost     uint64 // messages refused by the flow (full, closed)
	dropped  uint64 // video frames dropped by policy
	lastSend time.Time
	// byte rate over the last completed period
	periodStart time.Time
	periodBytes uint64
	rate        float64
}

const ratePeriod = time.Second

func (st *flowStats) record(n int, err error) {
	now := time.Now()
	st.mu.Lock()
	st.messages++
	if err != nil {
		st.lost++
	} else {
		st.lastSend = now
		st.periodBytes += uint64(n)
	}
	st.rollPeriod(now)
	st.mu.Unlock()
}

func (st *flowStats) recordDrop() {
	st.mu.Lock()
	st.messages++
	st.dropped++
	st.mu.Unlock()
}

func (st *flowStats) rollPeriod(now time.Time) {
	if st.periodStart.IsZero() {
		st.periodStart = now
		return
	}
	if d := now.Sub(st.periodStart); d >= ratePeriod {
		st.rate = float64(st.periodBytes) / d.Seconds()
		st.periodStart, st.periodBytes = now, 0
	}
}

func (st *flowStats) qos(rtt time.Duration) core.QoS {
	st.mu.Lock()
	defer st.mu.Unlock()
	q := core.QoS{
		ByteRate:        st.rate,
		Latency:         rtt / 2,
		LastSendingTime: st.lastSend,
		DroppedFrames:   st.dropped,
	}
	if st.messages > 0 {
		q.LostRate = float64(st.lost+st.dropped) / float64(st.messages)
	}
	return q
}

// flowWriter is a core.Writer on one RTMFP send flow. Core uses it on its
// loop; the session loop also writes on the main writer (createStream
// answers), so its mutable state is atomic or guarded.
type flowWriter struct {
	sess     *serverSession
	flow     *rtmfp.SendFlow
	main     bool // closing it closes the connection
	reliable atomic.Bool
	closed   atomic.Bool
	stats    flowStats
}

var _ core.Writer = (*flowWriter)(nil)

func newFlowWriter(sess *serverSession, flow *rtmfp.SendFlow, main bool) *flowWriter {
	w := &flowWriter{sess: sess, flow: flow, main: main}
	w.reliable.Store(true)
	return w
}

// send hands one encoded message to the flow.
func (w *flowWriter) send(msg []byte) error {
	if w.closed.Load() {
		return ErrWriterClosed
	}
	var err error
	if w.reliable.Load() {
		err = w.flow.Write(msg)
	} else {
		err = w.flow.WriteUnreliable(msg, w.sess.srv.cfg.UnreliableDeadline)
	}
	w.stats.record(len(msg), err)
	if err != nil {
		return fmt.Errorf("flash: writer: %w", err)
	}
	return nil
}

func (w *flowWriter) command(c message.Command) error {
	b, err := c.Append(nil)
	if err != nil {
		return err
	}
	return w.send(b)
}

// WriteInvocation calls a client-side method (transaction 0).
func (w *flowWriter) WriteInvocation(name string, args ...any) error {
	return w.command(message.Command{Name: name, Args: args})
}

// WriteResult answers transaction tid with "_result".
func (w *flowWriter) WriteResult(tid float64, args ...any) error {
	return w.command(message.Command{Name: message.CommandResult, TID: tid, Args: args})
}

// WriteError answers transaction tid with "_error" and a status object.
func (w *flowWriter) WriteError(tid float64, code, description string) error {
	st := message.Status{Level: message.LevelError, Code: code, Description: description}
	return w.command(message.Command{Name: message.CommandError, TID: tid, Args: []any{st.Object()}})
}

// WriteStatus sends an "onStatus" status object.
func (w *flowWriter) WriteStatus(level, code, description string, extra ...amf.Member) error {
	st := message.Status{Level: level, Code: code, Description: description, Extra: extra}
	return w.command(message.Command{Name: message.CommandOnStatus, Args: []any{st.Object()}})
}

// WriteData sends an AMF0 data message.
func (w *flowWriter) WriteData(name string, args ...any) error {
	b, err := message.Data{Handler: name, Args: args}.Append(nil)
	if err != nil {
		return err
	}
	return w.send(b)
}

// WriteRaw sends b as one flow message, unframed: the caller writes the
// whole Flash message.
func (w *flowWriter) WriteRaw(b []byte) error {
	return w.send(append([]byte(nil), b...))
}

// NewWriter opens another flow to the client, associated like the main
// writer to the client's NetConnection flow.
func (w *flowWriter) NewWriter() (core.Writer, error) {
	return w.sess.newWriter()
}

// Reliable reports whether messages are retransmitted until acknowledged.
func (w *flowWriter) Reliable() bool { return w.reliable.Load() }

// SetReliable chooses reliable delivery or best effort with
// Config.UnreliableDeadline.
func (w *flowWriter) SetReliable(r bool) { w.reliable.Store(r) }

// Flush is a no-op: the transport sends queued messages at the end of its
// loop iteration.
func (w *flowWriter) Flush() {}

// Close closes the flow (FIN after queued data); for the main writer it
// closes the connection.
func (w *flowWriter) Close() {
	if w.closed.Swap(true) {
		return
	}
	w.flow.Close()
	if w.main {
		w.sess.s.Close()
	}
}

// QoS reports the writer's delivery statistics.
func (w *flowWriter) QoS() core.QoS { return w.stats.qos(w.sess.s.RTT()) }
