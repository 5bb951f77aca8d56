package audit

import (
	"strings"
	"unicode"
)

// Clip bounds text a client or a remote party chose before it goes into an
// event: valid UTF-8 without control characters, at most max bytes. Such
// text is otherwise as long as a request body allows, in every event.
func Clip(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	if len(s) > max {
		return strings.ToValidUTF8(s[:max], "")
	}
	return s
}
