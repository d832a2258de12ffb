package service

import "github.com/naversync/naversync/report"

// Languages of a sheet's headers and labels (package report has the labels).
const (
	LanguageEnglish = report.LanguageEnglish
	LanguageKorean  = report.LanguageKorean
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
