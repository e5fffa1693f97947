package audit

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/wxgate/wxgate/audit/har"
)

// Options configure a Scanner. The zero value scans with the defaults.
type Options struct {
	// Secrets are exact values to find in any common encoding: the team's
	// real AppSecret, a known session_key or token. Each must be at least
	// MinSecretLen characters.
	Secrets []string
	// All scans what is skipped by default: binary files, .git, and
	// vendored folders (node_modules, vendor, miniprogram_npm, ...).
	All bool
	// Workers is the number of files scanned at once; 0 means GOMAXPROCS.
	Workers int
	// MaxFileSize is the size above which a file is scanned in chunks
	// instead of being read whole; 0 means 32 MiB.
	MaxFileSize int64
	// Warn receives problems that do not stop the scan (an unreadable
	// file, a malformed HAR capture read as text). Nil drops them.
	Warn func(error)
}

// Scanner scans files, trees and streams for leaked WeChat secrets. It is
// safe for concurrent use.
type Scanner struct {
	opts    Options
	needles []needle
	redact  []string // every form of every needle, for excerpts
}

// ErrScannedAsText is wrapped by the warnings about captures that could
// not be read as HAR and were scanned as plain text instead: a note, not a
// gap in the scan.
var ErrScannedAsText = errors.New("scanned as text")

// Stats counts what a scan read.
type Stats struct {
	Files   int64 // files scanned
	Bytes   int64 // bytes scanned
	Skipped int64 // files skipped (binary, vendored, unreadable)
}

// Result is the outcome of a scan.
type Result struct {
	Findings []Finding
	Stats    Stats
}

// NewScanner returns a scanner. It fails if a secret is too short to
// search for.
func NewScanner(opts Options) (*Scanner, error) {
	s := &Scanner{opts: opts}
	if s.opts.Workers <= 0 {
		s.opts.Workers = runtime.GOMAXPROCS(0)
	}
	if s.opts.MaxFileSize <= 0 {
		s.opts.MaxFileSize = 32 << 20
	}
	for i, v := range opts.Secrets {
		v = strings.TrimSpace(v)
		if len(v) < MinSecretLen {
			return nil, fmt.Errorf("audit: secret %d is shorter than %d characters: too short to search for", i+1, MinSecretLen)
		}
		n := newNeedle(kindOfValue(v), v, "given with --secret")
		s.needles = append(s.needles, n)
		for _, vr := range n.variants {
			s.redact = append(s.redact, vr.Text)
		}
	}
	return s, nil
}

// vendored folders are skipped unless Options.All.
var vendored = map[string]bool{
	".git": true, ".hg": true, ".svn": true, "node_modules": true, "vendor": true, "bower_components": true,
	"miniprogram_npm": true, ".idea": true, ".vscode": true, "__pycache__": true, ".venv": true, "venv": true,
	".gradle": true, ".tox": true, ".cache": true,
}

// binaryExt are extensions never read unless Options.All.
var binaryExt = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".webp": true, ".ico": true, ".bmp": true, ".svgz": true,
	".mp3": true, ".mp4": true, ".mov": true, ".avi": true, ".wav": true, ".ogg": true, ".webm": true,
	".zip": true, ".gz": true, ".tgz": true, ".bz2": true, ".xz": true, ".7z": true, ".rar": true, ".jar": true, ".war": true,
	".pdf": true, ".woff": true, ".woff2": true, ".ttf": true, ".otf": true, ".eot": true,
	".so": true, ".dylib": true, ".dll": true, ".exe": true, ".o": true, ".a": true, ".class": true, ".pyc": true,
	".db": true, ".sqlite": true, ".wasm": true,
}

// job is one file to scan.
type job struct {
	path   string
	client bool // inside a mini-program project
}

// Scan scans files and directory trees (use ScanReader for standard
// input). Directories are walked with the files spread over
// Options.Workers goroutines.
// Problems with single files go to Options.Warn; a path that cannot be
// read at all is an error.
func (s *Scanner) Scan(ctx context.Context, paths []string) (*Result, error) {
	var (
		mu    sync.Mutex
		all   []Finding
		stats Stats
	)
	jobs := make(chan job, 256)
	var wg sync.WaitGroup
	for range s.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for j := range jobs {
				if ctx.Err() != nil {
					continue
				}
				fs, n, err := s.scanFile(j, &buf)
				if err != nil {
					s.warn(err)
					atomic.AddInt64(&stats.Skipped, 1)
					continue
				}
				if n < 0 {
					atomic.AddInt64(&stats.Skipped, 1)
					continue
				}
				atomic.AddInt64(&stats.Files, 1)
				atomic.AddInt64(&stats.Bytes, n)
				if len(fs) > 0 {
					mu.Lock()
					all = append(all, fs...)
					mu.Unlock()
				}
			}
		}()
	}
	var walkErr error
	for _, p := range paths {
		if err := s.walk(ctx, p, jobs); err != nil {
			walkErr = err
			break
		}
	}
	close(jobs)
	wg.Wait()
	if walkErr != nil {
		return nil, walkErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &Result{Findings: finalize(all), Stats: stats}, nil
}

func (s *Scanner) warn(err error) {
	if s.opts.Warn != nil {
		s.opts.Warn(err)
	}
}

// walk sends the files under root to jobs.
func (s *Scanner) walk(ctx context.Context, root string, jobs chan<- job) error {
	fi, err := os.Stat(root)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if !fi.IsDir() {
		jobs <- job{path: root, client: inMiniProgram(filepath.Dir(root))}
		return nil
	}
	return s.walkDir(ctx, root, inMiniProgram(root), jobs)
}

func (s *Scanner) walkDir(ctx context.Context, dir string, client bool, jobs chan<- job) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		s.warn(fmt.Errorf("audit: %w", err))
		return nil
	}
	if !client && isMiniProgramRoot(dir, ents) {
		client = true
	}
	for _, e := range ents {
		name := e.Name()
		p := filepath.Join(dir, name)
		switch {
		case e.IsDir():
			if !s.opts.All && vendored[name] {
				continue
			}
			sub := client
			if isCloudFunctions(name) {
				sub = false // cloud functions run on WeChat's servers
			}
			if err := s.walkDir(ctx, p, sub, jobs); err != nil {
				return err
			}
		case e.Type().IsRegular():
			if !s.opts.All && binaryExt[strings.ToLower(filepath.Ext(name))] {
				continue
			}
			jobs <- job{path: p, client: client}
		}
	}
	return nil
}

// isMiniProgramRoot reports a mini-program project by its markers, not by
// its folder's name: project.config.json (the developer tools' project
// file, also at the root of Taro and uni-app projects), app.json beside
// app.js or app.ts, uni-app's pages.json, or a manifest.json with an
// mp-weixin section.
func isMiniProgramRoot(dir string, ents []fs.DirEntry) bool {
	has := map[string]bool{}
	for _, e := range ents {
		has[e.Name()] = true
	}
	if has["project.config.json"] || has["pages.json"] || has["app.json"] && (has["app.js"] || has["app.ts"]) {
		return true
	}
	return has["manifest.json"] && manifestIsWeixin(filepath.Join(dir, "manifest.json"))
}

// manifestIsWeixin reports a uni-app manifest.json with an mp-weixin
// section (a web app's manifest.json has none).
func manifestIsWeixin(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 64<<10)
	n, _ := io.ReadFull(f, head)
	return bytes.Contains(head[:n], []byte(`"mp-weixin"`))
}

// inMiniProgram reports whether dir is inside a mini-program project.
func inMiniProgram(dir string) bool {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	for range 12 {
		if isCloudFunctions(filepath.Base(abs)) {
			return false
		}
		if ents, err := os.ReadDir(abs); err == nil && isMiniProgramRoot(abs, ents) {
			return true
		}
		parent := filepath.Dir(abs)
		if parent == abs {
			break
		}
		abs = parent
	}
	return false
}

// isCloudFunctions: cloud functions run on WeChat's servers (uniCloud's
// too), so they are backend code inside a mini-program project.
func isCloudFunctions(name string) bool {
	return name == "cloudfunctions" || name == "cloudfunction" || name == "uniCloud"
}

// chunkOverlap is how much of the next chunk is scanned with a chunk (at
// most half a chunk), so a match across the boundary is seen whole.
const chunkOverlap = 64 << 10

// scanFile scans one file. It returns the bytes scanned, or -1 when the
// file was skipped as binary.
func (s *Scanner) scanFile(j job, buf *[]byte) ([]Finding, int64, error) {
	f, err := os.Open(j.path)
	if err != nil {
		return nil, 0, fmt.Errorf("audit: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("audit: %w", err)
	}
	name := filepath.ToSlash(j.path)
	size := fi.Size()
	isHAR := strings.EqualFold(filepath.Ext(name), ".har")
	if size > s.opts.MaxFileSize && !(isHAR && size <= maxHAR) {
		fs, n, err := s.scanChunks(name, f, j.client)
		return fs, n, err
	}
	if int64(cap(*buf)) < size+1 {
		*buf = make([]byte, 0, size+size/8+512)
	}
	data, err := readAll(f, (*buf)[:0])
	*buf = data[:0]
	if err != nil {
		return nil, 0, fmt.Errorf("audit: %s: %w", name, err)
	}
	if !s.opts.All && looksBinary(data) {
		return nil, -1, nil
	}
	return s.scanData(name, data, j.client), int64(len(data)), nil
}

// readAll reads r into buf's spare capacity, growing it as needed.
func readAll(r io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// looksBinary: a NUL byte in the first 8000 bytes, as git decides.
func looksBinary(data []byte) bool {
	return bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0
}

// maxHAR is the largest HAR capture parsed as one document; a larger one
// is scanned as text, in chunks.
const maxHAR = 256 << 20

// scanData scans one whole file's content.
func (s *Scanner) scanData(name string, data []byte, client bool) []Finding {
	if isHARName(name) || (strings.EqualFold(filepath.Ext(name), ".json") && har.Sniff(data)) || (name == "-" && har.Sniff(data)) {
		fs, err := s.scanHAR(name, data)
		if err == nil {
			return fs
		}
		s.warn(fmt.Errorf("audit: %s: %v; %w", name, err, ErrScannedAsText))
		return s.scanText(name, roleLog, data, 1, -1)
	}
	r := classify(name, data, client)
	return s.scanText(name, r, data, 1, -1)
}

func isHARName(name string) bool { return strings.EqualFold(filepath.Ext(name), ".har") }

// scanText runs the rules over text, which starts at line firstLine of
// the file. Only hits starting before reportTo are kept (a chunk leaves
// the rest to the next one, which starts there); reportTo < 0 keeps all.
func (s *Scanner) scanText(name string, r role, text []byte, firstLine, reportTo int) []Finding {
	ts := newTextScan(text, r, s.needles)
	hits := ts.run()
	if r == roleServer {
		hits = append(hits, passthrough(text)...)
		hits = append(hits, secretLogs(name, text, ts.secretSeen)...)
	}
	if len(hits) == 0 {
		return nil
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].start < hits[j].start })
	secrets := secretsOf(hits, s.redact)
	out := make([]Finding, 0, len(hits))
	line, at := firstLine, 0
	for _, h := range hits {
		if reportTo >= 0 && h.start >= reportTo {
			break
		}
		line += bytes.Count(text[at:h.start], []byte{'\n'})
		at = h.start
		out = append(out, Finding{
			Kind: h.kind, File: name, Line: line, Message: h.msg, Excerpt: excerpt(text, h, secrets),
			value: h.value, appID: h.appID, prio: h.prio,
		})
	}
	return out
}

// scanChunks scans a large file in chunks; each chunk is scanned together
// with the first chunkOverlap bytes of the next, so a match across the
// boundary is seen whole, and reported by the chunk it starts in.
func (s *Scanner) scanChunks(name string, r io.Reader, client bool) ([]Finding, int64, error) {
	chunk := int(min(s.opts.MaxFileSize, 8<<20))
	overlap := min(chunkOverlap, chunk/2)
	buf := make([]byte, 0, chunk+overlap)
	var (
		out   []Finding
		total int64
		line  = 1 // line number of buf[0]
		first = true
		role  role
	)
	for {
		n, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		total += int64(n)
		eof := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
		if err != nil && !eof {
			return nil, 0, fmt.Errorf("audit: %s: %w", name, err)
		}
		if first {
			if !s.opts.All && looksBinary(buf) {
				return nil, -1, nil
			}
			role = classify(name, buf, client)
			first = false
		}
		if eof {
			out = append(out, s.scanText(name, role, buf, line, -1)...)
			break
		}
		cut := len(buf) - overlap
		out = append(out, s.scanText(name, role, buf, line, cut)...)
		line += bytes.Count(buf[:cut], []byte{'\n'})
		copy(buf, buf[cut:])
		buf = buf[:overlap]
	}
	return out, total, nil
}

// ScanReader scans one stream (standard input) under name: as a HAR
// capture if it looks like one (read whole), otherwise as
// captured text, in chunks, so a stream of any length is fine. A HAR
// stream over 256 MiB is cut there.
func (s *Scanner) ScanReader(name string, r io.Reader) (*Result, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(4096)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("audit: %s: %w", name, err)
	}
	if !har.Sniff(head) {
		fs, n, err := s.scanChunks(name, br, false)
		if err != nil {
			return nil, err
		}
		return &Result{Findings: finalize(fs), Stats: Stats{Files: 1, Bytes: max(n, 0)}}, nil
	}
	data, err := io.ReadAll(io.LimitReader(br, maxHAR))
	if err != nil {
		return nil, fmt.Errorf("audit: %s: %w", name, err)
	}
	fs, err := s.scanHAR(name, data)
	if err != nil {
		s.warn(fmt.Errorf("audit: %s: %v; %w", name, err, ErrScannedAsText))
		fs = s.scanText(name, roleLog, data, 1, -1)
	}
	return &Result{Findings: finalize(fs), Stats: Stats{Files: 1, Bytes: int64(len(data))}}, nil
}

// ScanBytes scans one file's content as if read from name (the name's
// extension and content decide how it is read). client says the file
// belongs to a mini-program project.
func (s *Scanner) ScanBytes(name string, data []byte, client bool) []Finding {
	return finalize(s.scanData(name, data, client))
}
