package bench

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat.
// It is 100 on every Linux architecture Go supports.
const clockTicks = 100

// errProcFormat: a /proc file did not have the expected layout.
var errProcFormat = errors.New("unexpected /proc format")

// procSample is one reading of a process's CPU time and resident memory.
type procSample struct {
	at  time.Time
	cpu time.Duration // user + system
	rss int64         // bytes
}

// readProc samples process pid ("self" for this process) from /proc.
func readProc(pid string) (procSample, error) {
	s := procSample{at: time.Now()}
	stat, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return s, fmt.Errorf("proc: %w", err)
	}
	// The command name may contain spaces and parentheses: the fields
	// we want follow the last ')'.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return s, fmt.Errorf("proc: stat: %w", errProcFormat)
	}
	fields := strings.Fields(string(stat[i+1:]))
	// After ')': state(3) ... utime is field 14 and stime 15 of the whole
	// line, i.e. indexes 11 and 12 here.
	if len(fields) < 13 {
		return s, fmt.Errorf("proc: stat: %w", errProcFormat)
	}
	ut, err1 := strconv.ParseUint(fields[11], 10, 64)
	st, err2 := strconv.ParseUint(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return s, fmt.Errorf("proc: stat: %w", errProcFormat)
	}
	s.cpu = time.Duration(ut+st) * time.Second / clockTicks
	status, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return s, fmt.Errorf("proc: %w", err)
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				if err == nil {
					s.rss = kb << 10
				}
			}
			break
		}
	}
	return s, nil
}

// Usage is what a process used during a run.
type Usage struct {
	PID int `json:"pid,omitempty"`
	// CPUSeconds is user+system time spent during the run.
	CPUSeconds float64 `json:"cpu_s"`
	// CPUPercent is CPUSeconds over the wall time (100 = one core busy).
	CPUPercent float64 `json:"cpu_percent"`
	// CPUPerOpUs is CPUSeconds divided by the scenario's operations.
	CPUPerOpUs float64 `json:"cpu_per_op_us,omitempty"`
	// RSSBytes is the resident set at the end of the run; RSSStartBytes at
	// its start.
	RSSBytes      int64 `json:"rss_bytes"`
	RSSStartBytes int64 `json:"rss_start_bytes"`
}

// procWatch measures one process between start and stop.
type procWatch struct {
	pid   string
	first procSample
	ok    bool
}

func watchProc(pid string) *procWatch {
	w := &procWatch{pid: pid}
	s, err := readProc(pid)
	if err == nil {
		w.first, w.ok = s, true
	}
	return w
}

// usage reads the process again and reports the difference; ok is false
// when the process could not be read.
func (w *procWatch) usage(ops uint64) (Usage, bool) {
	if w == nil || !w.ok {
		return Usage{}, false
	}
	s, err := readProc(w.pid)
	if err != nil {
		return Usage{}, false
	}
	u := Usage{RSSBytes: s.rss, RSSStartBytes: w.first.rss}
	u.CPUSeconds = (s.cpu - w.first.cpu).Seconds()
	if wall := s.at.Sub(w.first.at).Seconds(); wall > 0 {
		u.CPUPercent = 100 * u.CPUSeconds / wall
	}
	if ops > 0 {
		u.CPUPerOpUs = u.CPUSeconds * 1e6 / float64(ops)
	}
	if n, err := strconv.Atoi(w.pid); err == nil {
		u.PID = n
	}
	return u, true
}

// rssOf reads the current resident set of pid, 0 if unknown.
func rssOf(pid string) int64 {
	s, err := readProc(pid)
	if err != nil {
		return 0
	}
	return s.rss
}

// machineSample is the whole machine's CPU time from /proc/stat.
type machineSample struct {
	busy, total time.Duration
	ok          bool
}

// readMachine sums the first line of /proc/stat: busy is everything but
// idle and iowait.
func readMachine() machineSample {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return machineSample{}
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return machineSample{}
	}
	var m machineSample
	for i, v := range f[1:] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return machineSample{}
		}
		d := time.Duration(n) * time.Second / clockTicks
		m.total += d
		if i != 3 && i != 4 { // idle, iowait
			m.busy += d
		}
	}
	m.ok = true
	return m
}
