package script

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// Sentinel errors callers test with errors.Is.
var (
	// ErrNoApp means the URL path names no folder under www.
	ErrNoApp = errors.New("script: application doesn't exist")
	// ErrSyntax marks a Lua file that does not compile.
	ErrSyntax = errors.New("script: syntax error")
	// ErrRuntime marks a Lua error raised while running a chunk or an event.
	ErrRuntime = errors.New("script: runtime error")
	// ErrBudgetExceeded marks an event interrupted because it ran longer than
	// the per-event budget ([limits] script_budget).
	ErrBudgetExceeded = errors.New("script: budget exceeded")
	// ErrClosed is returned by a Host used after Close.
	ErrClosed = errors.New("script: host closed")
)

// Error is a Lua failure seen from Go: a syntax error, a runtime error or an
// interrupted runaway script. Text is what Lua itself would report (normally
// "file:line: message"); it is what MonaServer sends to Flash clients.
type Error struct {
	Kind  error  // ErrSyntax, ErrRuntime or ErrBudgetExceeded
	App   string // application path ("" = root)
	Event string // what was running: "main.lua", "onConnection", "method 'x'"...
	File  string // Lua chunk name of the failing position, "" if unknown
	Line  int    // 0 if unknown
	Text  string // Lua error message, usually prefixed by "file:line: "
	Stack string // Lua stack traceback, may be empty
	// Value is the raw Lua error object (a string, or anything given to
	// error()). Only valid on the host's goroutine.
	Value lua.LValue
}

func (e *Error) Error() string { return e.Text }

func (e *Error) Unwrap() error { return e.Kind }

// Message returns Text without its "file:line: " prefix.
func (e *Error) Message() string {
	if _, _, rest, ok := splitPosition(e.Text); ok {
		return rest
	}
	return e.Text
}

// Position returns "file:line" or "" when unknown.
func (e *Error) Position() string {
	if e.File == "" {
		return ""
	}
	return e.File + ":" + strconv.Itoa(e.Line)
}

// splitPosition splits "file:line: rest" (the prefix Lua's error() adds).
func splitPosition(s string) (file string, line int, rest string, ok bool) {
	// The file part may itself contain ':' (Windows drive), so look for the
	// first ":<digits>:" group.
	for i := 0; i < len(s); i++ {
		if s[i] != ':' {
			continue
		}
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i+1 || j >= len(s) || s[j] != ':' {
			continue
		}
		n, err := strconv.Atoi(s[i+1 : j])
		if err != nil || i == 0 || strings.ContainsAny(s[:i], "\n") {
			return "", 0, s, false
		}
		return s[:i], n, strings.TrimPrefix(s[j+1:], " "), true
	}
	return "", 0, s, false
}

// syntaxError converts a compile failure into an *Error with "file:line: message".
func syntaxError(app, event, chunk string, err error) *Error {
	e := &Error{Kind: ErrSyntax, App: app, Event: event, File: chunk}
	var pe *parse.Error
	var ae *lua.ApiError
	if errors.As(err, &ae) && ae.Cause != nil {
		err = ae.Cause
	}
	if errors.As(err, &pe) {
		line := pe.Pos.Line
		if line < 0 {
			line = 0 // EOF
		}
		e.Line = line
		msg := pe.Message
		if pe.Token != "" {
			msg += " near '" + pe.Token + "'"
		}
		e.Text = fmt.Sprintf("%s:%d: %s", chunk, line, msg)
		return e
	}
	text := strings.TrimSpace(err.Error())
	if f, l, _, ok := splitPosition(text); ok {
		e.File, e.Line = f, l
	}
	e.Text = text
	return e
}
