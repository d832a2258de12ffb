package naver_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/naversync/naversync/naver"
)

func TestParseRowsEveryDocumentedType(t *testing.T) {
	for _, tp := range naver.ReportTypes() {
		t.Run(tp, func(t *testing.T) {
			n := naver.ReportColumns[tp]
			cols := make([]string, n+2) // two columns appended by a later Naver release
			cols[0] = "20261125"
			for i := 1; i < len(cols); i++ {
				cols[i] = "x"
			}
			in := strings.Join(cols, "\t") + "\n" + strings.Join(cols, "\t") + "\n"
			rows := 0
			if err := naver.ParseRows(strings.NewReader(in), "f.tsv", tp, func(f []string) error {
				rows++
				if len(f) != n || f[0] != "20261125" {
					t.Fatalf("fields %q, want %d documented columns", f, n)
				}
				return nil
			}); err != nil || rows != 2 {
				t.Fatalf("rows %d err %v", rows, err)
			}
			short := strings.Join(cols[:n-1], "\t") + "\n"
			err := naver.ParseRows(strings.NewReader(short), "short.tsv", tp, func([]string) error { return nil })
			var pe *naver.ParseError
			if !errors.As(err, &pe) || pe.File != "short.tsv" || pe.Line != 1 || !errors.Is(err, naver.ErrColumns) {
				t.Fatalf("short row: %v, want a ParseError naming short.tsv line 1", err)
			}
		})
	}
	if err := naver.ParseRows(strings.NewReader(""), "f", "NOPE", func([]string) error { return nil }); err == nil {
		t.Error("an unknown report type was accepted")
	}
}
