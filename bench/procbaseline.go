package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ProcessingBaseline is scenario 4 run by another commit's code beside today's, on the same
// machine in the same run (Config.ProcBaseline): that commit's tree is taken from the git
// repository (git archive), a small driver is added to its package bench, and the binary built
// from it runs its own processing scenario once per round, alternating with today's.
type ProcessingBaseline struct {
	// Rev is the revision asked for, Commit what it resolved to.
	Rev, Commit string
	// Skipped says why the baseline did not run (the commit is absent, its tree does not build).
	Skipped string
	// Runs are the baseline's measured times, one per round; Elapsed is their median.
	Runs    []time.Duration
	Elapsed time.Duration
	// CPURuns and CPU are the same for the process's CPU time (Processing.CPU).
	CPURuns []time.Duration
	CPU     time.Duration
	// InputRows and SheetRows are those of the baseline's last run.
	InputRows, SheetRows int64
}

// Ratio is today's median processing time over the baseline's (below 1: today is faster).
func (b ProcessingBaseline) Ratio(today time.Duration) float64 {
	return ratio(float64(today), float64(b.Elapsed))
}

// CPURatio is today's median CPU time over the baseline's.
func (b ProcessingBaseline) CPURatio(today time.Duration) float64 {
	return ratio(float64(today), float64(b.CPU))
}

// baselineDriverDir is where the driver's main package goes in the baseline's tree.
const baselineDriverDir = "cmd/zz-procbaseline"

// baselineDriverBench is added to the baseline's package bench: it runs that commit's scenario
// 4 alone. It relies only on what scenario 4 has had since it exists: Config with its Proc
// fields and setDefaults, and runner{cfg, dir} with processing.
const baselineDriverBench = `package bench

import (
	"context"
	"os"
	"strings"
	"syscall"
	"time"
)

// ProcessingBaselineRun runs scenario 4 alone (added by a later commit's -proc-baseline), and
// returns the process's CPU time from the scenario's "building the sheet rows" on.
func ProcessingBaselineRun(ctx context.Context, c Config) (Processing, time.Duration, error) {
	c.setDefaults()
	dir, err := os.MkdirTemp("", "naversync-procbaseline-")
	if err != nil {
		return Processing{}, 0, err
	}
	defer os.RemoveAll(dir)
	var start time.Duration
	c.Progress = func(msg string) {
		if strings.HasPrefix(msg, "` + buildingRows + `") {
			start = baselineCPU()
		}
	}
	r := &runner{cfg: c, dir: dir}
	p, err := r.processing(ctx)
	return p, baselineCPU() - start, err
}

func baselineCPU() time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
`

// baselineDriverMain prints the scenario's result as JSON.
const baselineDriverMain = `package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/naversync/naversync/bench"
)

func main() {
	var c bench.Config
	flag.IntVar(&c.ProcDays, "days", 0, "")
	flag.IntVar(&c.ProcCampaigns, "campaigns", 0, "")
	flag.IntVar(&c.ProcAdgroups, "adgroups", 0, "")
	flag.IntVar(&c.ProcKeywords, "keywords", 0, "")
	flag.IntVar(&c.ProcProcs, "procs", 0, "")
	cpuprofile := flag.String("cpuprofile", "", "")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	p, cpu, err := bench.ProcessingBaselineRun(context.Background(), c)
	pprof.StopCPUProfile()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out := struct {
		Processing bench.Processing
		CPU        int64
	}{p, int64(cpu)}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
`

// errBaselineSkipped marks a baseline that cannot run here; the bench goes on without it.
var errBaselineSkipped = errors.New("baseline skipped")

// buildBaseline builds the driver of rev's scenario 4 into dir and returns the binary's path and
// the commit. An error matching errBaselineSkipped means the baseline cannot run (no git, the
// commit is absent, its tree does not build with the driver).
func buildBaseline(ctx context.Context, repo, rev, dir string) (bin, commit string, err error) {
	out, err := exec.CommandContext(ctx, "git", "-C", repo, "rev-parse", "--verify", "--quiet", rev+"^{commit}").Output()
	if err != nil {
		return "", "", fmt.Errorf("%w: commit %q is not in the repository at %s", errBaselineSkipped, rev, repo)
	}
	commit = strings.TrimSpace(string(out))
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", commit, fmt.Errorf("bench: baseline: %w", err)
	}
	archive := exec.CommandContext(ctx, "git", "-C", repo, "archive", "--format=tar", commit)
	untar := exec.CommandContext(ctx, "tar", "-x", "-C", src)
	var stderr bytes.Buffer
	archive.Stderr, untar.Stderr = &stderr, &stderr
	pipe, err := archive.StdoutPipe()
	if err != nil {
		return "", commit, fmt.Errorf("bench: baseline: %w", err)
	}
	untar.Stdin = pipe
	if err := untar.Start(); err != nil {
		return "", commit, fmt.Errorf("%w: tar: %v", errBaselineSkipped, err)
	}
	aerr := archive.Run()
	if err := errors.Join(aerr, untar.Wait()); err != nil {
		return "", commit, fmt.Errorf("%w: git archive %s: %v: %s", errBaselineSkipped, commit, err, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(src, "bench")); err != nil {
		return "", commit, fmt.Errorf("%w: commit %s has no package bench", errBaselineSkipped, commit[:12])
	}
	files := map[string]string{
		filepath.Join(src, "bench", "zz_procbaseline.go"): baselineDriverBench,
		filepath.Join(src, baselineDriverDir, "main.go"):  baselineDriverMain,
	}
	for path, text := range files {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return "", commit, fmt.Errorf("bench: baseline: %w", err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			return "", commit, fmt.Errorf("bench: baseline: %w", err)
		}
	}
	bin = filepath.Join(dir, "procbaseline")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./"+baselineDriverDir)
	build.Dir = src
	build.Env = append(os.Environ(), "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		return "", commit, fmt.Errorf("%w: go build of %s's scenario 4: %v: %s", errBaselineSkipped, commit[:12], err, out)
	}
	return bin, commit, nil
}

// runBaseline runs the baseline's scenario 4 once; with a profile path, it writes the CPU
// profile of the whole run there (fetch included: look at it with -focus BuildTable).
func runBaseline(ctx context.Context, bin string, c Config, profile string) (Processing, error) {
	cmd := exec.CommandContext(ctx, bin,
		"-days", strconv.Itoa(c.ProcDays), "-campaigns", strconv.Itoa(c.ProcCampaigns),
		"-adgroups", strconv.Itoa(c.ProcAdgroups), "-keywords", strconv.Itoa(c.ProcKeywords),
		"-procs", strconv.Itoa(c.ProcProcs), "-cpuprofile", profile)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return Processing{}, fmt.Errorf("bench: baseline run: %w: %s", err, stderr.String())
	}
	var res struct {
		Processing Processing
		CPU        int64
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return Processing{}, fmt.Errorf("bench: baseline run: decode %q: %w", out, err)
	}
	res.Processing.CPU = time.Duration(res.CPU)
	return res.Processing, nil
}

// buildingRows begins the progress message scenario 4 sends just before its measured part; CPU
// time is counted from it to the scenario's end, alike for the baseline and for this build.
const buildingRows = "processing: building the sheet rows"

// processingCPU runs scenario 4 and counts the process's CPU time from its buildingRows message
// on, as the baseline's driver does.
func (r *runner) processingCPU(ctx context.Context) (Processing, error) {
	progress := r.cfg.Progress
	defer func() { r.cfg.Progress = progress }()
	var start time.Duration
	r.cfg.Progress = func(msg string) {
		if strings.HasPrefix(msg, buildingRows) {
			start = processCPU()
		}
		progress(msg)
	}
	p, err := r.processing(ctx)
	p.CPU = processCPU() - start
	return p, err
}

// processingRounds runs scenario 4 Config.ProcRuns times, and with Config.ProcBaseline the
// baseline's once before each of today's runs (old, new, old, new…), so that both see the
// machine alike. Today's result is its median run, with every run's time in Runs.
func (r *runner) processingRounds(ctx context.Context) (Processing, error) {
	c := r.cfg
	var base *ProcessingBaseline
	var bin string
	if c.ProcBaseline != "" {
		base = &ProcessingBaseline{Rev: c.ProcBaseline}
		c.Progress(fmt.Sprintf("processing: building %s's scenario 4 from %s (git archive)", c.ProcBaseline, c.ProcRepo))
		dir, err := os.MkdirTemp(r.dir, "baseline-")
		if err != nil {
			return Processing{}, fmt.Errorf("bench: baseline: %w", err)
		}
		defer os.RemoveAll(dir)
		bin, base.Commit, err = buildBaseline(ctx, c.ProcRepo, c.ProcBaseline, dir)
		switch {
		case errors.Is(err, errBaselineSkipped):
			base.Skipped = err.Error()
			c.Progress("processing: baseline " + base.Skipped)
		case err != nil:
			return Processing{}, err
		}
	}
	var runs []Processing
	for i := 0; i < c.ProcRuns; i++ {
		if base != nil && base.Skipped == "" {
			c.Progress(fmt.Sprintf("processing: round %d/%d, baseline %s", i+1, c.ProcRuns, base.Commit[:12]))
			profile := ""
			if c.ProcCPUProfile != "" {
				profile = c.ProcCPUProfile + ".baseline"
			}
			p, err := runBaseline(ctx, bin, c, profile)
			if err != nil {
				return Processing{}, err
			}
			base.Runs = append(base.Runs, p.Elapsed)
			base.CPURuns = append(base.CPURuns, p.CPU)
			base.InputRows, base.SheetRows = p.InputRows, p.SheetRows
		}
		c.Progress(fmt.Sprintf("processing: round %d/%d, this build", i+1, c.ProcRuns))
		p, err := r.processingCPU(ctx)
		if err != nil {
			return Processing{}, err
		}
		runs = append(runs, p)
	}
	// The median run is today's result (its memory and calls with it); Runs in run order.
	var times, cpus []time.Duration
	for _, p := range runs {
		times, cpus = append(times, p.Elapsed), append(cpus, p.CPU)
	}
	slices.SortStableFunc(runs, func(a, b Processing) int { return cmpDuration(a.Elapsed, b.Elapsed) })
	res := runs[len(runs)/2]
	res.Runs, res.CPURuns, res.CPU = times, cpus, median(cpus)
	if base != nil {
		base.Elapsed, base.CPU = median(base.Runs), median(base.CPURuns)
		res.Baseline = base
	}
	return res, nil
}

// median of durations (the upper one of an even count); 0 for none.
func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.SortFunc(s, cmpDuration)
	return s[len(s)/2]
}

func cmpDuration(a, b time.Duration) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
