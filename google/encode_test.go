package google

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/sheets/v4"
)

// TestAppendCellMatchesSheetsTypes checks the hand-written cell encoding
// against the sheets/v4 types: both must decode to the same CellData.
func TestAppendCellMatchesSheetsTypes(t *testing.T) {
	values := []any{
		nil, "", "plain", "브랜드 검색", "q\"uote\\back\nnl\ttab\x01\x1f", "bad \xff utf8", "sep \u2028\u2029", "<html> & co",
		int64(0), int64(-3), int64(math.MaxInt64), 7, int32(-9), 2.5, 1e21, 123456789e15, 1e-7, -2.5e-9, 0.1 + 0.2, float32(1.5),
		math.NaN(), math.Inf(1), math.Inf(-1), true, false,
		time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 1, 1, 23, 59, 0, 0, time.FixedZone("KST", 9*3600)),
	}
	for _, v := range values {
		got, tooLong, err := appendCell(nil, v)
		if err != nil || tooLong != 0 {
			t.Fatalf("appendCell(%#v): %d, %v", v, tooLong, err)
		}
		var gotCell sheets.CellData
		if err := json.Unmarshal(got, &gotCell); err != nil {
			t.Fatalf("appendCell(%#v) = %s: invalid JSON: %v", v, got, err)
		}
		ev, _, err := cellValue(v)
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(&sheets.CellData{UserEnteredValue: ev})
		if err != nil {
			t.Fatal(err)
		}
		var wantCell sheets.CellData
		if err := json.Unmarshal(want, &wantCell); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(gotCell, wantCell) {
			t.Errorf("appendCell(%#v) = %s, sheets types give %s", v, got, want)
		}
		if !strings.ContainsAny(string(want), `<>&\`) && string(got) != string(want) {
			t.Errorf("appendCell(%#v) = %s, want the same bytes as %s", v, got, want)
		}
	}
}

func TestAppendCellLimits(t *testing.T) {
	if _, n, _ := appendCell(nil, strings.Repeat("é", LimitCellChars)); n != 0 {
		t.Errorf("a cell of exactly %d characters reported too long", LimitCellChars)
	}
	if b, n, _ := appendCell(nil, strings.Repeat("é", LimitCellChars+1)); n != LimitCellChars+1 || len(b) != 0 {
		t.Errorf("too long: n = %d, appended %d bytes", n, len(b))
	}
	if _, _, err := appendCell(nil, struct{}{}); err == nil {
		t.Error("unsupported type accepted")
	}
}
