-- 019: an outbox row the broker refuses for good (too large, invalid, not authorised) is set
-- aside with its error instead of stopping the relay for every row behind it. Only the later
-- rows of the same topic and key (one application's events) wait behind it, so the order the
-- contract promises per key is kept; an operator releases it (`approvalctl outbox release`,
-- published again) or discards it (`approvalctl outbox discard`, never published).
ALTER TABLE outbox
    ADD COLUMN set_aside_at timestamptz,
    ADD COLUMN error        text,
    ADD COLUMN discarded_at timestamptz;

-- The relay's read: unsent rows not set aside, in id order (replaces outbox_unsent).
DROP INDEX outbox_unsent;
CREATE INDEX outbox_unsent ON outbox (id)
    WHERE sent_at IS NULL AND set_aside_at IS NULL AND discarded_at IS NULL;
-- The rows that hold their key's later rows back; empty in normal operation.
CREATE INDEX outbox_set_aside ON outbox (topic, msg_key, id)
    WHERE set_aside_at IS NOT NULL AND sent_at IS NULL AND discarded_at IS NULL;

-- A dead letter whose original is too large to publish goes out as a stub that names it.
ALTER TABLE dead_letters
    ADD COLUMN sha256    text,
    ADD COLUMN truncated boolean NOT NULL DEFAULT false;
