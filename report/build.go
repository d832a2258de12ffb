package report

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"github.com/naversync/naversync/naver"
)

// DayFiles are what one day of a table is built from.
type DayFiles struct {
	Day time.Time
	// Complete: every report of the day is final (built or none). An incomplete day is shown as
	// one pending row.
	Complete bool
	// Files are the day's files that have rows, in the order of the tab's ReportTypes.
	Files []File
	// None are the day's report types Naver answered NONE for (nothing to report): each is
	// parsed as an empty file, so that a tab reads "none" as zero, never as a report it lacks
	// (the shopping search terms tab shows a day without a conversion file as unknown).
	None []string
}

// File is one stored report file.
type File struct {
	ReportType string
	// Key names the file for its Opener and in errors.
	Key string
	// Size is the bytes recorded for it: the file must read back whole.
	Size int64
}

// Opener opens a stored file. A file that is gone should be answered with a *DamagedError, so
// that its day is shown pending and the file fetched again.
type Opener func(ctx context.Context, f File) (io.ReadCloser, error)

// DamagedError: a stored file is missing, or does not read back as what was recorded (its size,
// its row layout). Build shows its day as pending and reports it (DayResult.Damaged).
type DamagedError struct {
	File File
	Err  error
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("stored report %s damaged: %v", e.File.Key, e.Err)
}

func (e *DamagedError) Unwrap() error { return e.Err }

// DayResult is what Build did with one day.
type DayResult struct {
	// Pending: the day was shown as one pending row (incomplete, or a file damaged).
	Pending bool
	// Damaged is the file that made a complete day pending, if any.
	Damaged *DamagedError
	// Names is WriteDay's digest of the names the day's rows show ("" when pending).
	Names string
	// Rows are the rows appended for the day.
	Rows int
}

// Build parses and aggregates days in parallel (one per core) and writes them to t in order,
// newest first as given. At most a few days are in memory at once. onDay is called after each
// day is written, in order, from one goroutine; its error stops the build.
func Build(ctx context.Context, t Table, days []DayFiles, open Opener, onDay func(i int, r DayResult) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := max(1, runtime.GOMAXPROCS(0))
	type result struct {
		t   Day
		err error
	}
	// One channel per day, filled by whichever worker parsed it; the writer reads them in order.
	slots := make([]chan result, len(days))
	for i := range slots {
		slots[i] = make(chan result, 1)
	}
	// A token per day in flight bounds memory. The dispatcher takes the tokens in day order, so
	// the day the writer waits for always has one.
	inFlight := make(chan struct{}, 2*workers)
	next := make(chan int)
	go func() {
		defer close(next)
		for i := range days {
			select {
			case inFlight <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	for w := 0; w < workers; w++ {
		go func() {
			for i := range next {
				var d Day
				var err error
				if days[i].Complete {
					d, err = parseDay(ctx, t, open, days[i])
				}
				slots[i] <- result{d, err}
			}
		}()
	}
	for i := range days {
		var res result
		select {
		case res = <-slots[i]:
		case <-ctx.Done():
			return ctx.Err()
		}
		<-inFlight
		d := days[i]
		var out DayResult
		var damaged *DamagedError
		switch {
		case errors.As(res.err, &damaged):
			out.Damaged = damaged
			d.Complete = false
		case res.err != nil:
			return res.err
		}
		before := t.Rows()
		if d.Complete {
			shown, err := t.WriteDay(res.t)
			if err != nil {
				return err
			}
			out.Names = shown
		} else {
			if err := t.WritePending(d.Day); err != nil {
				return err
			}
			out.Pending = true
		}
		out.Rows = t.Rows() - before
		if err := onDay(i, out); err != nil {
			return err
		}
	}
	return nil
}

// parseDay aggregates one day's files.
func parseDay(ctx context.Context, t Table, open Opener, d DayFiles) (Day, error) {
	day := t.NewDay(d.Day)
	for _, tp := range d.None {
		if err := day.Parse(tp, strings.NewReader(""), tp+" NONE"); err != nil {
			return nil, err
		}
	}
	for _, f := range d.Files {
		if err := parseFile(ctx, open, f, func(r io.Reader) error { return day.Parse(f.ReportType, r, f.Key) }); err != nil {
			return nil, err
		}
	}
	return day, nil
}

// parseFile reads a stored file through parse, checking that it is all there: as many bytes as
// were recorded, every row in its layout.
func parseFile(ctx context.Context, open Opener, f File, parse func(io.Reader) error) error {
	r, err := open(ctx, f)
	if err != nil {
		return err
	}
	defer func() { _ = r.Close() }()
	cr := &countingReader{r: r}
	if err := parse(bufio.NewReaderSize(cr, 128<<10)); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &DamagedError{File: f, Err: fmt.Errorf("%w: %v", ErrBadFile, err)}
	}
	if cr.n != f.Size {
		return &DamagedError{File: f, Err: fmt.Errorf("%d bytes stored, %d recorded", cr.n, f.Size)}
	}
	return nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// Verify reads a downloaded report file in its report's row layout (every row with the
// documented columns, a date first): a file cut short, or not a report, is never stored.
func Verify(reportType string, r io.Reader, name string) error {
	switch reportType {
	case ReportAD:
		return naver.ParseAD(r, name, func(*naver.ADRow) error { return nil })
	case ReportADConversion:
		return naver.ParseADConversion(r, name, func(*naver.ConversionRow) error { return nil })
	case ReportExpKeyword:
		return naver.ParseSearchTerms(r, name, func(*naver.SearchTermRow) error { return nil })
	case ReportShoppingKeyword:
		return naver.ParseShoppingTerms(r, name, func(*naver.ShoppingTermRow) error { return nil })
	case ReportShoppingConversion:
		return naver.ParseShoppingConversions(r, name, func(*naver.ShoppingConversionRow) error { return nil })
	}
	return naver.ParseRows(r, name, reportType, func([]string) error { return nil })
}
