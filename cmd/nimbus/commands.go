package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// A command is one subcommand of nimbus. Each lives in its own file and
// registers itself from init, so adding one (chat, bench, ...) is one
// register call.
type command struct {
	name    string
	args    string // synopsis after the name, e.g. "[flags]"
	summary string // one line for the command list
	// run executes the command with the arguments after its name and
	// returns the exit status.
	run func(e *env, args []string) int
	// help prints the detailed help of the command (flags, ...); optional.
	help func(w io.Writer)
}

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("nimbus: command registered twice: " + c.name) // a programming error, caught by any test
	}
	commands[c.name] = c
}

// defaultCommand runs when nimbus gets no command, only flags.
const defaultCommand = "serve"

func run(args []string, e *env) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return commands[defaultCommand].run(e, args)
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "nimbus: unknown command %q\n\n", args[0])
		printUsage(e.stderr)
		return exitUsage
	}
	return c.run(e, args[1:])
}

func printUsage(w io.Writer) {
	fmt.Fprintf(w, "Nimbus is an RTMFP rendezvous server scripted in Lua.\n\n")
	fmt.Fprintf(w, "Usage:\n\n  nimbus [command] [arguments]\n\nCommands:\n\n")
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-10s %s\n", name, commands[name].summary)
	}
	fmt.Fprintf(w, "\nWithout a command, nimbus runs %q.\n", defaultCommand)
	fmt.Fprintf(w, "Use \"nimbus help <command>\" for more about a command.\n")
}

func printCommandHelp(w io.Writer, c *command) {
	fmt.Fprintf(w, "Usage: nimbus %s %s\n\n%s\n", c.name, c.args, c.summary)
	if c.help != nil {
		fmt.Fprintln(w)
		c.help(w)
	}
}

func init() {
	register(&command{
		name:    "help",
		args:    "[command]",
		summary: "Show help for nimbus or for one command.",
		run:     runHelp,
	})
}

func runHelp(e *env, args []string) int {
	switch len(args) {
	case 0:
		printUsage(e.stdout)
		return exitOK
	case 1:
		c, ok := commands[args[0]]
		if !ok {
			fmt.Fprintf(e.stderr, "nimbus help: unknown command %q\n\n", args[0])
			printUsage(e.stderr)
			return exitUsage
		}
		printCommandHelp(e.stdout, c)
		return exitOK
	default:
		fmt.Fprintf(e.stderr, "nimbus help: too many arguments\n")
		return exitUsage
	}
}
