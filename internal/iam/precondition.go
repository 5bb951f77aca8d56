package iam

import "slices"

// Precondition is what a client expects of a record before changing it: one
// of the versions it read (HTTP If-Match). The zero value expects nothing
// beyond the record's existence, which the locked read checks anyway. Services
// check it after locking the record, inside the transaction that changes it,
// so that no change slips in between.
type Precondition struct {
	stated   bool
	versions []int64
}

// IfVersion expects the record at one of versions; with none, nothing matches.
func IfVersion(versions ...int64) Precondition {
	return Precondition{stated: true, versions: versions}
}

// Check returns CodePreconditionFailed unless a record at version satisfies p.
func (p Precondition) Check(version int64) error {
	if !p.stated || slices.Contains(p.versions, version) {
		return nil
	}
	return Errorf(CodePreconditionFailed, "the resource has changed since you read it; read it again and retry")
}
