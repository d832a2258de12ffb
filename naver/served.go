package naver

// Stat report types naversync builds tabs from (docs/naver-api.md, "Stat report files").
const (
	ReportAD                        = "AD"
	ReportADConversion              = "AD_CONVERSION"
	ReportExpKeyword                = "EXPKEYWORD"
	ReportShoppingKeyword           = "SHOPPINGKEYWORD_DETAIL"
	ReportShoppingKeywordConversion = "SHOPPINGKEYWORD_CONVERSION_DETAIL"
)

// servedDays is how many days back from today Naver serves a stat report type
// (docs/naver-api.md, "How far back statDt may go"): AD and AD_CONVERSION 365 and
// SHOPPINGKEYWORD_DETAIL 180 (issue #1313, 2025); SHOPPINGKEYWORD_CONVERSION_DETAIL 45 and
// EXPKEYWORD 365 (issue #191, 2019: unconfirmed today, kept until Naver says otherwise).
var servedDays = map[string]int{
	ReportAD:                        365,
	ReportADConversion:              365,
	ReportExpKeyword:                365,
	ReportShoppingKeyword:           180,
	ReportShoppingKeywordConversion: 45,
}

// ServedDays is how many days back from today Naver serves reportType: a day older than that is
// refused (10004). Types without a documented window get def (the deployment's served days).
func ServedDays(reportType string, def int) int {
	if n, ok := servedDays[reportType]; ok {
		return min(n, def)
	}
	return def
}
