package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"nimbus/internal/chat"
	"nimbus/rtmfp/flash"
)

func init() {
	register(&command{
		name:    "chat",
		args:    "-server rtmfp://host[:port]/app -name NAME",
		summary: "Chat peer to peer through a server's introductions (Flash DIRECT_CONNECTIONS).",
		run:     runChat,
		help: func(w io.Writer) {
			fs, _, _ := newChatFlags(w)
			fs.PrintDefaults()
			fmt.Fprintf(w, "\nCommands: /call <peer ID or name>, /quit, /help; any other line is sent to your peers.\n")
		},
	})
}

// chatInput is what the chat reads; a variable so that tests can feed it.
var chatInput io.Reader = os.Stdin

func newChatFlags(output io.Writer) (*flag.FlagSet, *string, *string) {
	fs := flag.NewFlagSet("nimbus chat", flag.ContinueOnError)
	fs.SetOutput(output)
	server := fs.String("server", "rtmfp://127.0.0.1/chat", "server `URL`")
	name := fs.String("name", "", "your `name` (required)")
	return fs, server, name
}

func runChat(e *env, args []string) int {
	fs, server, name := newChatFlags(e.stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "nimbus chat: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	if *name == "" {
		fmt.Fprintf(e.stderr, "nimbus chat: -name is required\n")
		return exitUsage
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		select {
		case <-e.signals:
			cancel()
		case <-stopped:
		}
	}()
	err := chat.Run(ctx, chat.Config{
		URL:    *server,
		Name:   *name,
		In:     chatInput,
		Out:    e.stdout,
		Dialer: flash.Dialer{Logger: logger},
	})
	if err != nil {
		fmt.Fprintf(e.stderr, "nimbus chat: %v\n", err)
		return exitFail
	}
	return exitOK
}
