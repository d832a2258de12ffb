package navertest

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Fault kinds of downloads, beside those of faults.go (numbered apart so
// that both lists can grow).
const (
	// StallDownload sends half of the file, then nothing more until the
	// client gives up (the connection stays open).
	StallDownload FaultKind = iota + 101
	// CorruptZip flips a byte in the middle of a zipped download, so that
	// its entry fails its checksum or does not inflate; a plain download
	// is not affected (and the fault not used up).
	CorruptZip
)

// buildTime is how long the job seeded by seed takes to build: BuildDelay
// plus a share of BuildSpread fixed by the seed.
func (s *Server) buildTime(seed uint64) time.Duration {
	d := s.opts.BuildDelay
	if s.opts.BuildSpread > 0 {
		d += time.Duration(mix(seed, 0xb1d) % uint64(s.opts.BuildSpread+1))
	}
	return d
}

// wantsZip tells whether the download asks for a zip (X-Accept-Encoding:
// zip, docs/naver-api.md "Download").
func wantsZip(r *http.Request) bool {
	for _, v := range r.Header.Values("X-Accept-Encoding") {
		for _, p := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(p), "zip") {
				return true
			}
		}
	}
	return false
}

// fileName is the name of the one entry of a zipped report (unconfirmed:
// Naver's is not documented).
func fileName(ref jobRef) string {
	if ref.stat != nil {
		return fmt.Sprintf("%s-%s.tsv", ref.stat.reportTp, ref.stat.day.Format("20060102"))
	}
	return ref.master.item + ".tsv"
}

// writeZip writes the file made by gen as the one entry of a zip archive,
// deflated, as zip tools write it (data descriptor after the data).
func writeZip(w io.Writer, name string, gen func(io.Writer) error) error {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.DefaultCompression)
	})
	fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: entitiesRegistered()})
	if err != nil {
		return err
	}
	if err := gen(fw); err != nil {
		return err
	}
	return zw.Close()
}

// send answers a download with the file made by gen: zipped when asked
// for, through the customer's link, with the download faults applied.
func (s *Server) send(c *call, ref jobRef, gen func(io.Writer) error) {
	body := gen
	c.w.Header().Set("Content-Type", "application/octet-stream")
	zipped := wantsZip(c.r)
	if zipped {
		b, err := s.zipOf(c.customer, fileName(ref), c.customer.version(ref), gen)
		if err != nil {
			writeCode(c, http.StatusInternalServerError, 500, "Internal Server Error")
			return
		}
		body = func(w io.Writer) error { _, err := w.Write(b); return err }
		c.w.Header().Set("Content-Type", "application/zip")
	}
	link := s.linkWriter(c)
	defer s.linkDone(c, link)
	id, path := c.customer.ID, c.r.URL.Path
	_, cut := s.takeFault(CutDownload, id, path, nil)
	stall := false
	if !cut {
		_, stall = s.takeFault(StallDownload, id, path, nil)
	}
	corrupt := false
	if zipped && !cut && !stall {
		_, corrupt = s.takeFault(CorruptZip, id, path, nil)
	}
	if !cut && !stall && !corrupt {
		c.w.WriteHeader(http.StatusOK)
		_ = body(link)
		return
	}
	var buf bytes.Buffer
	_ = body(&buf)
	b := buf.Bytes()
	c.w.WriteHeader(http.StatusOK)
	switch {
	case corrupt:
		b[len(b)/2] ^= 0xff
		_, _ = link.Write(b)
	case cut:
		_, _ = link.Write(b[:len(b)/2])
		c.w.Flush()
		panic(http.ErrAbortHandler) // closes the connection mid-body
	case stall:
		_, _ = link.Write(b[:len(b)/2])
		c.w.Flush()
		<-c.r.Context().Done() // until the client hangs up
	}
}

// maxZipCache bounds the bytes of zipped files the server keeps.
const maxZipCache = 128 << 20

// zipOf returns the zipped file name of customer cu, made by gen. A file
// asked for a second time is kept: Naver builds a report once and serves
// the file, so the simulator does not spend a benchmark's CPU deflating the
// same file again (a file fetched once is not kept, so that a benchmark of
// the client's memory does not count the simulator's cache). Files
// depend only on the customer, the name and the data's version (data are
// generated from the seed; Revise and Rename change them, and a master
// report's fromTime chooses its rows); a customer added again is a new key.
func (s *Server) zipOf(cu *customer, name, version string, gen func(io.Writer) error) ([]byte, error) {
	key := fmt.Sprintf("%p|%s|%s", cu, name, version)
	k := s.costs
	k.mu.Lock()
	b, ok := k.zips[key]
	again := k.zipped[key]
	k.zipped[key] = true
	k.mu.Unlock()
	if ok {
		return b, nil
	}
	var buf bytes.Buffer
	if err := writeZip(&buf, name, gen); err != nil {
		return nil, err
	}
	b = buf.Bytes()
	k.mu.Lock()
	if again && k.zipBytes+int64(len(b)) <= maxZipCache { // kept from its second download on
		if _, ok := k.zips[key]; !ok {
			k.zips[key] = b
			k.zipBytes += int64(len(b))
		}
	}
	k.mu.Unlock()
	return b, nil
}
