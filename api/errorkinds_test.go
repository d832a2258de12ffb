package api_test

import (
	"slices"
	"testing"

	"github.com/naversync/naversync/service"
)

// TestSyncErrorKindsMatchSpec holds openapi.yaml's SyncError.kind enum and the service's
// ErrorKind constants together: the spec lists exactly the kinds the service reports.
func TestSyncErrorKindsMatchSpec(t *testing.T) {
	s := mustSpec(t)
	ref := s.doc.Components.Schemas["SyncError"]
	if ref == nil || ref.Value == nil || ref.Value.Properties["kind"] == nil {
		t.Fatal("openapi.yaml has no SyncError.kind")
	}
	var spec []string
	for _, v := range ref.Value.Properties["kind"].Value.Enum {
		k, ok := v.(string)
		if !ok {
			t.Fatalf("SyncError.kind enum holds %v (%T), not a string", v, v)
		}
		spec = append(spec, k)
	}
	var code []string
	for _, k := range service.ErrorKinds() {
		code = append(code, string(k))
	}
	slices.Sort(spec)
	slices.Sort(code)
	if !slices.Equal(spec, code) {
		t.Fatalf("openapi.yaml's SyncError.kind enum %v; the service's ErrorKind constants %v", spec, code)
	}
	if len(slices.Compact(slices.Clone(code))) != len(code) {
		t.Fatalf("service.ErrorKinds lists a kind twice: %v", code)
	}
}
