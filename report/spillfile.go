package report

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"time"
)

// spillFile is the temporary file a table holds its rows in while it is built: fixed-size
// records appended in the sheet's order, then read back once as the sheet's rows. What a record
// holds is the tab's: each tab has one type that encodes and decodes its records (spill for the
// performance tab, termSpill for the search term tabs); spillFile only stores them.
type spillFile struct {
	f       *os.File
	w       *bufio.Writer
	rows    int
	readErr error // set when reading the rows back failed; the write must then not count
}

func newSpillFile(dir string) (*spillFile, error) {
	f, err := os.CreateTemp(dir, "rows-*.bin")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSpill, err)
	}
	return &spillFile{f: f, w: bufio.NewWriterSize(f, 256<<10)}, nil
}

// Rows is how many records were appended.
func (s *spillFile) Rows() int { return s.rows }

// Err is the failure that cut the reading back short, if any.
func (s *spillFile) Err() error { return s.readErr }

// Close removes the file.
func (s *spillFile) Close() {
	_ = s.f.Close()
	_ = os.Remove(s.f.Name())
}

// put appends one record.
func (s *spillFile) put(b []byte) error {
	if _, err := s.w.Write(b); err != nil {
		return fmt.Errorf("%w: %v", ErrSpill, err)
	}
	s.rows++
	return nil
}

// flush writes what is buffered, before the records are read back.
func (s *spillFile) flush() error {
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("%w: %v", ErrSpill, err)
	}
	return nil
}

// records reads the records of size bytes back in order, until fn returns false; the slice is
// reused. A failure to read is Err's.
func (s *spillFile) records(size int, fn func(b []byte) bool) {
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		s.readErr = err
		return
	}
	r := bufio.NewReaderSize(s.f, 256<<10)
	b := make([]byte, size)
	for i := 0; i < s.rows; i++ {
		if _, err := io.ReadFull(r, b); err != nil {
			s.readErr = err
			return
		}
		if !fn(b) {
			return
		}
	}
}

// dayNumber is how a record holds its day: days since the sheet's epoch.
func dayNumber(day time.Time) int32 { return int32(day.Sub(sheetEpoch).Hours() / 24) }

// dayValues boxes the day of records read back once per run of records of one day.
type dayValues struct {
	last  int32
	value any
	set   bool
}

// of is the sheet's value of a record's day number.
func (d *dayValues) of(n int32) any {
	if !d.set || n != d.last {
		d.last, d.value, d.set = n, sheetEpoch.AddDate(0, 0, int(n)), true
	}
	return d.value
}
