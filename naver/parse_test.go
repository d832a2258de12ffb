package naver_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/naversync/naversync/naver"
)

func TestParseAD(t *testing.T) {
	in := "20260509\t1234\tcmp-1\tgrp-1\tnkw-1\tnad-1\tbsn-1\t27758\tP\t100\t7\t636.36\t250\t2\n" +
		"20260509\t1234\tcmp-1\tgrp-1\t-\t-\tbsn-1\t8753\tM\t50\t0\t0\t120\t0\textra\tcolumns\there\n" +
		"\n" + // blank lines are skipped
		"20260509\t1234\tcmp-1\tgrp-2\tnkw-2\tnad-2\tbsn-1\t8753\tM\t10\t1\t700\t30\r\n" // old 13 columns, CRLF
	var rows []naver.ADRow
	err := naver.ParseAD(strings.NewReader(in), "ad.tsv", func(r *naver.ADRow) error {
		rows = append(rows, *r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []naver.ADRow{
		{Date: time.Date(2026, 5, 9, 0, 0, 0, 0, time.UTC), CustomerID: "1234", CampaignID: "cmp-1", AdgroupID: "grp-1", KeywordID: "nkw-1", AdID: "nad-1", BizChannelID: "bsn-1", MediaCode: "27758", Device: "P", Impressions: 100, Clicks: 7, Cost: 636.36, RankSum: 250, Views: 2},
		{Date: time.Date(2026, 5, 9, 0, 0, 0, 0, time.UTC), CustomerID: "1234", CampaignID: "cmp-1", AdgroupID: "grp-1", KeywordID: "-", AdID: "-", BizChannelID: "bsn-1", MediaCode: "8753", Device: "M", Impressions: 50, RankSum: 120},
		{Date: time.Date(2026, 5, 9, 0, 0, 0, 0, time.UTC), CustomerID: "1234", CampaignID: "cmp-1", AdgroupID: "grp-2", KeywordID: "nkw-2", AdID: "nad-2", BizChannelID: "bsn-1", MediaCode: "8753", Device: "M", Impressions: 10, Clicks: 1, Cost: 700, RankSum: 30},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("row %d = %+v\nwant %+v", i, rows[i], want[i])
		}
	}
}

func TestParseErrorsNameFileAndLine(t *testing.T) {
	good := "20260509\t1\tc\tg\tk\ta\tb\tm\tP\t1\t1\t1.5\t1\t0\n"
	tests := []struct {
		name, in string
		parse    func(string) error
		wantLine int
		want     string
	}{
		{"bad impressions", good + good + "20260509\t1\tc\tg\tk\ta\tb\tm\tP\tx1\t1\t1\t1\t0\n", parseAD, 3, `bad integer "x1"`},
		{"bad cost", good + "20260509\t1\tc\tg\tk\ta\tb\tm\tP\t1\t1\t1,5\t1\t0\n", parseAD, 2, `bad number "1,5"`},
		{"bad date", "2026-05-09\t1\tc\tg\tk\ta\tb\tm\tP\t1\t1\t1\t1\t0\n", parseAD, 1, "bad date"},
		{"too few columns", good + "20260509\t1\tc\n", parseAD, 2, "too few columns"},
		{"conversion bad count", "20260509\t1\tc\tg\tk\ta\tb\tm\tP\t1\tpurchase\tmany\t100\n", parseConv, 1, `bad integer "many"`},
		{"conversion too few", "20260509\t1\tc\tg\tk\ta\tb\tm\tP\t1\tpurchase\t1\n", parseConv, 1, "too few columns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.parse(tt.in)
			var pe *naver.ParseError
			if !errors.As(err, &pe) || pe.File != "20260509-AD.tsv" || pe.Line != tt.wantLine || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %s at 20260509-AD.tsv line %d", err, tt.want, tt.wantLine)
			}
			if !strings.Contains(err.Error(), "20260509-AD.tsv line ") {
				t.Errorf("error %q does not name file and line", err)
			}
		})
	}
}

func parseAD(s string) error {
	return naver.ParseAD(strings.NewReader(s), "20260509-AD.tsv", func(*naver.ADRow) error { return nil })
}

func parseConv(s string) error {
	return naver.ParseADConversion(strings.NewReader(s), "20260509-AD.tsv", func(*naver.ConversionRow) error { return nil })
}

func TestParseADConversion(t *testing.T) {
	in := "20260509\t1234\tcmp-1\tgrp-1\t-\tnad-1\tbsn-1\t27758\tM\t2\tpurchase\t3\t45000\tnew\n" +
		"20240702\t1234\tcmp-1\tgrp-1\tnkw-1\tnad-1\tbsn-1\t27758\tP\t1\t1\t1\t9900.5\n"
	var rows []naver.ConversionRow
	if err := naver.ParseADConversion(strings.NewReader(in), "conv", func(r *naver.ConversionRow) error {
		rows = append(rows, *r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].KeywordID != "-" || rows[0].Method != 2 || rows[0].ConversionType != "purchase" ||
		rows[0].Conversions != 3 || rows[0].Sales != 45000 || rows[1].ConversionType != "1" || rows[1].Sales != 9900.5 {
		t.Fatalf("rows %+v", rows)
	}
}

func TestParseCallbackErrorStops(t *testing.T) {
	in := "20260509\t1\tc\tg\tk\ta\tb\tm\tP\t1\t1\t1\t1\t0\n20260509\t1\tc\tg\tk\ta\tb\tm\tP\t1\t1\t1\t1\t0\n"
	stop := errors.New("stop")
	n := 0
	err := naver.ParseAD(strings.NewReader(in), "f", func(*naver.ADRow) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 || !strings.Contains(err.Error(), "f line 1") {
		t.Fatalf("err = %v after %d rows", err, n)
	}
}

func TestParseMasters(t *testing.T) {
	var c []naver.Campaign
	if err := naver.ParseCampaigns(strings.NewReader("1\tcmp-1\t캠페인 1\t1\t1\t0\t\t\t2024-01-01T00:00:00Z\t\t0\t\n"), "c", func(x *naver.Campaign) error {
		c = append(c, *x)
		return nil
	}); err != nil || len(c) != 1 || c[0] != (naver.Campaign{ID: "cmp-1", Name: "캠페인 1"}) {
		t.Errorf("campaigns %+v, %v", c, err)
	}
	var a []naver.Adgroup
	if err := naver.ParseAdgroups(strings.NewReader("1\tgrp-1\tcmp-1\t그룹\t70\n"), "a", func(x *naver.Adgroup) error {
		a = append(a, *x)
		return nil
	}); err != nil || len(a) != 1 || a[0] != (naver.Adgroup{ID: "grp-1", CampaignID: "cmp-1", Name: "그룹"}) {
		t.Errorf("adgroups %+v, %v", a, err)
	}
	var k []naver.Keyword
	if err := naver.ParseKeywords(strings.NewReader("1\tgrp-1\tnkw-1\t신발\t70\n"), "k", func(x *naver.Keyword) error {
		k = append(k, *x)
		return nil
	}); err != nil || len(k) != 1 || k[0] != (naver.Keyword{ID: "nkw-1", AdgroupID: "grp-1", Keyword: "신발"}) {
		t.Errorf("keywords %+v, %v", k, err)
	}
	if err := naver.ParseKeywords(strings.NewReader("1\tgrp-1\tnkw-1\n"), "k.tsv", func(*naver.Keyword) error { return nil }); !errors.Is(err, naver.ErrColumns) {
		t.Errorf("short keyword row: %v", err)
	}
}

func TestConversionTypeName(t *testing.T) {
	for code, want := range map[string]string{
		"purchase": "구매완료", "1": "구매완료", "sign_up": "가입", "2": "가입", "add_to_cart": "장바구니 넣기",
		"lead": "신청 혹은 예약", "5": "사용자 정의#1", "custom001": "사용자 정의#1", "custom010": "사용자 정의#10",
		"add_to_wishlist": "위시리스트 추가", "subscribe": "소식받기/구독", "schedule": "예약 완료",
		"view_content": "콘텐츠 보기", "custom011": "custom011", "mystery": "mystery",
	} {
		if got := naver.ConversionTypeName(code); got != want {
			t.Errorf("ConversionTypeName(%q) = %q, want %q", code, got, want)
		}
	}
}

func TestFastNumbersMatchStrconv(t *testing.T) {
	for _, s := range []string{"0", "7", "636.36", "0.1", "909.09", "123456789012.345", "1.5", "99999999999999.9", "0.000000000000001"} {
		in := "20260509\t1\tc\tg\tk\ta\tb\tm\tP\t1\t1\t" + s + "\t" + s + "\t0\n"
		want, _ := strconv.ParseFloat(s, 64)
		if err := naver.ParseAD(strings.NewReader(in), "f", func(r *naver.ADRow) error {
			if r.Cost != want || r.RankSum != want {
				t.Errorf("%s parsed as %v, strconv says %v", s, r.Cost, want)
			}
			return nil
		}); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
}
