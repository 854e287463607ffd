package exports

import (
	"bufio"
	"bytes"
	"html"
	"strconv"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
)

// Meeting notes are Markdown (PlanNote.Markdown). They are parsed with goldmark, with
// the same extensions as the board (server/render.go: strikethrough, linkify) so a note
// means the same in the PDF as on the screen, and the syntax tree is turned into blocks
// of styled spans that the PDF draws and the Markdown export writes back. Raw HTML is
// never interpreted: goldmark is used without WithUnsafe and HTML in a note is kept as
// the literal text the person typed.

// noteParser is safe for concurrent use: each Parse has its own context.
var noteParser = goldmark.New(goldmark.WithExtensions(extension.Strikethrough, extension.Linkify)).Parser()

// listInfo is what the items of one list share.
type listInfo struct{ tight bool }

type blockKind uint8

const (
	blockPara blockKind = iota
	blockHeading
	blockCode
	blockRule
)

// container is a list item or a block quote around a block.
type container struct {
	quote bool
	list  *listInfo // the list a list item belongs to (shared by its siblings)
	// bullet is the PDF's marker ("•", "–", "3."); mdMarker the Markdown one ("- ", "3. ").
	bullet, mdMarker string
	used             bool // a block has been placed in it (the marker goes on the first only)
}

// noteBlock is one block of a note.
type noteBlock struct {
	kind  blockKind
	level int    // heading level, 1–6
	spans []span // paragraph and heading text
	code  string // code block text, lines separated by \n
	lang  string // a fenced code block's language, if given
	path  []*container
	first []bool // per container in path: this block is the container's first
}

// parseNote turns a note's Markdown into blocks.
func parseNote(md string) []noteBlock {
	src := []byte(md)
	w := noteWalker{src: src}
	w.blocks(noteParser.Parse(text.NewReader(src)), nil, 0)
	return w.out
}

type noteWalker struct {
	src []byte
	out []noteBlock
}

func (w *noteWalker) emit(b noteBlock, path []*container) {
	b.path = append([]*container(nil), path...)
	b.first = make([]bool, len(path))
	for i, c := range path {
		b.first[i] = !c.used
		c.used = true
	}
	w.out = append(w.out, b)
}

// blocks walks the block children of n; lists is the list nesting depth (for bullets).
func (w *noteWalker) blocks(n ast.Node, path []*container, lists int) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Paragraph, *ast.TextBlock:
			w.emit(noteBlock{kind: blockPara, spans: w.inlines(c)}, path)
		case *ast.Heading:
			w.emit(noteBlock{kind: blockHeading, level: c.Level, spans: w.inlines(c)}, path)
		case *ast.List:
			num := c.Start
			list := &listInfo{tight: c.IsTight}
			for item := c.FirstChild(); item != nil; item = item.NextSibling() {
				ct := &container{bullet: "•", mdMarker: "- ", list: list}
				if lists%2 == 1 {
					ct.bullet = "–"
				}
				if c.IsOrdered() {
					ct.bullet = strconv.Itoa(num) + string(c.Marker)
					ct.mdMarker = ct.bullet + " "
					num++
				}
				w.blocks(item, append(path, ct), lists+1)
			}
		case *ast.Blockquote:
			w.blocks(c, append(path, &container{quote: true, mdMarker: "> "}), lists)
		case *ast.FencedCodeBlock:
			w.emit(noteBlock{kind: blockCode, code: w.lines(c), lang: string(c.Language(w.src))}, path)
		case *ast.CodeBlock:
			w.emit(noteBlock{kind: blockCode, code: w.lines(c)}, path)
		case *ast.HTMLBlock:
			// Shown as the text that was typed, never as HTML.
			s := w.lines(c)
			if c.HasClosure() {
				s += string(c.ClosureLine.Value(w.src))
			}
			w.emit(noteBlock{kind: blockPara, spans: []span{{text: strings.TrimRight(s, "\n")}}}, path)
		case *ast.ThematicBreak:
			w.emit(noteBlock{kind: blockRule}, path)
		default:
			w.blocks(c, path, lists)
		}
	}
}

// lines joins a block's source lines.
func (w *noteWalker) lines(n ast.Node) string {
	var b strings.Builder
	ls := n.Lines()
	for i := 0; i < ls.Len(); i++ {
		seg := ls.At(i)
		b.Write(seg.Value(w.src))
	}
	return strings.TrimRight(b.String(), "\n")
}

// inlineStyle is the style in force while walking inline nodes.
type inlineStyle struct {
	bold, italic, strike bool
	link                 string
}

func (s inlineStyle) span(t string) span {
	st := styleRegular
	switch {
	case s.bold && s.italic:
		st = styleBoldItalic
	case s.bold:
		st = styleBold
	case s.italic:
		st = styleItalic
	}
	return span{text: t, style: st, strike: s.strike, link: s.link}
}

func (w *noteWalker) inlines(n ast.Node) []span {
	var out []span
	w.inline(n, inlineStyle{}, &out)
	return out
}

func (w *noteWalker) inline(n ast.Node, st inlineStyle, out *[]span) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
			v := c.Segment.Value(w.src)
			t := string(v)
			if !c.IsRaw() {
				t = unescapeMarkdown(v)
			}
			if c.HardLineBreak() {
				t += "\n"
			} else if c.SoftLineBreak() {
				t += " "
			}
			*out = append(*out, st.span(t))
		case *ast.String:
			t := string(c.Value)
			if !c.IsRaw() && !c.IsCode() {
				t = unescapeMarkdown(c.Value)
			}
			*out = append(*out, st.span(t))
		case *ast.CodeSpan:
			var b strings.Builder
			for t := c.FirstChild(); t != nil; t = t.NextSibling() {
				if tx, ok := t.(*ast.Text); ok {
					b.WriteString(strings.ReplaceAll(string(tx.Segment.Value(w.src)), "\n", " "))
				}
			}
			sp := st.span(b.String())
			sp.style, sp.code = styleMono, true
			*out = append(*out, sp)
		case *ast.Emphasis:
			inner := st
			if c.Level >= 2 {
				inner.bold = true
			} else {
				inner.italic = true
			}
			w.inline(c, inner, out)
		case *extast.Strikethrough:
			inner := st
			inner.strike = true
			w.inline(c, inner, out)
		case *ast.Link:
			dest := unescapeMarkdown(c.Destination)
			inner := st
			inner.link = safeURL(dest)
			start := len(*out)
			w.inline(c, inner, out)
			if linkText(*out, start) != dest && dest != "" {
				*out = append(*out, urlNote(st, dest))
			}
		case *ast.AutoLink:
			url := string(c.URL(w.src))
			if c.AutoLinkType == ast.AutoLinkEmail && !strings.HasPrefix(strings.ToLower(url), "mailto:") {
				url = "mailto:" + url
			}
			inner := st
			inner.link = safeURL(url)
			*out = append(*out, inner.span(string(c.Label(w.src))))
		case *ast.Image:
			dest := unescapeMarkdown(c.Destination)
			start := len(*out)
			w.inline(c, st, out)
			if linkText(*out, start) == "" {
				*out = append(*out, st.span(txtImage))
			}
			*out = append(*out, urlNote(st, txtImage+": "+dest))
		case *ast.RawHTML:
			// The tag as typed, as text.
			var b strings.Builder
			for i := 0; i < c.Segments.Len(); i++ {
				seg := c.Segments.At(i)
				b.Write(seg.Value(w.src))
			}
			*out = append(*out, st.span(b.String()))
		default:
			w.inline(c, st, out)
		}
	}
}

// urlNote is the " (https://…)" after a link's text: the PDF shows where a link goes,
// since paper cannot be clicked. The Markdown export writes the link itself instead.
func urlNote(st inlineStyle, dest string) span {
	st.link = ""
	sp := st.span(strings.Replace(txtLinkURL, "%s", dest, 1))
	sp.urlNote = true
	return sp
}

func linkText(spans []span, from int) string {
	var b strings.Builder
	for _, s := range spans[from:] {
		b.WriteString(s.text)
	}
	return b.String()
}

// safeURL is u if it is a web or mail address, else "": only those become clickable.
func safeURL(u string) string {
	l := strings.ToLower(strings.TrimSpace(u))
	if strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "mailto:") {
		return strings.TrimSpace(u)
	}
	return ""
}

// unescapeMarkdown resolves backslash escapes and entity references in text exactly as
// goldmark's HTML renderer does (by letting its writer do it and reading the HTML back).
func unescapeMarkdown(v []byte) string {
	if bytes.IndexByte(v, '\\') < 0 && bytes.IndexByte(v, '&') < 0 && bytes.IndexByte(v, 0) < 0 {
		return string(v)
	}
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	gmhtml.DefaultWriter.Write(bw, v)
	_ = bw.Flush()
	return html.UnescapeString(buf.String())
}
