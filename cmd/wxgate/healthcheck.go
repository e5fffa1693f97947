package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

func init() {
	commands["healthcheck"] = command{summary: "exit 0 if a gateway's /healthz answers 200 (for container health checks)", run: runHealthcheck}
}

func runHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("healthcheck", "[--url URL] [--timeout D]",
		"Asks a gateway's /healthz and exits 0 when it answers 200, 1 otherwise: the health\n"+
			"check of a container image that has no shell or curl (deploy/container/Containerfile).", stderr)
	url := fs.String("url", "http://127.0.0.1:8080/healthz", "the `URL` to ask")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		fmt.Fprintf(stderr, "wxgate healthcheck: %v\n", err)
		return exitError{2}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "wxgate healthcheck: %s: no answer: %v\n", *url, err)
		return exitError{1}
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "wxgate healthcheck: %s answered %s\n", *url, res.Status)
		return exitError{1}
	}
	fmt.Fprintf(stdout, "%s: ok\n", *url)
	return nil
}
