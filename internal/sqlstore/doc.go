// Package sqlstore is Gatehouse's one store: the same hand-written SQL serves
// SQLite (modernc.org/sqlite, the embedded default) and PostgreSQL (pgx), with
// migrations embedded per dialect. It holds SQL and nothing else: rules live in
// the services that call it.
package sqlstore
