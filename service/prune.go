package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/naversync/naversync/store"
)

// pruneSuperseded deletes a customer's stored objects that no longer back any day, once they have
// been out of use for FileRetention: older versions of a day that a later fetch replaced (counted
// from when they were replaced, so a sync still processing them is not disturbed) and objects a
// crash left unrecorded (counted from when they were written). Current files stay: a refresh
// reuses settled days from them.
func (s *Service) pruneSuperseded(ctx context.Context, customerID string) (int, error) {
	files, err := s.store.ReportFiles(ctx, customerID, s.cfg.ReportTypes, "0000-01-01", "9999-12-31")
	if err != nil {
		return 0, fmt.Errorf("prune: %w", err)
	}
	live := make(map[string]bool, len(files))
	for _, f := range files {
		if f.Key != "" && f.State != store.FileDamaged {
			live[f.Key] = true
		}
	}
	due, err := s.store.SupersededFiles(ctx, customerID, s.now().Add(-s.cfg.FileRetention), 10000)
	if err != nil {
		return 0, fmt.Errorf("prune: %w", err)
	}
	recent, err := s.store.SupersededFiles(ctx, customerID, s.now().Add(time.Hour), 10000)
	if err != nil {
		return 0, fmt.Errorf("prune: %w", err)
	}
	superseded := make(map[string]bool, len(recent))
	for _, k := range recent {
		superseded[k] = false
	}
	for _, k := range due {
		superseded[k] = true
	}
	unrecordedBefore := time.Now().Add(-s.cfg.FileRetention) // object modification times are this host's
	it := s.cfg.Files.List(&blob.ListOptions{Prefix: "reports/" + customerID + "/"})
	n := 0
	var gone []string
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return n, fmt.Errorf("prune: list: %w", err)
		}
		if obj.IsDir || live[obj.Key] || !strings.HasSuffix(obj.Key, ".tsv") {
			continue
		}
		isDue, known := superseded[obj.Key]
		if known && !isDue || !known && obj.ModTime.After(unrecordedBefore) {
			continue
		}
		if err := s.cfg.Files.Delete(ctx, obj.Key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			return n, fmt.Errorf("prune: delete %s: %w", obj.Key, err)
		}
		if known {
			gone = append(gone, obj.Key)
		}
		n++
	}
	// Superseded objects already gone from the store are forgotten too.
	for k, isDue := range superseded {
		if isDue && !live[k] {
			gone = append(gone, k)
		}
	}
	return n, s.store.ForgetSuperseded(ctx, gone)
}

// tempMaxAge is how long a temporary file (a partial download, a processing spill) may go
// unmodified before it counts as left behind by a process that died: live ones are written or
// renamed within seconds, and another replica sharing the data directory keeps its own fresh.
const tempMaxAge = time.Hour

// cleanTemp deletes the files in DataDir/tmp that no live work can own: those not modified for
// tempMaxAge. It runs at start (a crash leaves partial downloads and spills) and every hour.
func (s *Service) cleanTemp() (int, error) {
	dir := filepath.Join(s.cfg.DataDir, "tmp")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("clean temp: %w", err)
	}
	cutoff := time.Now().Add(-tempMaxAge)
	n := 0
	var errs []error
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || info.ModTime().After(cutoff) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}
