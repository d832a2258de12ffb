package report

import (
	"strconv"

	"github.com/naversync/naversync/google"
)

// sheetLabels are a language's words for the sheet: the column headers, the texts of rows
// without a figure, and the money format. Korean headers use the words of Naver's Search Ad
// system (광고관리시스템) where our figure means exactly what Naver's does, and say how it
// differs where it does not (README, "The sheet in Korean").
type sheetLabels struct {
	date, campaign, adgroup, keyword, device                     string
	impressions, clicks, views, cost, rank, conversions, revenue string
	ctr, cpc, roas, naverCost                                    string
	money                                                        google.ColumnType
	pending, noKeyword, noName, pc, mobile                       string
	// The search term tabs' words (terms.go): the search term and its match type, the text of
	// a row without a search term, and the match types' names.
	searchTerm, matchType, noSearchTerm string
	exact, extended, closeVariant       string
}

// labelsOf returns the labels of a sheet language; English for any other value.
func labelsOf(lang string) sheetLabels {
	if lang == LanguageKorean {
		return sheetLabels{
			date: "일자", campaign: "캠페인", adgroup: "광고그룹", keyword: "키워드", device: "PC/모바일",
			impressions: "노출수",
			clicks:      "클릭수(동영상 조회 제외)",
			views:       "동영상조회수",
			cost:        "총비용(VAT포함,원)",
			rank:        "평균노출순위",
			conversions: "전환수",
			revenue:     "전환매출액(원)",
			ctr:         "클릭률(%, 동영상 조회 제외)",
			cpc:         "평균클릭비용(VAT포함,원, 동영상 조회 제외)",
			roas:        "광고수익률(%)",
			naverCost:   "보고서 원본 비용(2026-03-29까지 VAT 제외)",
			money:       google.Won,
			pending:     "(대기: 네이버 데이터 준비 전)", noKeyword: "(키워드 없음)", noName: "(없음)",
			pc: "PC", mobile: "모바일",
			searchTerm: "검색어", matchType: "검색어 유형", noSearchTerm: "(검색어 없음)",
			exact: "일치", extended: "확장", closeVariant: "유사",
		}
	}
	return sheetLabels{
		date: "Date", campaign: "Campaign", adgroup: "Ad group", keyword: "Keyword", device: "Device",
		impressions: "Impressions", clicks: "Clicks", views: "Video views", cost: "Cost (VAT incl.)",
		rank: "Avg. rank", conversions: "Conversions", revenue: "Conversion revenue",
		ctr: "CTR", cpc: "CPC", roas: "ROAS", naverCost: "Cost (as reported by Naver)",
		money:   google.Currency,
		pending: pendingText, noKeyword: noKeyword, noName: noName, pc: "PC", mobile: "Mobile",
		searchTerm: "Search term", matchType: "Match type", noSearchTerm: "(empty search term)",
		exact: "Exact", extended: "Extended", closeVariant: "Close variant",
	}
}

// deviceLabel spells Naver's PC/mobile code in the language of l.
func (l sheetLabels) deviceLabel(code byte) string {
	switch code {
	case 'P':
		return l.pc
	case 'M':
		return l.mobile
	}
	return deviceName(code)
}

// matchLabel names an EXPKEYWORD search keyword type. The labels are ours, following the
// official table's "0,5: Exact, 1: Extend, 2: Close Variant" (markdown-en-US.json
// "#/tags/StatReport"); in Korean they are the words of Naver's system (일치, 확장, 유사). Any other
// code is shown as the code itself.
func (l sheetLabels) matchLabel(code int32) string {
	switch code {
	case 0, 5:
		return l.exact
	case 1:
		return l.extended
	case 2:
		return l.closeVariant
	}
	return strconv.Itoa(int(code))
}

// deviceValues boxes the device labels of records read back, once per device code.
type deviceValues struct {
	labels sheetLabels
	boxed  map[byte]any
}

// of is the sheet's value of a device code.
func (d *deviceValues) of(code byte) any {
	v, ok := d.boxed[code]
	if !ok {
		if d.boxed == nil {
			d.boxed = map[byte]any{}
		}
		v = d.labels.deviceLabel(code)
		d.boxed[code] = v
	}
	return v
}
