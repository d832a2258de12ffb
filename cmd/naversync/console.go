package main

import (
	"net/http"

	"github.com/naversync/naversync/console"
)

// newConsole returns the operator's console (issue 11), served by the API at /ui/.
func newConsole() http.Handler { return console.Handler() }
