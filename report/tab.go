package report

import (
	"errors"
	"io"
	"time"

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/naver"
)

// Levels at which a tab's rows are aggregated (an account's level).
const (
	LevelCampaign = "campaign"
	LevelAdgroup  = "adgroup"
	LevelKeyword  = "keyword"
)

// Languages of a table's headers and labels.
const (
	LanguageEnglish = "en"
	LanguageKorean  = "ko"
)

// The Naver stat report types the tabs are built from.
const (
	ReportAD                 = naver.ReportAD
	ReportADConversion       = naver.ReportADConversion
	ReportExpKeyword         = naver.ReportExpKeyword
	ReportShoppingKeyword    = naver.ReportShoppingKeyword
	ReportShoppingConversion = naver.ReportShoppingKeywordConversion
)

// Kind names a kind of tab.
type Kind string

// The kinds of tab.
const (
	// KindPerformance: AD joined with AD_CONVERSION, at the account's level (Performance).
	KindPerformance Kind = "performance"
	// KindSearchTerms: the Powerlink search terms (EXPKEYWORD) per ad group and match type.
	KindSearchTerms Kind = "search_terms"
	// KindShoppingTerms: the shopping search terms (SHOPPINGKEYWORD_DETAIL joined with
	// SHOPPINGKEYWORD_CONVERSION_DETAIL).
	KindShoppingTerms Kind = "shopping_terms"
)

// Tab is one kind of sheet tab: the Naver stat reports it is built from and how they become the
// tab's table. A Tab holds no state; tables are made by NewTable.
type Tab interface {
	// Kind names the tab.
	Kind() Kind
	// ReportTypes are the stat reports the tab is built from, one file per type and day, in the
	// order a day's files are parsed. The first is the tab's primary report: the tab shows the
	// days Naver serves it for (naver.ServedDays). A later type served for fewer days (shopping
	// conversions: 45 days) is not asked for older days; those days show its figures empty.
	ReportTypes() []string
	// NewTable starts an empty table of the tab that spills its rows to a temporary file in dir.
	NewTable(dir string, o Options) (Table, error)
}

// Tabs lists every kind of tab.
func Tabs() []Tab { return []Tab{Performance(), SearchTerms(), ShoppingTerms()} }

// TabOf returns the tab of a kind.
func TabOf(k Kind) (Tab, bool) {
	for _, t := range Tabs() {
		if t.Kind() == k {
			return t, true
		}
	}
	return nil, false
}

// Options say how a table shows its rows.
type Options struct {
	// Level is the account's level (LevelCampaign, LevelAdgroup, LevelKeyword).
	Level string
	// Language of the headers and labels (LanguageEnglish, LanguageKorean; English for others).
	Language string
	// Names are the customer's names from the master reports.
	Names Names
}

// Names maps a customer's ids to their names from Naver's master reports, by kind.
type Names struct{ Campaign, Adgroup, Keyword map[string]string }

// Table is a tab's table being built: days appended in the order the sheet shows them (newest
// first), held on disk, then read back as the sheet's rows. Build drives it; Close removes
// its file.
type Table interface {
	// NewDay starts a day's aggregate; its files are parsed into it (Day.Parse) on any goroutine.
	NewDay(day time.Time) Day
	// WriteDay appends a day made by NewDay, its rows in the order the sheet shows them. It
	// returns a digest of the names the rows show: what the day displays besides its files'
	// figures, so that a rename at Naver changes exactly the days that show the renamed entity.
	WriteDay(d Day) (names string, err error)
	// WritePending appends the one row of a day that is not ready (a report pending at Naver,
	// never fetched, or damaged): never a silent hole that reads as no spend.
	WritePending(day time.Time) error
	// Rows is how many rows were appended.
	Rows() int
	// Sheet reads the rows back as the sheet's table (columns, rows; the caller sets the rest).
	// Its Rows can be drained once; a failure to read them back is Err's.
	Sheet() (google.Table, error)
	// Err is the failure that cut the reading of Sheet's rows short, if any: a write that read
	// them must then not count.
	Err() error
	// Close removes the table's file.
	Close()
}

// Day is one day's aggregate of a tab's report rows.
type Day interface {
	// Parse adds the rows of one of the day's files, of reportType, read from r (name names it
	// in errors). Rows of one key, in one file or several, are summed.
	Parse(reportType string, r io.Reader, name string) error
}

// Errors callers tell apart.
var (
	// ErrSpill marks failures of the local disk that holds a table while it is built.
	ErrSpill = errors.New("spill")
	// ErrBadFile marks a stored report file that cannot be parsed: reading it again cannot help.
	ErrBadFile = errors.New("report file cannot be parsed")
	// ErrUnknownReport: a tab was given a file of a report type it is not built from.
	ErrUnknownReport = errors.New("report type not of this tab")
)
