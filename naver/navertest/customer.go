package navertest

import (
	"fmt"
	"sync"
	"time"
)

// Customer is an advertiser account the server knows. Its data is
// generated from Seed and the entity counts (defaults 3, 4 and 10).
type Customer struct {
	ID        string // X-Customer
	APIKey    string // X-API-KEY that may act for it
	SecretKey string
	// Campaigns, AdgroupsPerCampaign and KeywordsPerAdgroup size the
	// account; an AD file has (AdgroupsPerCampaign·(KeywordsPerAdgroup+1))·
	// Campaigns·2 rows on a day with data.
	Campaigns, AdgroupsPerCampaign, KeywordsPerAdgroup int
	Seed                                               int64
	// Data says on which days the customer had traffic. Nil means about 97% of days, picked by
	// Seed and the day (real accounts pause now and then): fine for demos and benchmarks, but a
	// test whose outcome depends on whether a day has data says so with EveryDay, ExceptDays or
	// a function of its own, so that its outcome never depends on the date it runs.
	Data func(day time.Time) bool
}

// EveryDay is a Customer.Data with traffic on every day.
func EveryDay(time.Time) bool { return true }

// ExceptDays is a Customer.Data with traffic on every day but the given ones (their civil
// dates count; the time of day is ignored).
func ExceptDays(days ...time.Time) func(time.Time) bool {
	none := make(map[time.Time]bool, len(days))
	for _, d := range days {
		none[civil(d)] = true
	}
	return func(day time.Time) bool { return !none[civil(day)] }
}

type entity struct {
	id, name string
	parent   int // index of the campaign (ad groups) or ad group (keywords)
}

type customer struct {
	Customer
	campaigns []entity
	adgroups  []entity
	keywords  []entity
	adIDs     []string // one ad per ad group
	bizID     string
	// keywordsOf[g] indexes the keywords of ad group g.
	keywordsOf [][]int

	revMu     sync.Mutex
	revisions map[time.Time]uint64 // days whose data Naver revised, and how often
	renames   map[string]rename    // entities renamed since they were registered, by id
	renamed   uint64               // how many renames were made (the master reports' version)
}

// rename is an entity's name since a rename at Naver, and when it was made (its edit time).
type rename struct {
	name string
	at   time.Time
}

// nameOf is e's name now.
func (c *customer) nameOf(e entity) string {
	c.revMu.Lock()
	defer c.revMu.Unlock()
	if r, ok := c.renames[e.id]; ok {
		return r.name
	}
	return e.name
}

// editedAfter reports whether e was renamed after t.
func (c *customer) editedAfter(e entity, t time.Time) bool {
	c.revMu.Lock()
	defer c.revMu.Unlock()
	r, ok := c.renames[e.id]
	return ok && r.at.After(t)
}

// Rename renames customerID's campaign, ad group or keyword id at Naver, as an advertiser does
// in the console: reports show the new name from now on, and a master report asked for changes
// since an earlier fromTime lists the entity again (a full one always lists it). It reports
// whether the id was found.
func (s *Server) Rename(customerID, id, name string) bool {
	s.mu.Lock()
	c := s.customers[customerID]
	now := s.now()
	s.mu.Unlock()
	if c == nil {
		return false
	}
	for _, list := range [][]entity{c.campaigns, c.adgroups, c.keywords} {
		for _, e := range list {
			if e.id != id {
				continue
			}
			c.revMu.Lock()
			defer c.revMu.Unlock()
			if c.renames == nil {
				c.renames = map[string]rename{}
			}
			c.renames[id] = rename{name: name, at: now}
			c.renamed++
			return true
		}
	}
	return false
}

// EntityIDs returns the ids of customerID's campaigns, ad groups and keywords, in the order
// they were made (ad groups and keywords grouped under their parents).
func (s *Server) EntityIDs(customerID string) (campaigns, adgroups, keywords []string) {
	s.mu.Lock()
	c := s.customers[customerID]
	s.mu.Unlock()
	if c == nil {
		return nil, nil, nil
	}
	for _, e := range c.campaigns {
		campaigns = append(campaigns, e.id)
	}
	for _, e := range c.adgroups {
		adgroups = append(adgroups, e.id)
	}
	for _, e := range c.keywords {
		keywords = append(keywords, e.id)
	}
	return campaigns, adgroups, keywords
}

// revision is how often day's data was revised.
func (c *customer) revision(day time.Time) uint64 {
	c.revMu.Lock()
	defer c.revMu.Unlock()
	return c.revisions[civil(day)]
}

// Revise changes customerID's data of day, as Naver's revisions do (metrics may change up to
// 48 hours later): reports of the day made from now on have other figures.
func (s *Server) Revise(customerID string, day time.Time) {
	s.mu.Lock()
	c := s.customers[customerID]
	s.mu.Unlock()
	if c == nil {
		return
	}
	c.revMu.Lock()
	defer c.revMu.Unlock()
	if c.revisions == nil {
		c.revisions = map[time.Time]uint64{}
	}
	c.revisions[civil(day)]++
}

// version names the data ref's file is made from: a stat report's day as revised so far, a
// master report's fromTime and the renames made so far. Two downloads of one version are the
// same file.
func (c *customer) version(ref jobRef) string {
	if ref.stat != nil {
		return fmt.Sprintf("rev %d", c.revision(ref.stat.day))
	}
	c.revMu.Lock()
	defer c.revMu.Unlock()
	return fmt.Sprintf("from %s renames %d", ref.master.from.Format(time.RFC3339Nano), c.renamed)
}

// AddCustomer registers (or replaces) a customer and generates its
// campaigns, ad groups and keywords.
func (s *Server) AddCustomer(c Customer) {
	if c.Campaigns <= 0 {
		c.Campaigns = 3
	}
	if c.AdgroupsPerCampaign <= 0 {
		c.AdgroupsPerCampaign = 4
	}
	if c.KeywordsPerAdgroup <= 0 {
		c.KeywordsPerAdgroup = 10
	}
	cu := &customer{Customer: c}
	base := uint64(mix(uint64(c.Seed), 1)%900_000) * 100_000
	cu.bizID = fmt.Sprintf("bsn-a001-00-%012d", base+1)
	for ci := range c.Campaigns {
		cu.campaigns = append(cu.campaigns, entity{
			// Names run against the ids (the last campaign has the first name), as real accounts'
			// names are in no relation to their ids: a sheet sorted by name shows it.
			id: fmt.Sprintf("cmp-a001-01-%012d", base+uint64(ci)+1), name: fmt.Sprintf("캠페인 %d", c.Campaigns-ci),
		})
		for gi := range c.AdgroupsPerCampaign {
			g := len(cu.adgroups)
			cu.adgroups = append(cu.adgroups, entity{
				id:     fmt.Sprintf("grp-a001-01-%012d", base+uint64(g)+1),
				name:   fmt.Sprintf("광고그룹 %d-%d", c.Campaigns-ci, c.AdgroupsPerCampaign-gi),
				parent: ci,
			})
			cu.adIDs = append(cu.adIDs, fmt.Sprintf("nad-a001-01-%012d", base+uint64(g)+1))
			var kws []int
			for ki := range c.KeywordsPerAdgroup {
				k := len(cu.keywords)
				kws = append(kws, k)
				cu.keywords = append(cu.keywords, entity{
					id:     fmt.Sprintf("nkw-a001-01-%012d", base+uint64(k)+1),
					name:   fmt.Sprintf("키워드%d %d", c.Campaigns*c.AdgroupsPerCampaign*c.KeywordsPerAdgroup-k, ki+1),
					parent: g,
				})
			}
			cu.keywordsOf = append(cu.keywordsOf, kws)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.customers[c.ID] = cu
	s.secrets[c.APIKey] = c.SecretKey
}
