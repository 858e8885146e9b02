-- recal.c: a durable timer moved ($3 unused).
UPDATE timers SET due_at = to_timestamp($2) WHERE id = $1::bigint AND $3::bigint IS NOT NULL;
