-- 009: lic_set_stages() joins a batch of changes to applications. PL/pgSQL keeps a statement's
-- generic plan for the life of the session once it has one, and a plan made while the table was
-- small (a sequential scan, hash-joined) stays in use as the table grows; the workers send their
-- own batch statements unprepared for the same reason (db_query_adhoc).
ALTER FUNCTION lic_set_stages(json) SET plan_cache_mode = force_custom_plan;
