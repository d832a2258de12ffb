package service

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob"
)

// failingReader gives n bytes of a file, then fails: a copy into the file store cut short.
type failingReader struct {
	r io.Reader
	n int
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("disk read failed")
	}
	if len(p) > f.n {
		p = p[:f.n]
	}
	n, err := f.r.Read(p)
	f.n -= n
	return n, err
}

// A copy into the file store that fails half way commits nothing under the file's name (a
// file:// bucket would otherwise keep the half it got), so the next download of the same
// content is copied again rather than taken for already stored; an object of the wrong size
// under the name is replaced.
func TestPutFileIsWholeOrNothing(t *testing.T) {
	dir := t.TempDir()
	u := url.URL{Scheme: "file", Path: filepath.Join(dir, "files"), RawQuery: "create_dir=1&metadata=skip&no_tmp_dir=1"}
	bucket, err := blob.OpenBucket(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer bucket.Close()
	s := &Service{cfg: Config{Files: bucket}}
	ctx := t.Context()
	content := []byte(strings.Repeat("20260714\t1001\tcmp\tgrp\tkw\tad\tbiz\t27758\tP\t10\t1\t100\t10\t0\n", 200))
	const key = "reports/1001/AD/2026/20260714-abc.tsv"

	err = s.putFile(ctx, key, &failingReader{r: bytes.NewReader(content), n: 100}, int64(len(content)))
	if err == nil {
		t.Fatal("a failed copy reported success")
	}
	if ok, _ := bucket.Exists(ctx, key); ok {
		a, _ := bucket.Attributes(ctx, key)
		t.Fatalf("a failed copy left a %d-byte object under the name of the %d-byte file", a.Size, len(content))
	}
	// A truncated object some older code left under the name is replaced, not taken as stored.
	if err := bucket.WriteAll(ctx, key, content[:100], nil); err != nil {
		t.Fatal(err)
	}
	if err := s.putFile(ctx, key, bytes.NewReader(content), int64(len(content))); err != nil {
		t.Fatal(err)
	}
	got, err := bucket.ReadAll(ctx, key)
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("stored %d bytes (%v), want the whole %d", len(got), err, len(content))
	}
}
