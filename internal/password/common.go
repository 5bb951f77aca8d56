package password

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"sync"
)

// commonGz is the list of common and breached passwords, one a line, already
// folded with fold and sorted by bytes; scripts/common-passwords.sh builds it
// and NOTICE-common-passwords.md names its source and licence.
//
//go:embed common-passwords.txt.gz
var commonGz []byte

var (
	commonOnce sync.Once
	commonList sortedLines
)

// IsCommon reports whether password, NFKC-normalised and lower-cased, is on
// the list of common and breached passwords shipped in the binary. Surrounding
// spaces do not make a common password uncommon. The list is decompressed on
// first use into one string of about 1.6 MB; every call after that is a
// binary search in it.
func IsCommon(password string) bool {
	return isCommonFolded(fold(password))
}

// isCommonFolded is IsCommon on a password already folded with fold.
func isCommonFolded(folded string) bool {
	list := commonPasswords()
	return list.contains(folded) || list.contains(strings.TrimSpace(folded))
}

// fold is how both the list and the checked password are compared: NFKC,
// then lower case. scripts/common-passwords.sh repeats these two calls.
func fold(s string) string {
	return strings.ToLower(Normalize(s))
}

func commonPasswords() sortedLines {
	commonOnce.Do(func() {
		list, err := loadCommon(commonGz)
		if err != nil {
			// The embedded file is checked by the tests; a corrupt build
			// must not start with an empty list.
			panic("password: common password list: " + err.Error())
		}
		commonList = list
	})
	return commonList
}

// sortedLines is distinct non-empty lines, each ending in "\n", in
// increasing byte order: a set that costs its text and nothing else, where a
// map of the same 200,000 entries kept about 10 MB.
type sortedLines string

// loadCommon decompresses the list and checks that it is sorted, since a
// lookup in an unsorted list would miss entries without any error.
func loadCommon(gz []byte) (sortedLines, error) {
	r, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if len(gz) >= 4 {
		// RFC 1952's ISIZE, the size of the text, so that the string is
		// allocated once at its size.
		b.Grow(int(binary.LittleEndian.Uint32(gz[len(gz)-4:])))
	}
	if _, err := io.Copy(&b, r); err != nil {
		return "", err
	}
	if err := r.Close(); err != nil {
		return "", err
	}
	text := b.String()
	if text == "" || !strings.HasSuffix(text, "\n") {
		return "", errors.New("empty or not ending in a newline")
	}
	prev := ""
	for line := range strings.SplitSeq(text[:len(text)-1], "\n") {
		if line <= prev {
			return "", errors.New("lines empty, repeated or not sorted by bytes at " + line)
		}
		prev = line
	}
	return sortedLines(text), nil
}

// contains reports whether s is one of the lines, by binary search over byte
// offsets: each probe backs up to the start of the line it lands in.
func (l sortedLines) contains(s string) bool {
	if s == "" || strings.Contains(s, "\n") {
		return false
	}
	lo, hi := 0, len(l) // the line sought, if present, starts in [lo, hi)
	for lo < hi {
		mid := lo + (hi-lo)/2
		start := strings.LastIndexByte(string(l[lo:mid]), '\n') + lo + 1
		end := start + strings.IndexByte(string(l[start:]), '\n')
		switch line := string(l[start:end]); {
		case s == line:
			return true
		case s < line:
			hi = start
		default:
			lo = end + 1
		}
	}
	return false
}
