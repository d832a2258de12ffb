package service_test

import (
	"context"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/blob/driver"
	"gocloud.dev/gcerrors"

	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/service/servicetest"
	"github.com/naversync/naversync/store"
	"github.com/naversync/naversync/store/storetest"
)

// Hole 6, storage grows without end: the report files of days that left Naver's window were
// never deleted. Now the maintenance deletes them (records and objects) one day after they left
// the window, and the sheet holds what it should: the served window's days, exact, none shown
// as pending (a day that left the window leaves the sheet at the next write, as it always did;
// its files are never read again).
func TestExpiredDaysLeaveStorage(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{})
			w.customer("1001", 1, 2, 2)
			e := w.Engine(servicetest.EngineOptions{FetchWorkers: 1, MaintenanceInterval: 100 * time.Millisecond})
			eng := &engine{svc: e.Service, store: e.Store}
			a := w.account(eng, "A", "1001", "s1", service.LevelKeyword)
			ctx := t.Context()
			first, _ := e.Service.ServedWindow()
			day := func(n int) string { return first.AddDate(0, 0, n).Format(time.DateOnly) }
			// The window's four oldest days.
			sy, _, err := e.Service.EnqueueSync(ctx, service.SyncRequest{AccountID: a.ID, From: day(0), To: day(3)})
			if err != nil {
				t.Fatal(err)
			}
			if s := waitTerminal(t, e.Service, sy.ID)[sy.ID]; s.Status != service.StatusSucceeded {
				t.Fatalf("backfill: %s %+v", s.Status, s.Error)
			}
			files, err := e.Store.ReportFiles(ctx, "1001", nil, day(0), day(3))
			if err != nil || len(files) != 8 {
				t.Fatalf("files of the four days: %d, %v; want 8", len(files), err)
			}
			bucket := openFiles(t, w)
			for _, f := range files {
				if f.State != store.FileBuilt || !exists(t, bucket, f.Key) {
					t.Fatalf("file %+v: not built and stored", f)
				}
			}

			// Three days later the window starts at day(3): day(0) and day(1) are one day or
			// more outside it and go; day(2) (the day that left last) and day(3) stay.
			w.Clock.Advance(72 * time.Hour)
			waitUntil(t, func() bool {
				left, err := e.Store.ReportFiles(ctx, "1001", nil, day(0), day(1))
				if err != nil || len(left) != 0 {
					return false
				}
				for _, f := range files {
					if f.StatDate < day(2) && exists(t, bucket, f.Key) {
						return false
					}
				}
				return true
			})
			for _, f := range files {
				stays := f.StatDate >= day(2)
				if got := exists(t, bucket, f.Key); got != stays {
					t.Errorf("object of %s %s: stored %v, want %v", f.ReportType, f.StatDate, got, stays)
				}
			}
			if kept, err := e.Store.ReportFiles(ctx, "1001", nil, day(2), day(3)); err != nil || len(kept) != 4 {
				t.Fatalf("files of the days still kept: %d, %v; want 4", len(kept), err)
			}

			// The next sync: the sheet shows the window's days the account has (day(3) and
			// yesterday), exact, nothing pending, nothing older.
			sy2 := enqueue(t, eng, a.ID, 1)
			if s := waitTerminal(t, e.Service, sy2.ID)[sy2.ID]; s.Status != service.StatusSucceeded {
				t.Fatalf("refresh: %s %+v", s.Status, s.Error)
			}
			got := sheetTotals(t, w, "s1", "data")
			_, last := e.Service.ServedWindow()
			if len(got) != 2 {
				t.Errorf("sheet days %v, want %s and %s", got, day(3), last.Format(time.DateOnly))
			}
			checkSheetMatchesNaver(t, w, "s1", "1001", last.Format(time.DateOnly), last.Format(time.DateOnly))
			if _, ok := got[day(3)]; !ok {
				t.Errorf("sheet lost %s, a day still served", day(3))
			}
		})
	}
}

// Hole 6: pruning listed every object of the customer after each sync, so its cost grew with
// the customer's whole history. Now it works from the database's list of superseded files: a
// replaced download is deleted once FileRetention has passed, and the file store is never
// listed (counted on the real file store, wrapped).
func TestPruningNeverListsTheFileStore(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := newWorld(t, db, worldOptions{})
			w.customer("1001", 1, 1, 2)
			counted := &countingFiles{}
			e := w.Engine(servicetest.EngineOptions{FetchWorkers: 1, MaintenanceInterval: 100 * time.Millisecond, WrapFiles: counted.wrap})
			eng := &engine{svc: e.Service, store: e.Store}
			a := w.account(eng, "A", "1001", "s1", service.LevelKeyword)
			ctx := t.Context()
			sy := enqueue(t, eng, a.ID, 2)
			if s := waitTerminal(t, e.Service, sy.ID)[sy.ID]; s.Status != service.StatusSucceeded {
				t.Fatalf("first sync: %s %+v", s.Status, s.Error)
			}
			_, last := e.Service.ServedWindow()
			yesterday := last.Format(time.DateOnly)
			before, err := e.Store.ReportFiles(ctx, "1001", []string{"AD"}, yesterday, yesterday)
			if err != nil || len(before) != 1 {
				t.Fatalf("yesterday's AD file: %+v, %v", before, err)
			}
			// Naver revises yesterday; a full refresh downloads it again under a new key.
			w.naver.Revise("1001", last)
			sy2, _, err := e.Service.EnqueueSync(ctx, service.SyncRequest{AccountID: a.ID, Days: 2, Full: true})
			if err != nil {
				t.Fatal(err)
			}
			if s := waitTerminal(t, e.Service, sy2.ID)[sy2.ID]; s.Status != service.StatusSucceeded {
				t.Fatalf("refresh: %s %+v", s.Status, s.Error)
			}
			after, err := e.Store.ReportFiles(ctx, "1001", []string{"AD"}, yesterday, yesterday)
			if err != nil || len(after) != 1 || after[0].Key == before[0].Key {
				t.Fatalf("after the revision: %+v, %v; want a new key", after, err)
			}
			if n := counted.lists.Load(); n != 0 {
				t.Fatalf("the file store was listed %d times by two syncs, want never", n)
			}
			bucket := openFiles(t, w)
			if !exists(t, bucket, before[0].Key) {
				t.Fatal("the replaced object is gone before FileRetention passed")
			}
			w.Clock.Advance(2 * time.Hour) // past the default FileRetention (1h)
			waitUntil(t, func() bool { return !exists(t, bucket, before[0].Key) })
			if !exists(t, bucket, after[0].Key) {
				t.Fatal("pruning deleted the current object")
			}
			waitUntil(t, func() bool {
				keys, err := e.Store.SupersededFiles(ctx, "", w.Clock.Now().Add(time.Hour), 100)
				return err == nil && len(keys) == 0
			})
			checkSheetMatchesNaver(t, w, "s1", "1001", yesterday, yesterday)
			if n := counted.lists.Load(); n != 0 {
				t.Fatalf("the file store was listed %d times, want never", n)
			}
		})
	}
}

// openFiles opens the world's file store apart from the engine's, to look at it.
func openFiles(t *testing.T, w *world) *blob.Bucket {
	t.Helper()
	b, err := blob.OpenBucket(t.Context(), "file://"+w.FilesDir+"?create_dir=1&metadata=skip&no_tmp_dir=1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func exists(t *testing.T, b *blob.Bucket, key string) bool {
	t.Helper()
	ok, err := b.Exists(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// countingFiles wraps a real bucket (the engine's fileblob store) as a gocloud driver, counting
// the listings (ListPaged) and passing every call through.
type countingFiles struct {
	lists atomic.Int64
}

func (c *countingFiles) wrap(b *blob.Bucket) *blob.Bucket {
	return blob.NewBucket(&countingDriver{b: b, c: c})
}

type countingDriver struct {
	b *blob.Bucket
	c *countingFiles
}

func (d *countingDriver) ErrorCode(err error) gcerrors.ErrorCode { return gcerrors.Code(err) }
func (d *countingDriver) As(i any) bool                          { return d.b.As(i) }
func (d *countingDriver) ErrorAs(err error, i any) bool          { return d.b.ErrorAs(err, i) }
func (d *countingDriver) Close() error                           { return nil } // the engine's harness closes b

func (d *countingDriver) Attributes(ctx context.Context, key string) (*driver.Attributes, error) {
	a, err := d.b.Attributes(ctx, key)
	if err != nil {
		return nil, err
	}
	return &driver.Attributes{ContentType: a.ContentType, Metadata: a.Metadata, ModTime: a.ModTime, Size: a.Size, MD5: a.MD5, ETag: a.ETag}, nil
}

func (d *countingDriver) ListPaged(ctx context.Context, opts *driver.ListOptions) (*driver.ListPage, error) {
	d.c.lists.Add(1)
	token := opts.PageToken
	if len(token) == 0 {
		token = blob.FirstPageToken
	}
	size := opts.PageSize
	if size <= 0 {
		size = 1000
	}
	objs, next, err := d.b.ListPage(ctx, token, size, &blob.ListOptions{Prefix: opts.Prefix, Delimiter: opts.Delimiter})
	if err != nil && err != io.EOF {
		return nil, err
	}
	page := &driver.ListPage{NextPageToken: next}
	for _, o := range objs {
		page.Objects = append(page.Objects, &driver.ListObject{Key: o.Key, ModTime: o.ModTime, Size: o.Size, MD5: o.MD5, IsDir: o.IsDir})
	}
	return page, nil
}

func (d *countingDriver) NewRangeReader(ctx context.Context, key string, offset, length int64, _ *driver.ReaderOptions) (driver.Reader, error) {
	r, err := d.b.NewRangeReader(ctx, key, offset, length, nil)
	if err != nil {
		return nil, err
	}
	return countingReader{r}, nil
}

func (d *countingDriver) NewTypedWriter(ctx context.Context, key, contentType string, opts *driver.WriterOptions) (driver.Writer, error) {
	return d.b.NewWriter(ctx, key, &blob.WriterOptions{ContentType: contentType, Metadata: opts.Metadata})
}

func (d *countingDriver) Copy(ctx context.Context, dst, src string, _ *driver.CopyOptions) error {
	return d.b.Copy(ctx, dst, src, nil)
}

func (d *countingDriver) Delete(ctx context.Context, key string, _ *driver.DeleteOptions) error {
	return d.b.Delete(ctx, key)
}

func (d *countingDriver) SignedURL(ctx context.Context, key string, _ *driver.SignedURLOptions) (string, error) {
	return d.b.SignedURL(ctx, key, nil)
}

type countingReader struct{ r *blob.Reader }

func (r countingReader) Read(p []byte) (int, error) { return r.r.Read(p) }
func (r countingReader) Close() error               { return r.r.Close() }
func (r countingReader) As(i any) bool              { return r.r.As(i) }
func (r countingReader) Attributes() *driver.ReaderAttributes {
	return &driver.ReaderAttributes{ContentType: r.r.ContentType(), ModTime: r.r.ModTime(), Size: r.r.Size()}
}
