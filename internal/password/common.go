package password

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"io"
	"strings"
	"sync"
)

// commonGz is the list of common and breached passwords, one a line, already
// folded with fold; scripts/common-passwords.sh builds it and
// NOTICE-common-passwords.md names its source and licence.
//
//go:embed common-passwords.txt.gz
var commonGz []byte

var (
	commonOnce sync.Once
	commonSet  map[string]struct{}
)

// IsCommon reports whether password, NFKC-normalised and lower-cased, is on
// the list of common and breached passwords shipped in the binary. Surrounding
// spaces do not make a common password uncommon. The list is loaded on first
// use; every call after that is one map lookup.
func IsCommon(password string) bool {
	return isCommonFolded(fold(password))
}

// isCommonFolded is IsCommon on a password already folded with fold.
func isCommonFolded(folded string) bool {
	set := commonPasswords()
	if _, ok := set[folded]; ok {
		return true
	}
	_, ok := set[strings.TrimSpace(folded)]
	return ok
}

// fold is how both the list and the checked password are compared: NFKC,
// then lower case. scripts/common-passwords.sh repeats these two calls.
func fold(s string) string {
	return strings.ToLower(Normalize(s))
}

func commonPasswords() map[string]struct{} {
	commonOnce.Do(func() {
		set, err := loadCommon(commonGz)
		if err != nil {
			// The embedded file is checked by the tests; a corrupt build
			// must not start with an empty list.
			panic("password: common password list: " + err.Error())
		}
		commonSet = set
	})
	return commonSet
}

// loadCommon reads the list into a set whose keys share one string, so that
// it costs one allocation for the text and the map's own buckets.
func loadCommon(gz []byte) (map[string]struct{}, error) {
	r, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.Grow(2 << 20)
	if _, err := io.Copy(&b, r); err != nil {
		return nil, err
	}
	if err := r.Close(); err != nil {
		return nil, err
	}
	text := b.String()
	set := make(map[string]struct{}, strings.Count(text, "\n")+1)
	for line := range strings.SplitSeq(text, "\n") {
		if line != "" {
			set[line] = struct{}{}
		}
	}
	return set, nil
}
