package iam

import "slices"

// Precondition is what a client expects of a record before changing it: one
// of the versions it read (HTTP If-Match), or only that the record exists.
// The zero value expects nothing. Services check it after locking the record,
// inside the transaction that changes it, so that no change slips in between.
type Precondition struct {
	stated   bool
	any      bool
	versions []int64
}

// IfVersion expects the record at one of versions; with none, nothing matches.
func IfVersion(versions ...int64) Precondition {
	return Precondition{stated: true, versions: versions}
}

// IfExists expects only that the record exists.
func IfExists() Precondition { return Precondition{stated: true, any: true} }

// Check returns CodePreconditionFailed unless a record at version satisfies p.
func (p Precondition) Check(version int64) error {
	if !p.stated || p.any || slices.Contains(p.versions, version) {
		return nil
	}
	return Errorf(CodePreconditionFailed, "the resource has changed since you read it; read it again and retry")
}
