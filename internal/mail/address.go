package mail

import (
	"errors"
	netmail "net/mail"
	"strings"
	"unicode"
)

// maxAddressLength is the longest address SMTP carries (RFC 5321 §4.5.3.1.3
// bounds a path to 256 octets, the brackets included).
const maxAddressLength = 254

// CheckAddress reports whether addr is a single bare address such as
// ada@example.com: no display name, no angle brackets, no comments, no list,
// no white space or control characters. Only such an address goes into a To
// or From header, so no input can add a recipient or a header.
func CheckAddress(addr string) error {
	switch {
	case addr == "":
		return errors.New("address is empty")
	case len(addr) > maxAddressLength:
		return errors.New("address is longer than 254 bytes")
	case strings.ContainsAny(addr, ",;<>\"()[]\\"):
		return errors.New("address must be one bare address such as ada@example.com, without a name, brackets or a list")
	case strings.ContainsFunc(addr, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }):
		return errors.New("address must not contain white space or control characters")
	}
	a, err := netmail.ParseAddress(addr)
	if err != nil || a.Name != "" || a.Address != addr {
		return errors.New("address must be one bare address such as ada@example.com")
	}
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return errors.New("address must be one bare address such as ada@example.com")
	}
	return nil
}
