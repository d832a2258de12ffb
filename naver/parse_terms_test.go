package naver_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/naversync/naversync/naver"
)

// EXPKEYWORD rows: the search term verbatim (UTF-8, spaces kept, empty, "-"), every match type
// code (other codes kept as given), decimal and integer costs, extra trailing columns, CRLF and
// a BOM.
func TestParseSearchTerms(t *testing.T) {
	in := "\xef\xbb\xbf20260509\t1234\tcmp-1\tgrp-1\t러닝화 \t27758\tP\t0\t100\t7\t636.36\t2\n" +
		"20260509\t1234\tcmp-1\tgrp-1\t\t8753\tM\t5\t50\t0\t0\t0\textra\tcolumns\n" +
		"20260509\t1234\tcmp-1\tgrp-1\t-\t8753\tM\t1\t1\t1\t700\t0\r\n" +
		"\n" +
		"20260509\t1234\tcmp-1\tgrp-2\trunning  shoes\t8753\tP\t2\t3\t0\t0.5\t1\n" +
		"20260509\t1234\tcmp-1\tgrp-2\tshoes\t8753\tP\t7\t3\t0\t1\t0\n"
	var rows []naver.SearchTermRow
	err := naver.ParseSearchTerms(strings.NewReader(in), "exp.tsv", func(r *naver.SearchTermRow) error {
		rows = append(rows, *r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	d := time.Date(2026, 5, 9, 0, 0, 0, 0, time.UTC)
	row := func(g, term, media, dev string, match int, impr, clicks int64, cost float64, views int64) naver.SearchTermRow {
		return naver.SearchTermRow{Date: d, CustomerID: "1234", CampaignID: "cmp-1", AdgroupID: g, SearchTerm: term, MediaCode: media,
			Device: dev, MatchType: match, Impressions: impr, Clicks: clicks, Cost: cost, Views: views}
	}
	want := []naver.SearchTermRow{
		row("grp-1", "러닝화 ", "27758", "P", 0, 100, 7, 636.36, 2),
		row("grp-1", "", "8753", "M", 5, 50, 0, 0, 0),
		row("grp-1", "-", "8753", "M", 1, 1, 1, 700, 0),
		row("grp-2", "running  shoes", "8753", "P", 2, 3, 0, 0.5, 1),
		row("grp-2", "shoes", "8753", "P", 7, 3, 0, 1, 0),
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(rows), len(want), rows)
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("row %d = %+v\nwant %+v", i, rows[i], want[i])
		}
	}
}

// SHOPPINGKEYWORD_DETAIL and SHOPPINGKEYWORD_CONVERSION_DETAIL rows: every column in place,
// the search term verbatim, extra columns ignored.
func TestParseShoppingTerms(t *testing.T) {
	in := "20260509\t1234\tcmp-1\tgrp-1\t나이키 운동화\tnad-1\tbsn-1\t09\t01\t27758\tM\t120\t4\t1500\t360\t1\tnew\n" +
		"20260509\t1234\tcmp-1\tgrp-1\t\tnad-2\tbsn-1\t23\t17\t8753\tP\t1\t0\t12.5\t2\t0\n"
	var rows []naver.ShoppingTermRow
	if err := naver.ParseShoppingTerms(strings.NewReader(in), "shop.tsv", func(r *naver.ShoppingTermRow) error {
		rows = append(rows, *r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	d := time.Date(2026, 5, 9, 0, 0, 0, 0, time.UTC)
	want := []naver.ShoppingTermRow{
		{Date: d, CustomerID: "1234", CampaignID: "cmp-1", AdgroupID: "grp-1", SearchTerm: "나이키 운동화", AdID: "nad-1", BizChannelID: "bsn-1",
			Hour: "09", RegionCode: "01", MediaCode: "27758", Device: "M", Impressions: 120, Clicks: 4, Cost: 1500, RankSum: 360, Views: 1},
		{Date: d, CustomerID: "1234", CampaignID: "cmp-1", AdgroupID: "grp-1", AdID: "nad-2", BizChannelID: "bsn-1",
			Hour: "23", RegionCode: "17", MediaCode: "8753", Device: "P", Impressions: 1, Cost: 12.5, RankSum: 2},
	}
	if len(rows) != 2 || rows[0] != want[0] || rows[1] != want[1] {
		t.Errorf("rows %+v\nwant %+v", rows, want)
	}

	conv := "20260509\t1234\tcmp-1\tgrp-1\t나이키 운동화\tnad-1\tbsn-1\t09\t01\t27758\tM\t2\tpurchase\t3\t45000\textra\n" +
		"20260509\t1234\tcmp-1\tgrp-1\t-\tnad-1\tbsn-1\t10\t01\t27758\tP\t1\tsign_up\t1\t9900.5\n"
	var cv []naver.ShoppingConversionRow
	if err := naver.ParseShoppingConversions(strings.NewReader(conv), "shopconv.tsv", func(r *naver.ShoppingConversionRow) error {
		cv = append(cv, *r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	wantCV := []naver.ShoppingConversionRow{
		{Date: d, CustomerID: "1234", CampaignID: "cmp-1", AdgroupID: "grp-1", SearchTerm: "나이키 운동화", AdID: "nad-1", BizChannelID: "bsn-1",
			Hour: "09", RegionCode: "01", MediaCode: "27758", Device: "M", Method: 2, ConversionType: "purchase", Conversions: 3, Sales: 45000},
		{Date: d, CustomerID: "1234", CampaignID: "cmp-1", AdgroupID: "grp-1", SearchTerm: "-", AdID: "nad-1", BizChannelID: "bsn-1",
			Hour: "10", RegionCode: "01", MediaCode: "27758", Device: "P", Method: 1, ConversionType: "sign_up", Conversions: 1, Sales: 9900.5},
	}
	if len(cv) != 2 || cv[0] != wantCV[0] || cv[1] != wantCV[1] {
		t.Errorf("conversion rows %+v\nwant %+v", cv, wantCV)
	}
}

// Malformed search term rows fail with a ParseError naming the file, the line and the column.
func TestParseSearchTermErrors(t *testing.T) {
	exp := func(s string) error {
		return naver.ParseSearchTerms(strings.NewReader(s), "f.tsv", func(*naver.SearchTermRow) error { return nil })
	}
	shop := func(s string) error {
		return naver.ParseShoppingTerms(strings.NewReader(s), "f.tsv", func(*naver.ShoppingTermRow) error { return nil })
	}
	shopConv := func(s string) error {
		return naver.ParseShoppingConversions(strings.NewReader(s), "f.tsv", func(*naver.ShoppingConversionRow) error { return nil })
	}
	good := "20260509\t1\tc\tg\tterm\tm\tP\t0\t1\t1\t1.5\t0\n"
	tests := []struct {
		name, in string
		parse    func(string) error
		wantLine int
		want     string
	}{
		{"bad date", "2026-05-09\t1\tc\tg\tterm\tm\tP\t0\t1\t1\t1\t0\n", exp, 1, "bad date"},
		{"empty date", "\t1\tc\tg\tterm\tm\tP\t0\t1\t1\t1\t0\n", exp, 1, "bad date"},
		{"bad match type", good + "20260509\t1\tc\tg\tterm\tm\tP\texact\t1\t1\t1\t0\n", exp, 2, `bad integer "exact"`},
		{"bad cost", good + good + "20260509\t1\tc\tg\tterm\tm\tP\t0\t1\t1\t1,5\t0\n", exp, 3, `bad number "1,5"`},
		{"no view count", "20260509\t1\tc\tg\tterm\tm\tP\t0\t1\t1\t1\n", exp, 1, "too few columns"},
		{"shopping too few", "20260509\t1\tc\tg\tterm\ta\tb\t09\t01\tm\tP\t1\t1\t1\t1\n", shop, 1, "too few columns"},
		{"shopping bad rank", "20260509\t1\tc\tg\tterm\ta\tb\t09\t01\tm\tP\t1\t1\t1\tx\t0\n", shop, 1, `bad number "x"`},
		{"conversion bad count", "20260509\t1\tc\tg\tterm\ta\tb\t09\t01\tm\tP\t1\tpurchase\tmany\t1\n", shopConv, 1, `bad integer "many"`},
		{"conversion bad date", "2026050\t1\tc\tg\tterm\ta\tb\t09\t01\tm\tP\t1\tpurchase\t1\t1\n", shopConv, 1, "bad date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.parse(tt.in)
			var pe *naver.ParseError
			if !errors.As(err, &pe) || pe.File != "f.tsv" || pe.Line != tt.wantLine || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %s at f.tsv line %d", err, tt.want, tt.wantLine)
			}
		})
	}
	if err := exp(good); err != nil {
		t.Errorf("good row: %v", err)
	}
}

func FuzzParseSearchTerms(f *testing.F) {
	f.Add([]byte("20260509\t1234\tcmp-1\tgrp-1\t러닝화\t27758\tP\t5\t100\t7\t636.36\t2\n"))
	f.Add([]byte("20260509\t1\tc\tg\t\tm\tM\t1\t1\t0\t0\t0\textra\r\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows := 0
		err := naver.ParseSearchTerms(bytes.NewReader(data), "fuzz.tsv", func(r *naver.SearchTermRow) error {
			rows++
			if r.Date.IsZero() {
				t.Fatal("row without a date")
			}
			return nil
		})
		checkFuzzResult(t, data, rows, err)
	})
}

func FuzzParseShoppingTerms(f *testing.F) {
	f.Add([]byte("20260509\t1234\tcmp-1\tgrp-1\t나이키 운동화\tnad-1\tbsn-1\t09\t01\t27758\tM\t120\t4\t1500\t360\t1\n"))
	f.Add([]byte("20260509\t1\tc\tg\t-\ta\tb\t09\t01\tm\tP\t2\tpurchase\t3\t45000\textra\r\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows := 0
		err := naver.ParseShoppingTerms(bytes.NewReader(data), "fuzz.tsv", func(r *naver.ShoppingTermRow) error {
			rows++
			if r.Date.IsZero() {
				t.Fatal("row without a date")
			}
			return nil
		})
		checkFuzzResult(t, data, rows, err)
		rows = 0
		err = naver.ParseShoppingConversions(bytes.NewReader(data), "fuzz.tsv", func(r *naver.ShoppingConversionRow) error {
			rows++
			if r.Date.IsZero() {
				t.Fatal("row without a date")
			}
			return nil
		})
		checkFuzzResult(t, data, rows, err)
	})
}
