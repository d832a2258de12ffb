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
)

// pruneSuperseded deletes a customer's downloaded files that no longer back any day: older
// versions of a day that a later fetch replaced. Current files stay, because a refresh reuses
// settled days from them. A superseded file is kept for FileRetention after it was written, so a
// sync still processing it (the previous sync of the same customer) is not disturbed.
func (s *Service) pruneSuperseded(ctx context.Context, customerID string) (int, error) {
	files, err := s.store.ReportFiles(ctx, customerID, s.cfg.ReportTypes, "0000-01-01", "9999-12-31")
	if err != nil {
		return 0, fmt.Errorf("prune: %w", err)
	}
	live := make(map[string]bool, len(files))
	for _, f := range files {
		if f.Key != "" {
			live[f.Key] = true
		}
	}
	cutoff := time.Now().Add(-s.cfg.FileRetention) // file modification times are this host's
	it := s.cfg.Files.List(&blob.ListOptions{Prefix: "reports/" + customerID + "/"})
	n := 0
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("prune: list: %w", err)
		}
		if obj.IsDir || live[obj.Key] || !strings.HasSuffix(obj.Key, ".tsv") || obj.ModTime.After(cutoff) {
			continue
		}
		if err := s.cfg.Files.Delete(ctx, obj.Key); err != nil {
			return n, fmt.Errorf("prune: delete %s: %w", obj.Key, err)
		}
		n++
	}
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
