// Package storetest is the conformance suite for iam.Store: every backend calls
// Run with a constructor for fresh, migrated stores and must pass every case.
// The cases assert the contract written on the interfaces in package iam, so a
// second backend (or a change to the first) cannot drift from what the services
// rely on: error codes, tenant isolation, ordering, paging, atomic rotation and
// transactions.
package storetest
