-- +goose Up
-- SQLite appends audit events here and moves them into audit_events in
-- batches (sqlstore's auditJournal). An event committed here is as durable as
-- one in audit_events, and costs one B-tree page per commit instead of five:
-- the table, its primary key and three indexes. No index on tenant_id: the
-- journal holds about a second of events, so deleting a tenant scans it.
CREATE TABLE audit_journal (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    time         TIMESTAMP NOT NULL,
    actor_type   TEXT NOT NULL,
    actor_id     TEXT NOT NULL,
    action       TEXT NOT NULL,
    target_type  TEXT NOT NULL,
    target_id    TEXT NOT NULL,
    ip           TEXT NOT NULL,
    user_agent   TEXT NOT NULL,
    result       TEXT NOT NULL,
    details      TEXT NOT NULL
);

-- +goose Down
INSERT INTO audit_events (id, tenant_id, time, actor_type, actor_id, action, target_type, target_id, ip, user_agent, result, details)
SELECT id, tenant_id, time, actor_type, actor_id, action, target_type, target_id, ip, user_agent, result, details
FROM audit_journal ORDER BY seq;
DROP TABLE audit_journal;
