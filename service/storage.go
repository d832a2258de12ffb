package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"gocloud.dev/gcerrors"
)

// storeObject copies a finished download into the file store under key (putFile), first
// noting the key in the database: if the process dies before the file is recorded, pruning
// finds the object there, never by listing the file store.
func (s *Service) storeObject(ctx context.Context, customerID, key string, r io.Reader, size int64) error {
	if err := s.store.NoteObject(ctx, customerID, key); err != nil {
		return err
	}
	return s.putFile(ctx, key, r, size)
}

// pruneBatch is how many objects one step of pruning or expiry deletes.
const pruneBatch = 1000

// pruneSuperseded deletes the stored objects that no file has pointed at for FileRetention:
// older versions of a day that a later fetch replaced (counted from when they were replaced, so
// a sync still processing them is not disturbed), objects of damaged or expired files, and
// objects a crash left unrecorded (noted before they were written). It works from the
// database's list (superseded_files), so its cost follows what there is to delete, not the
// customers' history. Current files stay: a refresh reuses settled days from them.
func (s *Service) pruneSuperseded(ctx context.Context) (int, error) {
	n := 0
	for {
		keys, err := s.store.SupersededFiles(ctx, "", s.now().Add(-s.cfg.FileRetention), pruneBatch)
		if err != nil {
			return n, fmt.Errorf("prune: %w", err)
		}
		gone, err := s.deleteObjects(ctx, keys)
		n += len(gone)
		if ferr := s.store.ForgetSuperseded(ctx, gone); ferr != nil {
			return n, fmt.Errorf("prune: %w", ferr)
		}
		if err != nil {
			return n, fmt.Errorf("prune: %w", err)
		}
		if len(keys) < pruneBatch {
			return n, nil
		}
	}
}

// servedGraceDays is how many days past Naver's served window a sheet may still show and the
// files are kept: a sync queued or processed across midnight reaches one day further back.
const servedGraceDays = 1

// expireFiles deletes the report files (records and objects) of days no account's sheet shows
// any more: days more than servedGraceDays before Naver's served window, except the days an
// unfinished sync of the customer reaches (the store keeps them). A day that left the window
// leaves every sheet of the customer at its next write (buildTable shows the served window's
// days and the day of grace only), so no later write needs these files.
func (s *Service) expireFiles(ctx context.Context) (int, error) {
	first, _ := s.ServedWindow()
	before := first.AddDate(0, 0, -servedGraceDays).Format(dayLayout)
	n := 0
	for {
		files, err := s.store.ExpireReportFiles(ctx, before, pruneBatch)
		if err != nil {
			return n, fmt.Errorf("expire files: %w", err)
		}
		n += len(files)
		var keys []string
		for _, f := range files {
			if f.Key != "" {
				keys = append(keys, f.Key)
			}
		}
		// The objects are listed as superseded already: one not deleted now is pruned later.
		gone, err := s.deleteObjects(ctx, keys)
		if ferr := s.store.ForgetSuperseded(ctx, gone); ferr != nil {
			return n, fmt.Errorf("expire files: %w", ferr)
		}
		if err != nil {
			return n, fmt.Errorf("expire files: %w", err)
		}
		if len(files) < pruneBatch {
			return n, nil
		}
	}
}

// deleteObjects deletes keys from the file store (one already gone counts as deleted) and
// returns those deleted, up to the first failure.
func (s *Service) deleteObjects(ctx context.Context, keys []string) ([]string, error) {
	gone := make([]string, 0, len(keys))
	for _, k := range keys {
		if err := s.cfg.Files.Delete(ctx, k); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			return gone, fmt.Errorf("delete %s: %w", k, err)
		}
		gone = append(gone, k)
	}
	return gone, nil
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
