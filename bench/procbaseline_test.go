package bench

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestProcessingBaselineSkipsAnAbsentCommit: a baseline whose commit the repository does not
// hold is skipped with a message saying so, not an error that stops the bench.
func TestProcessingBaselineSkipsAnAbsentCommit(t *testing.T) {
	_, _, err := buildBaseline(context.Background(), ".", "0123456789abcdef0123456789abcdef01234567", t.TempDir())
	if !errors.Is(err, errBaselineSkipped) || !strings.Contains(err.Error(), "not in the repository") {
		t.Fatalf("err = %v, want a skip saying the commit is absent", err)
	}
}
