package web

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"sync"
	"unsafe"

	"github.com/gofiber/fiber/v2"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/klauspost/compress/flate"
	"github.com/valyala/fasthttp"
)

// A page is rendered per request around fragments that the page cache keeps (a thread's
// posts, a board's threads), and compressing the whole page on every request costs more
// than rendering it: the bench's thread pages fell to a fifth of their rate. So each
// fragment is deflated once, the first time a page sends it, and a page goes out as gzip made of its
// per-request parts, deflated as they are written, around the fragment's ready blocks. A
// deflate stream may be cut after a sync flush, and blocks compressed from an empty
// history refer to nothing before them, so the pieces join into one valid stream.

// minFragment is the smallest fragment worth keeping deflated; smaller writes are never
// looked up.
const minFragment = 1024

// deflatedFragments remembers recent fragments by their text, with their deflated
// blocks once a page has sent them. By text, not by identity, so that the same posts
// rendered again (the page cache off or evicted) are not compressed again. It keeps the
// text alive past the page cache's eviction, so it is small.
type deflatedFragments struct {
	lru *lru.Cache[string, *fragmentBlocks]
}

type fragmentBlocks struct {
	once   sync.Once
	blocks []byte // sync-flushed: byte-aligned and not final, so more blocks may follow
}

func newDeflatedFragments() *deflatedFragments {
	c, _ := lru.New[string, *fragmentBlocks](256) // fails only for a size of 0 or less
	return &deflatedFragments{lru: c}
}

// remember marks html as a fragment; it is deflated when first sent (a guest's plain
// request or an uncached render need not pay for it).
func (d *deflatedFragments) remember(html string) {
	if len(html) >= minFragment {
		d.lru.PeekOrAdd(html, &fragmentBlocks{})
	}
}

// blocksOf returns the deflated blocks of p if p is a remembered fragment.
func (d *deflatedFragments) blocksOf(p []byte) ([]byte, bool) {
	if len(p) < minFragment {
		return nil, false
	}
	// The key is only looked up, never kept: no need to copy p into a string.
	f, ok := d.lru.Get(unsafe.String(unsafe.SliceData(p), len(p)))
	if !ok {
		return nil, false
	}
	f.once.Do(func() {
		var b bytes.Buffer
		fw, _ := flate.NewWriter(&b, flate.DefaultCompression) // fails only for a bad level
		_, _ = fw.Write(p)                                     // a bytes.Buffer never fails
		_ = fw.Flush()
		f.blocks = b.Bytes()
	})
	return f.blocks, true
}

var pageDeflaters = sync.Pool{New: func() any {
	fw, _ := flate.NewWriter(nil, flate.BestSpeed)
	return fw
}}

// gzipPage is a writer that turns a template's output into a gzip body.
type gzipPage struct {
	frags *deflatedFragments
	out   bytes.Buffer
	fw    *flate.Writer
	crc   uint32
	size  uint32
}

func newGzipPage(frags *deflatedFragments) *gzipPage {
	g := &gzipPage{frags: frags, fw: pageDeflaters.Get().(*flate.Writer)}
	g.out.Grow(16 << 10)
	// ID, deflate, no flags, no time, no extra flags, unknown OS (RFC 1952).
	g.out.Write([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255})
	g.fw.Reset(&g.out)
	return g
}

// Write deflates p, or, when p is a remembered fragment (html/template writes a
// template.HTML value in one Write), ends the blocks so far and splices in its own.
func (g *gzipPage) Write(p []byte) (int, error) {
	g.crc = crc32.Update(g.crc, crc32.IEEETable, p)
	g.size += uint32(len(p))
	if blocks, ok := g.frags.blocksOf(p); ok {
		if err := g.fw.Flush(); err != nil {
			return 0, err
		}
		g.out.Write(blocks)
		g.fw.Reset(&g.out) // an empty history: what follows refers to nothing before
		return len(p), nil
	}
	return g.fw.Write(p)
}

// finish ends the stream and returns the gzip body; g must not be used after it.
func (g *gzipPage) finish() ([]byte, error) {
	err := g.fw.Close()
	g.fw.Reset(nil)
	pageDeflaters.Put(g.fw)
	g.fw = nil
	if err != nil {
		return nil, err
	}
	g.out.Write(binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, g.crc), g.size))
	return g.out.Bytes(), nil
}

// cachedBodies keeps the brotli and gzip forms of bodies that are sent again and again
// as they are (the cached thread JSON), by their text, so each is compressed once.
type cachedBodies struct {
	lru *lru.Cache[string, *bodyForms]
}

type bodyForms struct {
	once         sync.Once
	brotli, gzip []byte
}

func newCachedBodies() *cachedBodies {
	c, _ := lru.New[string, *bodyForms](256) // fails only for a size of 0 or less
	return &cachedBodies{lru: c}
}

// send answers with body, compressed once for all the requests that get the same body.
func (b *cachedBodies) send(c *fiber.Ctx, body []byte) error {
	h := &c.Request().Header
	br, gz := h.HasAcceptEncoding("br"), h.HasAcceptEncoding("gzip")
	c.Vary(fiber.HeaderAcceptEncoding)
	if len(body) < minFragment || !br && !gz {
		return c.Send(body)
	}
	forms, ok := b.lru.Get(unsafe.String(unsafe.SliceData(body), len(body)))
	if !ok {
		forms = &bodyForms{}
		if prev, had, _ := b.lru.PeekOrAdd(string(body), forms); had {
			forms = prev
		}
	}
	forms.once.Do(func() {
		forms.brotli = fasthttp.AppendBrotliBytesLevel(nil, body, fasthttp.CompressBrotliDefaultCompression)
		forms.gzip = fasthttp.AppendGzipBytesLevel(nil, body, fasthttp.CompressDefaultCompression)
	})
	if br {
		c.Set(fiber.HeaderContentEncoding, "br")
		return c.Send(forms.brotli)
	}
	c.Set(fiber.HeaderContentEncoding, "gzip")
	return c.Send(forms.gzip)
}
