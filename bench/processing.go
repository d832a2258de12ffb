package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/naversync/naversync/naver"
	"github.com/naversync/naversync/naver/navertest"
	"github.com/naversync/naversync/report"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/store"
)

// Processing is scenario 4: a year of a large account from the files on disk to the finished
// sheet rows (the performance tab built by package report from the stored files, as a
// processing worker builds it; rows drained), the Sheets API excluded.
type Processing struct {
	Days, Keywords int
	// Procs is GOMAXPROCS during the measurement.
	Procs int
	// InputRows are the AD and AD_CONVERSION rows of the stored files; SheetRows the rows built.
	InputRows, SheetRows int64
	Elapsed              time.Duration
	// Runs are the times of every run (Config.ProcRuns) in run order; Elapsed is their median,
	// and the other figures are that run's.
	Runs []time.Duration `json:",omitempty"`
	// CPU is the process's CPU time (user and system) from the scenario's "building the sheet
	// rows" to its end (set by processingRounds; the median of CPURuns): steadier than Elapsed
	// on a shared machine, since time spent waiting for a core is not counted.
	CPU     time.Duration   `json:",omitempty"`
	CPURuns []time.Duration `json:",omitempty"`
	// Baseline is the same scenario run by another commit beside this one (Config.ProcBaseline).
	Baseline *ProcessingBaseline `json:",omitempty"`
	// PeakHeapInUse and PeakMapped are the highest samples (every 2ms) of the process's heap in
	// use and of memory mapped by the Go runtime and not released (≈ MemStats.Sys − HeapReleased).
	PeakHeapInUse, PeakMapped uint64
	// BaseHeapInUse is the heap in use just before, after a GC (the simulators' state and such).
	BaseHeapInUse uint64
	// Fetch is how long the engine took to download the files first (not part of Elapsed).
	Fetch time.Duration
	// Calls are the Naver calls of the download: the simulator answers a create BUILT at once,
	// which is where Naver allows two calls per report.
	Calls Calls
}

// InputRowsPerDay is the stat rows per day of the account.
func (p Processing) InputRowsPerDay() float64 { return ratio(float64(p.InputRows), float64(p.Days)) }

// RowsPerSecond is input report rows processed per second.
func (p Processing) RowsPerSecond() float64 { return ratio(float64(p.InputRows), p.Elapsed.Seconds()) }

// servedDays is how far back Naver serves stat reports (service.Config.ServedDays' default);
// each type's own window is naver.ServedDays of it.
const servedDays = 365

// errFetched stops following a sync once its files are downloaded.
var errFetched = errors.New("fetched")

func (r *runner) processing(ctx context.Context) (Processing, error) {
	c := r.cfg
	res := Processing{Days: c.ProcDays, Keywords: c.ProcCampaigns * c.ProcAdgroups * c.ProcKeywords, Procs: c.ProcProcs}
	c.Progress(fmt.Sprintf("processing: fetching %d days of a %d-keyword account", c.ProcDays, res.Keywords))
	s := newSims(navertest.Options{InstantBuild: true})
	defer s.close()
	e, err := r.newEngine(ctx, SQLite, s, engineOptions{fetchWorkers: 1, processWorkers: 1})
	if err != nil {
		return res, err
	}
	defer e.close()
	cust := s.customer(fmt.Sprintf("%d", 400000+r.next()), c.ProcCampaigns, c.ProcAdgroups, c.ProcKeywords)
	a, err := e.account(ctx, "processing-"+cust, cust, service.LevelKeyword, false)
	if err != nil {
		return res, err
	}
	sy, err := e.enqueue(ctx, service.SyncRequest{AccountID: a.ID, Days: c.ProcDays, Full: true})
	if err != nil {
		return res, err
	}
	// Once the files are down the engine is stopped, so that its own processing of the sync
	// (which would then write to the stand-in) does not run beside the measurement.
	var last service.Sync
	err = e.svc.Follow(ctx, sy.ID, func(s service.Sync) error {
		last = s
		if s.Timings.LockReleasedAt != nil {
			return errFetched
		}
		return nil
	})
	if !errors.Is(err, errFetched) {
		return res, fmt.Errorf("processing: the fetch did not finish: %v (status %s)", err, last.Status)
	}
	stopCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err = e.svc.Stop(stopCtx)
	cancel()
	if err != nil {
		return res, fmt.Errorf("processing: stop engine: %w", err)
	}
	res.Fetch = time.Duration(last.Timings.FetchMS) * time.Millisecond
	res.Calls = countCalls(s.naver.Requests(), cust)
	res.Calls.Syncs = 1
	if res.InputRows, err = countRows(ctx, e); err != nil {
		return res, err
	}

	c.Progress(fmt.Sprintf("%s with GOMAXPROCS=%d", buildingRows, c.ProcProcs))
	m, err := r.measureBuild(ctx, e, last, service.LevelKeyword, []report.Tab{report.Performance()}, c.ProcCPUProfile)
	if err != nil {
		return res, fmt.Errorf("processing: %w", err)
	}
	res.Elapsed, res.SheetRows = m.Elapsed, m.Rows[0]
	res.PeakHeapInUse, res.PeakMapped, res.BaseHeapInUse = m.PeakHeapInUse, m.PeakMapped, m.BaseHeapInUse
	return res, nil
}

// BuildMeasure is what building a sync's tabs from the stored files costs, measured as
// scenario 4 measures it: with GOMAXPROCS = Config.ProcProcs, after a GC, the process's memory
// sampled every 2ms.
type BuildMeasure struct {
	// Elapsed is the wall time of building every tab and draining its rows; CPU the process's
	// CPU time (user and system) over the same span.
	Elapsed, CPU time.Duration
	// PeakHeapInUse and PeakMapped are as Processing's; BaseHeapInUse the heap in use before.
	PeakHeapInUse, PeakMapped, BaseHeapInUse uint64
	// Rows are the sheet rows built, per tab in the order asked.
	Rows []int64
}

// measureBuild builds the tabs of sy from e's stored files one after the other (as a
// processing worker does, the Sheets API excluded) and drains their rows, measuring time, CPU
// and memory; with profile set, it writes the CPU profile of the measured span there.
func (r *runner) measureBuild(ctx context.Context, e *engine, sy service.Sync, level string, tabs []report.Tab, profile string) (BuildMeasure, error) {
	var res BuildMeasure
	prev := runtime.GOMAXPROCS(r.cfg.ProcProcs)
	defer runtime.GOMAXPROCS(prev)
	runtime.GC()
	debug.FreeOSMemory()
	res.BaseHeapInUse = readMem().heapInUse
	stop, peak := sampleMemory(2 * time.Millisecond)
	defer stop()
	stopProfile, err := startProfile(profile)
	if err != nil {
		return res, err
	}
	cpu, start := processCPU(), time.Now()
	for _, tab := range tabs {
		n, err := drainTab(ctx, e, sy, tab, level, r.dir)
		if err != nil {
			_ = stopProfile()
			return res, fmt.Errorf("%s tab: %w", tab.Kind(), err)
		}
		res.Rows = append(res.Rows, n)
	}
	res.Elapsed, res.CPU = time.Since(start), processCPU()-cpu
	stop()
	if err := stopProfile(); err != nil {
		return res, err
	}
	m := peak()
	res.PeakHeapInUse, res.PeakMapped = m.heapInUse, m.mapped
	return res, nil
}

// drainTab builds sy's tab (buildTable) and reads its sheet rows to the end, returning how many.
func drainTab(ctx context.Context, e *engine, sy service.Sync, tab report.Tab, level, dir string) (int64, error) {
	built, err := buildTable(ctx, e, sy, tab, level, dir)
	if err != nil {
		return 0, err
	}
	defer built.Close()
	table, err := built.Sheet()
	if err != nil {
		return 0, err
	}
	var n int64
	for row := range table.Rows {
		if len(row) != len(table.Columns) {
			break
		}
		n++
	}
	if readErr := built.Err(); n != int64(table.NumRows) || readErr != nil {
		return n, fmt.Errorf("drained %d rows of %d: %v", n, table.NumRows, readErr)
	}
	return n, nil
}

// buildTable builds a sync's tab from the engine's stored files through package report, as a
// processing worker does: the sync's days newest first, those Naver serves the tab's primary
// (first) report type for, a day complete when each of the tab's reports served that day is
// final (naver.ServedDays, "today" being the day after the sync's last; a report Naver answered
// NONE read as empty), named from the stored master data.
func buildTable(ctx context.Context, e *engine, sy service.Sync, tab report.Tab, level, dir string) (report.Table, error) {
	files, err := e.store.ReportFiles(ctx, sy.CustomerID, tab.ReportTypes(), sy.From, sy.To)
	if err != nil {
		return nil, fmt.Errorf("report files: %w", err)
	}
	byDay := map[string]map[string]store.ReportFile{}
	for _, f := range files {
		if byDay[f.StatDate] == nil {
			byDay[f.StatDate] = map[string]store.ReportFile{}
		}
		byDay[f.StatDate][f.ReportType] = f
	}
	from, err := time.Parse(time.DateOnly, sy.From)
	if err != nil {
		return nil, err
	}
	to, err := time.Parse(time.DateOnly, sy.To)
	if err != nil {
		return nil, err
	}
	served := func(tp string, d time.Time) bool {
		return d.After(to.AddDate(0, 0, -naver.ServedDays(tp, servedDays)))
	}
	var days []report.DayFiles
	for d := to; !d.Before(from); d = d.AddDate(0, 0, -1) {
		if !served(tab.ReportTypes()[0], d) {
			continue
		}
		day := report.DayFiles{Day: d, Complete: true}
		for _, tp := range tab.ReportTypes() {
			f, ok := byDay[d.Format(time.DateOnly)][tp]
			switch {
			case (!ok || !f.Final()) && served(tp, d):
				day.Complete = false
			case ok && f.State == store.FileBuilt:
				day.Files = append(day.Files, report.File{ReportType: tp, Key: f.Key, Size: f.Size})
			case ok && f.State == store.FileNone:
				day.None = append(day.None, tp)
			}
		}
		days = append(days, day)
	}
	n := report.Names{Campaign: map[string]string{}, Adgroup: map[string]string{}, Keyword: map[string]string{}}
	err = e.store.MasterEntities(ctx, sy.CustomerID, func(m store.MasterEntity) error {
		switch m.Kind {
		case report.LevelCampaign:
			n.Campaign[m.ID] = m.Name
		case report.LevelAdgroup:
			n.Adgroup[m.ID] = m.Name
		case report.LevelKeyword:
			n.Keyword[m.ID] = m.Name
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("names: %w", err)
	}
	t, err := tab.NewTable(dir, report.Options{Level: level, Language: report.LanguageEnglish, Names: n})
	if err != nil {
		return nil, err
	}
	open := func(ctx context.Context, f report.File) (io.ReadCloser, error) {
		return e.files.NewReader(ctx, f.Key, nil)
	}
	err = report.Build(ctx, t, days, open, func(i int, r report.DayResult) error {
		if r.Damaged != nil {
			return r.Damaged
		}
		return nil
	})
	if err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

// startProfile writes a CPU profile to path until stop is called; nothing when path is "".
func startProfile(path string) (stop func() error, err error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("processing: cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("processing: cpu profile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			return fmt.Errorf("processing: cpu profile: %w", err)
		}
		return nil
	}, nil
}

// countRows counts the lines of the engine's stored report files.
func countRows(ctx context.Context, e *engine) (int64, error) {
	var n int64
	it := e.files.List(nil)
	buf := make([]byte, 256<<10)
	for {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return 0, fmt.Errorf("processing: list files: %w", err)
		}
		if obj.IsDir {
			continue
		}
		rd, err := e.files.NewReader(ctx, obj.Key, nil)
		if err != nil {
			return 0, fmt.Errorf("processing: read %s: %w", obj.Key, err)
		}
		br := bufio.NewReaderSize(rd, len(buf))
		for {
			k, err := br.Read(buf)
			n += int64(bytes.Count(buf[:k], []byte{'\n'}))
			if err != nil {
				break
			}
		}
		_ = rd.Close()
	}
}

// memSample is one reading of the runtime's memory classes.
type memSample struct{ heapInUse, mapped uint64 }

var memNames = []string{
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/total:bytes",
	"/memory/classes/heap/released:bytes",
}

func readMem() memSample {
	s := make([]metrics.Sample, len(memNames))
	for i, n := range memNames {
		s[i].Name = n
	}
	metrics.Read(s)
	v := func(i int) uint64 {
		if s[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return s[i].Value.Uint64()
	}
	return memSample{heapInUse: v(0) + v(1), mapped: v(2) - v(3)}
}

// sampleMemory reads the memory classes every interval until stop; peak returns the highest.
func sampleMemory(every time.Duration) (stop func(), peak func() memSample) {
	var mu sync.Mutex
	var top memSample
	take := func() {
		m := readMem()
		mu.Lock()
		top.heapInUse = max(top.heapInUse, m.heapInUse)
		top.mapped = max(top.mapped, m.mapped)
		mu.Unlock()
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			take()
			select {
			case <-quit:
				return
			case <-t.C:
			}
		}
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() { close(quit); wg.Wait(); take() })
	}
	peak = func() memSample { mu.Lock(); defer mu.Unlock(); return top }
	return stop, peak
}
