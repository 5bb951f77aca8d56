package mfa

import (
	"crypto/rand"
	"fmt"
	"math/big"

	"github.com/gatehouse-iam/gatehouse/internal/iam"
)

// codeDigits is the length of TOTP and email codes.
const codeDigits = 6

// checkDigits refuses a code that is not exactly six ASCII digits, before
// anything is compared: spaces, letters and other lengths are a client's
// mistake, answered as such and not counted as a guess.
func checkDigits(field, code string) error {
	if len(code) != codeDigits {
		return invalidCode(field, fmt.Sprintf("must be %d digits", codeDigits))
	}
	for i := range len(code) {
		if code[i] < '0' || code[i] > '9' {
			return invalidCode(field, fmt.Sprintf("must be %d digits", codeDigits))
		}
	}
	return nil
}

func invalidCode(field, why string) error {
	return iam.Invalid("the code is malformed", map[string]string{field: why})
}

// newDigits returns a uniformly random code of codeDigits digits.
func newDigits() string {
	return fmt.Sprintf("%06d", randIndex(1_000_000))
}

// randIndex returns a uniformly random index below n.
func randIndex(n int) int {
	i, _ := rand.Int(rand.Reader, big.NewInt(int64(n))) // crypto/rand never fails (Go 1.24+).
	return int(i.Int64())
}

// errWrongCode is the one answer for every wrong second factor.
var errWrongCode = iam.Errorf(iam.CodeInvalidCredentials, "the code is wrong or expired")
