package naver_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/naversync/naversync/naver"
)

// The fuzz targets check that parsing never panics, that every failure is
// a *ParseError naming the file and a line within the input, and that the
// rows handed out are consistent with the input.
func FuzzParseAD(f *testing.F) {
	f.Add([]byte("20260509\t1234\tcmp-1\tgrp-1\tnkw-1\tnad-1\tbsn-1\t27758\tP\t100\t7\t636.36\t250\t2\n"))
	f.Add([]byte("20260509\t1\tc\tg\t-\t-\tb\tm\tM\t1\t0\t0\t1\r\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows := 0
		err := naver.ParseAD(bytes.NewReader(data), "fuzz.tsv", func(r *naver.ADRow) error {
			rows++
			if r.Date.IsZero() {
				t.Fatal("row without a date")
			}
			return nil
		})
		checkFuzzResult(t, data, rows, err)
	})
}

func FuzzParseADConversion(f *testing.F) {
	f.Add([]byte("20260509\t1234\tcmp-1\tgrp-1\t-\tnad-1\tbsn-1\t27758\tM\t2\tpurchase\t3\t45000\n"))
	f.Add([]byte("20240702\t1\tc\tg\tk\ta\tb\tm\tP\t1\t1\t1\t9900.5\textra\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows := 0
		err := naver.ParseADConversion(bytes.NewReader(data), "fuzz.tsv", func(r *naver.ConversionRow) error {
			rows++
			if r.Date.IsZero() {
				t.Fatal("row without a date")
			}
			return nil
		})
		checkFuzzResult(t, data, rows, err)
	})
}

func checkFuzzResult(t *testing.T, data []byte, rows int, err error) {
	t.Helper()
	lines := bytes.Count(data, []byte("\n")) + 1
	if rows > lines {
		t.Fatalf("%d rows from %d lines", rows, lines)
	}
	if err == nil {
		return
	}
	var pe *naver.ParseError
	if errors.As(err, &pe) {
		if pe.File != "fuzz.tsv" || pe.Line < 1 || pe.Line > lines {
			t.Fatalf("bad ParseError %+v for %d lines", pe, lines)
		}
		return
	}
	// Otherwise only a scanner error (a line over 4 MiB) is acceptable.
	if len(data) < 4<<20 {
		t.Fatalf("unexpected error %v", err)
	}
}
