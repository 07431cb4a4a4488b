package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// Limits of every scenario, so that the tool always stops by itself.
const (
	defaultDuration = 10 * time.Second
	maxDuration     = 10 * time.Minute
	defaultTimeout  = 5 * time.Second
	maxConcurrency  = 10000
)

// Common is the part of every scenario's configuration.
type Common struct {
	// URL is the server, "rtmfp://host:port/app"; every packet goes to
	// this server (or to the peers it introduces).
	URL string
	// Duration is how long the measured phase lasts; 0 means 10 s, at
	// most 10 min.
	Duration time.Duration
	// Timeout bounds one operation (a connect, a call...); 0 means 5 s.
	Timeout time.Duration
	// ServerPID, when not 0, is the server process whose CPU time and
	// resident memory are reported (Linux /proc).
	ServerPID int
	// Progress receives a progress line every second; nil is silent.
	Progress io.Writer
	// Logger receives the clients' logs; nil discards them.
	Logger *slog.Logger
}

func (c *Common) normalize(needURL bool) error {
	if needURL && c.URL == "" {
		return fmt.Errorf("%w: a server URL is required", ErrBadConfig)
	}
	if c.Duration <= 0 {
		c.Duration = defaultDuration
	}
	if c.Duration > maxDuration {
		return fmt.Errorf("%w: duration %v over %v", ErrBadConfig, c.Duration, maxDuration)
	}
	if c.Timeout <= 0 {
		c.Timeout = defaultTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return nil
}

func checkCount(name string, n, lo, hi int) error {
	if n < lo || n > hi {
		return fmt.Errorf("%w: %s %d not in [%d, %d]", ErrBadConfig, name, n, lo, hi)
	}
	return nil
}

// Goal is a target from the issue and whether this run met it.
type Goal struct {
	Metric string  `json:"metric"`
	Target float64 `json:"target"`
	Value  float64 `json:"value"`
	Met    bool    `json:"met"`
}

// Machine describes where the run happened.
type Machine struct {
	CPUs       int    `json:"cpus"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	CPUModel   string `json:"cpu_model"`
	GoVersion  string `json:"go_version"`
	OS         string `json:"os"`
}

var machineOnce = sync.OnceValue(func() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
})

// Summary is the part of every scenario's result.
type Summary struct {
	Scenario string  `json:"scenario"`
	URL      string  `json:"url,omitempty"`
	Elapsed  float64 `json:"elapsed_s"`
	// Ops counts the scenario's unit of work (Unit) done without error.
	Ops  uint64  `json:"ops"`
	Unit string  `json:"unit"`
	Rate float64 `json:"rate_per_s"`
	// RateOf says what Rate counts when it is not Ops per second.
	RateOf string `json:"rate_of,omitempty"`
	// Latency of one operation, when the scenario times them.
	Latency      *Latency          `json:"latency,omitempty"`
	Errors       map[string]uint64 `json:"errors"`
	ErrorSamples map[string]string `json:"error_samples,omitempty"`
	Goal         *Goal             `json:"goal,omitempty"`
	Server       *Usage            `json:"server,omitempty"`
	Client       Usage             `json:"client"`
	Machine      Machine           `json:"machine"`
	// OtherCPUPercent is the machine's CPU time used during the run by
	// other processes than the client and the server (when ServerPID is
	// set), in percent of all CPUs: other load skews the results.
	OtherCPUPercent float64 `json:"other_cpu_percent"`
}

// ErrorTotal is the number of errors of every kind.
func (s *Summary) ErrorTotal() uint64 {
	var n uint64
	for _, v := range s.Errors {
		n += v
	}
	return n
}

// Result is what a scenario returns: a Summary plus its own figures.
type Result interface {
	Base() *Summary
	// rows are the scenario's own lines of the human table.
	rows() [][2]string
}

// Base returns the common summary.
func (s *Summary) Base() *Summary { return s }

// run tracks the common measurements of one scenario run.
type run struct {
	sum     Summary
	start   time.Time
	errs    *errorCounts
	self    *procWatch
	server  *procWatch
	machine machineSample
}

func newRun(scenario string, c *Common, unit string) *run {
	r := &run{
		sum:     Summary{Scenario: scenario, URL: c.URL, Unit: unit, Machine: machineOnce()},
		errs:    newErrorCounts(),
		self:    watchProc("self"),
		machine: readMachine(),
		start:   time.Now(),
	}
	if c.ServerPID > 0 {
		r.server = watchProc(strconv.Itoa(c.ServerPID))
	}
	return r
}

// restart begins the measured phase (after a setup phase).
func (r *run) restart() {
	r.start = time.Now()
	r.self = watchProc("self")
	r.machine = readMachine()
	if r.server != nil {
		r.server = watchProc(r.server.pid)
	}
}

// finish fills the summary: elapsed time, rate, errors and process usage.
func (r *run) finish(ops uint64, elapsed time.Duration, h *Histogram) *Summary {
	s := &r.sum
	s.Ops = ops
	s.Elapsed = elapsed.Seconds()
	if elapsed > 0 {
		s.Rate = float64(ops) / elapsed.Seconds()
	}
	if h != nil {
		l := h.Summary()
		s.Latency = &l
	}
	s.Errors, s.ErrorSamples = r.errs.snapshot()
	if u, ok := r.self.usage(ops); ok {
		s.Client = u
	}
	if u, ok := r.server.usage(ops); ok {
		s.Server = &u
	}
	if m := readMachine(); m.ok && r.machine.ok && m.total > r.machine.total {
		others := (m.busy - r.machine.busy).Seconds() - s.Client.CPUSeconds
		if s.Server != nil && s.Server.PID != os.Getpid() {
			others -= s.Server.CPUSeconds
		}
		s.OtherCPUPercent = max(0, 100*others/(m.total-r.machine.total).Seconds())
	}
	return s
}

// over reports whether the measured phase ended: ctx is done or its
// deadline passed. An operation failing then was cut by the end of the
// run (an opening's own timer may fire at the deadline a moment before
// ctx reports it), which is not an error of the server.
func (r *run) over(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d.Add(-10*time.Millisecond))
}

func (r *run) goal(metric string, target, value float64) {
	r.sum.Goal = &Goal{Metric: metric, Target: target, Value: value, Met: value >= target}
}

// WriteJSON writes the result as one JSON object and a newline.
func WriteJSON(w io.Writer, r Result) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("bench: json: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// WriteTable writes the result as a two-column human table.
func WriteTable(w io.Writer, r Result) error {
	s := r.Base()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "  %s\t%s\n", k, v) }
	fmt.Fprintf(tw, "nimbus bench %s  %s\n", s.Scenario, s.URL)
	row("machine", fmt.Sprintf("%d CPUs (%s), GOMAXPROCS %d, %s", s.Machine.CPUs, s.Machine.CPUModel, s.Machine.GOMAXPROCS, s.Machine.GoVersion))
	row("elapsed", fmt.Sprintf("%.2f s", s.Elapsed))
	row(s.Unit, fmt.Sprintf("%d", s.Ops))
	rateOf := s.RateOf
	if rateOf == "" {
		rateOf = s.Unit
	}
	row(rateOf+"/s", formatRate(s.Rate))
	if s.Latency != nil && s.Latency.Count > 0 {
		l := s.Latency
		row("latency", fmt.Sprintf("p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  (n=%d)",
			fmtUs(l.P50Us), fmtUs(l.P90Us), fmtUs(l.P99Us), fmtUs(l.P999Us), fmtUs(l.MaxUs), l.Count))
	}
	for _, kv := range r.rows() {
		row(kv[0], kv[1])
	}
	if len(s.Errors) == 0 {
		row("errors", "none")
	} else {
		for _, k := range sortedKinds(s.Errors) {
			msg := ""
			if m := s.ErrorSamples[k]; m != "" {
				msg = "  e.g. " + m
			}
			row("errors: "+k, fmt.Sprintf("%d%s", s.Errors[k], msg))
		}
	}
	if g := s.Goal; g != nil {
		verdict := "MISSED"
		if g.Met {
			verdict = "met"
		}
		row("goal", fmt.Sprintf("%s >= %s: %s (%s)", g.Metric, formatRate(g.Target), verdict, formatRate(g.Value)))
	}
	row("client", usageText(s.Client))
	if s.Server != nil {
		row("server", usageText(*s.Server))
	}
	other := fmt.Sprintf("%.0f%% of the machine's CPU", s.OtherCPUPercent)
	if s.OtherCPUPercent >= 10 {
		other += "  WARNING: other processes were busy, results are skewed"
	}
	row("other load", other)
	return tw.Flush()
}

func usageText(u Usage) string {
	t := fmt.Sprintf("cpu %.2f s (%.0f%%)", u.CPUSeconds, u.CPUPercent)
	if u.CPUPerOpUs > 0 {
		t += fmt.Sprintf(", %.1f µs/op", u.CPUPerOpUs)
	}
	t += ", rss " + formatBytes(u.RSSBytes)
	if u.PID > 0 {
		t = fmt.Sprintf("pid %d: ", u.PID) + t
	}
	return t
}

func formatRate(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 1:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}

func fmtUs(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fs", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.2fms", v/1e3)
	default:
		return fmt.Sprintf("%.0fµs", v)
	}
}

func formatBytes(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	default:
		return fmt.Sprintf("%d B", b)
	}
}

// progress prints a status line every second while a scenario runs.
type progress struct {
	stop chan struct{}
	done chan struct{}
}

// startProgress prints "name: elapsed/total line()" to w every second; w
// nil disables it.
func startProgress(w io.Writer, name string, total time.Duration, line func() string) *progress {
	p := &progress{stop: make(chan struct{}), done: make(chan struct{})}
	if w == nil {
		close(p.done)
		return p
	}
	start := time.Now()
	go func() {
		defer close(p.done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				fmt.Fprintf(w, "%s: %4.0fs/%.0fs  %s\n", name, time.Since(start).Seconds(), total.Seconds(), line())
			}
		}
	}()
	return p
}

func (p *progress) end() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	<-p.done
}
