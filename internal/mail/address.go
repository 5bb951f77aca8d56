package mail

import "github.com/gatehouse-iam/gatehouse/internal/emailaddr"

// CheckAddress reports whether addr is an address Gatehouse accepts
// (emailaddr.Normalize): one bare address such as ada@example.com, without a
// display name, brackets, comments, list, white space or control
// characters, so no input can add a recipient or a header. It is the rule
// accounts are created with, so every account's address can be mailed.
func CheckAddress(addr string) error {
	_, err := emailaddr.Normalize(addr)
	return err
}
