package search

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/registry"
	index "github.com/blevesearch/bleve_index_api"
	bolterrors "go.etcd.io/bbolt/errors"

	"jiayuan/app/fold"
)

// Doc is what is indexed of a post: the text to search and the fields to filter on.
// Nothing is stored: hits are ids, and snippets are cut from the database's text.
type Doc struct {
	PostID  int64
	Board   string
	Author  string
	Title   string // the thread's title, on its opening post only
	Body    string // the post as plain text (its Markdown rendered, tags dropped)
	Created time.Time
}

// bleveDoc is the shape Bleve indexes.
type bleveDoc struct {
	TitleBi string    `json:"title_bi"`
	BodyBi  string    `json:"body_bi"`
	Board   string    `json:"board"`
	Author  string    `json:"author"`
	Created time.Time `json:"created"`
	At      string    `json:"at"`
}

// format is the version of the index's layout; an index of another version is rebuilt.
const format = "6"

// Analyzer names registered with Bleve.
const analyzerBi = "jiayuan_bi"

// Bleve resolves analyzers by name from a process-wide registry; they are registered
// once, with the process's one Folder.
var registerOnce sync.Once

func register(f *fold.Folder) {
	registerOnce.Do(func() {
		a := &analyzer{fold: f, kind: Bigrams, noOffsets: true}
		if err := registry.RegisterAnalyzer(analyzerBi, func(map[string]interface{}, *registry.Cache) (analysis.Analyzer, error) { return a, nil }); err != nil {
			panic(err) // only a second registration under the same name
		}
	})
}

// newMapping indexes title and body as pairs, run-final characters and words, with
// positions (phrases walk them); filters are keywords, the date is indexed for ranges,
// and "at" carries the doc values searches sort by.
func newMapping() mapping.IndexMapping {
	text := func(analyzer string, positions bool) *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer, f.Store, f.IncludeTermVectors, f.IncludeInAll, f.DocValues = analyzer, false, positions, false, false
		return f
	}
	kw := bleve.NewKeywordFieldMapping()
	kw.Analyzer, kw.Store, kw.IncludeInAll, kw.DocValues = keyword.Name, false, false, false
	date := bleve.NewDateTimeFieldMapping()
	date.Store, date.IncludeInAll, date.DocValues = false, false, false
	// Sorting reads a hit's doc value, decoding the block of values it sits in: the
	// date's sixteen prefix-coded terms made that block sixteen times larger than
	// this one fixed-width term, which sorts the same.
	at := bleve.NewKeywordFieldMapping()
	at.Analyzer, at.Store, at.IncludeInAll, at.DocValues = keyword.Name, false, false, true
	doc := bleve.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt("title_bi", text(analyzerBi, true))
	doc.AddFieldMappingsAt("body_bi", text(analyzerBi, true))
	doc.AddFieldMappingsAt("board", kw)
	doc.AddFieldMappingsAt("author", kw)
	doc.AddFieldMappingsAt("created", date)
	doc.AddFieldMappingsAt("at", at)
	// No composite _all field: every query names its field, and building it for every
	// post cost a tenth of indexing.
	doc.AddSubDocumentMapping("_all", bleve.NewDocumentDisabledMapping())
	m := bleve.NewIndexMapping()
	m.DefaultMapping = doc
	m.DefaultAnalyzer = keyword.Name
	m.StoreDynamic, m.IndexDynamic, m.DocValuesDynamic = false, false, false
	return m
}

// Index is the search index of posts.
type Index struct {
	idx  bleve.Index
	fold *fold.Folder
	// The oldest and newest creation times indexed (Unix nanoseconds), for reading
	// the newest posts first (see Search); kept in the index beside the posts.
	minAt, maxAt atomic.Int64
	putMu        sync.Mutex // one Put at a time, so the span only grows

	sinceMu  sync.Mutex
	since    map[int64]uint64 // posts created after a window edge (see estimate)
	sinceAll uint64           // the count of posts since was taken at

	exactLimit uint64 // exactLimit, lowered by tests to read windows more often
}

// ErrFormat is the answer of Open for an index of an older layout.
var ErrFormat = errors.New("search index of an older format")

// ErrInUse is the answer of Open for an index another process holds open (a running
// server): it is intact and must be left alone, never taken for corruption.
var ErrInUse = errors.New("搜索索引正被另一个进程使用，请先停止服务器 (the search index is in use by another process: stop the server first)")

// lockTimeout is how long Open waits for another process to let go of the index.
const lockTimeout = "5s"

// Open opens the index at path, creating it if missing; an empty path is in memory.
func Open(path string, fold *fold.Folder) (*Index, error) {
	register(fold)
	var idx bleve.Index
	var err error
	switch {
	case path == "":
		idx, err = bleve.NewMemOnly(newMapping())
	default:
		// The index belongs to one process; a second one waits a little, then fails
		// with a clear error instead of hanging on the file lock. Bleve's scorch holds
		// an exclusive lock on root.bolt, and bbolt answers a lock it could not take in
		// time with ErrTimeout, unwrapped: that is a running server, not a broken index.
		cfg := map[string]interface{}{"bolt_timeout": lockTimeout}
		idx, err = bleve.OpenUsing(path, cfg)
		if err == bleve.ErrorIndexPathDoesNotExist {
			idx, err = bleve.NewUsing(path, newMapping(), bleve.Config.DefaultIndexType, bleve.Config.DefaultKVStore, cfg)
		}
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("search index %s: %w", path, ErrInUse)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("search index %s: %w", path, err)
	}
	x := &Index{idx: idx, fold: fold, exactLimit: exactLimit}
	v, err := idx.GetInternal([]byte("format"))
	if err != nil {
		idx.Close()
		return nil, fmt.Errorf("search index %s: %w", path, err)
	}
	if n, _ := idx.DocCount(); len(v) == 0 && n == 0 {
		v = []byte(format)
		if err := idx.SetInternal([]byte("format"), v); err != nil {
			idx.Close()
			return nil, err
		}
	}
	if string(v) != format {
		idx.Close()
		return nil, fmt.Errorf("search index %s: %w", path, ErrFormat)
	}
	span, err := idx.GetInternal([]byte("span"))
	if err != nil {
		idx.Close()
		return nil, fmt.Errorf("search index %s: %w", path, err)
	}
	if a, b, ok := strings.Cut(string(span), ":"); ok {
		lo, _ := strconv.ParseInt(a, 10, 64)
		hi, _ := strconv.ParseInt(b, 10, 64)
		x.minAt.Store(lo)
		x.maxAt.Store(hi)
	}
	return x, nil
}

// reader is a snapshot of the index for looking up term counts.
func (x *Index) reader() (index.IndexReader, error) {
	adv, err := x.idx.Advanced()
	if err != nil {
		return nil, err
	}
	return adv.Reader()
}

// Close closes the index.
func (x *Index) Close() error { return x.idx.Close() }

// Put indexes docs, replacing earlier versions of the same posts. A large set is cut
// in two batches built side by side (Bleve builds a batch's segment on the caller's
// goroutine); Put returns when both are in.
func (x *Index) Put(docs []Doc) error {
	x.putMu.Lock()
	defer x.putMu.Unlock()
	lo, hi := x.minAt.Load(), x.maxAt.Load()
	for _, d := range docs {
		at := d.Created.UnixNano()
		if lo == 0 && hi == 0 {
			lo, hi = at, at
		}
		lo, hi = min(lo, at), max(hi, at)
	}
	parts := [][]Doc{docs}
	if len(docs) >= 512 {
		parts = [][]Doc{docs[:len(docs)/2], docs[len(docs)/2:]}
	}
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i, part := range parts {
		wg.Go(func() {
			b := x.idx.NewBatch()
			for _, d := range part {
				if err := b.Index(docID(d.PostID), bleveDoc{TitleBi: d.Title, BodyBi: d.Body,
					Board: d.Board, Author: d.Author, Created: d.Created, At: sortKey(d.Created)}); err != nil {
					errs[i] = err
					return
				}
			}
			if i == 0 {
				// The span only grows: recording it before every post of it is in
				// only widens what a search reads.
				b.SetInternal([]byte("span"), []byte(fmt.Sprintf("%d:%d", lo, hi)))
			}
			errs[i] = x.idx.Batch(b)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	x.minAt.Store(lo)
	x.maxAt.Store(hi)
	return nil
}

// Delete removes posts from the index.
func (x *Index) Delete(ids ...int64) error {
	b := x.idx.NewBatch()
	for _, id := range ids {
		b.Delete(docID(id))
	}
	return x.idx.Batch(b)
}

// Count is the number of posts indexed.
func (x *Index) Count() (uint64, error) { return x.idx.DocCount() }

func docID(id int64) string { return strconv.FormatInt(id, 10) }

// sortKey is a time as text that sorts as the time does (dates after 1970).
func sortKey(t time.Time) string { return fmt.Sprintf("%016x", uint64(max(t.UnixNano(), 0))) }
