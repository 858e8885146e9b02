-- decision.c: how many hearings the application had (a new one's id is derived from it).
SELECT count(*) FROM hearings WHERE application_id = $1;
