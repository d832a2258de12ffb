package naver_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/naversync/naversync/naver"
)

// dayFile builds an AD file of n rows shaped like Naver's.
func dayFile(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		kw := fmt.Sprintf("nkw-a001-01-%012d", i)
		if i%17 == 0 {
			kw = "-"
		}
		fmt.Fprintf(&b, "20260509\t1234567\tcmp-a001-01-%012d\tgrp-a001-01-%012d\t%s\tnad-a001-01-%012d\tbsn-a001-00-000000000001\t27758\t%c\t%d\t%d\t%d.%02d\t%d\t%d\n",
			i/500, i/25, kw, i/25, "PM"[i%2], 100+i%900, i%37, i*7, i%100, (100+i%900)*3, i%4)
	}
	return b.Bytes()
}

// BenchmarkParseAD parses 400 days of 5,000 rows per operation (the
// target is well under 5 s per operation).
func BenchmarkParseAD(b *testing.B) {
	file := dayFile(5000)
	b.SetBytes(int64(len(file)) * 400)
	b.ReportAllocs()
	for b.Loop() {
		var clicks int64
		for range 400 {
			if err := naver.ParseAD(bytes.NewReader(file), "AD", func(r *naver.ADRow) error {
				clicks += r.Clicks
				return nil
			}); err != nil {
				b.Fatal(err)
			}
		}
		if clicks == 0 {
			b.Fatal("no clicks")
		}
	}
}
