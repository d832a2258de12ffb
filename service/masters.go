package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/naversync/naversync/naver"
	"github.com/naversync/naversync/report"
	"github.com/naversync/naversync/store"
)

// masterItems are the master reports that turn ids into names, coarsest first.
var masterItems = []string{"Campaign", "Adgroup", "Keyword"}

// refreshMaster brings the customer's cached names of one master item up to date: a full
// master report the first time, then only what changed since the last refresh (fromTime). Runs
// under the lease, beside the stat reports (see fetchAll); its writes are fenced by the claim.
func (s *Service) refreshMaster(ctx context.Context, cred naver.Credentials, c store.Claim, item string, journal *jobJournal) error {
	since, err := s.store.MasterState(ctx, cred.CustomerID, item)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: master state: %v", errStorage, err)
	}
	started := s.now()
	sink, err := newFileSink(filepath.Join(s.cfg.DataDir, "tmp"))
	if err != nil {
		return fmt.Errorf("%w: %v", errStorage, err)
	}
	defer sink.discard()
	res, err := s.naver.FetchMaster(ctx, cred, naver.MasterRequest{Item: item, From: since, Journal: journal}, sink)
	journal.done(store.JobMaster, item, "")
	s.met.naverCalls.Add(float64(res.Calls))
	if err != nil {
		return fmt.Errorf("master report %s: %w", item, err)
	}
	if res.Status != naver.StatusNone {
		if err := s.loadMaster(ctx, c, item, sink.f); err != nil {
			return err
		}
	}
	// A small overlap guards against changes made while the report was built.
	if err := fence(s.store.SetMasterState(ctx, c, item, started.Add(-time.Minute))); err != nil {
		return fmt.Errorf("master state: %w", err)
	}
	return nil
}

// loadMaster parses a master report file and stores its entities in batches.
func (s *Service) loadMaster(ctx context.Context, c store.Claim, item string, f *os.File) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("%w: %v", errStorage, err)
	}
	const batch = 2000
	buf := make([]store.MasterEntity, 0, batch)
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		if err := fence(s.store.UpsertMasterEntities(ctx, c, buf)); err != nil {
			return fmt.Errorf("masters: %w", err)
		}
		buf = buf[:0]
		return nil
	}
	add := func(e store.MasterEntity) error {
		e.CustomerID = c.CustomerID
		buf = append(buf, e)
		if len(buf) == batch {
			return flush()
		}
		return nil
	}
	name := item + " master report"
	var err error
	switch item {
	case "Campaign":
		err = naver.ParseCampaigns(f, name, func(c *naver.Campaign) error {
			return add(store.MasterEntity{Kind: LevelCampaign, ID: c.ID, Name: c.Name})
		})
	case "Adgroup":
		err = naver.ParseAdgroups(f, name, func(a *naver.Adgroup) error {
			return add(store.MasterEntity{Kind: LevelAdgroup, ID: a.ID, ParentID: a.CampaignID, Name: a.Name})
		})
	case "Keyword":
		err = naver.ParseKeywords(f, name, func(k *naver.Keyword) error {
			return add(store.MasterEntity{Kind: LevelKeyword, ID: k.ID, ParentID: k.AdgroupID, Name: k.Keyword})
		})
	}
	if err != nil {
		return fmt.Errorf("parse %s: %w", name, err)
	}
	return flush()
}

// loadNames maps the customer's ids to names, by kind.
func (s *Service) loadNames(ctx context.Context, customerID string) (report.Names, error) {
	n := report.Names{Campaign: map[string]string{}, Adgroup: map[string]string{}, Keyword: map[string]string{}}
	err := s.store.MasterEntities(ctx, customerID, func(e store.MasterEntity) error {
		switch e.Kind {
		case LevelCampaign:
			n.Campaign[e.ID] = e.Name
		case LevelAdgroup:
			n.Adgroup[e.ID] = e.Name
		case LevelKeyword:
			n.Keyword[e.ID] = e.Name
		}
		return nil
	})
	return n, err
}
