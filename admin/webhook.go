package admin

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Webhook tells relying parties of account events (user.merged) by POSTing
// a signed JSON body to one URL, retrying with backoff until it answers
// 2xx. The body is
//
//	{"id":"evt_...","type":"user.merged","time":"RFC 3339","data":{"from":"usr-...","into":"usr-..."}}
//
// and the header X-Wxgate-Signature is "t=UNIX,v1=HEX": HEX is the
// HMAC-SHA256, under the shared secret, of "UNIX." followed by the body.
// Receivers recompute it, compare in constant time, refuse a t far from
// now, and deduplicate by id (a delivery may arrive twice).
type Webhook struct {
	URL    string
	Secret func() (string, error)
	Client *http.Client
	Log    *slog.Logger
	// Attempts (default 6) and Backoff (default 1s, doubled each time)
	// bound the retries.
	Attempts int
	Backoff  time.Duration
	Now      func() time.Time

	wg  sync.WaitGroup
	sem chan struct{}
	mu  sync.Mutex
}

// Sign returns the X-Wxgate-Signature value of body at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// Send delivers one event in the background.
func (w *Webhook) Send(typ string, data map[string]string) {
	w.mu.Lock()
	if w.sem == nil {
		w.sem = make(chan struct{}, 4)
	}
	w.mu.Unlock()
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	var id [12]byte
	_, _ = rand.Read(id[:])
	body, _ := json.Marshal(map[string]any{"id": "evt_" + hex.EncodeToString(id[:]), "type": typ, "time": now().UTC().Format(time.RFC3339), "data": data})
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		w.sem <- struct{}{}
		defer func() { <-w.sem }()
		w.deliver(typ, body)
	}()
}

// Wait waits for the deliveries in flight (tests, shutdown).
func (w *Webhook) Wait() { w.wg.Wait() }

func (w *Webhook) deliver(typ string, body []byte) {
	log := w.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	attempts, backoff := w.Attempts, w.Backoff
	if attempts <= 0 {
		attempts = 6
	}
	if backoff <= 0 {
		backoff = time.Second
	}
	client := w.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	var last error
	for i := range attempts {
		if i > 0 {
			time.Sleep(backoff)
			backoff *= 2
		}
		if last = w.post(client, body); last == nil {
			return
		}
	}
	log.Error("webhook: gave up delivering an event; the receiver must be checked", "type", typ, "attempts", attempts, "err", last)
}

func (w *Webhook) post(client *http.Client, body []byte) error {
	secret, err := w.Secret()
	if err != nil {
		return fmt.Errorf("reading the webhook secret: %w", err)
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "wxgate-webhook")
	req.Header.Set("X-Wxgate-Signature", Sign(secret, now(), body))
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("the receiver answered %d", resp.StatusCode)
	}
	return nil
}
