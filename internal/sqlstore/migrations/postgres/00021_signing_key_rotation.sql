-- +goose Up
-- A signing key is published before it signs: activates_at is when it starts
-- signing (until the next key of its algorithm does). Keys written before
-- this signed from their creation.
--
-- The keys of one algorithm form a chain, each naming the key it succeeds
-- (NULL for the first): one successor per key, one first key per algorithm,
-- so two replicas rotating at once create one next key. Existing keys are
-- chained in the order they were created.
ALTER TABLE signing_keys ADD COLUMN activates_at TIMESTAMPTZ;
ALTER TABLE signing_keys ADD COLUMN succeeds TEXT;
UPDATE signing_keys SET activates_at = created_at;
ALTER TABLE signing_keys ALTER COLUMN activates_at SET NOT NULL;
UPDATE signing_keys SET succeeds = (
    SELECT p.id FROM signing_keys p
    WHERE p.algorithm = signing_keys.algorithm
      AND (p.created_at < signing_keys.created_at OR (p.created_at = signing_keys.created_at AND p.id < signing_keys.id))
    ORDER BY p.created_at DESC, p.id DESC LIMIT 1);
CREATE UNIQUE INDEX signing_keys_successor ON signing_keys (algorithm, COALESCE(succeeds, ''));

-- +goose Down
DROP INDEX signing_keys_successor;
ALTER TABLE signing_keys DROP COLUMN succeeds;
ALTER TABLE signing_keys DROP COLUMN activates_at;
