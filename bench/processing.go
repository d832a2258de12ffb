package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/naversync/naversync/naver/navertest"
	"github.com/naversync/naversync/service"
)

// Processing is scenario 4: a year of a large account from the files on disk to the finished
// sheet rows (service.BuildTable, rows drained), the Sheets API excluded.
type Processing struct {
	Days, Keywords int
	// Procs is GOMAXPROCS during the measurement.
	Procs int
	// InputRows are the AD and AD_CONVERSION rows of the stored files; SheetRows the rows built.
	InputRows, SheetRows int64
	Elapsed              time.Duration
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

	c.Progress(fmt.Sprintf("processing: building the sheet rows with GOMAXPROCS=%d", c.ProcProcs))
	prev := runtime.GOMAXPROCS(c.ProcProcs)
	defer runtime.GOMAXPROCS(prev)
	runtime.GC()
	debug.FreeOSMemory()
	res.BaseHeapInUse = readMem().heapInUse
	stop, peak := sampleMemory(2 * time.Millisecond)
	start := time.Now()
	table, done, err := e.svc.BuildTable(ctx, sy.ID)
	if err != nil {
		stop()
		return res, fmt.Errorf("processing: %w", err)
	}
	var n int64
	for row := range table.Rows {
		if len(row) != len(table.Columns) {
			break
		}
		n++
	}
	res.Elapsed = time.Since(start)
	stop()
	done()
	m := peak()
	res.PeakHeapInUse, res.PeakMapped = m.heapInUse, m.mapped
	res.SheetRows = n
	if n != int64(table.NumRows) {
		return res, fmt.Errorf("processing: drained %d rows of %d", n, table.NumRows)
	}
	return res, nil
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
