// Command naversync keeps Google Sheets filled with Naver Search Ad report data.
//
//	naversync serve   run the service (configured from NAVERSYNC_* environment variables)
//	naversync demo    run the whole service on SQLite against built-in Naver and Sheets simulators
//	naversync bench   measure the engine (see docs/benchmarks.md)
//	naversync migrate up|status   apply the schema's migrations, or print the schema version
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // Asia/Seoul without the OS zoneinfo (distroless images)
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "naversync:", err)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

const usage = `naversync keeps Google Sheets filled with Naver Search Ad report data.

Usage:
  naversync serve            run the service (configuration: NAVERSYNC_* environment variables, see README)
  naversync demo [flags]     run the service on SQLite with built-in Naver and Sheets simulators
  naversync bench [flags]    measure lock scope, idle workers, hand-off, processing and calls
  naversync migrate up       apply the database schema's pending migrations (NAVERSYNC_DATABASE_URL), then exit
  naversync migrate status   print the database's schema version and this binary's
  naversync rotate-secrets   encrypt every stored Naver secret with NAVERSYNC_SECRET_KEY (after a key rotation)
  naversync version

Run "naversync demo -h" for the demo's flags.
`

// run is the whole program; main only supplies the process's environment.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	switch args[0] {
	case "serve":
		return serve(ctx, getenv, stderr)
	case "demo":
		return demo(ctx, args[1:], getenv, stdout, stderr)
	case "bench":
		return bench(ctx, args[1:], stdout, stderr)
	case "migrate":
		return migrate(ctx, args[1:], getenv, stdout, stderr)
	case "rotate-secrets":
		return rotateSecrets(ctx, getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprintf(stderr, "naversync: unknown command %q\n\n%s", args[0], usage)
		return errUsage
	}
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"
