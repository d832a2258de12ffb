package service

import "github.com/naversync/naversync/google"

// Languages of a sheet's headers and labels.
const (
	LanguageEnglish = "en"
	LanguageKorean  = "ko"
)

// sheetLanguage is an account's stored language as clients see it ("" is English, the default
// of accounts made before languages existed).
func sheetLanguage(stored string) string {
	if stored == "" {
		return LanguageEnglish
	}
	return stored
}

// languageName names a sheet language in the audit log.
func languageName(lang string) string {
	if lang == LanguageKorean {
		return "Korean"
	}
	return "English"
}

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
}

// labelsOf returns the labels of a sheet language; English for any other value.
func labelsOf(lang string) sheetLabels {
	if lang == LanguageKorean {
		return sheetLabels{
			date: "일자", campaign: "캠페인", adgroup: "광고그룹", keyword: "키워드", device: "PC/모바일",
			impressions: "노출수",
			clicks:      "클릭수(동영상 조회 제외)",
			views:       "동영상 조회수",
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
		}
	}
	return sheetLabels{
		date: "Date", campaign: "Campaign", adgroup: "Ad group", keyword: "Keyword", device: "Device",
		impressions: "Impressions", clicks: "Clicks", views: "Video views", cost: "Cost (VAT incl.)",
		rank: "Avg. rank", conversions: "Conversions", revenue: "Conversion revenue",
		ctr: "CTR", cpc: "CPC", roas: "ROAS", naverCost: "Cost (as reported by Naver)",
		money:   google.Currency,
		pending: pendingText, noKeyword: noKeyword, noName: noName, pc: "PC", mobile: "Mobile",
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
