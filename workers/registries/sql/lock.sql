-- registries.c: a round's applications locked, in the order every batch locks them in, with
-- their stage now (one passed on meanwhile only loses its lease).
SELECT application_id, stage FROM applications WHERE application_id = ANY ($1::uuid[])
ORDER BY application_id FOR UPDATE;
