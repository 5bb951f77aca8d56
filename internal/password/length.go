package password

import "unicode/utf8"

// LongestPassword is the most code points, after NFKC, that any valid
// Policy accepts. No password longer than that can have been set, whatever
// a tenant's policy was then or is now, so verification refuses one without
// hashing it and without refusing a password that was accepted once.
const LongestPassword = highestMaxLength

// TooLong reports whether password has more than maxLength code points after
// NFKC normalisation: the one length limit that setting (Policy.Check) and
// verifying (Hasher.Verify) a password apply.
//
// An input that NFKC cannot bring down to maxLength is too long without
// being normalised, so that a huge input stays cheap; no input cut that way
// could have passed (see beyondNormalising).
func TooLong(password string, maxLength int) bool {
	return beyondNormalising(password, maxLength) || utf8.RuneCountInString(Normalize(password)) > maxLength
}

// beyondNormalising reports whether password is too long for maxLength
// before normalising it: it has more than maxNFKCShrink×maxLength code
// points, or more than utf8.UTFMax times that many bytes (an invalid byte
// passes NFKC unchanged as one code point of its own). Every password of at
// most maxLength code points after NFKC passes both bounds, whatever its
// form before: 120 Hangul syllables typed as 360 jamo take 1,080 bytes and
// are within the bounds of a maxLength of 128.
func beyondNormalising(password string, maxLength int) bool {
	limit := maxNFKCShrink * maxLength
	return len(password) > utf8.UTFMax*limit || utf8.RuneCountInString(password) > limit
}
