package search

import (
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/registry"
)

// Doc is what is indexed of a post: the text to search and the fields to filter on.
// Nothing is stored: hits are ids, and snippets are cut from the database's text.
type Doc struct {
	PostID   int64
	ThreadID int64
	Board    string
	Author   string
	Title    string // the thread's title, on its opening post only
	Body     string // the post's text (Markdown source)
	Created  time.Time
}

// bleveDoc is the shape Bleve indexes.
type bleveDoc struct {
	TitleUni string    `json:"title_uni"`
	TitleBi  string    `json:"title_bi"`
	BodyUni  string    `json:"body_uni"`
	BodyBi   string    `json:"body_bi"`
	Board    string    `json:"board"`
	Author   string    `json:"author"`
	Created  time.Time `json:"created"`
	Thread   string    `json:"thread"`
}

// Analyzer names registered with Bleve.
const (
	analyzerUni = "jiayuan_uni"
	analyzerBi  = "jiayuan_bi"
)

// Bleve resolves analyzers by name from a process-wide registry; they are registered
// once, with the first Folder, since every Folder folds alike.
var registerOnce sync.Once

func register(f *Folder) {
	registerOnce.Do(func() {
		for name, kind := range map[string]int{analyzerUni: Unigrams, analyzerBi: Bigrams} {
			a := &analyzer{fold: f, kind: kind}
			if err := registry.RegisterAnalyzer(name, func(map[string]interface{}, *registry.Cache) (analysis.Analyzer, error) { return a, nil }); err != nil {
				panic(err) // only a second registration under the same name
			}
		}
	})
}

// newMapping indexes unigrams without positions (single characters and words are
// looked up, never walked) and pairs with positions (phrases walk them); filters are
// keywords, and the date has doc values for sorting.
func newMapping() mapping.IndexMapping {
	text := func(analyzer string, positions bool) *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer, f.Store, f.IncludeTermVectors, f.IncludeInAll, f.DocValues = analyzer, false, positions, false, false
		return f
	}
	kw := bleve.NewKeywordFieldMapping()
	kw.Analyzer, kw.Store, kw.IncludeInAll, kw.DocValues = keyword.Name, false, false, false
	date := bleve.NewDateTimeFieldMapping()
	date.Store, date.IncludeInAll, date.DocValues = false, false, true
	doc := bleve.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt("title_uni", text(analyzerUni, false))
	doc.AddFieldMappingsAt("title_bi", text(analyzerBi, true))
	doc.AddFieldMappingsAt("body_uni", text(analyzerUni, false))
	doc.AddFieldMappingsAt("body_bi", text(analyzerBi, true))
	doc.AddFieldMappingsAt("board", kw)
	doc.AddFieldMappingsAt("author", kw)
	doc.AddFieldMappingsAt("thread", kw)
	doc.AddFieldMappingsAt("created", date)
	m := bleve.NewIndexMapping()
	m.DefaultMapping = doc
	m.DefaultAnalyzer = keyword.Name
	m.StoreDynamic, m.IndexDynamic, m.DocValuesDynamic = false, false, false
	return m
}

// Index is the search index of posts.
type Index struct {
	idx  bleve.Index
	fold *Folder
}

// Open opens the index at path, creating it if missing; an empty path is in memory.
func Open(path string, fold *Folder) (*Index, error) {
	register(fold)
	var idx bleve.Index
	var err error
	switch {
	case path == "":
		idx, err = bleve.NewMemOnly(newMapping())
	default:
		// The index belongs to one process; a second one waits a little, then fails
		// with a clear error instead of hanging on the file lock.
		cfg := map[string]interface{}{"bolt_timeout": "5s"}
		idx, err = bleve.OpenUsing(path, cfg)
		if err == bleve.ErrorIndexPathDoesNotExist {
			idx, err = bleve.NewUsing(path, newMapping(), bleve.Config.DefaultIndexType, bleve.Config.DefaultKVStore, cfg)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("search index %s: %w", path, err)
	}
	return &Index{idx: idx, fold: fold}, nil
}

// Close closes the index.
func (x *Index) Close() error { return x.idx.Close() }

// Put indexes docs in one batch, replacing earlier versions of the same posts.
func (x *Index) Put(docs []Doc) error {
	b := x.idx.NewBatch()
	for _, d := range docs {
		if err := b.Index(docID(d.PostID), bleveDoc{TitleUni: d.Title, TitleBi: d.Title, BodyUni: d.Body, BodyBi: d.Body,
			Board: d.Board, Author: d.Author, Created: d.Created, Thread: strconv.FormatInt(d.ThreadID, 10)}); err != nil {
			return err
		}
	}
	return x.idx.Batch(b)
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
