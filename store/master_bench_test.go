package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/naversync/naversync/store"
	"github.com/naversync/naversync/store/storetest"
)

// BenchmarkUpsertMasterEntities50k measures one 50k-keyword master refresh.
func BenchmarkUpsertMasterEntities50k(b *testing.B) {
	ents := make([]store.MasterEntity, 50_000)
	for i := range ents {
		ents[i] = store.MasterEntity{CustomerID: "A", Kind: "keyword", ID: fmt.Sprintf("nkw-%06d", i), ParentID: "grp", Name: fmt.Sprint("keyword ", i)}
	}
	for _, db := range storetest.Databases(b) {
		b.Run(db.Name, func(b *testing.B) {
			s := storetest.Open(b, db, store.Options{})
			if _, _, err := s.EnqueueSync(b.Context(), &store.Sync{AccountID: "a", CustomerID: "A", From: "2026-02-01", To: "2026-02-01"}); err != nil {
				b.Fatal(err)
			}
			_, c, err := s.ClaimFetch(b.Context(), "w", time.Hour)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if err := s.UpsertMasterEntities(b.Context(), *c, ents); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
