// Command causeway rebuilds cloud identity attacks from provider logs: it
// imports exports into a case, queries its timeline, reconstructs causal
// chains and findings, and serves the web app. main only wires.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/pprof"
	"runtime/trace"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// CAUSEWAY_CPUPROFILE=file writes a CPU profile of the whole command
	// (for the performance work of docs/performance.md).
	if p := os.Getenv("CAUSEWAY_CPUPROFILE"); p != "" {
		if f, err := os.Create(p); err == nil {
			pprof.StartCPUProfile(f)
			defer f.Close()
		}
	}
	// CAUSEWAY_TRACE=file writes an execution trace (go tool trace): where
	// the cores wait on each other.
	if p := os.Getenv("CAUSEWAY_TRACE"); p != "" {
		if f, err := os.Create(p); err == nil {
			trace.Start(f)
			defer f.Close()
		}
	}
	code := run(ctx, os.Args[1:], env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv})
	trace.Stop()
	pprof.StopCPUProfile()
	stop()
	os.Exit(code)
}
