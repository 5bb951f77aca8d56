package pages

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"

	"golang.org/x/text/language"
)

// languages are the complete translations, the first the default.
var languages = []language.Tag{language.English, language.German}

var matcher = language.NewMatcher(languages)

// langCookie remembers the language picked with the switch on the page.
const langCookie = "gatehouse-lang"

// catalog holds every text of the pages, by language and key: the files
// messages/<lang>/*.json, one per group of pages.
type catalog map[string]map[string]string

func loadCatalog(fsys fs.FS) (catalog, error) {
	c := catalog{}
	for _, tag := range languages {
		lang := tag.String()
		names, err := fs.Glob(fsys, path.Join("messages", lang, "*.json"))
		if err != nil {
			return nil, err
		}
		c[lang] = map[string]string{}
		for _, name := range names {
			b, err := fs.ReadFile(fsys, name)
			if err != nil {
				return nil, err
			}
			m := map[string]string{}
			if err := json.Unmarshal(b, &m); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			for k, v := range m {
				if _, dup := c[lang][k]; dup {
					return nil, fmt.Errorf("%s: %q is also in another file", name, k)
				}
				c[lang][k] = v
			}
		}
	}
	return c, nil
}

// locale renders the texts of one language; templates call {{.L.T "key"}}.
type locale struct {
	Lang     string
	messages map[string]string
	fallback map[string]string
}

// T is the text of key, formatted with args. A key missing from the
// catalog shows itself, so that a test that reads the page notices.
func (l *locale) T(key string, args ...any) string {
	m, ok := l.messages[key]
	if !ok {
		if m, ok = l.fallback[key]; !ok {
			return key
		}
	}
	if len(args) == 0 {
		return m
	}
	return fmt.Sprintf(m, args...)
}

// locale picks the visitor's language: the switch's ?lang=, then the
// remembered choice, then Accept-Language.
func (p *Pages) locale(w http.ResponseWriter, r *http.Request) *locale {
	lang := ""
	if q := r.URL.Query().Get("lang"); p.known(q) {
		lang = q
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: q, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: p.secure(r), SameSite: http.SameSiteLaxMode})
	} else if c, err := r.Cookie(langCookie); err == nil && p.known(c.Value) {
		lang = c.Value
	} else {
		_, i, _ := matcher.Match(parseAcceptLanguage(r.Header.Get("Accept-Language"))...)
		lang = languages[i].String()
	}
	return &locale{Lang: lang, messages: p.catalog[lang], fallback: p.catalog[languages[0].String()]}
}

func (p *Pages) known(lang string) bool {
	_, ok := p.catalog[lang]
	return ok && lang != ""
}

// parseAcceptLanguage reads at most a few entries of a header anyone can
// make as long as they like.
func parseAcceptLanguage(h string) []language.Tag {
	if len(h) > 256 {
		h = h[:256]
	}
	tags, _, err := language.ParseAcceptLanguage(h)
	if err != nil || len(tags) == 0 {
		return []language.Tag{languages[0]}
	}
	return tags
}

// langLink is one entry of the language switch.
type langLink struct {
	Lang, Name, Href string
	Current          bool
}

// langLinks point at the current page in each language.
func (p *Pages) langLinks(r *http.Request, current string) []langLink {
	names := map[string]string{"en": "English", "de": "Deutsch"}
	links := make([]langLink, 0, len(languages))
	for _, tag := range languages {
		q := r.URL.Query()
		q.Set("lang", tag.String())
		links = append(links, langLink{Lang: tag.String(), Name: names[tag.String()],
			Href: r.URL.Path + "?" + q.Encode(), Current: tag.String() == current})
	}
	return links
}
