package pages

import (
	"net/url"
	"strings"
)

// safeReturn is where a page may send the visitor after it: a path of this
// host only. Anything else, such as //host, /\host, an absolute URL or a
// javascript: URL, gives fallback.
func safeReturn(raw, fallback string) string {
	if raw == "" || len(raw) > 2048 || !strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, "//") {
		return fallback
	}
	// Browsers read a backslash as a slash and drop tabs and newlines
	// from URLs, so /\host and /<tab>/host lead elsewhere.
	if strings.ContainsAny(raw, "\\\t\r\n") || strings.IndexFunc(raw, func(c rune) bool { return c < 0x20 || c == 0x7f }) >= 0 {
		return fallback
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") {
		return fallback
	}
	return raw
}
