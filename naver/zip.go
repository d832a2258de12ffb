package naver

import (
	"archive/zip"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrDamaged is the cause of a download whose content failed its checks: a
// zip archive that does not open or whose entry fails its checksum, or a
// row with fewer columns than the report's layout. It is retried like a
// transport failure: a fresh download usually arrives whole.
var ErrDamaged = errors.New("naver: damaged download")

// Downloads ask for a zip (X-Accept-Encoding: zip, docs/naver-api.md "Download"):
// a report's TSV shrinks about tenfold, and the transfer is what a large
// account's fetch waits for. A zip's directory is at its end, so the archive
// is spooled to a temporary file, opened (which checks the directory), and
// its entries are unpacked into the sink, each checked against its CRC-32 as
// it is read to the end. The sink so receives plain TSV either way, and
// processing reads the same files as before. An answer that is not a zip
// (no "PK" signature) is taken as plain TSV.
const acceptZip = "zip"

// receive copies a download answer body into w, unpacking a zip, and checks
// every row for at least columns columns (0: no check). It returns the TSV
// bytes written and the bytes received.
func (c *Client) receive(body io.Reader, w io.Writer, columns int) (written, wire int64, err error) {
	br := bufio.NewReaderSize(body, 64<<10)
	sig, _ := br.Peek(4)
	rows := &rowChecker{w: w, columns: columns}
	if !isZip(sig) {
		n, err := io.Copy(rows, &bodyReader{r: br})
		if err == nil {
			err = rows.finish()
		}
		return rows.n, n, err
	}
	f, err := os.CreateTemp(c.opts.TempDir, "naver-*.zip")
	if err != nil {
		return 0, 0, fmt.Errorf("spool zip: %w", err)
	}
	defer func() {
		_ = f.Close()
		_ = os.Remove(f.Name())
	}()
	wire, err = io.Copy(f, &bodyReader{r: br})
	if err != nil {
		var re *readError
		if errors.As(err, &re) {
			return 0, wire, err
		}
		return 0, wire, fmt.Errorf("spool zip: %w", err)
	}
	zr, err := zip.NewReader(f, wire)
	if err != nil {
		return 0, wire, fmt.Errorf("zip of %d bytes: %w: %w", wire, ErrDamaged, err)
	}
	for _, e := range zr.File {
		if e.FileInfo().IsDir() {
			continue
		}
		if err := unpack(e, rows); err != nil {
			return rows.n, wire, err
		}
	}
	return rows.n, wire, rows.finish()
}

// unpack copies one zip entry into rows; a checksum or inflate failure is
// ErrDamaged.
func unpack(e *zip.File, rows *rowChecker) error {
	r, err := e.Open()
	if err != nil {
		return fmt.Errorf("zip entry %q: %w: %w", e.Name, ErrDamaged, err)
	}
	defer r.Close()
	if _, err := io.Copy(rows, &bodyReader{r: r}); err != nil {
		var re *readError
		if errors.As(err, &re) {
			return fmt.Errorf("zip entry %q: %w: %w", e.Name, ErrDamaged, re.err)
		}
		return err
	}
	return nil
}

// isZip tells a zip archive (a local file header, or the end record of an
// empty archive) from TSV by its first bytes.
func isZip(sig []byte) bool {
	return bytes.HasPrefix(sig, []byte("PK\x03\x04")) || bytes.HasPrefix(sig, []byte("PK\x05\x06"))
}

// rowChecker passes bytes through to w and checks that every row has at
// least columns tab-separated fields, so that a file cut short or of
// another layout is refused before it is recorded.
type rowChecker struct {
	w       io.Writer
	columns int
	n       int64
	line    int
	tabs    int  // tabs seen on the current line
	partial bool // the current line has bytes
}

func (r *rowChecker) Write(p []byte) (int, error) {
	if r.columns > 0 {
		rest := p
		for len(rest) > 0 {
			i := bytes.IndexByte(rest, '\n')
			if i < 0 {
				r.tabs += bytes.Count(rest, []byte{'\t'})
				r.partial = true
				break
			}
			if err := r.endLine(rest[:i]); err != nil {
				return 0, err
			}
			rest = rest[i+1:]
		}
	}
	n, err := r.w.Write(p)
	r.n += int64(n)
	return n, err
}

// endLine checks the line that ends with seg (its earlier bytes were counted).
func (r *rowChecker) endLine(seg []byte) error {
	r.line++
	tabs := r.tabs + bytes.Count(seg, []byte{'\t'})
	empty := !r.partial && len(bytes.TrimRight(seg, "\r")) == 0
	r.tabs, r.partial = 0, false
	if !empty && tabs+1 < r.columns {
		return fmt.Errorf("row %d has %d columns, want at least %d: %w", r.line, tabs+1, r.columns, ErrDamaged)
	}
	return nil
}

// finish checks a last row that has no newline.
func (r *rowChecker) finish() error {
	if r.columns > 0 && r.partial {
		return r.endLine(nil)
	}
	return nil
}
