package report

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/naversync/naversync/naver"
)

// refDay is writeDay's order and names digest as first written (sorting by the names and ids
// themselves): the ranks of rowOrder must give exactly this order and digest.
func refDay(t *dayTable, n Names) (order []rowKey, digest string) {
	type row struct {
		key                 rowKey
		dev                 byte
		cName, aName, kName string
	}
	var rows []row
	for k := range t.rows {
		dev := byte(0)
		if k.device != "" {
			dev = k.device[0]
		}
		rows = append(rows, row{key: k, dev: dev, cName: displayName(n.Campaign, k.campaign, noName),
			aName: displayName(n.Adgroup, k.adgroup, noName), kName: displayName(n.Keyword, k.keyword, noKeyword)})
	}
	slices.SortFunc(rows, func(x, y row) int {
		return cmp.Or(cmp.Compare(x.cName, y.cName), cmp.Compare(x.aName, y.aName), cmp.Compare(x.kName, y.kName),
			cmp.Compare(deviceName(x.dev), deviceName(y.dev)),
			cmp.Compare(x.key.campaign, y.key.campaign), cmp.Compare(x.key.adgroup, y.key.adgroup), cmp.Compare(x.key.keyword, y.key.keyword))
	})
	h := sha256.New()
	for _, r := range rows {
		order = append(order, r.key)
		h.Write([]byte(r.cName + "\x00" + r.aName + "\x00" + r.kName + "\x00"))
	}
	return order, hex.EncodeToString(h.Sum(nil)[:12])
}

// TestWriteDayOrderAndDigestAreExact: day after day, with new ids appearing among the old ones,
// names shared by several ids, ids without a name, Naver's "-" and names that are other ids,
// writeDay writes a day's rows in exactly the order of its names and ids and digests the names
// as before (a stored digest must not change with how the order is computed).
func TestWriteDayOrderAndDigestAreExact(t *testing.T) {
	rnd := rand.New(rand.NewPCG(27, 3))
	words := []string{"", "신발", "shoes", "Shoes", "shoe", "(none)", "k10", "가방", "bag", "bag ", "zz", "c3", "-"}
	nm := Names{Campaign: map[string]string{}, Adgroup: map[string]string{}, Keyword: map[string]string{}}
	pool := func(prefix string, n int, m map[string]string) []string {
		var ids []string
		for i := range n {
			id := fmt.Sprintf("%s%d", prefix, i)
			ids = append(ids, id)
			if rnd.IntN(5) > 0 { // some ids have no name: they show as themselves
				m[id] = words[rnd.IntN(len(words))]
			}
		}
		return append(ids, "-", "")
	}
	campaigns := pool("c", 8, nm.Campaign)
	adgroups := pool("a", 20, nm.Adgroup)
	keywords := pool("k", 60, nm.Keyword)
	devices := []string{"P", "M", "", "T"}
	first := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	for _, level := range []string{LevelCampaign, LevelAdgroup, LevelKeyword} {
		sp, err := newSpill(t.TempDir(), nm)
		if err != nil {
			t.Fatal(err)
		}
		for day := range 40 {
			dt := newDayTable(level, first.AddDate(0, 0, -day), 0)
			// The ids seen widen day by day, so later days bring ids that rank among earlier ones.
			reach := func(ids []string) []string { return ids[:min(len(ids), 2+day*len(ids)/20)] }
			c, a, k := reach(campaigns), reach(adgroups), reach(keywords)
			for range 1 + rnd.IntN(150) {
				dt.addAD(naverADRow{c[rnd.IntN(len(c))], a[rnd.IntN(len(a))], k[rnd.IntN(len(k))], devices[rnd.IntN(len(devices))]}.row())
			}
			want, wantDigest := refDay(dt, nm)
			before := sp.rows
			digest, err := sp.writeDay(dt)
			if err != nil {
				t.Fatal(err)
			}
			if digest != wantDigest {
				t.Fatalf("%s day %d: digest %s, want %s", level, day, digest, wantDigest)
			}
			got := readSpillKeys(t, sp, before, sp.rows)
			if len(got) != len(want) {
				t.Fatalf("%s day %d: %d rows, want %d", level, day, len(got), len(want))
			}
			for i := range want {
				w := want[i]
				dev := byte(0)
				if w.device != "" {
					dev = w.device[0]
				}
				if g := got[i]; g.campaign != w.campaign || g.adgroup != w.adgroup || g.keyword != w.keyword || g.device[0] != dev {
					t.Fatalf("%s day %d row %d: %+v, want %+v", level, day, i, g, w)
				}
			}
		}
		sp.Close()
	}
}

// naverADRow is the part of an AD row the order depends on.
type naverADRow struct{ campaign, adgroup, keyword, device string }

func (r naverADRow) row() *naver.ADRow {
	return &naver.ADRow{CampaignID: r.campaign, AdgroupID: r.adgroup, KeywordID: r.keyword, Device: r.device, Impressions: 1}
}

// readSpillKeys reads the ids and device of the spill's records [from, to); device holds the
// device code as one byte.
func readSpillKeys(t *testing.T, sp *spill, from, to int) []rowKey {
	t.Helper()
	if err := sp.w.Flush(); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, (to-from)*recordSize)
	if _, err := sp.f.ReadAt(b, int64(from*recordSize)); err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	var out []rowKey
	for i := 0; i < len(b); i += recordSize {
		r := b[i : i+recordSize]
		out = append(out, rowKey{campaign: sp.ids.ids[le.Uint32(r[4:])], adgroup: sp.ids.ids[le.Uint32(r[8:])],
			keyword: sp.ids.ids[le.Uint32(r[12:])], device: string([]byte{r[16]})})
	}
	return out
}

// BenchmarkWriteDay writes a month of a 2,400-keyword account's days (scenario 4's shape: 10
// campaigns × 20 ad groups × 12 keywords, both devices, traffic without a keyword) to a spill.
func BenchmarkWriteDay(b *testing.B) {
	rnd := rand.New(rand.NewPCG(4, 4))
	nm := Names{Campaign: map[string]string{}, Adgroup: map[string]string{}, Keyword: map[string]string{}}
	word := func() string { return fmt.Sprintf("%c%c name %d", 'a'+rnd.IntN(26), 'a'+rnd.IntN(26), rnd.IntN(1000)) }
	first := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	var days []*dayTable
	for d := range 30 {
		dt := newDayTable(LevelKeyword, first.AddDate(0, 0, -d), 0)
		for c := range 10 {
			cid := fmt.Sprintf("cmp-a001-01-%012d", c)
			nm.Campaign[cid] = word()
			for a := range 20 {
				aid := fmt.Sprintf("grp-a001-01-%012d", c*20+a)
				nm.Adgroup[aid] = word()
				for k := range 13 {
					kid := "-"
					if k < 12 {
						kid = fmt.Sprintf("nkw-a001-01-%012d", (c*20+a)*12+k)
						nm.Keyword[kid] = word()
					}
					for _, dev := range []string{"P", "M"} {
						dt.addAD(&naver.ADRow{CampaignID: cid, AdgroupID: aid, KeywordID: kid, Device: dev, Impressions: 1})
					}
				}
			}
		}
		days = append(days, dt)
	}
	b.ResetTimer()
	for range b.N {
		sp, err := newSpill(b.TempDir(), nm)
		if err != nil {
			b.Fatal(err)
		}
		for _, dt := range days {
			if _, err := sp.writeDay(dt); err != nil {
				b.Fatal(err)
			}
		}
		sp.Close()
	}
}
