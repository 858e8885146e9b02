-- recal.c: a calendar version applied: every deadline it moves moved (a catch-up sweep after
-- it counts its moves again and keeps the first completion's time).
UPDATE calendar_versions SET completed_at = coalesce(completed_at, to_timestamp($2)),
    moved = (SELECT count(*) FROM deadline_changes WHERE calendar_version = $1::integer)
WHERE version = $1::integer;
