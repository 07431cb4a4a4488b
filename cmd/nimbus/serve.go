package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"nimbus/config"
)

func init() {
	register(&command{
		name:    "serve",
		args:    "[flags]",
		summary: "Run the server (the default command).",
		run:     runServe,
		help: func(w io.Writer) {
			fs, _ := newServeFlags(w)
			fs.PrintDefaults()
		},
	})
}

const defaultConfigPath = "./config.toml"

type serveFlags struct {
	config    string
	www       string
	logLevel  string
	logFormat string
	set       map[string]bool // flags given on the command line
}

func newServeFlags(output io.Writer) (*flag.FlagSet, *serveFlags) {
	f := &serveFlags{set: map[string]bool{}}
	fs := flag.NewFlagSet("nimbus serve", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.StringVar(&f.config, "config", defaultConfigPath, "config `file`; a missing default file means built-in defaults, a file named here must exist")
	fs.StringVar(&f.www, "www", "", "application root `dir`, overrides [www].dir")
	fs.StringVar(&f.logLevel, "log-level", "", "log `level` (debug, info, warn, error), overrides [log].level")
	fs.StringVar(&f.logFormat, "log-format", "", "log `format` (text, json), overrides [log].format")
	fs.Usage = func() {
		printUsage(output)
		fmt.Fprintf(output, "\nFlags of %q:\n\n", defaultCommand)
		fs.PrintDefaults()
	}
	return fs, f
}

// flagForKey maps config keys to the flags that override them, so that a
// bad flag value is reported against the flag rather than config.toml.
var flagForKey = map[string]string{
	"www.dir":    "www",
	"log.level":  "log-level",
	"log.format": "log-format",
}

func runServe(e *env, args []string) int {
	fs, f := newServeFlags(e.stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage // the flag package has printed the problem and usage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "nimbus serve: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })

	opts, err := loadOptions(f)
	if err != nil {
		fmt.Fprintln(e.stderr, err)
		return exitUsage
	}

	logger := newLogger(opts.Log, e.stderr)
	slog.SetDefault(logger)

	if err := checkDir(opts.WWW.Dir); err != nil {
		fmt.Fprintf(e.stderr, "nimbus: application root: %v (set [www].dir in the config file or use -www)\n", err)
		return exitUsage
	}

	logConfig(logger, f, opts)

	services, err := buildServices(opts, logger)
	if err != nil {
		logger.Error("cannot create services", "err", err)
		return exitFail
	}
	timeout := e.stopTimeout
	if timeout == 0 {
		timeout = stopTimeout
	}
	return runServices(context.Background(), services, e.signals, timeout, logger, e.ready)
}

// loadOptions loads the config file and applies the command-line overrides.
// Relative paths in the file are taken relative to the file's directory;
// relative paths given as flags, relative to the working directory.
func loadOptions(f *serveFlags) (config.Options, error) {
	opts, err := config.Load(f.config, f.set["config"])
	if err != nil {
		return config.Options{}, err
	}
	if _, statErr := os.Stat(f.config); statErr == nil {
		base := filepath.Dir(f.config)
		opts.WWW.Dir = resolve(base, opts.WWW.Dir)
		opts.WWW.DataDir = resolve(base, opts.WWW.DataDir)
	}
	if f.set["www"] {
		opts.WWW.Dir = f.www
	}
	if f.set["log-level"] {
		opts.Log.Level = f.logLevel
	}
	if f.set["log-format"] {
		opts.Log.Format = f.logFormat
	}
	if err := opts.Validate(); err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			if name, ok := flagForKey[ce.Key]; ok && f.set[name] {
				return config.Options{}, fmt.Errorf("nimbus: -%s: %s", name, ce.Msg)
			}
		}
		return config.Options{}, fmt.Errorf("nimbus: %w", err)
	}
	return opts, nil
}

func resolve(base, path string) string {
	if path == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(base, path)
}

func checkDir(dir string) error {
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("directory %q does not exist", dir)
	case err != nil:
		return err
	case !info.IsDir():
		return fmt.Errorf("%q is not a directory", dir)
	}
	return nil
}

// newLogger builds the process logger: text or JSON lines on w (stderr).
func newLogger(c config.Log, w io.Writer) *slog.Logger {
	ho := &slog.HandlerOptions{Level: c.SlogLevel()}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, ho))
	}
	return slog.New(slog.NewTextHandler(w, ho))
}

// logConfig logs a one-line summary of the effective configuration, and the
// whole of it at debug level.
func logConfig(log *slog.Logger, f *serveFlags, opts config.Options) {
	source := f.config
	if _, err := os.Stat(f.config); err != nil {
		source = "built-in defaults (no " + f.config + ")"
	}
	log.Info("nimbus starting",
		"version", version,
		"config", source,
		"listen", opts.RTMFP.Listen,
		"www", opts.WWW.Dir,
		"data", opts.WWW.DataDir,
		"reload", opts.WWW.Reload,
		"loops", opts.RTMFP.EffectiveLoops(),
		"max_sessions", opts.RTMFP.MaxSessions,
		"log_level", opts.Log.Level,
	)
	log.Debug("effective configuration", "options", fmt.Sprintf("%+v", opts))
}
