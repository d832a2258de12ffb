package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// httpServer is the API's HTTP server: bounded against slow and idle clients (timeouts, header
// size, open connections) and drained on shutdown.
type httpServer struct {
	srv     *http.Server
	drain   chan struct{}      // closed when the drain starts (the handler ends its event streams)
	cancel  context.CancelFunc // ends the requests' base context after a drain that timed out
	served  chan error         // Serve's result
	log     *slog.Logger
	timeout time.Duration
	once    sync.Once
}

// serverLimits are the settings of httpServer (from config.Config).
type serverLimits struct {
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	MaxHeaderBytes, MaxConns                                  int
	ShutdownTimeout                                           time.Duration
}

// serveHTTP serves h on ln until shutdown. Requests run on their own base context, not the
// process's signal context: a signal starts a drain, it does not cancel requests in flight.
func serveHTTP(ln net.Listener, h http.Handler, lim serverLimits, drain chan struct{}, log *slog.Logger) *httpServer {
	base, cancel := context.WithCancel(context.Background())
	s := &httpServer{drain: drain, cancel: cancel, served: make(chan error, 1), log: log, timeout: lim.ShutdownTimeout}
	s.srv = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: lim.ReadHeaderTimeout,
		ReadTimeout:       lim.ReadTimeout,
		WriteTimeout:      lim.WriteTimeout, // event streams lift it for themselves
		IdleTimeout:       lim.IdleTimeout,
		MaxHeaderBytes:    lim.MaxHeaderBytes,
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	ln = &connLimit{Listener: ln, max: int64(lim.MaxConns)}
	go func() {
		err := s.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.served <- err
	}()
	return s
}

// shutdown drains the server: it stops accepting, ends the event streams with a final event
// and waits for the requests in flight, at most the shutdown timeout; then it closes what is
// left. It returns when Serve has returned.
func (s *httpServer) shutdown() {
	s.once.Do(func() {
		close(s.drain)
		ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil {
			s.log.Warn("http drain did not finish in time; closing the remaining connections", "timeout", s.timeout, "err", err)
			s.cancel()
			_ = s.srv.Close()
		}
		s.cancel()
		if err := <-s.served; err != nil {
			s.log.Warn("http server", "err", err)
		}
	})
}

// connLimit is a listener that keeps at most max connections open. A connection beyond that
// is answered at once with a 503 problem (without reading its request) and closed, so that a
// flood of idle connections cannot take every file descriptor; the timeouts then free places.
type connLimit struct {
	net.Listener
	max            int64
	open, refusing atomic.Int64
}

// Accept returns the next connection within the limit, refusing those beyond it.
func (l *connLimit) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) <= l.max {
			return &limitedConn{Conn: c, l: l}, nil
		}
		l.open.Add(-1)
		if l.refusing.Add(1) > l.max {
			l.refusing.Add(-1)
			_ = c.Close() // a flood: not even an answer
			continue
		}
		go l.refuse(c)
	}
}

// overCapacity is the answer to a connection beyond the limit.
var overCapacity = func() string {
	body := `{"type":"https://naversync.dev/problems/over-capacity","title":"Too many connections",` +
		`"status":503,"detail":"the server holds as many connections as it accepts; try again shortly","instance":"/"}` + "\n"
	return fmt.Sprintf("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\n"+
		"Cache-Control: no-store\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
}()

func (l *connLimit) refuse(c net.Conn) {
	defer l.refusing.Add(-1)
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := io.WriteString(c, overCapacity); err != nil {
		return
	}
	// Let the answer arrive before the close: end our side, read what the client sent.
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(c, 64<<10))
}

// limitedConn gives its place back when closed.
type limitedConn struct {
	net.Conn
	l    *connLimit
	once sync.Once
}

func (c *limitedConn) Close() error {
	c.once.Do(func() { c.l.open.Add(-1) })
	return c.Conn.Close()
}

// CloseWrite lets net/http end its side of the connection before closing it.
func (c *limitedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
