package report

import (
	"cmp"
	"slices"
	"strings"
)

// rowOrder ranks a spill's interned ids so that writeDay orders a day's rows by comparing
// integers, not names: for each id, the dense rank of its display name as a campaign, as an ad
// group and as a keyword (equal names, equal rank) and its rank as an id string. The ranks
// cover every id interned so far and are extended as ids are added (the new ids sorted and
// merged in), so comparing ranks is exactly comparing the names and ids they stand for, on
// any day. Each display name is made once per id, also for the names digest.
type rowOrder struct {
	n int // ids ranked so far
	// by[rankCampaign…rankKeyword] rank display names of a kind, by[rankID] the ids themselves.
	by [4]rankedText
	// dev is the rank of a device code by deviceName.
	dev [256]uint8
}

// The texts rowOrder ranks.
const (
	rankCampaign = iota
	rankAdgroup
	rankKeyword
	rankID
)

// rankedText ranks the ids of an interner by a text per id.
type rankedText struct {
	text  []string // per id
	order []uint32 // ids by text
	rank  []uint32 // per id: dense rank of its text in order
}

func newRowOrder() *rowOrder {
	o := &rowOrder{}
	codes := make([]int, 256)
	for i := range codes {
		codes[i] = i
	}
	slices.SortFunc(codes, func(a, b int) int { return strings.Compare(deviceName(byte(a)), deviceName(byte(b))) })
	var r uint8
	for i, c := range codes {
		if i > 0 && deviceName(byte(c)) != deviceName(byte(codes[i-1])) {
			r++
		}
		o.dev[c] = r
	}
	return o
}

// update ranks the ids interned since the last update, named from n.
func (o *rowOrder) update(ids []string, n Names) {
	if o.n == len(ids) {
		return
	}
	for _, id := range ids[o.n:] {
		o.by[rankCampaign].text = append(o.by[rankCampaign].text, displayName(n.Campaign, id, noName))
		o.by[rankAdgroup].text = append(o.by[rankAdgroup].text, displayName(n.Adgroup, id, noName))
		o.by[rankKeyword].text = append(o.by[rankKeyword].text, displayName(n.Keyword, id, noKeyword))
		o.by[rankID].text = append(o.by[rankID].text, id)
	}
	for i := range o.by {
		o.by[i].extend(o.n, len(ids))
	}
	o.n = len(ids)
}

// extend merges ids [from, to) into the order and ranks every id again.
func (r *rankedText) extend(from, to int) {
	fresh := make([]uint32, 0, to-from)
	for i := from; i < to; i++ {
		fresh = append(fresh, uint32(i))
	}
	slices.SortFunc(fresh, func(a, b uint32) int { return strings.Compare(r.text[a], r.text[b]) })
	merged := make([]uint32, 0, to)
	i, j := 0, 0
	for i < len(r.order) && j < len(fresh) {
		if r.text[fresh[j]] < r.text[r.order[i]] {
			merged = append(merged, fresh[j])
			j++
		} else {
			merged = append(merged, r.order[i])
			i++
		}
	}
	r.order = append(append(merged, r.order[i:]...), fresh[j:]...)
	r.rank = slices.Grow(r.rank, to-len(r.rank))[:to]
	var rank uint32
	for p, id := range r.order {
		if p > 0 && r.text[id] != r.text[r.order[p-1]] {
			rank++
		}
		r.rank[id] = rank
	}
}

// key is a row's place in writeDay's order: campaign, ad group and keyword name, device name,
// then campaign, ad group and keyword id.
func (o *rowOrder) key(c, a, k uint32, dev byte) [4]uint64 {
	return [4]uint64{
		uint64(o.by[rankCampaign].rank[c])<<32 | uint64(o.by[rankAdgroup].rank[a]),
		uint64(o.by[rankKeyword].rank[k])<<8 | uint64(o.dev[dev]),
		uint64(o.by[rankID].rank[c])<<32 | uint64(o.by[rankID].rank[a]),
		uint64(o.by[rankID].rank[k]),
	}
}

// rowSortKey is a row's key (rowOrder.key) and its index among the day's rows.
type rowSortKey struct {
	order [4]uint64
	i     uint32
}

// compareKeys orders two rowOrder keys.
func compareKeys(x, y *[4]uint64) int {
	if c := cmp.Compare(x[0], y[0]); c != 0 {
		return c
	}
	if c := cmp.Compare(x[1], y[1]); c != 0 {
		return c
	}
	if c := cmp.Compare(x[2], y[2]); c != 0 {
		return c
	}
	return cmp.Compare(x[3], y[3])
}
