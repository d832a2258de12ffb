package main

import (
	"context"
	"errors"
	"io"
)

// bench is filled in by the benchmark work (issue 8).
func bench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("bench: not built yet")
}
