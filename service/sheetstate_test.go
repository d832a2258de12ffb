package service_test

import (
	"testing"

	"github.com/naversync/naversync/report"
	"github.com/naversync/naversync/store"
)

// The store keeps the performance tab's state where releases before tab kinds read it; it
// knows that kind by its name, which must be report's.
func TestSheetStatePerformanceKind(t *testing.T) {
	if store.TabPerformance != string(report.KindPerformance) {
		t.Fatalf("store.TabPerformance = %q, report.KindPerformance = %q", store.TabPerformance, report.KindPerformance)
	}
}
