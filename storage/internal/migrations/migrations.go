// Package migrations loads the numbered SQL migrations the SQL backends
// embed ("NNNN_name.sql"), in order.
package migrations

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migration is one schema step.
type Migration struct {
	Version int
	Name    string // the file name, e.g. "0002_avatars.sql"
	SQL     string
}

// Load returns the migrations in dir of fsys, in order; their versions
// must run 1, 2, 3... without gaps. backend prefixes error texts.
func Load(fsys fs.FS, dir, backend string) ([]Migration, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.sql"))
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, name := range names {
		base := path.Base(name)
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			return nil, fmt.Errorf("%s: migration %s: name does not start with a version", backend, base)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: base, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("%s: migration %s: want version %d", backend, m.Name, i+1)
		}
	}
	return ms, nil
}
