package navertest

import (
	"fmt"
	"io"
	"net/http"
	"strings"
)

// rawQueryParam returns the still-encoded value of key in a raw query.
func rawQueryParam(rawQuery, key string) (string, bool) {
	for _, kv := range strings.Split(rawQuery, "&") {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v, true
		}
	}
	return "", false
}

// download serves /report-download. The authtoken must arrive exactly as
// it was issued (no decoding or re-encoding) and fileVersion must be set.
func (s *Server) download(c *call) {
	if _, ok := rawQueryParam(c.r.URL.RawQuery, "fileVersion"); !ok {
		writeCode(c, http.StatusInternalServerError, 500, "Internal Server Error")
		return
	}
	token, _ := rawQueryParam(c.r.URL.RawQuery, "authtoken")
	s.mu.Lock()
	ref, ok := s.tokens[token]
	s.mu.Unlock()
	if !ok {
		writeCode(c, http.StatusNotFound, 20011, "보고서를 찾을 수 없습니다.")
		return
	}
	var (
		owner string
		gen   func(io.Writer) error
	)
	switch {
	case ref.stat != nil:
		j := ref.stat
		owner = j.customer
		c.rec.ReportType, c.rec.StatDate, c.rec.JobID = j.reportTp, j.day, fmt.Sprint(j.id)
		s.mu.Lock()
		gone, built := j.deleted, s.status(j.reg, j.build, j.outcome, false) == "BUILT"
		s.mu.Unlock()
		if gone || !built {
			writeCode(c, http.StatusNotFound, 20011, "보고서를 찾을 수 없습니다.")
			return
		}
		gen = c.customer.statWriter(j.reportTp, j.day)
	default:
		j := ref.master
		owner = j.customer
		c.rec.ReportType, c.rec.JobID = j.item, j.id
		s.mu.Lock()
		gone, built := j.deleted, s.status(j.reg, j.build, j.outcome, false) == "BUILT"
		s.mu.Unlock()
		if gone || !built {
			writeCode(c, http.StatusNotFound, 20011, "보고서를 찾을 수 없습니다.")
			return
		}
		cu := c.customer
		gen = func(w io.Writer) error { return cu.writeMaster(w, j.item, j.from) }
	}
	if owner != c.customer.ID {
		writeCode(c, http.StatusForbidden, 20005, "요청한 작업을 수행할 수 없습니다.")
		return
	}
	id, path := c.customer.ID, c.r.URL.Path
	if ref.stat != nil {
		_, changed := s.takeFault(DataChanged, id, path, nil)
		s.mu.Lock()
		if changed {
			ref.stat.changed = true
		}
		changed = ref.stat.changed
		s.mu.Unlock()
		if changed {
			writeJSON(c, http.StatusBadRequest, map[string]any{"message": "데이터 변경됨 (changed)"})
			return
		}
	}
	s.send(c, ref, gen)
}
