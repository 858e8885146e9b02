-- recal.c: a calendar version applied: every deadline it moves moved.
UPDATE calendar_versions SET completed_at = to_timestamp($2),
    moved = (SELECT count(*) FROM deadline_changes WHERE calendar_version = $1::integer)
WHERE version = $1::integer;
