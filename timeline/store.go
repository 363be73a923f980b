package timeline

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The case directory (design.md §2):
//
//	case.json                manifest, written last by every run
//	events/source=S/date=D/part-<run>-<n>.parquet
//	rejects/<run>.jsonl      records that could not be normalized
//	index/<run>.idx          the deduplication index as of that run
//	case.db                  annotations, views, assertions, users (casedb.go)
//
// A run writes into .staging/<run>/ and moves its files into place just
// before it writes the manifest. Only what the manifest names is part of
// the case: whatever a crashed run left behind is ignored by readers and
// removed by the next run.

const (
	manifestName = "case.json"
	eventsDir    = "events"
	rejectsDir   = "rejects"
	indexDir     = "index"
	lockName     = "case.lock"
	stagingDir   = ".staging" // a run's files until it commits
)

// ErrNoCase is returned when a directory holds no case.
var ErrNoCase = errors.New("no case here (no case.json)")

// Manifest is case.json: what the case holds and where it came from.
type Manifest struct {
	Name          string       `json:"name"`
	Created       time.Time    `json:"created"`
	SchemaVersion int          `json:"schema_version"`
	Files         []FileRecord `json:"files"`
	Runs          []RunRecord  `json:"runs"`
	Parts         []PartRecord `json:"parts"`
	Index         string       `json:"index,omitempty"` // current dedupe index file, relative
}

// FileRecord is one imported file, with its hash for chain of custody.
type FileRecord struct {
	Path       string   `json:"path"`
	Size       int64    `json:"size"`
	SHA256     string   `json:"sha256"`
	Importer   string   `json:"importer"`
	Shape      string   `json:"shape"`
	Read       int64    `json:"read"`
	Imported   int64    `json:"imported"`
	Duplicates int64    `json:"duplicates"`
	Rejected   int64    `json:"rejected"`
	Collisions int64    `json:"id_collisions,omitempty"`
	Notes      []string `json:"notes,omitempty"`
	Run        string   `json:"run"`
}

// RunRecord is one import run.
type RunRecord struct {
	ID         string    `json:"id"`
	Started    time.Time `json:"started"`
	Finished   time.Time `json:"finished"`
	Files      int       `json:"files"`
	Imported   int64     `json:"imported"`
	Duplicates int64     `json:"duplicates"`
	Rejected   int64     `json:"rejected"`
	Rejects    string    `json:"rejects,omitempty"` // rejects file, relative
}

// PartRecord is one committed Parquet file of events.
type PartRecord struct {
	Path    string    `json:"path"` // relative to the case directory, slash-separated
	Source  string    `json:"source"`
	Date    string    `json:"date"`
	Run     string    `json:"run"`
	Rows    int64     `json:"rows"`
	MinTime time.Time `json:"min_time"`
	MaxTime time.Time `json:"max_time"`
	Stats   string    `json:"stats,omitempty"` // value counts per column (stats.go), relative
}

// Case is an open case directory. A Case reads the manifest once, when it
// is opened: it is a consistent snapshot that later runs do not change
// (they write new files and a new manifest). Reopen to see new data.
type Case struct {
	dir   string
	m     Manifest
	stats sync.Map // part path → *partStats, loaded on demand
}

// Create makes a new, empty case in dir (which may exist but must not hold
// a case). name defaults to the directory's base name.
func Create(dir, name string, now time.Time) (*Case, error) {
	if _, err := os.Stat(filepath.Join(dir, manifestName)); err == nil {
		return nil, fmt.Errorf("create case %s: a case exists there already", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create case: %w", err)
	}
	if name == "" {
		abs, _ := filepath.Abs(dir)
		name = filepath.Base(abs)
	}
	m := Manifest{Name: name, Created: now.UTC(), SchemaVersion: SchemaVersion, Files: []FileRecord{}, Runs: []RunRecord{}, Parts: []PartRecord{}}
	if err := writeManifest(dir, &m); err != nil {
		return nil, err
	}
	return &Case{dir: dir, m: m}, nil
}

// Open opens the case in dir.
func Open(dir string) (*Case, error) {
	m, err := readManifest(dir)
	if err != nil {
		return nil, err
	}
	return &Case{dir: dir, m: m}, nil
}

// OpenOrCreate opens the case in dir, creating it when there is none.
func OpenOrCreate(dir string, now time.Time) (*Case, error) {
	c, err := Open(dir)
	if errors.Is(err, ErrNoCase) {
		return Create(dir, "", now)
	}
	return c, err
}

// Dir returns the case directory.
func (c *Case) Dir() string { return c.dir }

// Manifest returns a copy of the case's manifest.
func (c *Case) Manifest() Manifest {
	m := c.m
	m.Files = slices.Clone(m.Files)
	m.Runs = slices.Clone(m.Runs)
	m.Parts = slices.Clone(m.Parts)
	return m
}

// Reopen returns a fresh snapshot of the same case.
func (c *Case) Reopen() (*Case, error) { return Open(c.dir) }

func readManifest(dir string) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(filepath.Join(dir, manifestName))
	if errors.Is(err, fs.ErrNotExist) {
		return m, fmt.Errorf("%s: %w", dir, ErrNoCase)
	}
	if err != nil {
		return m, fmt.Errorf("open case: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("open case %s: case.json: %w", dir, err)
	}
	if m.SchemaVersion != SchemaVersion {
		return m, fmt.Errorf("open case %s: schema version %d, this causeway reads %d", dir, m.SchemaVersion, SchemaVersion)
	}
	for _, p := range m.Parts {
		if !safeRel(p.Path) || (p.Stats != "" && !safeRel(p.Stats)) {
			return m, fmt.Errorf("open case %s: case.json names a file outside the case: %q", dir, p.Path)
		}
	}
	if m.Index != "" && !safeRel(m.Index) {
		return m, fmt.Errorf("open case %s: case.json names a file outside the case: %q", dir, m.Index)
	}
	return m, nil
}

// safeRel reports whether p is a relative, slash-separated path that stays
// inside the case directory.
func safeRel(p string) bool {
	return p != "" && filepath.IsLocal(filepath.FromSlash(p)) && !strings.Contains(p, "\\")
}

// writeManifest replaces case.json atomically.
func writeManifest(dir string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, manifestName), append(b, '\n'))
}

// writeFileAtomic writes data to a temporary file beside path, syncs it,
// renames it over path and syncs the directory.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(path))
}

// syncFiles syncs files, several at a time: a run writes its parts
// without waiting for the disk (an fsync per part stalled the writer, and
// through it the whole import, for seconds when the disk was busy), and
// makes them durable together before the manifest may name them.
func syncFiles(files []string) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  atomic.Int64
	)
	for range min(4, len(files)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(files) {
					return
				}
				f, err := os.OpenFile(files[i], os.O_RDWR, 0)
				if err == nil {
					err = f.Sync()
					if cerr := f.Close(); err == nil {
						err = cerr
					}
				}
				if err != nil {
					mu.Lock()
					first = cmp.Or(first, err)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return first
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

// newRunID returns a sortable, unique run id: UTC time plus random bits.
func newRunID(now time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102T150405.000000Z") + "-" + hex.EncodeToString(b[:])
}
